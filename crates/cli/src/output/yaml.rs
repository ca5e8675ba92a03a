//! `-o yaml` / `-o yamlc`: a block-style YAML emitter for a JSON value.
//!
//! The Azure CLI writes `yaml.safe_dump(result, default_flow_style=False,
//! allow_unicode=True)` (knack `output.py`, `format_yaml`); this emitter
//! keeps PyYAML's layout — two-space mappings, sequences inside a mapping
//! not indented (`key:` then `- item`), `[]`/`{}` for empty collections,
//! `null`/`true`/`false`, non-ASCII text as it is, `...` after a plain
//! scalar document — so output reads the same. Differences: keys keep the
//! command's order (PyYAML sorts them, as az's JSON does; azrelo's field
//! order is part of its documented JSON), long strings are not folded at
//! 80 columns, and a string with a line break is written double-quoted
//! with `\n` escapes.
//!
//! Why not a crate: `serde_yaml` is deprecated; its maintained forks
//! (`serde_norway`, `serde_yaml_ng`) wrap `unsafe-libyaml`, a machine
//! translation of libyaml's C; `serde_yml` is itself deprecated; the pure
//! Rust emitters (`saphyr`, `yaml-rust2`) write `---`, `~` for null and
//! indented sequences, and none can colour keys for `yamlc`. What takes care
//! here is deciding when a string must be quoted (YAML 1.1, which PyYAML
//! and many tools still read, takes `yes`, `off`, `2022-09-01` and `0777`
//! for other types); the tests parse the output back with `saphyr` (a
//! maintained YAML 1.2 parser) over generated values.

use serde_json::{Map, Value};

/// ANSI colour of keys in `yamlc` (Pygments' `Name.Tag` in its terminal
/// formatter, what az's `yamlc` shows).
const KEY: &str = "\x1b[94m";
const RESET: &str = "\x1b[0m";

/// The YAML document of `v`, ending with a newline.
pub fn to_string(v: &Value, color: bool) -> String {
    let mut e = Emitter {
        out: String::new(),
        color,
    };
    match v {
        Value::Object(m) if !m.is_empty() => e.mapping(m, 0, false),
        Value::Array(a) if !a.is_empty() => e.sequence(a, 0, false),
        scalar => {
            let plain = e.scalar(scalar);
            e.out.push('\n');
            // PyYAML ends a document that is one plain scalar with `...`.
            if plain {
                e.out.push_str("...\n");
            }
        }
    }
    e.out
}

struct Emitter {
    out: String,
    color: bool,
}

impl Emitter {
    fn indent(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// A mapping whose first key goes where the cursor is when `inline`
    /// (after `- `), else at `indent` on a new line.
    fn mapping(&mut self, m: &Map<String, Value>, indent: usize, inline: bool) {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            if self.color {
                self.out.push_str(KEY);
            }
            write_string(&mut self.out, k);
            if self.color {
                self.out.push_str(RESET);
            }
            self.out.push(':');
            match v {
                Value::Object(c) if !c.is_empty() => {
                    self.out.push('\n');
                    self.mapping(c, indent + 2, false);
                }
                Value::Array(a) if !a.is_empty() => {
                    self.out.push('\n');
                    self.sequence(a, indent, false);
                }
                scalar => {
                    self.out.push(' ');
                    self.scalar(scalar);
                    self.out.push('\n');
                }
            }
        }
    }

    fn sequence(&mut self, a: &[Value], indent: usize, inline: bool) {
        for (i, v) in a.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.out.push_str("- ");
            match v {
                Value::Object(c) if !c.is_empty() => self.mapping(c, indent + 2, true),
                Value::Array(c) if !c.is_empty() => self.sequence(c, indent + 2, true),
                scalar => {
                    self.scalar(scalar);
                    self.out.push('\n');
                }
            }
        }
    }

    /// A scalar or an empty collection; true when it was written plain.
    fn scalar(&mut self, v: &Value) -> bool {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.out.push_str(&number(n)),
            Value::String(s) => return write_string(&mut self.out, s),
            Value::Array(_) => {
                self.out.push_str("[]");
                return false;
            }
            Value::Object(_) => {
                self.out.push_str("{}");
                return false;
            }
        }
        true
    }
}

/// A number as YAML 1.1 reads it: a float needs a `.` in its mantissa and
/// a sign in its exponent (`1.0e+20`; `1e20` would be a string).
fn number(n: &serde_json::Number) -> String {
    let s = n.to_string();
    if !n.is_f64() {
        return s;
    }
    match s.split_once(['e', 'E']) {
        Some((mantissa, exp)) => {
            let mantissa = if mantissa.contains('.') {
                mantissa.to_string()
            } else {
                format!("{mantissa}.0")
            };
            let exp = if exp.starts_with(['+', '-']) {
                exp.to_string()
            } else {
                format!("+{exp}")
            };
            format!("{mantissa}e{exp}")
        }
        None if s.contains('.') => s,
        None => format!("{s}.0"),
    }
}

/// Characters that cannot appear raw in a single-quoted or plain scalar.
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    )
}

/// Could the text, unquoted, be read as something other than this string?
/// Conservative: some strings PyYAML leaves plain are quoted here.
fn needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']) {
        return true;
    }
    // Indicators that start a non-plain node; `-` and `?` only when a
    // space or the end follows (`-a` is plain, `- a` is a sequence).
    let second = s.chars().nth(1);
    match first {
        ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' | '<' | '=' | ':' => return true,
        '-' | '?' if second.is_none_or(|c| c == ' ') => return true,
        _ => {}
    }
    if s.starts_with("---") || s.starts_with("...") {
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    const WORDS: &[&str] = &[
        // YAML 1.1 booleans (https://yaml.org/type/bool.html) and nulls
        // (https://yaml.org/type/null.html); 1.2 core's are a subset.
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ".inf", "-.inf", "+.inf",
        ".nan",
    ];
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return true;
    }
    // Numbers in any YAML 1.1 form (ints with `_`, 0x/0o/0b, sexagesimal
    // `1:20`, floats) and timestamps (`2022-09-01`): anything that starts
    // like a number and holds only what those forms use.
    let numeric_start = first.is_ascii_digit()
        || (matches!(first, '+' | '-' | '.')
            && second.is_some_and(|c| c.is_ascii_digit() || c == '.'));
    numeric_start
        && s.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(
                    c,
                    '_' | '.'
                        | ':'
                        | '+'
                        | '-'
                        | 'x'
                        | 'X'
                        | 'o'
                        | 'O'
                        | 't'
                        | 'T'
                        | 'z'
                        | 'Z'
                        | ' '
                )
        })
}

/// Write a string scalar: plain when safe, single-quoted when it only
/// needs quotes, double-quoted when it holds a line break or a control
/// character. Returns true when it was written plain.
fn write_string(out: &mut String, s: &str) -> bool {
    if s.chars().any(needs_escape) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\0' => out.push_str("\\0"),
                '\u{85}' => out.push_str("\\N"),
                '\u{2028}' => out.push_str("\\L"),
                '\u{2029}' => out.push_str("\\P"),
                '\u{feff}' => out.push_str("\\uFEFF"),
                c if needs_escape(c) && (c as u32) < 0x100 => {
                    out.push_str(&format!("\\x{:02X}", c as u32))
                }
                c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        false
    } else if needs_quotes(s) {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
        false
    } else {
        out.push_str(s);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::to_string;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// The YAML text read back as JSON through a YAML 1.2 parser.
    fn parse(text: &str) -> Value {
        use saphyr::{LoadableYamlNode, Scalar, Yaml};
        fn conv(y: &Yaml) -> Value {
            match y {
                Yaml::Value(Scalar::Null) => Value::Null,
                Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
                Yaml::Value(Scalar::Integer(i)) => json!(i),
                Yaml::Value(Scalar::FloatingPoint(f)) => json!(f.into_inner()),
                Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
                Yaml::Sequence(a) => Value::Array(a.iter().map(conv).collect()),
                Yaml::Mapping(m) => Value::Object(
                    m.iter()
                        .map(|(k, v)| match k {
                            Yaml::Value(Scalar::String(s)) => (s.to_string(), conv(v)),
                            other => panic!("a key that is not a string: {other:?}"),
                        })
                        .collect(),
                ),
                other => panic!("unexpected node {other:?}"),
            }
        }
        let docs = Yaml::load_from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(docs.len(), 1, "{text}");
        conv(&docs[0])
    }

    #[test]
    fn layout_is_pyyamls_block_style() {
        let v = json!({"a": [{"b": [1, [2, 3]], "c": {}}], "d": [[]], "e": {"f": null, "g": true}});
        assert_eq!(
            to_string(&v, false),
            "a:\n- b:\n  - 1\n  - - 2\n    - 3\n  c: {}\nd:\n- []\ne:\n  f: null\n  g: true\n"
        );
        assert_eq!(to_string(&json!("abc"), false), "abc\n...\n");
        assert_eq!(to_string(&json!("1"), false), "'1'\n");
        assert_eq!(to_string(&json!([]), false), "[]\n");
        assert_eq!(to_string(&json!(1e20), false), "1.0e+20\n...\n");
        assert_eq!(to_string(&json!(1.0), false), "1.0\n...\n");
    }

    /// Strings PyYAML (YAML 1.1) would read as another type are quoted
    /// (checked against `yaml.safe_dump` 6.0).
    #[test]
    fn ambiguous_strings_are_quoted_and_plain_ones_are_not() {
        for s in [
            "yes",
            "Off",
            "NULL",
            "~",
            "y",
            "1",
            "2022-09-01",
            "0x1F",
            ".5",
            "0777",
            "1_000",
            "+1",
            "1:20",
            "",
            " ",
            " lead",
            "a: b",
            "a #b",
            "trail:",
            "#x",
            "- a",
            "*a",
            "!x",
            "%x",
            "@x",
            "`x",
            "=",
            "<<",
            "---",
            "'q'",
            "\"q\"",
            ".inf",
        ] {
            let text = to_string(&json!(s), false);
            assert!(text.starts_with(['\'', '"']), "{s:?} => {text:?}");
        }
        for s in [
            "westeurope",
            "10.0.0.0/16",
            "https://x.y/z?a=1",
            "-a",
            "a:b",
            "/subscriptions/0000/resourceGroups/rg",
            "Microsoft.KeyVault/vaults",
            "é",
            "it's",
        ] {
            assert_eq!(to_string(&json!(s), false), format!("{s}\n...\n"));
        }
        assert_eq!(to_string(&json!("a\tb"), false), "\"a\\tb\"\n");
        assert_eq!(to_string(&json!("x\ny"), false), "\"x\\ny\"\n");
    }

    #[test]
    fn yamlc_colours_keys_only() {
        assert_eq!(to_string(&json!({"a": "x"}), true), "\x1b[94ma\x1b[0m: x\n");
    }

    fn values() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            any::<String>(),
            "[ -~]{0,12}",
            prop::sample::select(vec![
                "yes",
                "no",
                "null",
                "~",
                "1",
                "-1",
                "1.5",
                "1e3",
                "0x10",
                "2022-09-01",
                "- x",
                "a: b",
                "#",
                "'",
                "\"",
                "\\",
                "\n",
                "\u{2028}",
                "\u{85}",
                "\u{feff}",
                "...",
                "---",
                "[a]",
                "{a}",
                "*",
                "&a",
                "!!str",
                "|",
                ">",
                "@",
                "%",
                "?",
                ":",
                "-",
                ""
            ])
            .prop_map(str::to_string),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            text.clone().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((text.clone(), inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn emitted_yaml_reads_back_as_the_same_value(v in values()) {
            let text = to_string(&v, false);
            prop_assert_eq!(parse(&text), v, "{}", text);
        }
    }
}
