//! `-o jsonc`: pretty JSON with ANSI colours, the colours az's `jsonc`
//! shows (knack `format_json_color`: Pygments' `JsonLexer` through its
//! `TerminalFormatter` — keys bright blue, strings yellow, numbers,
//! booleans and null blue).

use serde_json::ser::{Formatter, PrettyFormatter};
use std::io::{self, Write};

const KEY: &[u8] = b"\x1b[94m";
const STRING: &[u8] = b"\x1b[33m";
const LITERAL: &[u8] = b"\x1b[34m";
const RESET: &[u8] = b"\x1b[0m";

/// serde_json's pretty formatter with colour around keys and values.
pub struct Colored<'a> {
    pretty: PrettyFormatter<'a>,
    in_key: bool,
}

impl Colored<'_> {
    pub fn new() -> Self {
        Colored {
            pretty: PrettyFormatter::with_indent(b"  "),
            in_key: false,
        }
    }
}

fn literal<W: ?Sized + Write>(w: &mut W, text: &[u8]) -> io::Result<()> {
    w.write_all(LITERAL)?;
    w.write_all(text)?;
    w.write_all(RESET)
}

impl Formatter for Colored<'_> {
    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        literal(w, b"null")
    }
    fn write_bool<W: ?Sized + Write>(&mut self, w: &mut W, v: bool) -> io::Result<()> {
        literal(w, if v { b"true" } else { b"false" })
    }
    fn write_i64<W: ?Sized + Write>(&mut self, w: &mut W, v: i64) -> io::Result<()> {
        literal(w, v.to_string().as_bytes())
    }
    fn write_u64<W: ?Sized + Write>(&mut self, w: &mut W, v: u64) -> io::Result<()> {
        literal(w, v.to_string().as_bytes())
    }
    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, v: f64) -> io::Result<()> {
        // The same text serde_json writes for the number.
        let text = serde_json::Number::from_f64(v)
            .map(|n| n.to_string())
            .unwrap_or_else(|| "null".into());
        literal(w, text.as_bytes())
    }
    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(if self.in_key { KEY } else { STRING })?;
        self.pretty.begin_string(w)
    }
    fn end_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_string(w)?;
        w.write_all(RESET)
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.pretty.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.in_key = true;
        self.pretty.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.in_key = false;
        self.pretty.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::Colored;
    use serde::Serialize;
    use serde_json::json;

    fn render(v: &serde_json::Value) -> String {
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, Colored::new());
        v.serialize(&mut ser).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn colours_keys_strings_and_literals_and_strips_to_pretty_json() {
        let v = json!({"a": "x", "b": [1, 2.5, true, null]});
        let text = render(&v);
        assert!(
            text.contains("\x1b[94m\"a\"\x1b[0m: \x1b[33m\"x\"\x1b[0m"),
            "{text:?}"
        );
        assert!(text.contains("\x1b[34m2.5\x1b[0m"), "{text:?}");
        let plain = text
            .replace("\x1b[94m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[34m", "")
            .replace("\x1b[0m", "");
        assert_eq!(plain, serde_json::to_string_pretty(&v).unwrap());
    }
}
