//! JSON output: exact, as serde writes it, and inert on a terminal too.
//! serde_json escapes the C0 controls but writes DEL, the C1 controls and
//! bidirectional overrides as they are; here they become `\uXXXX` escapes,
//! which every JSON reader turns back into the same characters. Outside
//! strings JSON is ASCII, so only string contents are touched.

use std::fmt::Write as _;

use serde::Serialize;

use super::terminal::is_unsafe;

/// `value` as indented JSON (a document: `plan --json`, `show --json`).
pub fn pretty(value: &impl Serialize) -> String {
    inert(&serde_json::to_string_pretty(value).expect("output documents serialize"))
}

/// `value` as one line of JSON (`apply --json` events).
pub fn line(value: &impl Serialize) -> String {
    inert(&serde_json::to_string(value).expect("output documents serialize"))
}

fn inert(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        // serde escapes every C0 control inside strings, so a raw line
        // break is the indentation's. Every unsafe character is in the
        // Basic Multilingual Plane: one `\uXXXX` each.
        if is_unsafe(c) && c != '\n' {
            write!(out, "\\u{:04x}", u32::from(c)).expect("writing to a String cannot fail");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::render::terminal::is_inert;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn json_is_exact_and_inert(text in any::<String>()) {
            let document = serde_json::json!({ text.clone(): [text.clone()] });
            for json in [pretty(&document), line(&document)] {
                prop_assert!(is_inert(&json), "{json:?}");
                let back: serde_json::Value = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(&back, &document);
            }
        }
    }
}
