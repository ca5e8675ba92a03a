//! Lenient JSON, as Azure Resource Manager accepts it.
//!
//! On top of RFC 8259 this accepts what real templates contain and ARM
//! deploys: `//` and `/* */` comments, trailing commas in arrays and objects,
//! and raw newlines and tabs inside strings (multi-line expressions). Key
//! order is preserved. Strings are never reinterpreted (a date-like string
//! stays a string).
//!
//! **Duplicate keys.** ARM reads JSON with Newtonsoft Json.NET, whose
//! default (`DuplicatePropertyNameHandling.Replace`) keeps the *last* value
//! of a repeated property name, in the first one's place, comparing names
//! exactly (`StringComparison.Ordinal`: `name` and `Name` are two
//! properties). ARM accepts such templates: the quickstart
//! `microsoft.datalakestore/yash-datalake/nested/streamAnalytics.json` of
//! the corpus has two `variables` sections, and Azure/azure-quickstart-
//! templates#5855 and microsoft/vscode-azurearmtools#646 report deployed
//! templates with repeated keys. So [`parse`] does the same; with
//! [`JsonOptions::reject_duplicate_keys`] a repeated name is an error worded
//! as Json.NET's `DuplicatePropertyNameHandling.Error` words it ("Property
//! with the name 'x' already exists in the current JSON object.").
//!
//! **Newtonsoft's leniency.** The JSON-family template functions (`json()`,
//! `base64ToJson()`) parse their argument the way Json.NET's reader does:
//! also single-quoted strings and unquoted property names
//! ([`JsonOptions::newtonsoft`]). template-functions-string.md documents
//! `base64ToJson(base64('{'one': 'a', 'two': 'b'}'))` as
//! `{"one": "a", "two": "b"}`.
//!
//! Errors carry the file, line, column and the JSON path of the value being
//! read, e.g. `main.json:12:7 at $.resources[0].properties: expected ',' or '}'`.

use serde_json::{Map, Number, Value};
use std::fmt;

/// Maximum nesting depth of arrays and objects.
pub const MAX_DEPTH: usize = 256;

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// JSON path of the value being read, e.g. `$.resources[0].name`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{} at {}: {}",
            self.file, self.line, self.column, self.path, self.message
        )
    }
}

/// How lenient to be beyond what [`parse`] accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// Also accept single-quoted strings and unquoted property names
    /// (letters, digits, `_` and `$`), as Json.NET's reader does.
    pub newtonsoft: bool,
    /// Refuse a property name repeated (exactly) in one object, instead of
    /// keeping its last value as ARM does.
    pub reject_duplicate_keys: bool,
}

/// Parse lenient JSON text. `file` names the input in error messages.
pub fn parse(text: &str, file: &str) -> Result<Value, ParseError> {
    parse_with(text, file, JsonOptions::default())
}

/// Parse lenient JSON text with [`JsonOptions`].
pub fn parse_with(text: &str, file: &str, options: JsonOptions) -> Result<Value, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        file,
        path: Vec::new(),
        options,
    };
    // A UTF-8 byte order mark is common in files saved on Windows.
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    p.ws()?;
    let v = p.value(0)?;
    p.ws()?;
    if p.pos < p.s.len() {
        return Err(p.err("unexpected text after the end of the JSON document"));
    }
    Ok(v)
}

enum PathSeg {
    Key(String),
    Index(usize),
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    file: &'a str,
    path: Vec<PathSeg>,
    options: JsonOptions,
}

/// Render a path like `$.a.b[0]['key with space']`.
fn render_path(path: &[PathSeg]) -> String {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
            PathSeg::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') =>
            {
                out.push('.');
                out.push_str(k);
            }
            PathSeg::Key(k) => out.push_str(&format!("['{}']", k.replace('\'', "\\'"))),
        }
    }
    out
}

impl<'a> Parser<'a> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        let upto = &self.text[..self.pos.min(self.text.len())];
        let line = upto.matches('\n').count() + 1;
        let line_start = upto.rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..self.pos.min(self.text.len())]
            .chars()
            .count()
            + 1;
        ParseError {
            file: self.file.to_string(),
            line,
            column,
            path: render_path(&self.path),
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Skip whitespace and comments.
    fn ws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(b'/') if self.s.get(self.pos + 1) == Some(&b'/') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.s.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    self.pos += 2;
                    loop {
                        match self.peek() {
                            None => {
                                self.pos = start;
                                return Err(self.err("unterminated /* comment"));
                            }
                            Some(b'*') if self.s.get(self.pos + 1) == Some(&b'/') => {
                                self.pos += 2;
                                break;
                            }
                            _ => self.pos += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        match self.peek() {
            None => Err(self.err("unexpected end of input: expected a value")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'\'') if self.options.newtonsoft => Ok(Value::String(self.string()?)),
            Some(b'-' | b'.' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(c) => Err(self.err(format!(
                "unexpected character '{}': expected a value (object, array, string, number, true, false or null)",
                c as char
            ))),
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, ParseError> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err(format!("invalid literal: expected '{word}'")))
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.text[start..self.pos];
        // Newtonsoft (and so ARM's json()) reads '.5' as 0.5.
        let owned;
        let text = if text.starts_with('.') || text.starts_with("-.") {
            owned = text.replacen('.', "0.", 1);
            owned.as_str()
        } else {
            text
        };
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => {
                self.pos = start;
                Err(self.err(format!("invalid number '{text}'")))
            }
        }
    }

    /// A string in double quotes (or single quotes, whichever opens it).
    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        let quote = self.s[self.pos];
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote or backslash in one go.
            let run_start = self.pos;
            while let Some(c) = self.peek() {
                if c == quote || c == b'\\' {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => {
                    self.pos = start;
                    return Err(self.err("unterminated string"));
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated escape sequence"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\'' => out.push('\''),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                // Surrogate pair.
                                if self.s[self.pos..].starts_with(b"\\u") {
                                    self.pos += 2;
                                    let lo = self.hex4()?;
                                    let c = 0x10000
                                        + ((cp - 0xD800) << 10)
                                        + (lo.wrapping_sub(0xDC00) & 0x3ff);
                                    out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                                } else {
                                    out.push('\u{fffd}');
                                }
                            } else {
                                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                            }
                        }
                        other => {
                            self.pos -= 2;
                            return Err(
                                self.err(format!("invalid escape '\\{}' in string", other as char))
                            );
                        }
                    }
                }
            }
        }
    }

    /// An unquoted property name (Json.NET: letters, digits, `_`, `$`).
    fn identifier(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_identifier) {
            self.pos += 1;
        }
        self.text[start..self.pos].to_string()
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self
            .text
            .get(self.pos..self.pos + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match h {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.err("invalid \\u escape: expected four hex digits")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.ws()?;
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.err("unterminated array: expected ']'")),
                _ => {}
            }
            self.path.push(PathSeg::Index(items.len()));
            let v = self.value(depth + 1)?;
            self.path.pop();
            items.push(v);
            self.ws()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Err(self.err("expected ',' or ']' after an array item")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.ws()?;
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                Some(b'"') => {}
                Some(b'\'') if self.options.newtonsoft => {}
                Some(c) if self.options.newtonsoft && is_identifier(c) => {}
                None => return Err(self.err("unterminated object: expected '}'")),
                Some(_) => return Err(self.err("expected a property name in double quotes or '}'")),
            }
            let key = match self.peek() {
                Some(b'"' | b'\'') => self.string()?,
                _ => self.identifier(),
            };
            self.ws()?;
            if self.peek() != Some(b':') {
                return Err(self.err(format!("expected ':' after the property name \"{key}\"")));
            }
            self.pos += 1;
            self.ws()?;
            self.path.push(PathSeg::Key(key));
            let v = self.value(depth + 1)?;
            let Some(PathSeg::Key(key)) = self.path.pop() else {
                unreachable!("path stack out of sync")
            };
            // As Json.NET: the last value wins, in the first one's place.
            if self.options.reject_duplicate_keys && map.contains_key(&key) {
                return Err(self.err(format!(
                    "Property with the name '{key}' already exists in the current JSON object."
                )));
            }
            map.insert(key, v);
            self.ws()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected ',' or '}' after a property value")),
            }
        }
    }
}

fn is_identifier(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_json() {
        let v = parse(
            r#"{"a": [1, -2, 3.5, true, null, "x\u00e9\n"], "b": {}}"#,
            "t",
        )
        .unwrap();
        assert_eq!(v, json!({"a": [1, -2, 3.5, true, null, "xé\n"], "b": {}}));
    }

    #[test]
    fn lenient_extensions() {
        let text = "{\n  // comment\n  \"a\": [1, 2,], /* block\n comment */\n  \"b\": \"[concat('x',\n 'y')]\",\n}";
        let v = parse(text, "t").unwrap();
        assert_eq!(v, json!({"a": [1, 2], "b": "[concat('x',\n 'y')]"}));
    }

    #[test]
    fn key_order_and_dates() {
        let v = parse(r#"{"z": 1, "a": "2024-01-01T00:00:00Z", "m": 3}"#, "t").unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(v["a"], "2024-01-01T00:00:00Z");
    }

    #[test]
    fn errors_have_position_and_path() {
        let e = parse(
            "{\n  \"resources\": [\n    {\"name\": 1 \"x\": 2}\n  ]\n}",
            "main.json",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (3, 16));
        assert_eq!(e.path, "$.resources[0]");
        assert!(
            e.to_string()
                .starts_with("main.json:3:16 at $.resources[0]: expected ','")
        );
        let e = parse("[1, 2", "f").unwrap_err();
        assert!(e.message.contains("expected ','"), "{e}");
        let e = parse("{\"a\": tru}", "f").unwrap_err();
        assert_eq!(e.path, "$.a");
        assert!(
            parse(&"[".repeat(10_000), "f")
                .unwrap_err()
                .message
                .contains("nesting")
        );
    }
}
