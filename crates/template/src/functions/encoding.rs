//! Encodings the string functions share: base64, percent-encoding (.NET
//! `Uri.EscapeDataString`) and `uri()` resolution.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(super) fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        buf = buf << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits & 0xff) as u8);
        }
    }
    Some(out)
}

/// `Uri.EscapeDataString` (`uriComponent`).
pub(super) fn percent_encode(s: &str) -> String {
    azrelo_arm::uri::escape_data_string(s)
}

/// `uriComponentToString`.
pub(super) fn percent_decode(s: &str) -> String {
    azrelo_arm::uri::unescape_data_string(s)
}

/// `uri(base, relative)` with .NET `Uri` resolution for the common cases.
pub(super) fn uri_combine(base: &str, rel: &str) -> String {
    if rel.contains("://") {
        return rel.to_string();
    }
    if let Some(stripped) = rel.strip_prefix('/') {
        // Absolute path: keep scheme and authority.
        if let Some(i) = base.find("://") {
            let after = &base[i + 3..];
            let host_end = after.find('/').map_or(base.len(), |j| i + 3 + j);
            return format!("{}/{}", &base[..host_end], stripped);
        }
    }
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") || base.ends_with('/') => {
            format!("{}{}", &base[..=i], rel)
        }
        _ => format!("{base}/{rel}"),
    }
}
