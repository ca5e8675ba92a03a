//! References that are not ids, found with the catalog's reference patterns
//! (`references.toml`): host names derived from a resource's name,
//! connection-string keys and app setting names whose value is a name, Key
//! Vault reference syntax, and values a resource publishes (instrumentation
//! keys, OIDC issuer URLs, client ids).
//!
//! The indexes are built once from the estate (one entry per named or
//! publishing resource); scanning a string is linear in its length and does
//! no work for strings that cannot hold a match (no `.`/`=`, no setting name
//! the patterns know).

use std::collections::HashMap;

use azrelo_catalog::{ReferenceKind, References};
use azrelo_estate::Resource;
use serde_json::Value;

use crate::EdgeKind;

/// The edge kind of a reference kind.
pub(crate) fn edge_kind(k: ReferenceKind) -> EdgeKind {
    match k {
        ReferenceKind::EndpointReference => EdgeKind::EndpointReference,
        ReferenceKind::NameReference => EdgeKind::NameReference,
        ReferenceKind::KeyVaultReference => EdgeKind::KeyVaultReference,
        ReferenceKind::InstrumentationKey => EdgeKind::InstrumentationKey,
        ReferenceKind::FederatedIssuer => EdgeKind::FederatedIssuer,
        ReferenceKind::IdentityClientId => EdgeKind::IdentityClientId,
        ReferenceKind::CertificateThumbprint => EdgeKind::CertificateThumbprint,
    }
}

/// What a connection key or setting name leads to.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The value is the name of a resource of this endpoint pattern.
    Endpoint(usize),
    /// The value is published by a resource of this key pattern.
    Key(usize),
}

/// A reference found in a string.
#[derive(Debug)]
pub(crate) struct Found<'c> {
    pub to: u32,
    pub kind: EdgeKind,
    /// The matched text (a host, `key=value` without secrets, a value).
    pub matched: String,
    /// The catalog pattern id.
    pub rule: &'c str,
}

/// Values at a JSON pointer into a resource in ARM GET shape.
pub(crate) fn resource_values<'r>(r: &'r Resource, pointer: &str) -> Vec<&'r Value> {
    if let Some(rest) = pointer.strip_prefix("/properties") {
        if rest.is_empty() {
            return vec![&r.properties];
        }
        if rest.starts_with('/') {
            return azrelo_catalog::condition::select(&r.properties, rest);
        }
    }
    Vec::new()
}

/// The indexes of one estate.
pub(crate) struct Refs<'c> {
    refs: &'c References,
    endpoint_of_type: HashMap<String, usize>,
    /// Per endpoint pattern: lower-case name → node.
    names: Vec<HashMap<String, u32>>,
    /// Per key pattern: comparison key → node (the first publisher).
    keys: Vec<HashMap<String, u32>>,
    /// Per key pattern: the other publishers of a value that is not unique
    /// (one certificate imported into several resource groups).
    more_keys: Vec<HashMap<String, Vec<u32>>>,
    /// Lower-case type → key patterns it publishes.
    publishers: HashMap<String, Vec<usize>>,
    /// Lower-case DNS suffix → endpoint patterns.
    suffixes: HashMap<String, Vec<usize>>,
    /// Last labels of every suffix (`net`, `com`, …): a cheap first test.
    last_labels: Vec<String>,
    conn_keys: Vec<(&'c str, Target)>,
    setting_names: Vec<(&'c str, usize)>,
    setting_suffixes: Vec<(&'c str, Target)>,
    /// Lower-case referrer type → (key pattern, JSON pointer).
    key_paths: HashMap<String, Vec<(usize, &'c str)>>,
    syntaxes: Vec<(&'c str, EdgeKind, &'c str)>,
    /// Lower-case referrer type → (name pattern, JSON pointer pattern).
    name_paths: HashMap<String, Vec<(usize, &'c str)>>,
    /// Lower-case name → (node, lower-case type) of every top-level
    /// resource and resource group, when some name pattern exists.
    all_names: HashMap<String, Vec<(u32, String)>>,
    /// Whether any named or publishing resource was added.
    any: bool,
}

impl<'c> Refs<'c> {
    pub fn new(refs: &'c References) -> Refs<'c> {
        let mut endpoint_of_type = HashMap::new();
        let mut suffixes: HashMap<String, Vec<usize>> = HashMap::new();
        let mut last_labels: Vec<String> = Vec::new();
        let mut conn_keys = Vec::new();
        let mut setting_suffixes = Vec::new();
        for (i, e) in refs.endpoints.iter().enumerate() {
            for t in &e.types {
                endpoint_of_type.insert(t.to_ascii_lowercase(), i);
            }
            for c in &refs.clouds {
                if let Some(sfx) = c.suffixes.get(&e.suffix) {
                    let sfx = sfx.to_ascii_lowercase();
                    let last = sfx.rsplit('.').next().unwrap_or(&sfx).to_string();
                    if !last_labels.contains(&last) {
                        last_labels.push(last);
                    }
                    let v = suffixes.entry(sfx).or_default();
                    if !v.contains(&i) {
                        v.push(i);
                    }
                }
            }
            conn_keys.extend(
                e.connection_keys
                    .iter()
                    .map(|k| (k.as_str(), Target::Endpoint(i))),
            );
            setting_suffixes.extend(
                e.setting_suffixes
                    .iter()
                    .map(|k| (k.as_str(), Target::Endpoint(i))),
            );
        }
        let mut publishers: HashMap<String, Vec<usize>> = HashMap::new();
        let mut setting_names = Vec::new();
        let mut key_paths: HashMap<String, Vec<(usize, &str)>> = HashMap::new();
        for (i, k) in refs.keys.iter().enumerate() {
            publishers
                .entry(k.resource_type.to_ascii_lowercase())
                .or_default()
                .push(i);
            conn_keys.extend(
                k.connection_keys
                    .iter()
                    .map(|c| (c.as_str(), Target::Key(i))),
            );
            setting_suffixes.extend(
                k.setting_suffixes
                    .iter()
                    .map(|c| (c.as_str(), Target::Key(i))),
            );
            setting_names.extend(k.setting_names.iter().map(|c| (c.as_str(), i)));
            for p in &k.paths {
                key_paths
                    .entry(p.resource_type.to_ascii_lowercase())
                    .or_default()
                    .push((i, p.path.as_str()));
            }
        }
        let syntaxes = refs
            .syntaxes
            .iter()
            .map(|s| (s.prefix.as_str(), edge_kind(s.kind), s.id.as_str()))
            .collect();
        let mut name_paths: HashMap<String, Vec<(usize, &str)>> = HashMap::new();
        for (i, n) in refs.names.iter().enumerate() {
            for p in &n.paths {
                name_paths
                    .entry(p.resource_type.to_ascii_lowercase())
                    .or_default()
                    .push((i, p.path.as_str()));
            }
        }
        Refs {
            refs,
            name_paths,
            all_names: HashMap::new(),
            endpoint_of_type,
            names: vec![HashMap::new(); refs.endpoints.len()],
            keys: vec![HashMap::new(); refs.keys.len()],
            more_keys: vec![HashMap::new(); refs.keys.len()],
            publishers,
            suffixes,
            last_labels,
            conn_keys,
            setting_names,
            setting_suffixes,
            key_paths,
            syntaxes,
            any: false,
        }
    }

    /// Index a resource that may be named or publish a value.
    pub fn add_resource(&mut self, r: &Resource, lower_type: &str, n: u32) {
        // Top-level resources and resource groups (one `/` in the type):
        // what a whole-value name can stand for.
        if !self.name_paths.is_empty() && lower_type.matches('/').count() == 1 {
            self.all_names
                .entry(r.name.to_ascii_lowercase())
                .or_default()
                .push((n, lower_type.to_string()));
        }
        if let Some(&e) = self.endpoint_of_type.get(lower_type) {
            self.names[e].insert(r.name.to_ascii_lowercase(), n);
            self.any = true;
        }
        if let Some(ks) = self.publishers.get(lower_type) {
            for &k in ks {
                let pat = &self.refs.keys[k];
                for v in resource_values(r, &pat.property) {
                    if let Some(s) = v.as_str().filter(|s| !s.trim().is_empty()) {
                        let key = pat.compare.key(s);
                        match self.keys[k].get(&key) {
                            Some(&first) if first != n => {
                                self.more_keys[k].entry(key).or_default().push(n)
                            }
                            Some(_) => {}
                            None => {
                                self.keys[k].insert(key, n);
                            }
                        }
                        self.any = true;
                    }
                }
            }
        }
    }

    /// Whether no resource can be referred to by these patterns (nothing to
    /// scan for).
    pub fn is_empty(&self) -> bool {
        !self.any
    }

    /// The referrer paths of a (lower-case) type that hold published values.
    pub fn key_paths(&self, lower_type: &str) -> &[(usize, &'c str)] {
        self.key_paths
            .get(lower_type)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The name patterns of a (lower-case) referrer type: (pattern, JSON
    /// pointer pattern).
    pub fn name_paths(&self, lower_type: &str) -> &[(usize, &'c str)] {
        self.name_paths
            .get(lower_type)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The resource a whole value names under a name pattern: the one
    /// top-level resource or group of that name (of the pattern's types),
    /// preferring one for which `near` holds (the referrer's group) when
    /// several have it; none when it stays ambiguous, when the value is
    /// `from` itself, or when it is too short to be a deliberate name.
    pub fn lookup_name(
        &self,
        k: usize,
        value: &str,
        from: u32,
        near: impl Fn(u32) -> bool,
    ) -> Option<(u32, &'c str)> {
        let v = value.trim();
        if v.len() < 3 || v != value {
            return None;
        }
        let pat = &self.refs.names[k];
        let cands: Vec<u32> = self
            .all_names
            .get(&v.to_ascii_lowercase())?
            .iter()
            .filter(|(n, t)| {
                *n != from
                    && (pat.types.is_empty() || pat.types.iter().any(|x| x.eq_ignore_ascii_case(t)))
            })
            .map(|(n, _)| *n)
            .collect();
        let pick = match cands.as_slice() {
            [one] => Some(*one),
            [] => None,
            many => {
                let close: Vec<u32> = many.iter().copied().filter(|&n| near(n)).collect();
                match close.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                }
            }
        }?;
        Some((pick, pat.id.as_str()))
    }

    /// The publisher of a value for a key pattern.
    pub fn lookup_key(&self, k: usize, value: &str) -> Option<(u32, &'c str, EdgeKind)> {
        let pat = &self.refs.keys[k];
        let n = *self.keys[k].get(&pat.compare.key(value))?;
        Some((n, pat.id.as_str(), edge_kind(pat.kind)))
    }

    /// The publisher of a value for a key pattern, preferring one for which
    /// `near` holds (the referrer's resource group) when several publish it.
    pub fn lookup_key_near(
        &self,
        k: usize,
        value: &str,
        near: impl Fn(u32) -> bool,
    ) -> Option<(u32, &'c str, EdgeKind)> {
        let (first, rule, kind) = self.lookup_key(k, value)?;
        if near(first) {
            return Some((first, rule, kind));
        }
        let key = self.refs.keys[k].compare.key(value);
        let n = self.more_keys[k]
            .get(&key)
            .and_then(|more| more.iter().copied().find(|&n| near(n)))
            .unwrap_or(first);
        Some((n, rule, kind))
    }

    fn lookup(&self, t: Target, value: &str) -> Option<(u32, &'c str, EdgeKind)> {
        match t {
            Target::Endpoint(e) => {
                let v = value.trim();
                let n = *self.names[e].get(&v.to_ascii_lowercase())?;
                Some((
                    n,
                    self.refs.endpoints[e].id.as_str(),
                    EdgeKind::NameReference,
                ))
            }
            Target::Key(k) => self.lookup_key(k, value.trim()),
        }
    }

    /// Every reference in one string. `setting` is the name of the setting
    /// holding it (the JSON key, or the sibling `name` of a `{name, value}`
    /// pair), when there is one.
    pub fn scan_string(&self, s: &str, setting: Option<&str>, out: &mut Vec<Found<'c>>) {
        if !self.any {
            return;
        }
        let syntax = self
            .syntaxes
            .iter()
            .find(|(p, ..)| starts_with_ci(s.trim_start(), p))
            .map(|&(_, k, id)| (k, id));
        let override_kind = |k: EdgeKind| match (syntax, k) {
            (Some((sk, _)), EdgeKind::EndpointReference | EdgeKind::NameReference) => sk,
            _ => k,
        };
        // Host names: NAME.<labels>.<cloud suffix>.
        if self.may_hold_host(s) {
            for token in host_tokens(s) {
                if let Some((to, e)) = self.host(token) {
                    out.push(Found {
                        to,
                        kind: override_kind(EdgeKind::EndpointReference),
                        matched: token.to_string(),
                        rule: self.refs.endpoints[e].id.as_str(),
                    });
                }
            }
        }
        // `key=value` pairs of connection strings and reference syntaxes.
        if s.contains('=') {
            let inner = match syntax {
                Some(_) => s
                    .trim()
                    .split_once('(')
                    .map(|(_, r)| r.trim_end_matches(')'))
                    .unwrap_or(s),
                None => s,
            };
            for part in inner.split([';', ',']) {
                let Some((k, v)) = part.split_once('=') else {
                    continue;
                };
                let k = k.trim();
                if let Some(&(_, t)) = self
                    .conn_keys
                    .iter()
                    .find(|(c, _)| c.eq_ignore_ascii_case(k))
                    && let Some((to, rule, kind)) = self.lookup(t, v)
                {
                    out.push(Found {
                        to,
                        kind: override_kind(kind),
                        matched: format!("{k}={}", v.trim()),
                        rule,
                    });
                }
            }
        }
        // The setting's name says what its whole value is.
        if let Some(name) = setting {
            if let Some(&(_, k)) = self
                .setting_names
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                && let Some((to, rule, kind)) = self.lookup_key(k, s.trim())
            {
                out.push(Found {
                    to,
                    kind,
                    matched: s.trim().to_string(),
                    rule,
                });
            }
            if let Some(&(_, t)) = self
                .setting_suffixes
                .iter()
                .find(|(sfx, _)| ends_with_ci(name, sfx))
                && let Some((to, rule, kind)) = self.lookup(t, s)
            {
                out.push(Found {
                    to,
                    kind: override_kind(kind),
                    matched: s.trim().to_string(),
                    rule,
                });
            }
        }
    }

    /// Whether some `.` is followed by a last label of a known suffix
    /// (`.net`, `.com`, …) ending there: one pass, no allocation, so the
    /// many strings that are ids (`Microsoft.Network`) are skipped cheaply.
    fn may_hold_host(&self, s: &str) -> bool {
        let b = s.as_bytes();
        b.iter().enumerate().any(|(i, &c)| {
            c == b'.'
                && self.last_labels.iter().any(|l| {
                    let end = i + 1 + l.len();
                    end <= b.len()
                        && b[i + 1..end].eq_ignore_ascii_case(l.as_bytes())
                        && b.get(end)
                            .is_none_or(|&n| !(n.is_ascii_alphanumeric() || n == b'-'))
                })
        })
    }

    /// The resource a host name stands for, and the endpoint pattern.
    fn host(&self, token: &str) -> Option<(u32, usize)> {
        let last = token.rsplit('.').next()?;
        if !self
            .last_labels
            .iter()
            .any(|l| l.eq_ignore_ascii_case(last))
        {
            return None;
        }
        let lower = token.to_ascii_lowercase();
        for (i, _) in lower.match_indices('.') {
            let Some(eps) = self.suffixes.get(&lower[i + 1..]) else {
                continue;
            };
            let labels: Vec<&str> = lower[..i].split('.').collect();
            for &e in eps {
                for p in self.refs.endpoints[e].host_patterns() {
                    for name in p.names(&labels) {
                        if let Some(&n) = self.names[e].get(name) {
                            return Some((n, e));
                        }
                    }
                }
            }
        }
        None
    }
}

/// Maximal runs of host-name characters holding a dot (`x.blob.core.windows.net`
/// out of `https://x.blob.core.windows.net/c?sv=…`), trailing dots trimmed.
fn host_tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| t.contains('.'))
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_tokens_split_urls_and_connection_strings() {
        let t: Vec<&str> = host_tokens(
            "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=a;Server=tcp:s.database.windows.net,1433.",
        )
        .collect();
        assert_eq!(t, ["ns1.servicebus.windows.net", "s.database.windows.net"]);
        assert!(starts_with_ci(
            "@microsoft.keyvault(x)",
            "@Microsoft.KeyVault("
        ));
        assert!(ends_with_ci(
            "AzureWebJobsStorage__AccountName",
            "__accountName"
        ));
        assert!(!ends_with_ci("x", "__accountName"));
    }
}
