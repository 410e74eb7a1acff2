//! JSON output: exact, as serde writes it, and inert on a terminal too.
//! serde_json escapes the C0 controls but writes DEL, the C1 controls and
//! bidirectional overrides as they are; here they become `\uXXXX` escapes,
//! which every JSON reader turns back into the same characters. Outside
//! strings JSON is ASCII, so only string contents are touched.
//!
//! Documents are streamed to the writer as serde produces them: a plan of
//! 100,000 jobs is about 100 MB of indented JSON, which must never sit in
//! memory whole (let alone twice, escaped and not).

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::terminal::is_unsafe;

/// Writes `value` as indented JSON and a final line break (a document:
/// `plan --json`, `show --json`, `state pull`).
pub fn write_pretty(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    // Buffered here, behind a concrete type, although `out` may be buffered
    // too: serde writes a document a few bytes at a time, and through
    // `dyn Write` each piece was a call that cannot be inlined (a tenth of
    // a 100,000-job plan's CPU).
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, Inert(PrettyFormatter::new()));
    value.serialize(&mut serializer).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()
}

/// `value` as one line of JSON (`apply --json` events).
pub fn line(value: &impl Serialize) -> String {
    let mut bytes = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut bytes, Inert(CompactFormatter));
    value.serialize(&mut serializer).expect("output documents serialize");
    String::from_utf8(bytes).expect("serde_json writes UTF-8")
}

/// A serde_json formatter that writes every unsafe character inside a
/// string as a `\uXXXX` escape, and lays out everything else as `F` does.
struct Inert<F>(F);

impl<F: Formatter> Formatter for Inert<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde escapes the C0 controls itself (`write_char_escape`), so a
        // fragment holds only the rest. Every unsafe character is in the
        // Basic Multilingual Plane: one `\uXXXX` each. Printable ASCII,
        // nearly every fragment, is safe as a whole: checked byte by byte,
        // not decoded char by char (a plan of 100,000 jobs is some 3 million
        // fragments).
        if fragment.bytes().all(|b| (b' '..0x7f).contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut clean = 0;
        for (at, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[clean..at])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                clean = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[clean..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
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
            let mut pretty = Vec::new();
            write_pretty(&mut pretty, &document).unwrap();
            for json in [String::from_utf8(pretty).unwrap(), line(&document)] {
                prop_assert!(is_inert(&json), "{json:?}");
                let back: serde_json::Value = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(&back, &document);
            }
        }
    }

    #[test]
    fn layout_is_serde_json_s_own() {
        let document = serde_json::json!({ "a": [1, { "b": null }], "c": {}, "d": [] });
        let mut pretty = Vec::new();
        write_pretty(&mut pretty, &document).unwrap();
        let expected = serde_json::to_string_pretty(&document).unwrap() + "\n";
        assert_eq!(String::from_utf8(pretty).unwrap(), expected);
        assert_eq!(line(&document), serde_json::to_string(&document).unwrap());
    }
}
