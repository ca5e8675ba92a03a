//! Finding resource ids embedded in arbitrary strings.
//!
//! Dependency discovery runs [`find_resource_ids`] over every string of every
//! resource, so it is a single left-to-right pass with no allocation per
//! non-matching byte:
//!
//! 1. Candidates start at `/subscriptions/` (anywhere, so ids inside URLs such
//!    as `https://management.azure.com/subscriptions/…` are found) or at
//!    `/providers/` when that is not glued to a preceding word (so the
//!    relative suffix in `'{0}/providers/Microsoft.Insights/…'` is not taken
//!    for a tenant-level id). Keywords match case-insensitively.
//! 2. A candidate ends at the first *boundary* byte: ASCII whitespace or
//!    control, a quote or backtick, `?` and `#` (URL query and fragment), `,`,
//!    `&`, `=`, `|`, `\`, `^`, `<`, `>`, any bracket, brace or parenthesis.
//!    Trailing `.` and `:` (sentence punctuation) are dropped. `;` is *not* a
//!    boundary: Azure Backup ids contain it
//!    (`protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;vm`).
//!    Consequence: names containing a boundary byte (resource group names may
//!    contain parentheses) are cut short when embedded in text;
//!    [`crate::id::ResourceId::parse`] accepts them when given the whole id.
//! 3. The match is the longest prefix of the candidate that is a complete id
//!    (so `…/sites/app/config/web/list` yields `…/sites/app/config/web`, and a
//!    trailing `/` is left out). Scanning resumes after the match.
//!
//! Each byte is examined a bounded number of times: boundary positions are
//! computed once per run, a failed candidate fails within its first few
//! segments, and a successful one is skipped entirely.
//!
//! ```
//! use azrelo_arm::scan::find_resource_ids;
//! let s = "see https://management.azure.com/subscriptions/s1/resourceGroups/rg?api-version=2022-09-01 \
//!          and /subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app.";
//! let ids: Vec<&str> = find_resource_ids(s).map(|m| m.text).collect();
//! assert_eq!(ids, ["/subscriptions/s1/resourceGroups/rg",
//!                  "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app"]);
//! ```

use crate::id::{ResourceId, walk};
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

/// Every resource id embedded in `s`, left to right, non-overlapping.
pub fn find_resource_ids(s: &str) -> Scanner<'_> {
    Scanner {
        s,
        pos: 0,
        run_end: 0,
    }
}

/// Iterator returned by [`find_resource_ids`].
pub struct Scanner<'a> {
    s: &'a str,
    pos: usize,
    /// End (exclusive) of the boundary-free run containing the last candidate.
    run_end: usize,
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

/// Bytes that make `/providers/` part of a longer path rather than the start
/// of a tenant-level id.
#[inline]
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'}' | b')' | b']' | b'%')
}

#[inline]
fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

impl<'a> Iterator for Scanner<'a> {
    type Item = IdMatch<'a>;

    fn next(&mut self) -> Option<IdMatch<'a>> {
        let bytes = self.s.as_bytes();
        while self.pos < bytes.len() {
            let i = match bytes[self.pos..].iter().position(|&b| b == b'/') {
                Some(off) => self.pos + off,
                None => {
                    self.pos = bytes.len();
                    return None;
                }
            };
            let rest = &bytes[i + 1..];
            let is_sub = starts_with_ci(rest, b"subscriptions/");
            let is_prov = !is_sub
                && starts_with_ci(rest, b"providers/")
                && (i == 0 || !is_word_byte(bytes[i - 1]));
            if !(is_sub || is_prov) {
                self.pos = i + 1;
                continue;
            }
            if self.run_end <= i {
                self.run_end = bytes[i..]
                    .iter()
                    .position(|&b| is_boundary(b))
                    .map_or(bytes.len(), |off| i + off);
            }
            let mut end = self.run_end;
            while end > i && matches!(bytes[end - 1], b'.' | b':') {
                end -= 1;
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
            self.pos = i + 1;
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
        // "/subscriptions/a/subscriptions/a/…": each "/subscriptions/a" is an id.
        assert_eq!(texts(&s), ["/subscriptions/a"; 3]);
    }
}
