//! Reference patterns (`references.toml`): resources named inside settings
//! by name, host name or connection-string key, and resources found through
//! a value they publish (an instrumentation key, an OIDC issuer URL), with
//! the DNS suffixes of each cloud. What is secret in a connection string
//! is the secret policy's (`azrelo_arm::secrets`), not this file's.
//!
//! This module describes the patterns, gives them their meaning
//! ([`HostPattern::names`], [`HostPattern::render`]) and checks them at
//! load; scanning an estate with them is `azrelo-graph`'s job, rewriting
//! settings the generator's.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::load::{CatalogError, check_id, check_type, check_url, invalid};

/// The kind of reference a match makes (the graph's edge kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceKind {
    /// A host name derived from the resource's name
    /// (`kv.vault.azure.net`, `sb://ns.servicebus.windows.net`).
    EndpointReference,
    /// The resource's name as a value (`AccountName=st01`,
    /// `AzureWebJobsStorage__accountName`).
    NameReference,
    /// An App Service / Functions Key Vault reference
    /// (`@Microsoft.KeyVault(...)`).
    KeyVaultReference,
    /// An Application Insights instrumentation key.
    InstrumentationKey,
    /// A federated credential's issuer: an AKS cluster's OIDC issuer URL.
    FederatedIssuer,
    /// A user-assigned identity's client id.
    IdentityClientId,
    /// An App Service certificate named by its thumbprint (a host-name
    /// binding's TLS binding).
    CertificateThumbprint,
}

impl ReferenceKind {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::EndpointReference => "endpoint-reference",
            ReferenceKind::NameReference => "name-reference",
            ReferenceKind::KeyVaultReference => "key-vault-reference",
            ReferenceKind::InstrumentationKey => "instrumentation-key",
            ReferenceKind::FederatedIssuer => "federated-issuer",
            ReferenceKind::IdentityClientId => "identity-client-id",
            ReferenceKind::CertificateThumbprint => "certificate-thumbprint",
        }
    }
}

/// The DNS suffixes of one cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cloud {
    /// `AzureCloud`, `AzureUSGovernment`, `AzureChinaCloud`.
    pub name: String,
    /// Suffix id → DNS suffix without a leading dot (`core.windows.net`).
    pub suffixes: BTreeMap<String, String>,
}

/// A reference syntax: a match inside a string starting with `prefix` is
/// of `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Syntax {
    /// Stable id.
    pub id: String,
    /// The opening text (case-insensitive).
    pub prefix: String,
    /// The kind of the references inside.
    pub kind: ReferenceKind,
    /// Documentation.
    pub sources: Vec<String>,
}

/// A resource type named by its name or a host name derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Stable id.
    pub id: String,
    /// The types whose names these are (one global namespace, e.g. Service
    /// Bus and Event Hubs namespaces).
    pub types: Vec<String>,
    /// Suffix id in every cloud's `suffixes`.
    pub suffix: String,
    /// Host label patterns before the suffix (`{name}.blob`).
    pub hosts: Vec<String>,
    /// Connection-string keys whose value is the name.
    #[serde(default)]
    pub connection_keys: Vec<String>,
    /// App setting name endings (after `__`) whose value is the name.
    #[serde(default)]
    pub setting_suffixes: Vec<String>,
    /// Documentation.
    pub sources: Vec<String>,
    /// Parsed `hosts` (set at load).
    #[serde(skip)]
    parsed: Vec<HostPattern>,
}

impl Endpoint {
    /// The parsed host patterns, in the order of `hosts`.
    pub fn host_patterns(&self) -> &[HostPattern] {
        &self.parsed
    }
}

/// A path where a referrer holds a published value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypePath {
    /// Referrer type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// JSON pointer into the referrer.
    pub path: String,
}

/// How a published value is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    /// Byte for byte.
    Exact,
    /// ASCII case-insensitively.
    CaseInsensitive,
    /// As a URL: case-insensitively, trailing `/` ignored.
    Url,
}

impl Compare {
    /// The comparison key of a value.
    pub fn key(self, value: &str) -> String {
        match self {
            Compare::Exact => value.to_string(),
            Compare::CaseInsensitive => value.trim().to_ascii_lowercase(),
            Compare::Url => value.trim().trim_end_matches('/').to_ascii_lowercase(),
        }
    }
}

/// A resource found through a value it publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPattern {
    /// Stable id.
    pub id: String,
    /// The publishing type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Where it publishes the value (JSON pointer).
    pub property: String,
    /// The kind of reference.
    pub kind: ReferenceKind,
    /// How values compare.
    pub compare: Compare,
    /// Connection-string keys holding the value.
    #[serde(default)]
    pub connection_keys: Vec<String>,
    /// Setting names whose whole value is the value.
    #[serde(default)]
    pub setting_names: Vec<String>,
    /// Setting name endings (after `__`) whose value is the value.
    #[serde(default)]
    pub setting_suffixes: Vec<String>,
    /// Referrer paths holding the value.
    #[serde(default)]
    pub paths: Vec<TypePath>,
    /// What it means for a move.
    pub note: String,
    /// Documentation.
    pub sources: Vec<String>,
}

/// Properties whose whole value is a resource's name: not a host, not a
/// `key=value` pair, not an id (a deployment script's environment
/// variable, a Dapr component's metadata, a VM extension's settings, a
/// backup instance's data source name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamePattern {
    /// Stable id.
    pub id: String,
    /// Where referrers hold the name: a type and a JSON pointer pattern
    /// (`*` any one member or index; a last `**` anything below).
    pub paths: Vec<TypePath>,
    /// The types the name may be of; empty: any top-level resource or
    /// resource group of the estate (free-form inputs a handler or script
    /// reads: a script's environment, an extension's settings).
    #[serde(default)]
    pub types: Vec<String>,
    /// What it means for a move.
    pub note: String,
    /// Documentation.
    pub sources: Vec<String>,
}

impl NamePattern {
    /// Whether a pointer's segments (below the resource, `properties`
    /// first) fit a path pattern's segments, case-insensitively.
    pub fn fits(pattern: &str, segments: &[&str]) -> bool {
        let pat: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
        let mut i = 0;
        for (j, p) in pat.iter().enumerate() {
            if *p == "**" && j + 1 == pat.len() {
                return true;
            }
            let Some(seg) = segments.get(i) else {
                return false;
            };
            if *p != "*" && !p.eq_ignore_ascii_case(seg) {
                return false;
            }
            i += 1;
        }
        i == segments.len()
    }
}

/// A service's regional host that a resource holds as an input, not derived
/// from any resource's name (a Logic App definition's managed-API runtime
/// URL, `logic-apis-westeurope.azure-apim.net`): in the target the host of
/// the target region is meant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionalHost {
    /// Stable id.
    pub id: String,
    /// The host, `{region}` standing for a region's programmatic name.
    pub host: String,
    /// What it means for a move.
    pub note: String,
    /// Documentation.
    pub sources: Vec<String>,
}

impl RegionalHost {
    /// `s` with every whole occurrence of the host of region `from`
    /// (case-insensitive, not part of a longer host) written as the host
    /// of region `to`; `None` when there is none.
    pub fn rewrite(&self, s: &str, from: &str, to: &str) -> Option<String> {
        let src = self.host.replace("{region}", from).to_ascii_lowercase();
        let dst = self.host.replace("{region}", to);
        let lower = s.to_ascii_lowercase();
        let b = lower.as_bytes();
        let host_char = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'.';
        let mut out = String::new();
        let mut last = 0;
        for (at, _) in lower.match_indices(&src) {
            let end = at + src.len();
            if at < last
                || (at > 0 && host_char(b[at - 1]))
                || b.get(end).is_some_and(|&c| host_char(c))
            {
                continue;
            }
            out.push_str(&s[last..at]);
            out.push_str(&dst);
            last = end;
        }
        if last == 0 {
            return None;
        }
        out.push_str(&s[last..]);
        Some(out)
    }
}

/// The `references.toml` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct References {
    /// DNS suffixes per cloud.
    pub clouds: Vec<Cloud>,
    /// Reference syntaxes.
    #[serde(default)]
    pub syntaxes: Vec<Syntax>,
    /// Named resources.
    pub endpoints: Vec<Endpoint>,
    /// Resources found by a published value.
    #[serde(default)]
    pub keys: Vec<KeyPattern>,
    /// Properties whose whole value is a resource's name.
    #[serde(default)]
    pub names: Vec<NamePattern>,
    /// Regional service hosts held as inputs.
    #[serde(default)]
    pub regional_hosts: Vec<RegionalHost>,
}

impl References {
    /// A cloud by name (case-insensitive).
    pub fn cloud(&self, name: &str) -> Option<&Cloud> {
        self.clouds
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// An endpoint pattern by id.
    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// The endpoint pattern naming resources of this type.
    pub fn endpoint_for_type(&self, resource_type: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| {
            e.types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(resource_type))
        })
    }

    /// A key pattern by id.
    pub fn key(&self, id: &str) -> Option<&KeyPattern> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// A syntax by id.
    pub fn syntax(&self, id: &str) -> Option<&Syntax> {
        self.syntaxes.iter().find(|s| s.id == id)
    }
}

/// One label of a host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    /// This text (case-insensitive).
    Literal(String),
    /// Any one label.
    Any,
    /// The resource name, then optionally a literal suffix (`-secondary`) or
    /// `-` and anything (`-*`, a regional endpoint).
    Name {
        /// Literal text after the name.
        suffix: String,
        /// `-*`: a hyphen and any text follow the name.
        dash_any: bool,
    },
}

/// A parsed host pattern (`{name}.blob`, `{name}.*.web`, `{name}-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    labels: Vec<Label>,
}

impl HostPattern {
    /// Parse a pattern: labels separated by `.`, each a literal, `*`, or
    /// `{name}` followed by a literal suffix or `-*`; exactly one `{name}`.
    pub fn parse(pattern: &str) -> Result<HostPattern, String> {
        let mut labels = Vec::new();
        let mut names = 0;
        for raw in pattern.split('.') {
            if raw.is_empty() {
                return Err(format!("empty label in host pattern '{pattern}'"));
            }
            let label = if raw == "*" {
                Label::Any
            } else if let Some(rest) = raw.strip_prefix("{name}") {
                names += 1;
                if rest == "-*" {
                    Label::Name {
                        suffix: String::new(),
                        dash_any: true,
                    }
                } else {
                    check_label(rest, pattern)?;
                    Label::Name {
                        suffix: rest.to_ascii_lowercase(),
                        dash_any: false,
                    }
                }
            } else {
                if raw.is_empty() {
                    return Err(format!("empty label in host pattern '{pattern}'"));
                }
                check_label(raw, pattern)?;
                Label::Literal(raw.to_ascii_lowercase())
            };
            labels.push(label);
        }
        if names != 1 {
            return Err(format!(
                "host pattern '{pattern}' must contain `{{name}}` exactly once"
            ));
        }
        Ok(HostPattern { labels })
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether it has no labels (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The labels.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The candidate resource names a host's labels (before the cloud
    /// suffix, lower-cased) stand for, longest first; empty when the labels
    /// do not fit the pattern.
    pub fn names<'a>(&self, host_labels: &[&'a str]) -> Vec<&'a str> {
        if host_labels.len() != self.labels.len() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (pat, label) in self.labels.iter().zip(host_labels) {
            match pat {
                Label::Any => {}
                Label::Literal(l) => {
                    if !label.eq_ignore_ascii_case(l) {
                        return Vec::new();
                    }
                }
                Label::Name { suffix, dash_any } => {
                    if *dash_any {
                        // `acct-westeurope`: the name may itself hold
                        // hyphens, so every split is a candidate.
                        let mut cands: Vec<&str> = label
                            .match_indices('-')
                            .map(|(i, _)| &label[..i])
                            .filter(|n| !n.is_empty())
                            .collect();
                        cands.reverse();
                        if cands.is_empty() {
                            return Vec::new();
                        }
                        out = cands;
                    } else {
                        let n = label.len();
                        if n <= suffix.len()
                            || !label[n - suffix.len()..].eq_ignore_ascii_case(suffix)
                        {
                            return Vec::new();
                        }
                        out = vec![&label[..n - suffix.len()]];
                    }
                }
            }
        }
        out
    }

    /// The host for a resource name and a cloud suffix, when the pattern
    /// has no wildcard (`{name}.blob` + `core.windows.net` →
    /// `st01.blob.core.windows.net`).
    pub fn render(&self, name: &str, suffix: &str) -> Option<String> {
        let mut parts = Vec::with_capacity(self.labels.len() + 1);
        for l in &self.labels {
            match l {
                Label::Any | Label::Name { dash_any: true, .. } => return None,
                Label::Literal(s) => parts.push(s.clone()),
                Label::Name { suffix, .. } => parts.push(format!("{name}{suffix}")),
            }
        }
        parts.push(suffix.to_string());
        Some(parts.join("."))
    }
}

fn check_label(s: &str, pattern: &str) -> Result<(), String> {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(())
    } else {
        Err(format!(
            "host pattern '{pattern}': '{s}' may hold only letters, digits and '-' (or be '*' or start with {{name}})"
        ))
    }
}

/// Validate `references.toml`, parse its host patterns, and check the name
/// rules' DNS suffixes (`types`: type → dns_suffix) against it.
pub(crate) fn validate(
    file: &str,
    r: &mut References,
    dns_suffixes: &HashMap<String, (String, String)>,
) -> Result<(), CatalogError> {
    if r.clouds.is_empty() {
        return Err(invalid(file, "clouds", "at least one cloud is needed"));
    }
    let mut cloud_names = HashSet::new();
    let keys0: Vec<&String> = r.clouds[0].suffixes.keys().collect();
    for (i, c) in r.clouds.iter().enumerate() {
        let key = format!("clouds[{i}]");
        if !cloud_names.insert(c.name.to_ascii_lowercase()) {
            return Err(invalid(
                file,
                key,
                format!("cloud '{}' is listed twice", c.name),
            ));
        }
        let keys: Vec<&String> = c.suffixes.keys().collect();
        if keys != keys0 {
            return Err(invalid(
                file,
                format!("{key}.suffixes"),
                format!(
                    "cloud '{}' must list the same suffix ids as '{}' ({})",
                    c.name,
                    r.clouds[0].name,
                    keys0
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        for (k, v) in &c.suffixes {
            let ok = !v.is_empty()
                && !v.starts_with('.')
                && !v.ends_with('.')
                && v.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '.' || ch == '-'
                });
            if !ok {
                return Err(invalid(
                    file,
                    format!("{key}.suffixes.{k}"),
                    format!("'{v}' must be a lower-case DNS suffix without a leading dot"),
                ));
            }
        }
    }
    let mut ids = HashSet::new();
    let mut check_unique_id = |key: &str, id: &str| -> Result<(), CatalogError> {
        check_id(file, key, id)?;
        if !ids.insert(id.to_string()) {
            return Err(invalid(file, key, format!("id '{id}' is used twice")));
        }
        Ok(())
    };
    for (i, s) in r.syntaxes.iter().enumerate() {
        let key = format!("syntaxes[{i}]");
        check_unique_id(&format!("{key}.id"), &s.id)?;
        if s.prefix.trim().is_empty() {
            return Err(invalid(file, format!("{key}.prefix"), "empty prefix"));
        }
        for (j, u) in s.sources.iter().enumerate() {
            check_url(file, &format!("{key}.sources[{j}]"), u)?;
        }
    }
    // A connection key, setting name or suffix means exactly one thing.
    let mut claims: HashMap<String, String> = HashMap::new();
    let mut claim = |key: &str, what: &str, owner: &str| -> Result<(), CatalogError> {
        let k = format!("{what}:{}", what_key(file, what, key)?);
        if let Some(prev) = claims.insert(k, owner.to_string()) {
            return Err(invalid(
                file,
                owner,
                format!("{what} '{key}' is already claimed by {prev}"),
            ));
        }
        Ok(())
    };
    let mut types_seen: HashMap<String, String> = HashMap::new();
    let mut hosts_seen: HashSet<(String, String)> = HashSet::new();
    for (i, e) in r.endpoints.iter_mut().enumerate() {
        let key = format!("endpoints[{i}]");
        check_unique_id(&format!("{key}.id"), &e.id)?;
        if e.types.is_empty() {
            return Err(invalid(file, format!("{key}.types"), "at least one type"));
        }
        for (j, t) in e.types.iter().enumerate() {
            check_type(file, &format!("{key}.types[{j}]"), t)?;
            if let Some(prev) = types_seen.insert(t.to_ascii_lowercase(), e.id.clone()) {
                return Err(invalid(
                    file,
                    format!("{key}.types[{j}]"),
                    format!("type '{t}' is already named by endpoint '{prev}'"),
                ));
            }
        }
        if !r.clouds[0].suffixes.contains_key(&e.suffix) {
            return Err(invalid(
                file,
                format!("{key}.suffix"),
                format!(
                    "unknown suffix id '{}' (add it to every cloud's `suffixes`)",
                    e.suffix
                ),
            ));
        }
        if e.hosts.is_empty() {
            return Err(invalid(file, format!("{key}.hosts"), "at least one host"));
        }
        e.parsed.clear();
        for (j, h) in e.hosts.iter().enumerate() {
            let p =
                HostPattern::parse(h).map_err(|m| invalid(file, format!("{key}.hosts[{j}]"), m))?;
            if !hosts_seen.insert((e.suffix.clone(), h.to_ascii_lowercase())) {
                return Err(invalid(
                    file,
                    format!("{key}.hosts[{j}]"),
                    format!("host '{h}' with suffix '{}' is listed twice", e.suffix),
                ));
            }
            e.parsed.push(p);
        }
        let owner = format!("endpoints[{i}] ({})", e.id);
        for k in &e.connection_keys {
            claim(k, "connection key", &owner)?;
        }
        for k in &e.setting_suffixes {
            claim(k, "setting suffix", &owner)?;
        }
        for (j, u) in e.sources.iter().enumerate() {
            check_url(file, &format!("{key}.sources[{j}]"), u)?;
        }
        if e.sources.is_empty() {
            return Err(invalid(
                file,
                format!("{key}.sources"),
                "at least one source URL",
            ));
        }
        // The name rules' dns_suffix (the public-cloud endpoint quoted in
        // findings) must be one of these hosts.
        let public = &r.clouds[0];
        for t in &e.types {
            if let Some((sfx, origin)) = dns_suffixes.get(&t.to_ascii_lowercase()) {
                let cloud_sfx = &public.suffixes[&e.suffix];
                // `{name}.blob` rendered with an empty name: `.blob.core.windows.net`.
                let fits = e.parsed.iter().any(|p| {
                    p.render("", cloud_sfx)
                        .is_some_and(|h| h.eq_ignore_ascii_case(sfx))
                });
                if !fits {
                    return Err(invalid(
                        file,
                        format!("{key}.hosts"),
                        format!(
                            "the name rule of '{t}' in {origin} gives dns_suffix '{sfx}', which none of these hosts produces in {}",
                            public.name
                        ),
                    ));
                }
            }
        }
    }
    for (i, k) in r.keys.iter().enumerate() {
        let key = format!("keys[{i}]");
        check_unique_id(&format!("{key}.id"), &k.id)?;
        check_type(file, &format!("{key}.type"), &k.resource_type)?;
        if !k.property.starts_with('/') || k.property.contains('*') {
            return Err(invalid(
                file,
                format!("{key}.property"),
                "a JSON pointer to one value, starting with '/'",
            ));
        }
        if k.connection_keys.is_empty()
            && k.setting_names.is_empty()
            && k.setting_suffixes.is_empty()
            && k.paths.is_empty()
        {
            return Err(invalid(
                file,
                key,
                "say where referrers hold the value: connection_keys, setting_names, setting_suffixes or paths",
            ));
        }
        if matches!(
            k.kind,
            ReferenceKind::EndpointReference | ReferenceKind::NameReference
        ) {
            return Err(invalid(
                file,
                format!("{key}.kind"),
                "endpoint and name references come from `endpoints`; a key pattern has its own kind",
            ));
        }
        let owner = format!("keys[{i}] ({})", k.id);
        for c in &k.connection_keys {
            claim(c, "connection key", &owner)?;
        }
        for s in &k.setting_names {
            claim(s, "setting name", &owner)?;
        }
        for s in &k.setting_suffixes {
            claim(s, "setting suffix", &owner)?;
        }
        for (j, p) in k.paths.iter().enumerate() {
            check_type(file, &format!("{key}.paths[{j}].type"), &p.resource_type)?;
            if !p.path.starts_with('/') {
                return Err(invalid(
                    file,
                    format!("{key}.paths[{j}].path"),
                    "a JSON pointer starting with '/'",
                ));
            }
        }
        if k.note.trim().is_empty() || k.sources.is_empty() {
            return Err(invalid(file, key, "a key pattern needs a note and sources"));
        }
        for (j, u) in k.sources.iter().enumerate() {
            check_url(file, &format!("{key}.sources[{j}]"), u)?;
        }
    }
    for (i, n) in r.names.iter().enumerate() {
        let key = format!("names[{i}]");
        check_unique_id(&format!("{key}.id"), &n.id)?;
        if n.paths.is_empty() {
            return Err(invalid(file, format!("{key}.paths"), "at least one path"));
        }
        for (j, p) in n.paths.iter().enumerate() {
            check_type(file, &format!("{key}.paths[{j}].type"), &p.resource_type)?;
            let segs: Vec<&str> = p.path.split('/').skip(1).collect();
            let ok = p.path.starts_with("/properties/")
                && segs.iter().all(|s| !s.is_empty())
                && segs
                    .iter()
                    .enumerate()
                    .all(|(k, s)| *s != "**" || k + 1 == segs.len());
            if !ok {
                return Err(invalid(
                    file,
                    format!("{key}.paths[{j}].path"),
                    "a JSON pointer below /properties/, `*` for any one segment and `**` only last",
                ));
            }
        }
        for (j, t) in n.types.iter().enumerate() {
            check_type(file, &format!("{key}.types[{j}]"), t)?;
        }
        if n.note.trim().is_empty() || n.sources.is_empty() {
            return Err(invalid(
                file,
                key,
                "a name pattern needs a note and sources",
            ));
        }
        for (j, u) in n.sources.iter().enumerate() {
            check_url(file, &format!("{key}.sources[{j}]"), u)?;
        }
    }
    for (i, h) in r.regional_hosts.iter().enumerate() {
        let key = format!("regional_hosts[{i}]");
        check_unique_id(&format!("{key}.id"), &h.id)?;
        let ok = h.host.matches("{region}").count() == 1
            && h.host
                .replace("{region}", "r")
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
            && h.host.contains('.');
        if !ok {
            return Err(invalid(
                file,
                format!("{key}.host"),
                "a lower-case host name holding `{region}` exactly once",
            ));
        }
        if h.note.trim().is_empty() || h.sources.is_empty() {
            return Err(invalid(
                file,
                key,
                "a regional host needs a note and sources",
            ));
        }
        for (j, u) in h.sources.iter().enumerate() {
            check_url(file, &format!("{key}.sources[{j}]"), u)?;
        }
    }
    Ok(())
}

fn what_key(file: &str, what: &str, key: &str) -> Result<String, CatalogError> {
    let k = key.trim();
    if k.is_empty() {
        return Err(invalid(file, what, format!("empty {what}")));
    }
    if what == "setting suffix" && !k.starts_with("__") {
        return Err(invalid(
            file,
            what,
            format!("setting suffix '{k}' must start with '__' (e.g. __accountName)"),
        ));
    }
    Ok(k.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_hosts_are_rewritten_only_as_whole_hosts() {
        let h = RegionalHost {
            id: "x".into(),
            host: "logic-apis-{region}.azure-apim.net".into(),
            note: String::new(),
            sources: Vec::new(),
        };
        assert_eq!(
            h.rewrite(
                "https://Logic-Apis-WestEurope.azure-apim.net/apim/sql",
                "westeurope",
                "northeurope"
            )
            .as_deref(),
            Some("https://logic-apis-northeurope.azure-apim.net/apim/sql")
        );
        assert_eq!(
            h.rewrite(
                "https://x.logic-apis-westeurope.azure-apim.net/",
                "westeurope",
                "eastus"
            ),
            None
        );
        assert_eq!(
            h.rewrite(
                "https://logic-apis-westeurope.azure-apim.network/",
                "westeurope",
                "eastus"
            ),
            None
        );
        assert_eq!(h.rewrite("no host here", "westeurope", "eastus"), None);
    }

    #[test]
    fn name_paths_fit_segment_by_segment() {
        let segs = ["properties", "environmentVariables", "0", "value"];
        assert!(NamePattern::fits(
            "/properties/environmentVariables/*/value",
            &segs
        ));
        assert!(NamePattern::fits(
            "/properties/environmentvariables/**",
            &segs
        ));
        assert!(!NamePattern::fits(
            "/properties/environmentVariables/*/secureValue",
            &segs
        ));
        assert!(!NamePattern::fits(
            "/properties/environmentVariables/*",
            &segs
        ));
        assert!(!NamePattern::fits(
            "/properties/environmentVariables/*/value/x",
            &segs
        ));
    }

    #[test]
    fn host_patterns_match_and_render() {
        let p = HostPattern::parse("{name}.blob").unwrap();
        assert_eq!(p.names(&["st01", "blob"]), vec!["st01"]);
        assert!(p.names(&["st01", "queue"]).is_empty());
        assert_eq!(
            p.render("st02", "core.windows.net").as_deref(),
            Some("st02.blob.core.windows.net")
        );
        let s = HostPattern::parse("{name}-secondary.blob").unwrap();
        assert_eq!(s.names(&["st01-secondary", "blob"]), vec!["st01"]);
        assert!(s.names(&["-secondary", "blob"]).is_empty());
        let w = HostPattern::parse("{name}.*.web").unwrap();
        assert_eq!(w.names(&["st01", "z6", "web"]), vec!["st01"]);
        assert_eq!(w.render("x", "core.windows.net"), None);
        let r = HostPattern::parse("{name}-*").unwrap();
        assert_eq!(
            r.names(&["cosmos-shop-westeurope"]),
            vec!["cosmos-shop", "cosmos"]
        );
        assert!(HostPattern::parse("blob").is_err());
        assert!(HostPattern::parse("{name}.{name}").is_err());
        assert!(HostPattern::parse("{name}..x").is_err());
        assert!(HostPattern::parse("{name}.bl_b").is_err());
    }

    #[test]
    fn url_compare_ignores_case_and_trailing_slash() {
        assert_eq!(
            Compare::Url.key("https://WestEurope.oic.prod-aks.azure.com/t/i/"),
            Compare::Url.key("https://westeurope.oic.prod-aks.azure.com/t/i")
        );
    }
}
