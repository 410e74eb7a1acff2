//! Lenient field decoders for wire types whose JSON types drift between
//! operations (`Success` as `true` or `"true"`, counts as `30` or `"30"`).

use serde::{Deserialize, Deserializer};

/// A JSON scalar that may arrive as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Number(serde_json::Number),
    Text(String),
}

/// `true`, `false`, `"true"`, `"False"`, or null/absent.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Scalar>::deserialize(deserializer)? {
        None => None,
        Some(Scalar::Bool(value)) => Some(value),
        Some(Scalar::Text(text)) if text.eq_ignore_ascii_case("true") => Some(true),
        Some(Scalar::Text(text)) if text.eq_ignore_ascii_case("false") => Some(false),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a boolean, found {}",
                describe(&other)
            )));
        }
    })
}

/// `30`, `"30"`, or null/absent.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Scalar>::deserialize(deserializer)? {
        None => None,
        Some(Scalar::Number(number)) if number.as_u64().is_some() => number.as_u64(),
        Some(Scalar::Text(text)) if text.trim().parse::<u64>().is_ok() => text.trim().parse().ok(),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a count, found {}",
                describe(&other)
            )));
        }
    })
}

fn describe(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Bool(value) => value.to_string(),
        Scalar::Number(number) => number.to_string(),
        Scalar::Text(text) => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "opt_u64")]
        count: Option<u64>,
    }

    fn probe(json: &str) -> Result<Probe, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn accepts_both_spellings() {
        let p = probe(r#"{"flag":"True","count":"30"}"#).unwrap();
        assert_eq!((p.flag, p.count), (Some(true), Some(30)));
        let p = probe(r#"{"flag":false,"count":7}"#).unwrap();
        assert_eq!((p.flag, p.count), (Some(false), Some(7)));
        let p = probe(r#"{"flag":null}"#).unwrap();
        assert_eq!((p.flag, p.count), (None, None));
    }

    #[test]
    fn rejects_nonsense() {
        assert!(probe(r#"{"flag":"yes"}"#).unwrap_err().to_string().contains("expected a boolean"));
        assert!(probe(r#"{"count":-1}"#).unwrap_err().to_string().contains("expected a count"));
    }
}
