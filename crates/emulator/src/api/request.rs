//! Reading a request as ARM does: the `api-version` parameter, bodies
//! parsed leniently (Newtonsoft), doubled slashes in paths, and the bearer
//! token compared in constant time.

use axum::http::Uri;
use serde_json::Value;

pub(crate) fn api_version(uri: &Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        k.eq_ignore_ascii_case("api-version").then(|| v.to_string())
    })
}

/// A request body as ARM reads it (Newtonsoft, lenient): strict JSON first;
/// otherwise comments, trailing commas and unquoted property names are
/// accepted. The Azure CLI relies on it: `az deployment group create
/// --template-file` splices the template text in verbatim after an unquoted
/// `template:` key (to preserve its whitespace and comments).
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(strict) => {
            let text = std::str::from_utf8(body).map_err(|_| strict.to_string())?;
            azrelo_template::json::parse(&quote_bare_keys(text), "request")
                .map_err(|_| strict.to_string())
        }
    }
}

/// Quote unquoted property names (`{template: …}` → `{"template": …}`),
/// leaving strings and comments alone.
pub(crate) fn quote_bare_keys(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    // The last significant character outside strings and comments.
    let mut last = b' ';
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push_str(&text[start..i]);
            last = b'"';
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        if (c.is_ascii_alphabetic() || c == b'_' || c == b'$') && matches!(last, b'{' | b',') {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            let word = &text[start..i];
            let next = text[i..].trim_start().as_bytes().first().copied();
            if next == Some(b':') {
                out.push('"');
                out.push_str(word);
                out.push('"');
            } else {
                out.push_str(word);
            }
            last = b'a';
            continue;
        }
        // Copy one whole character (UTF-8 safe).
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        if !ch.is_whitespace() {
            last = if ch.is_ascii() { ch as u8 } else { b'a' };
        }
        i += ch.len_utf8();
    }
    out
}

pub(crate) fn collapse_slashes(uri: &Uri) -> Uri {
    if !uri.path().contains("//") {
        return uri.clone();
    }
    let mut path = String::with_capacity(uri.path().len());
    for c in uri.path().chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    let pq = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    pq.parse().unwrap_or_else(|_| uri.clone())
}

/// Compare two byte strings in time independent of where they differ.
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
