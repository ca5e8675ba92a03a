//! The embedded snapshot's compact line format: written by
//! `to_snapshot`, read back by `from_snapshot`.

use crate::region::Regions;

use super::*;

/// First line of the compact snapshot format.
pub(super) const MAGIC: &str = "azrelo-providers-snapshot\t1";

impl Availability {
    /// Write the parsed model in azrelo's compact snapshot format (what
    /// `data/providers.snapshot` holds), with `source` as its provenance line.
    ///
    /// The format is line-oriented, tab-separated UTF-8; text fields escape
    /// `%`, tab, CR, LF, `,`, `;` and `=` as `%XX`:
    ///
    /// ```text
    /// azrelo-providers-snapshot<TAB>1
    /// as-of<TAB>2023-11
    /// source<TAB>…provenance…
    /// loc<TAB>West Europe                      (location spelling #0, #1, …)
    /// ver<TAB>2023-07-01                       (api version #0, #1, …)
    /// locs<TAB>0,1,2                           (location list #0, #1, …)
    /// vers<TAB>0,1                             (api-version list #0, #1, …)
    /// ns<TAB>Microsoft.KeyVault                (namespace of the type lines below)
    /// type<TAB>vaults<TAB>locs#<TAB>vers#<TAB>default ver# or -<TAB>loc#=1,2,3;loc#=… or -
    /// ```
    ///
    /// [`from_snapshot`](Self::from_snapshot) reads it back into an equal model.
    pub fn to_snapshot(&self, source: &str) -> String {
        let c = &self.core;
        let mut out = String::with_capacity(512 * 1024);
        let join = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        out.push_str(MAGIC);
        out.push('\n');
        out.push_str(&format!("as-of\t{}\n", c.as_of));
        out.push_str(&format!("source\t{}\n", escape(source)));
        for s in &c.spellings {
            out.push_str(&format!("loc\t{}\n", escape(s)));
        }
        for s in &c.versions {
            out.push_str(&format!("ver\t{}\n", escape(s)));
        }
        for l in &c.location_lists {
            out.push_str(&format!("locs\t{}\n", join(l)));
        }
        for l in &c.version_lists {
            out.push_str(&format!("vers\t{}\n", join(l)));
        }
        let mut ns = None;
        for t in &c.types {
            if ns != Some(t.namespace) {
                ns = Some(t.namespace);
                out.push_str(&format!(
                    "ns\t{}\n",
                    escape(&c.namespaces[t.namespace as usize])
                ));
            }
            let default = t
                .default_version
                .map_or_else(|| "-".to_string(), |d| d.to_string());
            let zones = if t.zones.is_empty() {
                "-".to_string()
            } else {
                t.zones
                    .iter()
                    .map(|(l, z)| {
                        let z: Vec<String> = z.iter().map(|x| escape(x)).collect();
                        format!("{l}={}", z.join(","))
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            };
            out.push_str(&format!(
                "type\t{}\t{}\t{}\t{default}\t{zones}\n",
                escape(&t.name),
                t.locations,
                t.versions
            ));
        }
        // Namespaces without types still belong to the model.
        let mut seen = vec![false; c.namespaces.len()];
        for t in &c.types {
            seen[t.namespace as usize] = true;
        }
        for (i, n) in c.namespaces.iter().enumerate() {
            if !seen[i] {
                out.push_str(&format!("ns-empty\t{i}\t{}\n", escape(n)));
            }
        }
        out
    }

    /// Read a snapshot written by [`to_snapshot`](Self::to_snapshot), resolving
    /// region spellings with the embedded region catalog.
    pub fn from_snapshot(text: &str) -> Result<Availability, AvailabilityError> {
        Availability::from_snapshot_with(text, Regions::embedded())
    }

    /// [`from_snapshot`](Self::from_snapshot) with a region catalog of your own.
    pub fn from_snapshot_with(
        text: &str,
        regions: &Regions,
    ) -> Result<Availability, AvailabilityError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let bad = |line: usize, message: String| AvailabilityError::Snapshot { line, message };
        match lines.next() {
            Some((_, l)) if l == MAGIC => {}
            _ => {
                return Err(bad(
                    1,
                    format!("expected the header '{}'", MAGIC.replace('\t', "<TAB>")),
                ));
            }
        }
        let mut as_of = None;
        let mut core = Core::empty(SnapshotDate::ym(1970, 1).expect("valid"));
        // Namespaces are recorded in order of appearance; `ns-empty` lines put
        // type-less namespaces back at their original index.
        let mut namespaces: Vec<(usize, String)> = vec![];
        let mut empty_namespaces: Vec<(usize, String)> = vec![];
        let mut current_ns: Option<u32> = None;
        for (n, line) in lines {
            let fields: Vec<&str> = line.split('\t').collect();
            let index = |s: &str, len: usize, what: &str| -> Result<u32, AvailabilityError> {
                s.parse::<u32>()
                    .ok()
                    .filter(|&i| (i as usize) < len)
                    .ok_or_else(|| bad(n, format!("'{s}' is not a valid {what} index")))
            };
            let list = |s: &str, len: usize, what: &str| -> Result<Vec<u32>, AvailabilityError> {
                if s.is_empty() {
                    return Ok(vec![]);
                }
                s.split(',').map(|x| index(x, len, what)).collect()
            };
            match fields.as_slice() {
                ["as-of", d] => {
                    as_of = Some(
                        d.parse::<SnapshotDate>()
                            .map_err(|e| bad(n, e.to_string()))?,
                    )
                }
                ["source", s] => core.source = Some(unescape(s).map_err(|e| bad(n, e))?),
                ["loc", s] => core.spellings.push(unescape(s).map_err(|e| bad(n, e))?),
                ["ver", s] => core.versions.push(unescape(s).map_err(|e| bad(n, e))?),
                ["locs", l] => {
                    let l = list(l, core.spellings.len(), "location")?;
                    core.location_lists.push(l);
                }
                ["vers", l] => {
                    let l = list(l, core.versions.len(), "api version")?;
                    core.version_lists.push(l);
                }
                ["ns", s] => {
                    let name = unescape(s).map_err(|e| bad(n, e))?;
                    current_ns = Some(namespaces.len() as u32);
                    namespaces.push((namespaces.len(), name));
                }
                ["ns-empty", i, s] => {
                    let i = i
                        .parse::<usize>()
                        .map_err(|_| bad(n, format!("'{i}' is not a namespace index")))?;
                    empty_namespaces.push((i, unescape(s).map_err(|e| bad(n, e))?));
                }
                ["type", name, locs, vers, default, zones] => {
                    let namespace = current_ns
                        .ok_or_else(|| bad(n, "a type line before any 'ns' line".into()))?;
                    let default_version = match *default {
                        "-" => None,
                        d => Some(index(d, core.versions.len(), "api version")?),
                    };
                    let zones = match *zones {
                        "-" => vec![],
                        z => z
                            .split(';')
                            .map(|m| {
                                let (l, zs) = m.split_once('=').ok_or_else(|| {
                                    bad(n, format!("zone mapping '{m}' has no '='"))
                                })?;
                                let l = index(l, core.spellings.len(), "location")?;
                                let zs = if zs.is_empty() {
                                    vec![]
                                } else {
                                    zs.split(',')
                                        .map(|x| unescape(x).map_err(|e| bad(n, e)))
                                        .collect::<Result<_, _>>()?
                                };
                                Ok((l, zs))
                            })
                            .collect::<Result<_, AvailabilityError>>()?,
                    };
                    core.types.push(TypeEntry {
                        namespace,
                        name: unescape(name).map_err(|e| bad(n, e))?,
                        locations: index(locs, core.location_lists.len(), "location list")?,
                        versions: index(vers, core.version_lists.len(), "api-version list")?,
                        default_version,
                        zones,
                    });
                }
                [""] => {}
                _ => {
                    return Err(bad(
                        n,
                        format!(
                            "unrecognised line '{}'",
                            line.chars().take(60).collect::<String>()
                        ),
                    ));
                }
            }
        }
        core.as_of = as_of.ok_or_else(|| bad(1, "no 'as-of' line".into()))?;
        // Re-insert type-less namespaces at their original positions, shifting
        // the namespace index of the types after them.
        empty_namespaces.sort_by_key(|(i, _)| *i);
        let mut names: Vec<String> = namespaces.into_iter().map(|(_, s)| s).collect();
        let mut remap: Vec<u32> = (0..names.len() as u32).collect();
        for (i, name) in empty_namespaces {
            if i > names.len() {
                return Err(bad(0, format!("empty namespace index {i} out of range")));
            }
            names.insert(i, name);
            for r in remap.iter_mut() {
                if *r as usize >= i {
                    *r += 1;
                }
            }
        }
        for t in &mut core.types {
            t.namespace = remap[t.namespace as usize];
        }
        core.namespaces = names;
        Ok(Availability::index(core, regions))
    }
}

/// What the snapshot format escapes as `%XX`: its separators, line breaks
/// and `%` itself (percent-encoding; other bytes, ASCII or not, as they are).
const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::AsciiSet::EMPTY
    .add(b'%')
    .add(b'\t')
    .add(b'\r')
    .add(b'\n')
    .add(b',')
    .add(b';')
    .add(b'=');

pub(super) fn escape(s: &str) -> String {
    // `utf8_percent_encode` also escapes every non-ASCII byte; the format
    // keeps those as they are, so only ASCII runs go through the set.
    let mut out = String::with_capacity(s.len());
    for part in s.split_inclusive(|c: char| !c.is_ascii()) {
        let (ascii, rest) = match part.char_indices().last() {
            Some((at, c)) if !c.is_ascii() => (&part[..at], &part[at..]),
            _ => (part, ""),
        };
        out.extend(percent_encoding::utf8_percent_encode(ascii, ESCAPED));
        out.push_str(rest);
    }
    out
}

/// The inverse of [`escape`]; a `%` not followed by two hex digits, or an
/// escape of a non-ASCII byte, is an error (the format writes neither).
pub(super) fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let bad = |i: usize| {
        !b.get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit) && h[0] < b'8')
    };
    if let Some(j) = (0..b.len()).find(|&j| b[j] == b'%' && bad(j)) {
        let hex: String = s[j + 1..].chars().take(2).collect();
        return Err(format!("bad escape '%{hex}'"));
    }
    Ok(percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned())
}
