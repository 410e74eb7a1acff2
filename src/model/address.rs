//! Job addresses in Terraform's syntax: `KIND.NAME` and `KIND.NAME["key"]`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::JobKind;

/// The `for_each` key of one instance of a job block.
pub type InstanceKey = Arc<str>;

/// The address of one job instance: `alibaba_dts.orders_sync` or
/// `huawei_drs.eu_replica["8d0e…"]`. Addresses order by kind, name, key, which
/// is the order plans and state files list jobs in.
///
/// The name and key are shared, not owned: a plan holds each address several
/// times over (the configuration's job, its live read, its change, its
/// request), and every instance of a block has the same name: owned, these
/// copies were a large part of a 100,000-job plan's peak memory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The job block's kind label.
    pub kind: JobKind,
    /// The job block's name label.
    pub name: Arc<str>,
    /// The `for_each` key, for an instance of a block with `for_each`.
    pub key: Option<InstanceKey>,
}

impl Address {
    /// The address of a block without `for_each`.
    pub fn new(kind: JobKind, name: impl Into<Arc<str>>) -> Self {
        Address { kind, name: name.into(), key: None }
    }

    /// The address of one `for_each` instance of a block.
    pub fn instance(kind: JobKind, name: impl Into<Arc<str>>, key: impl Into<Arc<str>>) -> Self {
        Address { kind, name: name.into(), key: Some(key.into()) }
    }

    /// The address of the instance `key` of this block, sharing its name.
    #[must_use]
    pub fn with_key(&self, key: impl Into<Arc<str>>) -> Address {
        Address { kind: self.kind, name: Arc::clone(&self.name), key: Some(key.into()) }
    }

    /// The address of the block this instance belongs to (the key dropped).
    #[must_use]
    pub fn block(&self) -> Address {
        Address { key: None, ..self.clone() }
    }

    /// Whether `self`, used as a `--target`/`--exclude` pattern, selects `other`:
    /// a block address selects every instance of the block.
    pub fn selects(&self, other: &Address) -> bool {
        self.kind == other.kind
            && self.name == other.name
            && (self.key.is_none() || self.key == other.key)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)?;
        if let Some(key) = &self.key {
            // Keys are quoted like HCL strings so that `"` and `\` stay unambiguous.
            f.write_str("[\"")?;
            for c in key.chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"]")?;
        }
        Ok(())
    }
}

/// Why a string is not a job address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressParseError {
    /// The text before the first `.` is not a job kind.
    #[error(
        "`{0}` is not a job kind (expected one of alibaba_dts, alibaba_migration, alibaba_synchronization, huawei_drs)"
    )]
    UnknownKind(String),
    /// The address does not have the `KIND.NAME` or `KIND.NAME["key"]` shape.
    #[error("`{0}` is not a job address (expected KIND.NAME or KIND.NAME[\"key\"])")]
    Malformed(String),
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || AddressParseError::Malformed(s.to_owned());
        let (kind, rest) = s.split_once('.').ok_or_else(malformed)?;
        let kind: JobKind =
            kind.parse().map_err(|()| AddressParseError::UnknownKind(kind.to_owned()))?;
        let (name, key) = match rest.split_once('[') {
            None => (rest, None),
            Some((name, index)) => {
                let quoted = index.strip_suffix(']').ok_or_else(malformed)?;
                let inner = quoted
                    .strip_prefix('"')
                    .and_then(|q| q.strip_suffix('"'))
                    .ok_or_else(malformed)?;
                (name, Some(unescape(inner).ok_or_else(malformed)?.into()))
            }
        };
        if !is_identifier(name) {
            return Err(malformed());
        }
        Ok(Address { kind, name: name.into(), key })
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether `s` is an HCL identifier (letters, digits, `_`, `-`; not starting with a digit).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().filter(|c| matches!(c, '"' | '\\'))?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_parses() {
        let cases = [
            (Address::new(JobKind::AlibabaDts, "orders"), r"alibaba_dts.orders"),
            (
                Address::instance(JobKind::HuaweiDrs, "eu", "8d0e8e36"),
                r#"huawei_drs.eu["8d0e8e36"]"#,
            ),
            (
                Address::instance(JobKind::HuaweiDrs, "eu", r#"a"b\c"#),
                r#"huawei_drs.eu["a\"b\\c"]"#,
            ),
        ];
        for (address, text) in cases {
            assert_eq!(address.to_string(), text);
            assert_eq!(text.parse::<Address>().unwrap(), address);
        }
    }

    #[test]
    fn rejects_malformed() {
        for text in [
            "alibaba_dts",
            "alibaba_dts.",
            "alibaba_dts.x[1]",
            "alibaba_dts.x[\"a\"",
            "alibaba_dts.9x",
        ] {
            assert!(
                matches!(text.parse::<Address>(), Err(AddressParseError::Malformed(_))),
                "{text}"
            );
        }
        assert!(matches!("aws_dms.x".parse::<Address>(), Err(AddressParseError::UnknownKind(_))));
    }

    #[test]
    fn block_address_selects_instances() {
        let block = Address::new(JobKind::HuaweiDrs, "eu");
        let one = Address::instance(JobKind::HuaweiDrs, "eu", "a");
        assert!(block.selects(&one));
        assert!(one.selects(&one));
        assert!(!one.selects(&block));
        assert!(!block.selects(&Address::new(JobKind::HuaweiDrs, "us")));
    }
}
