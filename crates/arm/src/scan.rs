//! Finding resource ids embedded in arbitrary strings.
//!
//! Dependency discovery runs [`find_resource_ids`] over every string of every
//! resource, so it is a single left-to-right pass that allocates nothing for
//! ordinary text (only a template-expression string that contains an id
//! candidate costs one small vector).
//!
//! ## What is found
//!
//! 1. **A whole string that is an id** (it starts with `/subscriptions/` or
//!    `/providers/` and [`ResourceId::parse`] accepts all of it) is one match,
//!    even when names contain spaces or parentheses (`…/metricAlerts/CPU high`,
//!    `…/resourceGroups/rg(prod)`) — the common case of an `id` property.
//!    Excluded: strings with quotes, `?`, `#`, `{}`, `[]`, `<>`, `\`, `|`, `^`,
//!    `,`, `=`, control characters, or a space next to a `/`.
//! 2. Otherwise **candidates** start at `/subscriptions/` or `/providers/`
//!    (keywords ASCII-case-insensitive) that are not glued to a preceding word:
//!    the byte before must be the string start, whitespace, a quote, `(`, `[`,
//!    `{`, `<`, `>`, `,`, `=`, `:`, `;`, `|`, `&`, `?`, `#`, `!`, `*` or non-ASCII.
//!    So `Microsoft.ServiceBus/namespaces/topics/subscriptions/rules` (a type),
//!    `'{0}/providers/…'` and `schema.management.azure.com/providers/…` yield
//!    nothing. Exceptions, for URLs: after the host of an ARM endpoint
//!    (`//management.…`, `//localhost…`, `//127.0.0.1…`) and after a portal
//!    `…/resource/` segment.
//! 3. A candidate **ends** at the first boundary byte: ASCII whitespace or
//!    control, `"`, `'`, `` ` ``, `?`, `#`, `,`, `&`, `=`, `|`, `\`, `^`, `<`,
//!    `>`, `[`, `]`, `{`, `}`, `(`, `)`. Trailing `.`, `:` and `;` (sentence
//!    punctuation) are dropped. `;` inside is kept: Azure Backup ids contain it
//!    (`protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;vm`).
//! 4. **Patterns are not ids**: when the run ends at `{`, `[` or `(` (a
//!    placeholder or call glued to the path: `/subscriptions/{subscriptionId}`,
//!    Logic Apps' `/subscriptions/@{…}`, `…/rg-$(env)`), or at `<` right after a
//!    `/` (`/resourceGroups/<rg name>`), the candidate yields nothing.
//! 5. **Template-expression fragments are not ids**: in a string (or, in raw
//!    JSON text, a quoted string) that is an ARM expression (`[…]`) or a Logic
//!    Apps/Data Factory expression (`@fn(…)`), a literal that is concatenated
//!    with something else — an argument of `concat`, `format` or `uri` with more
//!    than one argument, directly or through `toLower`/`toUpper`/`string`/
//!    `trim`/`if`/`coalesce` — is a fragment
//!    (`concat(resourceId(…), '/subscriptions/x')`). Whole literals passed
//!    elsewhere (`listKeys('/subscriptions/…', '2023-01-01')`,
//!    `guid(…, '/providers/Microsoft.Authorization/roleDefinitions/…')`) are ids.
//! 6. The match is the **longest prefix** of the candidate that is a complete
//!    id (so `…/sites/app/config/web/list` yields `…/sites/app/config/web`, a
//!    data-plane suffix like `…/vaults/kv/secrets/s/v1` yields
//!    `…/vaults/kv/secrets/s`, and a trailing `/` is left out), capped at
//!    [`MAX_ID_LEN`] bytes. Scanning resumes after the match.
//!
//! Consequence of 3: inside longer text, a name containing a boundary byte
//! (spaces, parentheses) is not found; as a whole string it is (rule 1).
//!
//! Every byte is examined a bounded number of times: boundary runs are
//! computed once, a failed candidate fails within its first few segments, a
//! match is skipped entirely, glue checks look back at most 256 bytes, and an
//! expression string is tokenized once.
//!
//! ```
//! use azrelo_arm::scan::find_resource_ids;
//! let s = "see https://management.azure.com/subscriptions/s1/resourceGroups/rg?api-version=2022-09-01 \
//!          and /subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app.";
//! let ids: Vec<&str> = find_resource_ids(s).map(|m| m.text).collect();
//! assert_eq!(ids, ["/subscriptions/s1/resourceGroups/rg",
//!                  "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app"]);
//!
//! // Template fragments and placeholders are not ids.
//! let t = "[concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/rg')]";
//! assert_eq!(find_resource_ids(t).count(), 0);
//! assert_eq!(find_resource_ids("/subscriptions/{subscriptionId}/resourceGroups/{rg}").count(), 0);
//! ```

use crate::id::{MAX_ID_LEN, ResourceId, walk};
use std::ops::Range;

/// One id found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMatch<'a> {
    /// Byte range of the id in the scanned string.
    pub range: Range<usize>,
    /// The id text (`&s[range]`).
    pub text: &'a str,
}

impl IdMatch<'_> {
    /// Parse the match (always succeeds for matches produced by the scanner).
    pub fn id(&self) -> ResourceId {
        ResourceId::parse(self.text)
            .unwrap_or_else(|e| unreachable!("scanner produced an invalid id: {e}"))
    }
}

/// Every resource id embedded in `s`, left to right, non-overlapping. See the
/// [module docs](self) for exactly what counts.
pub fn find_resource_ids(s: &str) -> Scanner<'_> {
    Scanner {
        s,
        pos: 0,
        run_end: 0,
        started: false,
        ctx_checked: 0,
        ctx_start: 0,
        expr: None,
    }
}

/// Iterator returned by [`find_resource_ids`].
pub struct Scanner<'a> {
    s: &'a str,
    pos: usize,
    /// End (exclusive) of the boundary-free run containing the last candidate.
    run_end: usize,
    /// Whether the whole-string check has run.
    started: bool,
    /// Bytes before this offset have been searched for `"` (context starts).
    ctx_checked: usize,
    /// Start of the quoted context (string) the current candidate is in.
    ctx_start: usize,
    /// Literal analysis of the expression starting at `ctx_start`, if any.
    expr: Option<(usize, Vec<Lit>)>,
}

#[inline]
fn is_boundary(b: u8) -> bool {
    matches!(
        b,
        0..=b' '
            | 0x7f
            | b'"'
            | b'\''
            | b'`'
            | b'?'
            | b'#'
            | b','
            | b'&'
            | b'='
            | b'|'
            | b'\\'
            | b'^'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'('
            | b')'
    )
}

/// Bytes that may precede an id that starts a new token.
#[inline]
fn is_separator(b: u8) -> bool {
    b >= 0x80
        || (is_boundary(b) && !matches!(b, b')' | b']' | b'}' | b'\\' | b'^'))
        || matches!(b, b':' | b';' | b'!' | b'*')
}

#[inline]
fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Whether the `/` at `i`, glued to the word before it, still starts an id:
/// right after the host of an ARM endpoint URL or after a portal `/resource`.
fn glued_ok(bytes: &[u8], i: usize) -> bool {
    let lo = i.saturating_sub(256);
    let Some(j) = bytes[lo..i]
        .iter()
        .rposition(|&b| b == b'/')
        .map(|p| lo + p)
    else {
        return false;
    };
    let seg = &bytes[j + 1..i];
    if seg.eq_ignore_ascii_case(b"resource") {
        return true;
    }
    j > 0
        && bytes[j - 1] == b'/'
        && (starts_with_ci(seg, b"management.")
            || starts_with_ci(seg, b"localhost")
            || starts_with_ci(seg, b"127.0.0.1"))
}

/// A single-quoted literal inside an expression: bytes `start..end` between
/// the quotes.
#[derive(Debug, Clone, Copy)]
struct Lit {
    start: usize,
    end: usize,
    /// Lowest frame depth this literal's text reaches unchanged.
    chain_lo: usize,
    fragment: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FnKind {
    /// Joins its arguments into one string (`concat`, `format`, `uri`).
    Joiner,
    /// Returns (a transformation of) an argument unchanged in substance.
    Passthrough,
    Other,
}

fn fn_kind(name: &[u8]) -> FnKind {
    const JOINERS: &[&[u8]] = &[b"concat", b"format", b"uri"];
    const PASS: &[&[u8]] = &[
        b"tolower",
        b"toupper",
        b"string",
        b"trim",
        b"if",
        b"coalesce",
    ];
    if JOINERS.iter().any(|n| name.eq_ignore_ascii_case(n)) {
        FnKind::Joiner
    } else if PASS.iter().any(|n| name.eq_ignore_ascii_case(n)) {
        FnKind::Passthrough
    } else {
        FnKind::Other
    }
}

/// Whether the context starting at `at` is a template expression.
fn is_expression(bytes: &[u8], at: usize) -> bool {
    match (bytes.get(at), bytes.get(at + 1)) {
        (Some(b'['), Some(&c)) => c != b'[',
        (Some(b'@'), Some(&c)) => c.is_ascii_alphabetic(),
        _ => false,
    }
}

/// Tokenize the expression starting at `at` (its `[` or `@`) up to an
/// unquoted `"` or the end, recording each literal and whether it is a
/// fragment of a concatenation.
fn analyze(bytes: &[u8], at: usize) -> Vec<Lit> {
    struct Frame {
        kind: FnKind,
        args: u32,
        first_lit: usize,
    }
    let mut lits: Vec<Lit> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut ident_start = at + 1;
    let mut i = at + 1;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' => {
                let a = i + 1;
                let mut j = a;
                while j < bytes.len() {
                    if bytes[j] == b'\'' {
                        if bytes.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                let mut chain_lo = frames.len();
                while chain_lo > 0 && frames[chain_lo - 1].kind != FnKind::Other {
                    chain_lo -= 1;
                }
                lits.push(Lit {
                    start: a,
                    end: j,
                    chain_lo,
                    fragment: false,
                });
                i = j + 1;
                ident_start = i;
                continue;
            }
            b'(' => frames.push(Frame {
                kind: fn_kind(&bytes[ident_start..i]),
                args: 1,
                first_lit: lits.len(),
            }),
            b',' => {
                if let Some(f) = frames.last_mut() {
                    f.args += 1;
                }
            }
            b')' => {
                if let Some(f) = frames.pop() {
                    let depth = frames.len();
                    if f.kind == FnKind::Joiner && f.args > 1 {
                        for l in &mut lits[f.first_lit..] {
                            if l.chain_lo <= depth {
                                l.fragment = true;
                            }
                        }
                    }
                }
            }
            b'"' => break,
            _ => {}
        }
        if !(c.is_ascii_alphanumeric() || c == b'_') {
            ident_start = i + 1;
        }
        i += 1;
    }
    lits
}

/// A whole string that is an id (rule 1).
fn whole_string(s: &str) -> Option<IdMatch<'_>> {
    let b = s.as_bytes();
    if !(starts_with_ci(b, b"/subscriptions/") || starts_with_ci(b, b"/providers/"))
        || s.len() > MAX_ID_LEN
        || b.last() == Some(&b' ')
    {
        return None;
    }
    let mut prev = 0u8;
    for &c in b {
        let allowed = match c {
            b' ' => prev != b'/' && prev != b' ',
            b'(' => !matches!(prev, b'$' | b'@'),
            b')' => true,
            b'/' => prev != b' ',
            _ => !is_boundary(c),
        };
        if !allowed {
            return None;
        }
        prev = c;
    }
    let w = walk(s);
    (w.error.is_none() && w.valid_len == s.len()).then_some(IdMatch {
        range: 0..s.len(),
        text: s,
    })
}

impl<'a> Scanner<'a> {
    /// The literal containing byte `i` if `i` lies in a template expression.
    fn literal_at(&mut self, i: usize) -> Option<Lit> {
        let bytes = self.s.as_bytes();
        if self.ctx_checked < i {
            if let Some(q) = bytes[self.ctx_checked..i].iter().rposition(|&b| b == b'"') {
                self.ctx_start = self.ctx_checked + q + 1;
            }
            self.ctx_checked = i;
        }
        if !is_expression(bytes, self.ctx_start) {
            return None;
        }
        if self
            .expr
            .as_ref()
            .is_none_or(|(at, _)| *at != self.ctx_start)
        {
            self.expr = Some((self.ctx_start, analyze(bytes, self.ctx_start)));
        }
        let lits = &self.expr.as_ref()?.1;
        let k = lits.partition_point(|l| l.start <= i);
        let l = *lits.get(k.checked_sub(1)?)?;
        (i < l.end).then_some(l)
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = IdMatch<'a>;

    fn next(&mut self) -> Option<IdMatch<'a>> {
        let bytes = self.s.as_bytes();
        if !self.started {
            self.started = true;
            if let Some(m) = whole_string(self.s) {
                self.pos = bytes.len();
                return Some(m);
            }
        }
        while self.pos < bytes.len() {
            let i = match bytes[self.pos..].iter().position(|&b| b == b'/') {
                Some(off) => self.pos + off,
                None => {
                    self.pos = bytes.len();
                    return None;
                }
            };
            self.pos = i + 1;
            let rest = &bytes[i + 1..];
            if !(starts_with_ci(rest, b"subscriptions/") || starts_with_ci(rest, b"providers/")) {
                continue;
            }
            if i > 0 && !is_separator(bytes[i - 1]) && !glued_ok(bytes, i) {
                continue;
            }
            if self.run_end <= i {
                self.run_end = bytes[i..]
                    .iter()
                    .position(|&b| is_boundary(b))
                    .map_or(bytes.len(), |off| i + off);
            }
            let mut end = self.run_end;
            // Rule 4: a run glued to a placeholder is a pattern.
            if let Some(&t) = bytes.get(end)
                && (matches!(t, b'{' | b'[' | b'(') || (t == b'<' && bytes[end - 1] == b'/'))
            {
                self.pos = end;
                continue;
            }
            // Rule 5: fragments of template concatenations.
            if let Some(lit) = self.literal_at(i) {
                if lit.fragment {
                    self.pos = lit.end.max(i + 1);
                    continue;
                }
                end = end.min(lit.end);
            }
            while end > i && matches!(bytes[end - 1], b'.' | b':' | b';') {
                end -= 1;
            }
            if end - i > MAX_ID_LEN {
                end = bytes[i..=i + MAX_ID_LEN]
                    .iter()
                    .rposition(|&b| b == b'/')
                    .map_or(i, |p| i + p);
            }
            // `end` is at an ASCII byte or the string end, so it is a char boundary.
            let cand = &self.s[i..end];
            let w = walk(cand);
            if w.valid_len > 1 {
                let valid = w.valid_len;
                self.pos = i + valid;
                return Some(IdMatch {
                    range: i..i + valid,
                    text: &self.s[i..i + valid],
                });
            }
        }
        None
    }
}

/// Convenience: parse every id found in `s`.
pub fn resource_ids_in(s: &str) -> impl Iterator<Item = ResourceId> + '_ {
    find_resource_ids(s).map(|m| m.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        find_resource_ids(s).map(|m| m.text).collect()
    }

    const ID: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a";

    #[test]
    fn whole_string() {
        assert_eq!(texts(ID), [ID]);
    }

    #[test]
    fn inside_url_and_text() {
        let s = format!("https://management.azure.com{ID}?api-version=2023-09-01");
        assert_eq!(texts(&s), [ID]);
        let s = format!("the subnet {ID}, and again '{ID}'.");
        assert_eq!(texts(&s), [ID, ID]);
    }

    #[test]
    fn longest_valid_prefix() {
        let s =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/web/list";
        assert_eq!(
            texts(s),
            ["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/web"]
        );
        assert_eq!(
            texts("/subscriptions/s/resourceGroups/rg/"),
            ["/subscriptions/s/resourceGroups/rg"]
        );
    }

    #[test]
    fn template_fragments_are_not_ids() {
        for s in [
            "[concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/')]",
            "[format('{0}/providers/Microsoft.Insights/diagnosticSettings/x', parameters('id'))]",
            "[concat(parameters('vnetId'), '/subnets/', 'x')]",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}",
            "Microsoft.Network/virtualNetworks/v",
            "/providers/Microsoft.Authorization/operations",
        ] {
            assert!(texts(s).is_empty(), "{s}: {:?}", texts(s));
        }
    }

    #[test]
    fn tenant_level_and_backup_ids() {
        let rd = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7";
        assert_eq!(texts(&format!("\"{rd}\"")), [rd]);
        let bk = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;vm/protectedItems/VM;iaasvmcontainerv2;rg;vm";
        assert_eq!(texts(bk), [bk]);
    }

    #[test]
    fn adversarial_input_is_fast_enough_and_correct() {
        let s = "/providers/".repeat(10_000);
        assert!(texts(&s).is_empty());
        let s = "/subscriptions/".repeat(10_000);
        assert!(texts(&s).is_empty());
        let s = "/subscriptions/a".repeat(3);
        // "/subscriptions/a/subscriptions/a/…": the later keywords are glued to
        // a name, so only the first is an id.
        assert_eq!(texts(&s), ["/subscriptions/a"]);
        // Deeply nested expressions and long literals stay linear.
        let s = format!(
            "[{}'/subscriptions/x'{}]",
            "concat(".repeat(5000),
            ")".repeat(5000)
        );
        assert_eq!(texts(&s), ["/subscriptions/x"]);
    }
}
