//! The ARM expression language: lexer, parser and AST.
//!
//! Grammar (from the template-expressions reference):
//!
//! ```text
//! expr     := primary ( '.' IDENT | '[' expr ']' )*
//! primary  := STRING | INT | call
//! call     := IDENT ( '.' IDENT )? '(' ( expr ( ',' expr )* )? ')'
//! STRING   := "'" ( [^'] | "''" )* "'"
//! INT      := '-'? [0-9]+
//! ```
//!
//! Function names are case-insensitive; `ns.member(...)` calls a user-defined
//! function. There are no boolean, null or float literals (`true()`,
//! `null()`, `json('1.5')` instead).

use std::fmt;
use std::ops::Range;

/// Longest expression ARM accepts, in characters.
pub const MAX_EXPRESSION_LEN: usize = crate::limits::ARM_MAX_EXPRESSION_CHARS;
/// Deepest nesting the parser accepts (hostile input must not overflow the stack).
pub const MAX_NESTING: usize = 128;

/// A parsed expression node with its byte span in the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(String),
    Int(i64),
    /// A built-in function call; `name` as written.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// A user-defined function call `namespace.name(args)`.
    UserCall {
        namespace: String,
        name: String,
        args: Vec<Expr>,
    },
    /// `.name`
    Member(Box<Expr>, String),
    /// `[index]`
    Index(Box<Expr>, Box<Expr>),
}

/// A syntax error in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset in the expression text.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl std::error::Error for ExprError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    End,
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn err(&self, offset: usize, message: impl Into<String>) -> ExprError {
        ExprError {
            offset,
            message: message.into(),
        }
    }

    fn next(&mut self) -> Result<(Tok, Range<usize>), ExprError> {
        while let Some(c) = self.b.get(self.pos) {
            if c.is_ascii_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
        let start = self.pos;
        let Some(&c) = self.b.get(self.pos) else {
            return Ok((Tok::End, start..start));
        };
        let tok = match c {
            b'(' => {
                self.pos += 1;
                Tok::LParen
            }
            b')' => {
                self.pos += 1;
                Tok::RParen
            }
            b'[' => {
                self.pos += 1;
                Tok::LBracket
            }
            b']' => {
                self.pos += 1;
                Tok::RBracket
            }
            b',' => {
                self.pos += 1;
                Tok::Comma
            }
            b'.' => {
                self.pos += 1;
                Tok::Dot
            }
            b'\'' => {
                self.pos += 1;
                let mut out = String::new();
                loop {
                    let run = self.pos;
                    while let Some(&c) = self.b.get(self.pos) {
                        if c == b'\'' {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.s[run..self.pos]);
                    if self.pos >= self.b.len() {
                        return Err(self.err(
                            start,
                            "unterminated string literal: missing closing quote (')",
                        ));
                    }
                    // at a quote
                    if self.b.get(self.pos + 1) == Some(&b'\'') {
                        out.push('\'');
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        break;
                    }
                }
                Tok::Str(out)
            }
            b'-' | b'0'..=b'9' => {
                self.pos += 1;
                while self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                let text = &self.s[start..self.pos];
                if text == "-" {
                    return Err(self.err(start, "'-' must be followed by digits"));
                }
                let n: i64 = text.parse().map_err(|_| {
                    self.err(
                        start,
                        format!("integer literal '{text}' is out of the 64-bit range"),
                    )
                })?;
                Tok::Int(n)
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                while self
                    .b
                    .get(self.pos)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
                {
                    self.pos += 1;
                }
                Tok::Ident(self.s[start..self.pos].to_string())
            }
            _ => {
                let ch = self.s[start..].chars().next().unwrap_or('?');
                return Err(self.err(start, format!("unexpected character '{ch}'")));
            }
        };
        Ok((tok, start..self.pos))
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    span: Range<usize>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn bump(&mut self) -> Result<(), ExprError> {
        let (t, s) = self.lex.next()?;
        self.tok = t;
        self.span = s;
        Ok(())
    }

    fn err(&self, message: impl Into<String>) -> ExprError {
        ExprError {
            offset: self.span.start,
            message: message.into(),
        }
    }

    fn expect(&mut self, t: Tok, what: &str) -> Result<(), ExprError> {
        if self.tok == t {
            self.bump()
        } else {
            Err(self.err(format!("expected {what}")))
        }
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(format!(
                "expression nested deeper than {MAX_NESTING} levels"
            )));
        }
        let mut e = self.primary()?;
        // Each '.name' and '[index]' nests the tree one level deeper too.
        let mut postfix = 0;
        loop {
            if matches!(self.tok, Tok::Dot | Tok::LBracket) {
                postfix += 1;
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(self.err(format!(
                        "expression nested deeper than {MAX_NESTING} levels"
                    )));
                }
            }
            match self.tok {
                Tok::Dot => {
                    self.bump()?;
                    let Tok::Ident(name) = self.tok.clone() else {
                        return Err(self.err("expected a property name after '.'"));
                    };
                    let end = self.span.end;
                    self.bump()?;
                    let start = e.span.start;
                    e = Expr {
                        kind: ExprKind::Member(Box::new(e), name),
                        span: start..end,
                    };
                }
                Tok::LBracket => {
                    self.bump()?;
                    let idx = self.expr()?;
                    let end = self.span.end;
                    self.expect(Tok::RBracket, "']'")?;
                    let start = e.span.start;
                    e = Expr {
                        kind: ExprKind::Index(Box::new(e), Box::new(idx)),
                        span: start..end,
                    };
                }
                _ => break,
            }
        }
        self.depth -= 1 + postfix;
        Ok(e)
    }

    fn args(&mut self) -> Result<(Vec<Expr>, usize), ExprError> {
        self.expect(Tok::LParen, "'('")?;
        let mut args = Vec::new();
        if self.tok == Tok::RParen {
            let end = self.span.end;
            self.bump()?;
            return Ok((args, end));
        }
        loop {
            args.push(self.expr()?);
            match self.tok {
                Tok::Comma => self.bump()?,
                Tok::RParen => {
                    let end = self.span.end;
                    self.bump()?;
                    return Ok((args, end));
                }
                _ => return Err(self.err("expected ',' or ')' in the argument list")),
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let start = self.span.start;
        match self.tok.clone() {
            Tok::Str(s) => {
                let end = self.span.end;
                self.bump()?;
                Ok(Expr {
                    kind: ExprKind::Str(s),
                    span: start..end,
                })
            }
            Tok::Int(i) => {
                let end = self.span.end;
                self.bump()?;
                Ok(Expr {
                    kind: ExprKind::Int(i),
                    span: start..end,
                })
            }
            Tok::Ident(name) => {
                self.bump()?;
                if self.tok == Tok::Dot {
                    // namespace.member(...)
                    self.bump()?;
                    let Tok::Ident(member) = self.tok.clone() else {
                        return Err(self.err("expected a function name after '.'"));
                    };
                    self.bump()?;
                    if self.tok != Tok::LParen {
                        return Err(self.err(format!(
                            "'{name}.{member}' is not a function call: ARM expressions start with a function call such as parameters('x')"
                        )));
                    }
                    let (args, end) = self.args()?;
                    return Ok(Expr {
                        kind: ExprKind::UserCall {
                            namespace: name,
                            name: member,
                            args,
                        },
                        span: start..end,
                    });
                }
                if self.tok != Tok::LParen {
                    return Err(self.err(format!(
                        "expected '(' after '{name}': ARM has no bare identifiers (write {name}() or '{name}')"
                    )));
                }
                let (args, end) = self.args()?;
                Ok(Expr {
                    kind: ExprKind::Call { name, args },
                    span: start..end,
                })
            }
            Tok::End => Err(self.err("unexpected end of expression")),
            other => Err(self.err(format!("unexpected {}", describe(&other)))),
        }
    }
}

fn describe(t: &Tok) -> &'static str {
    match t {
        Tok::LParen => "'('",
        Tok::RParen => "')'",
        Tok::LBracket => "'['",
        Tok::RBracket => "']'",
        Tok::Comma => "','",
        Tok::Dot => "'.'",
        _ => "token",
    }
}

/// Parse the text between the outer `[` and `]` of a template expression.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    // ARM counts characters; bytes are an upper bound, so count only when needed.
    if text.len() > MAX_EXPRESSION_LEN && text.chars().count() > MAX_EXPRESSION_LEN {
        return Err(ExprError {
            offset: 0,
            message: format!(
                "expression is {} characters long; ARM allows at most {MAX_EXPRESSION_LEN}",
                text.chars().count()
            ),
        });
    }
    let mut p = Parser {
        lex: Lexer {
            s: text,
            b: text.as_bytes(),
            pos: 0,
        },
        tok: Tok::End,
        span: 0..0,
        depth: 0,
    };
    p.bump()?;
    let e = p.expr()?;
    if p.tok != Tok::End {
        return Err(p.err("unexpected text after the end of the expression"));
    }
    Ok(e)
}

/// How a template string is to be read.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateString<'a> {
    /// A literal (including `[[...]` escapes, already unescaped).
    Literal(std::borrow::Cow<'a, str>),
    /// An expression: the text between the outer brackets.
    Expression(&'a str),
}

/// Classify a JSON string of a template: `[expr]` is an expression, `[[...]`
/// is a literal with the first `[` dropped, anything else is a literal.
pub fn classify(s: &str) -> TemplateString<'_> {
    if s.starts_with("[[") {
        return TemplateString::Literal(std::borrow::Cow::Owned(s[1..].to_string()));
    }
    if s.len() >= 2 && s.starts_with('[') && s.ends_with(']') {
        return TemplateString::Expression(&s[1..s.len() - 1]);
    }
    TemplateString::Literal(std::borrow::Cow::Borrowed(s))
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            ExprKind::Int(i) => write!(f, "{i}"),
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            ExprKind::UserCall {
                namespace,
                name,
                args,
            } => {
                write!(f, "{namespace}.{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            ExprKind::Member(e, n) => write!(f, "{e}.{n}"),
            ExprKind::Index(e, i) => write!(f, "{e}[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for s in [
            "parameters('a')",
            "concat('it''s', string(-13))",
            "reference(variables('x')).outputs.y.value",
            "variables('v')[parameters('i')].name",
            "listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01').keys[0].value",
            "ns.fn(1, 'a')",
            "createArray()",
        ] {
            let e = parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(e.to_string(), s);
        }
    }

    #[test]
    fn errors() {
        assert!(
            parse("concat('a'")
                .unwrap_err()
                .message
                .contains("expected ','")
        );
        assert!(parse("'abc").unwrap_err().message.contains("unterminated"));
        assert!(parse("foo").unwrap_err().message.contains("expected '('"));
        assert!(
            parse("a() b()")
                .unwrap_err()
                .message
                .contains("after the end")
        );
        assert!(
            parse("99999999999999999999")
                .unwrap_err()
                .message
                .contains("64-bit")
        );
        let deep = format!("{}1{}", "f(".repeat(1000), ")".repeat(1000));
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn classify_strings() {
        assert_eq!(classify("[a()]"), TemplateString::Expression("a()"));
        assert_eq!(classify("[[a()]"), TemplateString::Literal("[a()]".into()));
        assert_eq!(
            classify("[test] value"),
            TemplateString::Literal("[test] value".into())
        );
        assert_eq!(classify("plain"), TemplateString::Literal("plain".into()));
    }
}
