//! String functions (`string`, `toLower`, `replace`, `split`, `substring`,
//! `padLeft`, `format`, `base64*`, `dataUri*`, `uri*`, `uniqueString`,
//! `guid`, `newGuid`, …): template-functions-string.md.

use super::*;
use encoding::{b64_decode, b64_encode, percent_decode, percent_encode, uri_combine};

pub(super) const NAMES: &[&str] = &[
    "string",
    "tolower",
    "toupper",
    "trim",
    "startswith",
    "endswith",
    "replace",
    "split",
    "substring",
    "padleft",
    "format",
    "base64",
    "base64tostring",
    "base64tojson",
    "datauri",
    "datauritostring",
    "uri",
    "uricomponent",
    "uricomponenttostring",
    "uniquestring",
    "guid",
    "newguid",
    "like",
];

pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    let lname = c.lname;
    let text = c.text;
    match c.lname {
        "string" => {
            c.need(1, 1)?;
            Ok(Value::String(v[0].to_arm_string()))
        }
        "tolower" | "toupper" => {
            c.need(1, 1)?;
            let s = want_str(name, &v[0])?;
            Ok(Value::String(if lname == "tolower" {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            }))
        }
        "trim" => {
            c.need(1, 1)?;
            Ok(Value::String(want_str(name, &v[0])?.trim().to_string()))
        }
        "startswith" | "endswith" => {
            c.need(2, 2)?;
            let (s, p) = (
                want_str(name, &v[0])?.to_lowercase(),
                want_str(name, &v[1])?.to_lowercase(),
            );
            Ok(Value::Bool(if lname == "startswith" {
                s.starts_with(&p)
            } else {
                s.ends_with(&p)
            }))
        }
        "replace" => {
            c.need(3, 3)?;
            let s = want_str(name, &v[0])?;
            let old = want_str(name, &v[1])?;
            if old.is_empty() {
                // The engine returns the input unchanged (quickstarts rely on
                // replace(x, sasToken, '') with an empty token).
                return Ok(Value::String(s.to_string()));
            }
            let new = want_str(name, &v[2])?;
            if new.len() > old.len() {
                let grows = (new.len() - old.len()) as u64 * s.matches(old).count() as u64;
                c.fits(ev, s.len() as u64 + grows)?;
            }
            Ok(Value::String(s.replace(old, new)))
        }
        "split" => {
            c.need(2, 2)?;
            let s = want_str(name, &v[0])?;
            let delims: Vec<String> = match &v[1] {
                Value::String(d) => vec![d.clone()],
                Value::Array(a) => a.iter().map(Value::to_arm_string).collect(),
                other => return Err(type_err(name, "String or Array", other)),
            };
            // 32 bytes a part at most one part per delimiter occurrence.
            let parts: u64 = 1 + delims
                .iter()
                .filter(|d| !d.is_empty())
                .map(|d| s.matches(d.as_str()).count() as u64)
                .sum::<u64>();
            c.fits(ev, s.len() as u64 + 32 * parts)?;
            let mut parts = vec![s.to_string()];
            for d in delims.iter().filter(|d| !d.is_empty()) {
                parts = parts
                    .iter()
                    .flat_map(|p| p.split(d.as_str()).map(str::to_string).collect::<Vec<_>>())
                    .collect();
            }
            Ok(Value::Array(parts.into_iter().map(Value::String).collect()))
        }
        "substring" => {
            c.need(2, 3)?;
            let s: Vec<char> = want_str(name, &v[0])?.chars().collect();
            let start = want_int(name, &v[1])?;
            let chars = s.len() as i64;
            // Out-of-range starts (i64::MIN included) are errors, never overflow.
            let len = match v.get(2) {
                Some(x) => want_int(name, x)?,
                None => chars.checked_sub(start).unwrap_or(-1),
            };
            if start < 0 || len < 0 || start.checked_add(len).is_none_or(|end| end > chars) {
                return Err(err(format!(
                    "substring(): start index {start} and length {len} are out of range for a string of length {}",
                    s.len()
                )));
            }
            Ok(Value::String(
                s[start as usize..(start + len) as usize].iter().collect(),
            ))
        }
        "padleft" => {
            c.need(2, 3)?;
            let s = v[0].to_arm_string();
            let total = want_int(name, &v[1])?;
            if total > 16_000 {
                return Err(err("padLeft(): the total length may not exceed 16000"));
            }
            let pad = match v.get(2) {
                Some(p) => {
                    let p = want_str(name, p)?;
                    let mut cs = p.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => c,
                        _ => return Err(err("padLeft(): the padding must be a single character")),
                    }
                }
                None => ' ',
            };
            let count = s.chars().count();
            let mut out = String::new();
            for _ in count..total.max(0) as usize {
                out.push(pad);
            }
            out.push_str(&s);
            Ok(Value::String(out))
        }
        "format" => {
            c.need(1, usize::MAX)?;
            let limit = ev.value_limit().unwrap_or(u64::MAX);
            match format_net(want_str(name, &v[0])?, &v[1..], limit) {
                Some(r) => r.map(Value::String),
                None => c.fits(ev, limit.saturating_add(1)).map(|()| Value::Null),
            }
        }
        "base64" => {
            c.need(1, 1)?;
            Ok(Value::String(b64_encode(want_str(name, &v[0])?.as_bytes())))
        }
        "base64tostring" | "base64tojson" => {
            c.need(1, 1)?;
            let bytes = b64_decode(want_str(name, &v[0])?)
                .ok_or_else(|| err(format!("{name}(): the value is not valid base64")))?;
            let s = String::from_utf8(bytes)
                .map_err(|_| err(format!("{name}(): the decoded value is not UTF-8 text")))?;
            if lname == "base64tostring" {
                Ok(Value::String(s))
            } else {
                json_value("base64ToJson", &s)
            }
        }
        "datauri" => {
            c.need(1, 1)?;
            Ok(Value::String(format!(
                "data:text/plain;charset=utf8;base64,{}",
                b64_encode(v[0].to_arm_string().as_bytes())
            )))
        }
        "datauritostring" => {
            c.need(1, 1)?;
            let s = want_str(name, &v[0])?;
            let (meta, data) = s
                .strip_prefix("data:")
                .and_then(|r| r.split_once(','))
                .ok_or_else(|| err("dataUriToString(): the value is not a data URI"))?;
            let bytes = if meta.ends_with(";base64") {
                b64_decode(data).ok_or_else(|| err("dataUriToString(): invalid base64 data"))?
            } else {
                percent_decode(data).into_bytes()
            };
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "uri" => {
            c.need(2, 2)?;
            Ok(Value::String(uri_combine(
                want_str(name, &v[0])?,
                want_str(name, &v[1])?,
            )))
        }
        "uricomponent" => {
            c.need(1, 1)?;
            Ok(Value::String(percent_encode(&v[0].to_arm_string())))
        }
        "uricomponenttostring" => {
            c.need(1, 1)?;
            Ok(Value::String(percent_decode(want_str(name, &v[0])?)))
        }
        "uniquestring" | "guid" => {
            c.need(1, usize::MAX)?;
            let parts = all_strs(name, &v)?;
            Ok(Value::String(if lname == "uniquestring" {
                hash::unique_string(&parts)
            } else {
                hash::guid(&parts)
            }))
        }
        "newguid" => {
            c.need(0, 0)?;
            if !ev.ctx.in_parameter_default() {
                return Err(err(
                    "newGuid() can only be used in the default value of a parameter",
                ));
            }
            ev.ctx.runtime("newguid", &v, text)
        }
        "like" => {
            // Not in the function reference; Bicep's baselines exercise it as a
            // glob match where '*' matches any run of characters.
            c.need(2, 2)?;
            Ok(Value::Bool(glob_match(
                want_str(name, &v[0])?.as_bytes(),
                want_str(name, &v[1])?.as_bytes(),
            )))
        }
        _ => Err(c.not_builtin()),
    }
}

/// `*`-glob matching in linear time (greedy with backtracking to the last star).
fn glob_match(s: &[u8], p: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while i < s.len() {
        if j < p.len() && p[j] != b'*' && p[j] == s[i] {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == b'*' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(st) = star {
            j = st + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    p[j..].iter().all(|&c| c == b'*')
}

/// .NET composite formatting: `{0}`, `{1,-8}`, `{0:N0}`, `{{`/`}}`.
/// `None` when the result would be longer than `max` bytes.
fn format_net(fmt: &str, args: &[Value], max: u64) -> Option<Result<String, EvalError>> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => spec.push(ch),
                        None => {
                            return Some(Err(err(format!("format(): unclosed '{{' in '{fmt}'"))));
                        }
                    }
                }
                let (head, fspec) = match spec.split_once(':') {
                    Some((h, f)) => (h, Some(f)),
                    None => (spec.as_str(), None),
                };
                let (idx, align) = match head.split_once(',') {
                    Some((i, a)) => (i, a.trim().parse::<i64>().ok()),
                    None => (head, None),
                };
                let Ok(i) = idx.trim().parse::<usize>() else {
                    return Some(Err(err(format!(
                        "format(): '{{{spec}}}' is not a valid placeholder"
                    ))));
                };
                let Some(v) = args.get(i) else {
                    return Some(Err(err(format!(
                        "format(): placeholder {{{i}}} has no argument ({} given)",
                        args.len()
                    ))));
                };
                let s = format_value(v, fspec, max)?;
                let width = align.map_or(0, |w| w.unsigned_abs());
                if out.len() as u64 + (s.len() as u64).max(width) > max as u64 {
                    return None;
                }
                let pad = (width as usize).saturating_sub(s.chars().count());
                match align {
                    Some(w) if w > 0 => {
                        out.push_str(&" ".repeat(pad));
                        out.push_str(&s);
                    }
                    Some(w) if w < 0 => {
                        out.push_str(&s);
                        out.push_str(&" ".repeat(pad));
                    }
                    _ => out.push_str(&s),
                }
            }
            '}' => return Some(Err(err(format!("format(): unmatched '}}' in '{fmt}'")))),
            c => out.push(c),
        }
        if out.len() > max {
            return None;
        }
    }
    Some(Ok(out))
}

/// One formatted argument; `None` when its precision asks for more than
/// `max` bytes.
fn format_value(v: &Value, spec: Option<&str>, max: usize) -> Option<String> {
    let (Value::Int(i), Some(spec)) = (v, spec) else {
        return Some(v.to_arm_string());
    };
    let (kind, digits) = spec.split_at(spec.len().min(1));
    let digits: usize = digits.parse().unwrap_or(0);
    if digits > max {
        return None;
    }
    Some(match kind {
        "N" | "n" => {
            let s = i.unsigned_abs().to_string();
            let mut grouped = String::new();
            for (k, ch) in s.chars().enumerate() {
                if k > 0 && (s.len() - k) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(ch);
            }
            let sign = if *i < 0 { "-" } else { "" };
            if digits > 0 {
                format!("{sign}{grouped}.{}", "0".repeat(digits))
            } else {
                format!("{sign}{grouped}")
            }
        }
        "D" | "d" => {
            let s = i.unsigned_abs().to_string();
            let sign = if *i < 0 { "-" } else { "" };
            format!("{sign}{}{s}", "0".repeat(digits.saturating_sub(s.len())))
        }
        "X" => format!("{:0w$X}", i, w = digits),
        "x" => format!("{:0w$x}", i, w = digits),
        _ => i.to_string(),
    })
}
