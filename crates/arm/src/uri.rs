//! Percent-encoding as ARM and .NET do it: `Uri.EscapeDataString` (every
//! byte but RFC 3986's unreserved characters `A–Z a–z 0–9 - _ . ~`, UTF-8
//! first) and its inverse. One place for the template functions
//! `uriComponent`/`uriComponentToString`, query values such as `$filter`
//! and generated SAS signatures.
//!
//! Reference: <https://learn.microsoft.com/dotnet/api/system.uri.escapedatastring>,
//! RFC 3986 §2.3.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but the unreserved characters.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `Uri.EscapeDataString(s)`: `location eq 'x'` → `location%20eq%20%27x%27`.
pub fn escape_data_string(s: &str) -> String {
    utf8_percent_encode(s, RESERVED).to_string()
}

/// The inverse: every `%XX` decoded, a `%` without two hex digits kept as
/// it is, bytes that are not UTF-8 replaced by U+FFFD.
pub fn unescape_data_string(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_all_but_unreserved() {
        assert_eq!(
            escape_data_string("location eq 'swedencentral'"),
            "location%20eq%20%27swedencentral%27"
        );
        assert_eq!(escape_data_string("a-b_c.d~e/f?g"), "a-b_c.d~e%2Ff%3Fg");
        assert_eq!(escape_data_string("é"), "%C3%A9");
    }

    #[test]
    fn unescape_is_lenient_and_inverse() {
        for s in ["x y/z?=&%", "é ü 漢", ""] {
            assert_eq!(unescape_data_string(&escape_data_string(s)), s);
        }
        assert_eq!(unescape_data_string("100%"), "100%");
        assert_eq!(unescape_data_string("%zz%41"), "%zzA");
    }
}
