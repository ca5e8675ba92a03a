//! Dates as the date functions need them: parse, add an ISO 8601 duration,
//! format with .NET custom format strings. UTC only (ARM's date functions
//! work in UTC).

/// A UTC date-time with second precision plus fractional ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    secs: i64,
    /// 100-ns ticks within the second.
    ticks: u32,
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl DateTime {
    pub fn from_epoch(secs: i64) -> DateTime {
        DateTime { secs, ticks: 0 }
    }

    pub fn epoch(&self) -> i64 {
        self.secs
    }

    pub fn add_seconds(&self, s: i64) -> DateTime {
        DateTime {
            secs: self.secs + s,
            ticks: self.ticks,
        }
    }

    fn parts(&self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (rem / 3600) as u32,
            (rem / 60 % 60) as u32,
            (rem % 60) as u32,
        )
    }
}

/// Parse `2020-04-07T14:53:14Z`, `2020-04-07 14:53:14Z`, `2020-04-07`,
/// fractional seconds and `+hh:mm` offsets.
pub fn parse(s: &str) -> Option<DateTime> {
    let s = s.trim();
    // ISO 8601 basic format, as utcNow() writes by default: 20260101T000000Z.
    let expanded;
    let s = if s.len() >= 15
        && s.as_bytes()[8] == b'T'
        && s[..8].bytes().all(|c| c.is_ascii_digit())
        && s[9..15].bytes().all(|c| c.is_ascii_digit())
    {
        expanded = format!(
            "{}-{}-{}T{}:{}:{}{}",
            &s[0..4],
            &s[4..6],
            &s[6..8],
            &s[9..11],
            &s[11..13],
            &s[13..15],
            &s[15..]
        );
        expanded.as_str()
    } else {
        s
    };
    let b = s.as_bytes();
    let num = |a: usize, n: usize| -> Option<i64> {
        let t = s.get(a..a + n)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let y = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let mo = num(5, 2)? as u32;
    let d = num(8, 2)? as u32;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let mut ticks = 0u32;
    let mut i = 10;
    if matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        let h = num(11, 2)?;
        if b.get(13) != Some(&b':') {
            return None;
        }
        let mi = num(14, 2)?;
        let mut sec = 0;
        i = 16;
        if b.get(16) == Some(&b':') {
            sec = num(17, 2)?;
            i = 19;
            if b.get(19) == Some(&b'.') {
                let start = 20;
                let mut end = start;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
                let frac = &s[start..end];
                let mut f = frac.chars().take(7).collect::<String>();
                while f.len() < 7 {
                    f.push('0');
                }
                ticks = f.parse().ok()?;
                i = end;
            }
        }
        secs += h * 3600 + mi * 60 + sec;
    }
    match &s[i..] {
        "" | "Z" | "z" => {}
        off if (off.starts_with('+') || off.starts_with('-')) && off.len() >= 6 => {
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let oh: i64 = off.get(1..3)?.parse().ok()?;
            let om: i64 = off.get(4..6)?.parse().ok()?;
            secs -= sign * (oh * 3600 + om * 60);
        }
        _ => return None,
    }
    Some(DateTime { secs, ticks })
}

/// Seconds in an ISO 8601 duration as ARM (.NET `XmlConvert`) counts them:
/// a year is 365 days and a month 30 days (the documented `dateTimeAdd`
/// examples: 2024-01-01 + P1Y = 2024-12-31, 2023-02-01 + P1M = 2023-03-03).
pub fn parse_duration(s: &str) -> Option<i64> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
            } else {
                let mult = units.iter().find(|(u, _)| *u == c)?.1;
                let v: f64 = num.parse().ok()?;
                total += (v * mult as f64) as i64;
                num.clear();
                any = true;
            }
        }
        num.is_empty().then_some(())
    };
    take(
        date,
        &[
            ('Y', 365 * 86_400),
            ('M', 30 * 86_400),
            ('W', 7 * 86_400),
            ('D', 86_400),
        ],
    )?;
    if let Some(t) = time {
        take(t, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(if neg { -total } else { total })
}

/// Format with a .NET custom (or the `u`, `s`, `o`, `d` standard) format string.
pub fn format(t: &DateTime, fmt: &str) -> String {
    let fmt = match fmt {
        "u" => "yyyy-MM-dd HH:mm:ssZ",
        "s" => "yyyy-MM-ddTHH:mm:ss",
        "o" | "O" => "yyyy-MM-ddTHH:mm:ss.fffffffZ",
        "d" => "M/d/yyyy",
        "D" => "dddd, MMMM d, yyyy",
        other => other,
    };
    let (y, mo, d, h, mi, s) = t.parts();
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        match c {
            'y' => out.push_str(&if n <= 2 {
                format!("{:0w$}", y % 100, w = n)
            } else {
                format!("{:0w$}", y, w = n)
            }),
            'M' if n >= 3 => {
                const NAMES: [&str; 12] = [
                    "January",
                    "February",
                    "March",
                    "April",
                    "May",
                    "June",
                    "July",
                    "August",
                    "September",
                    "October",
                    "November",
                    "December",
                ];
                let name = NAMES[(mo - 1) as usize];
                out.push_str(if n == 3 { &name[..3] } else { name });
            }
            'M' => out.push_str(&format!("{:0w$}", mo, w = n)),
            'd' if n >= 3 => {
                const DAYS: [&str; 7] = [
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday",
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                ];
                let dow = DAYS[(t.secs.div_euclid(86_400).rem_euclid(7)) as usize];
                out.push_str(if n == 3 { &dow[..3] } else { dow });
            }
            'd' => out.push_str(&format!("{:0w$}", d, w = n)),
            'H' => out.push_str(&format!("{:0w$}", h, w = n)),
            'h' => out.push_str(&format!(
                "{:0w$}",
                if h % 12 == 0 { 12 } else { h % 12 },
                w = n
            )),
            'm' => out.push_str(&format!("{:0w$}", mi, w = n)),
            's' => out.push_str(&format!("{:0w$}", s, w = n)),
            'f' | 'F' => {
                let frac = format!("{:07}", t.ticks);
                out.push_str(&frac[..n.min(7)]);
            }
            't' => out.push_str(if h < 12 { "AM" } else { "PM" }),
            '\'' | '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != c {
                    out.push(chars[j]);
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            other => {
                for _ in 0..n {
                    out.push(other);
                }
            }
        }
        i += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse("2020-04-07 14:53:14Z").unwrap();
        assert_eq!(format(&t, "yyyy-MM-ddTHH:mm:ssZ"), "2020-04-07T14:53:14Z");
        assert_eq!(format(&t, "yyyyMMddTHHmmssZ"), "20200407T145314Z");
        assert_eq!(parse("1970-01-01T00:00:00Z").unwrap().epoch(), 0);
        assert_eq!(
            parse("2023-02-16T00:00:00Z").unwrap().epoch(),
            1_676_505_600
        );
        assert_eq!(
            format(&DateTime::from_epoch(1_683_040_573), "yyyy-MM-ddTHH:mm:ssZ"),
            "2023-05-02T15:16:13Z"
        );
        assert_eq!(
            parse("2020-01-01T01:00:00+01:00").unwrap().epoch(),
            parse("2020-01-01T00:00:00Z").unwrap().epoch()
        );
        assert!(parse("yesterday").is_none());
        assert_eq!(parse("20200407T145314Z"), parse("2020-04-07T14:53:14Z"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H"), Some(3600));
        assert_eq!(parse_duration("-P1D"), Some(-86_400));
        assert_eq!(parse_duration("P1Y"), Some(365 * 86_400));
        assert_eq!(parse_duration("P1DT2H3M4S"), Some(86_400 + 7384));
        assert_eq!(parse_duration("1 day"), None);
    }
}
