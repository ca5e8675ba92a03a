//! Resource naming rules (learn.microsoft.com "Naming rules and restrictions
//! for Azure resources") and deriving a compliant target name.
//!
//! Character classes are written like the inside of a regex bracket
//! expression: `a-z0-9-` is lower-case letters, digits and hyphen. A `-` at the
//! start or end of the spec is literal; `\L` is any Unicode letter, `\N` any
//! Unicode digit, `\A` any character at all (use it with `forbidden` for the
//! rules the docs phrase as "can't use …"), and `\` escapes the next
//! character (`\-`, `\\`).

use serde::{Deserialize, Serialize};

/// Where a name must be unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameScope {
    /// Unique within the resource group: the target may reuse the name when it
    /// lands in a different resource group.
    ResourceGroup,
    /// Unique within the subscription (resource groups, policy assignments at
    /// subscription scope).
    Subscription,
    /// Unique within the parent resource.
    Parent,
    /// Unique within a region (the DNS name embeds the region, e.g. Batch):
    /// a target in another region may reuse the name.
    Region,
    /// Globally unique (usually a DNS name): the target needs a new name while
    /// the source exists.
    Global,
}

impl NameScope {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            NameScope::ResourceGroup => "resource-group",
            NameScope::Subscription => "subscription",
            NameScope::Parent => "parent",
            NameScope::Region => "region",
            NameScope::Global => "global",
        }
    }
}

/// The naming rule of a resource type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRule {
    /// Uniqueness scope.
    pub scope: NameScope,
    /// Minimum length in characters.
    pub min: usize,
    /// Maximum length in characters.
    pub max: usize,
    /// Allowed characters (class spec, see the module doc).
    pub chars: String,
    /// Allowed first characters (class spec); default: any allowed char.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Allowed last characters (class spec); default: any allowed char.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Characters never allowed, even when `chars` allows them (literal list).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub forbidden: String,
    /// Characters a name must not start with (literal list).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub not_start: String,
    /// Characters a name must not end with (literal list).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub not_end: String,
    /// Characters that must not appear twice in a row (e.g. `-`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub no_consecutive: String,
    /// DNS suffix of the name-derived endpoint (e.g. `.vault.azure.net`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_suffix: Option<String>,
    /// Anything else the rule says that is not machine-checked.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Source of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A parsed character class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharClass {
    ranges: Vec<(char, char)>,
    letters: bool,
    digits: bool,
    any: bool,
}

impl CharClass {
    /// Parse a class spec.
    pub fn parse(spec: &str) -> Result<CharClass, String> {
        let chars: Vec<char> = spec.chars().collect();
        let mut c = CharClass {
            ranges: Vec::new(),
            letters: false,
            digits: false,
            any: false,
        };
        let mut i = 0;
        while i < chars.len() {
            let ch = chars[i];
            if ch == '\\' {
                match chars.get(i + 1) {
                    Some('L') => c.letters = true,
                    Some('N') => c.digits = true,
                    Some('A') => c.any = true,
                    Some(&x) => c.ranges.push((x, x)),
                    None => return Err(format!("character class '{spec}' ends with a lone '\\'")),
                }
                i += 2;
                continue;
            }
            if chars.get(i + 1) == Some(&'-') && i + 2 < chars.len() {
                let hi = chars[i + 2];
                if hi < ch {
                    return Err(format!(
                        "character class '{spec}' has a reversed range {ch}-{hi}"
                    ));
                }
                c.ranges.push((ch, hi));
                i += 3;
            } else {
                c.ranges.push((ch, ch));
                i += 1;
            }
        }
        if c.ranges.is_empty() && !c.letters && !c.digits && !c.any {
            return Err(format!("character class '{spec}' is empty"));
        }
        Ok(c)
    }

    /// Whether the class holds `ch`.
    pub fn contains(&self, ch: char) -> bool {
        self.any
            || (self.letters && ch.is_alphabetic())
            || (self.digits && ch.is_numeric())
            || self.ranges.iter().any(|&(a, b)| a <= ch && ch <= b)
    }
}

/// How [`NameRule::propose`] derives the target name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuffixRule<'a> {
    /// Keep the name (only made compliant); right for resource-group-scoped
    /// names landing in a new resource group.
    Keep,
    /// Append this suffix (e.g. a region short code `neu`), separated by `-`
    /// when the rule allows hyphens.
    Append(&'a str),
    /// Replace the token `source` (e.g. `weu`, delimited by non-alphanumerics
    /// or the ends of the name, case-insensitive) with `target`; append
    /// `target` when the token is absent.
    ReplaceRegion {
        /// Token naming the source region inside the name.
        source: &'a str,
        /// Token for the target region.
        target: &'a str,
    },
}

impl NameRule {
    /// Check that the class specs parse and the lengths make sense.
    pub fn validate(&self) -> Result<(), String> {
        CharClass::parse(&self.chars)?;
        if let Some(s) = &self.start {
            CharClass::parse(s)?;
        }
        if let Some(s) = &self.end {
            CharClass::parse(s)?;
        }
        if self.min == 0 || self.min > self.max {
            return Err(format!(
                "length bounds {}..{} are invalid (need 1 <= min <= max)",
                self.min, self.max
            ));
        }
        Ok(())
    }

    fn classes(&self) -> Classes<'_> {
        let parse = |s: &str| {
            CharClass::parse(s).unwrap_or(CharClass {
                ranges: vec![],
                letters: true,
                digits: true,
                any: false,
            })
        };
        Classes {
            all: parse(&self.chars),
            start: self.start.as_deref().map(parse),
            end: self.end.as_deref().map(parse),
            rule: self,
        }
    }

    /// Whether `name` satisfies the rule; the error says what is wrong.
    pub fn check(&self, name: &str) -> Result<(), String> {
        let c = self.classes();
        let chars: Vec<char> = name.chars().collect();
        let n = chars.len();
        if n < self.min || n > self.max {
            return Err(format!(
                "'{name}' is {n} characters long; the name must be {}-{} characters",
                self.min, self.max
            ));
        }
        if let Some((i, ch)) = chars.iter().enumerate().find(|(_, ch)| !c.allowed(**ch)) {
            let allowed = if self.forbidden.is_empty() {
                format!("allowed characters are [{}]", self.chars)
            } else {
                format!("these characters are not allowed: {}", self.forbidden)
            };
            return Err(format!(
                "'{name}' has '{ch}' at position {}; {allowed}",
                i + 1
            ));
        }
        if let Some(first) = chars.first()
            && !c.start_ok(*first)
        {
            return Err(format!(
                "'{name}' starts with '{first}', which the rule does not allow{}",
                describe(&self.start, &self.not_start)
            ));
        }
        if let Some(last) = chars.last()
            && !c.end_ok(*last)
        {
            return Err(format!(
                "'{name}' ends with '{last}', which the rule does not allow{}",
                describe(&self.end, &self.not_end)
            ));
        }
        for w in chars.windows(2) {
            if w[0] == w[1] && self.no_consecutive.contains(w[0]) {
                return Err(format!(
                    "'{name}' has consecutive '{}' characters, which the rule forbids",
                    w[0]
                ));
            }
        }
        Ok(())
    }

    /// Derive a target name from the source name that satisfies the rule:
    /// apply the suffix rule, map characters into the allowed set (lower-case
    /// when only lower case is allowed, `_ . space` to `-` when hyphens are,
    /// others dropped), truncate the *base* so the suffix survives the length
    /// limit, fix the first and last characters and consecutive separators,
    /// and pad to the minimum length. The result always passes
    /// [`NameRule::check`] (a property the tests assert).
    pub fn propose(&self, source_name: &str, suffix: SuffixRule<'_>) -> String {
        let c = self.classes();
        let (base, suffix) = match suffix {
            SuffixRule::Keep => (source_name.to_string(), String::new()),
            SuffixRule::Append(s) => (source_name.to_string(), s.to_string()),
            SuffixRule::ReplaceRegion { source, target } => {
                match replace_token(source_name, source, target) {
                    Some(replaced) => (replaced, String::new()),
                    None => (source_name.to_string(), target.to_string()),
                }
            }
        };
        let sanitize = |s: &str| -> String {
            s.chars()
                .filter_map(|ch| {
                    if c.allowed(ch) {
                        Some(ch)
                    } else if c.allowed(ch.to_ascii_lowercase()) {
                        Some(ch.to_ascii_lowercase())
                    } else if c.allowed(ch.to_ascii_uppercase()) {
                        Some(ch.to_ascii_uppercase())
                    } else if matches!(ch, '_' | '.' | ' ' | '-') && c.allowed('-') {
                        Some('-')
                    } else {
                        None
                    }
                })
                .collect()
        };
        let base = sanitize(&base);
        let suffix = sanitize(&suffix);
        let sep = if !suffix.is_empty() && c.allowed('-') && !suffix.starts_with('-') {
            "-"
        } else {
            ""
        };
        let tail: Vec<char> = format!("{sep}{suffix}").chars().collect();
        let tail: Vec<char> = tail[tail.len().saturating_sub(self.max)..].to_vec();
        let room = self.max - tail.len();
        let mut b: Vec<char> = base.chars().take(room).collect();
        // Where the base meets the suffix (or the end), drop characters that
        // would dangle there (trailing hyphens, periods).
        while let Some(&ch) = b.last() {
            let ok = if tail.is_empty() {
                c.end_ok(ch)
            } else {
                ch.is_alphanumeric()
            };
            if ok {
                break;
            }
            b.pop();
        }
        let mut out: Vec<char> = b.into_iter().chain(tail).collect();
        out.dedup_by(|x, y| x == y && self.no_consecutive.contains(*x));
        while let Some(&ch) = out.first() {
            if c.start_ok(ch) {
                break;
            }
            out.remove(0);
        }
        if out.is_empty() {
            out.push(c.filler(true));
        }
        while out.len() > 1 && out.last().is_some_and(|&ch| !c.end_ok(ch)) {
            out.pop();
        }
        out.truncate(self.max);
        let pad = c.filler(false);
        while out.len() < self.min {
            out.push(pad);
        }
        if let Some(last) = out.last_mut()
            && !c.end_ok(*last)
        {
            *last = pad;
        }
        out.into_iter().collect()
    }
}

fn describe(class: &Option<String>, not: &str) -> String {
    match (class, not.is_empty()) {
        (Some(cl), true) => format!(" (must be one of [{cl}])"),
        (Some(cl), false) => format!(" (must be one of [{cl}] and not one of '{not}')"),
        (None, false) => format!(" (not one of '{not}')"),
        (None, true) => String::new(),
    }
}

struct Classes<'r> {
    all: CharClass,
    start: Option<CharClass>,
    end: Option<CharClass>,
    rule: &'r NameRule,
}

impl Classes<'_> {
    fn allowed(&self, ch: char) -> bool {
        self.all.contains(ch) && !self.rule.forbidden.contains(ch) && !ch.is_control()
    }

    fn start_ok(&self, ch: char) -> bool {
        self.allowed(ch)
            && self.start.as_ref().is_none_or(|s| s.contains(ch))
            && !self.rule.not_start.contains(ch)
    }

    fn end_ok(&self, ch: char) -> bool {
        self.allowed(ch)
            && self.end.as_ref().is_none_or(|e| e.contains(ch))
            && !self.rule.not_end.contains(ch)
    }

    /// A character usable at the start (or end) and anywhere: prefer a
    /// lower-case letter, then upper-case, then a digit.
    fn filler(&self, at_start: bool) -> char {
        ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .find(|&ch| self.start_ok(ch) && (at_start || self.end_ok(ch)) && self.end_ok(ch))
            .or_else(|| {
                ('a'..='z')
                    .chain('A'..='Z')
                    .chain('0'..='9')
                    .find(|&ch| self.allowed(ch))
            })
            .unwrap_or('a')
    }
}

fn replace_token(name: &str, token: &str, with: &str) -> Option<String> {
    if token.is_empty() {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let tok = token.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(off) = lower[from..].find(&tok) {
        let i = from + off;
        let j = i + tok.len();
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let after_ok = j == bytes.len() || !bytes[j].is_ascii_alphanumeric();
        if before_ok && after_ok && name.is_char_boundary(i) && name.is_char_boundary(j) {
            return Some(format!("{}{}{}", &name[..i], with, &name[j..]));
        }
        from = i + 1;
        while from < lower.len() && !lower.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}
