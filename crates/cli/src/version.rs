//! `azrelo --version`: the version, the commit it was built from, and the
//! dates of the embedded snapshots of Azure's data (regions, resource
//! types, schema flags, built-in roles) that answers depend on.

/// `azrelo -V`.
pub const SHORT: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("AZRELO_COMMIT"),
    ")"
);

/// "…, as of 2026-03" → ("2026-03", "…"); text after the date (e.g.
/// "; newest api-version of each type") stays with the source.
fn split_as_of(source: &str) -> (String, String) {
    let Some(at) = source.rfind("as of ") else {
        return ("-".into(), source.to_string());
    };
    let after = &source[at + "as of ".len()..];
    let end = after
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(after.len());
    let (date, rest) = after.split_at(end);
    let before = source[..at].trim_end().trim_end_matches(',');
    let rest = rest.trim_start_matches([';', ',']).trim();
    let what = if rest.is_empty() {
        before.to_string()
    } else {
        format!("{before}; {rest}")
    };
    (date.to_string(), what)
}

/// `azrelo --version` (built once; clap takes a `&'static str`).
pub fn long_static() -> &'static str {
    static LONG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LONG.get_or_init(long)
}

/// `azrelo --version`.
pub fn long() -> String {
    let date = env!("AZRELO_COMMIT_DATE");
    let mut s = format!(
        "{} (commit {}{})\n\nEmbedded snapshots (answers that depend on them say so):\n",
        env!("CARGO_PKG_VERSION"),
        env!("AZRELO_COMMIT"),
        if date.is_empty() {
            String::new()
        } else {
            format!(", {date}")
        }
    );
    let avail = azrelo_arm::availability::Availability::embedded();
    let providers = avail
        .source()
        .map(|s| split_as_of(s).1)
        .unwrap_or_else(|| "ARM providers API".into());
    let rows = [
        (
            "regions",
            split_as_of(azrelo_arm::region::LOCATIONS_SNAPSHOT)
                .0
                .to_string(),
            split_as_of(azrelo_arm::region::LOCATIONS_SNAPSHOT)
                .1
                .to_string(),
        ),
        ("resource types", avail.snapshot().to_string(), providers),
        (
            "schema flags",
            split_as_of(azrelo_arm::schema::SCHEMA_FLAGS_SOURCE)
                .0
                .to_string(),
            split_as_of(azrelo_arm::schema::SCHEMA_FLAGS_SOURCE)
                .1
                .to_string(),
        ),
        (
            "built-in roles",
            azrelo_arm::roles::builtin_roles_as_of().to_string(),
            "Azure built-in role definitions (az role definition list)".to_string(),
        ),
    ];
    for (what, date, source) in rows {
        s.push_str(&format!("  {what:<15} {date:<10}  {source}\n"));
    }
    s.push_str("\nLearn more: https://github.com/azrelo/azrelo");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_long_version_names_the_commit_and_every_snapshot_date() {
        let v = super::long();
        assert!(v.contains(env!("AZRELO_COMMIT")), "{v}");
        for row in [
            "regions",
            "resource types",
            "schema flags",
            "built-in roles",
        ] {
            let line = v.lines().find(|l| l.trim_start().starts_with(row)).unwrap();
            let date = line[row.len() + 2..].split_whitespace().next().unwrap();
            assert!(
                date.len() >= 7 && date[..4].parse::<u16>().is_ok() && &date[4..5] == "-",
                "{row}: {line}"
            );
        }
    }
}
