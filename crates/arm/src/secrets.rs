//! The secret policy: one place that decides what is a secret, used by
//! every crate that reads, writes or logs operator data.
//!
//! A value is a secret when any of these rules says so:
//!
//! 1. **Schema flags** — the property is *sensitive* in the embedded
//!    bicep-types-az snapshot ([`crate::schema`]).
//! 2. **Type rules** — secrets the schemas do not flag: a Key Vault
//!    secret's `properties.value` ([`TYPE_RULES`]).
//! 3. **Names** — credential property names ([`is_secret_name`]:
//!    `adminPassword`, `connectionString`, `protectedSettings`,
//!    `DB_PASSWORD`, …), and the `value` of a `{name, value}` pair whose
//!    `name` is one (App Service app settings, environment variables).
//! 4. **Values** — the secret *part* of a string whatever its name
//!    ([`redact_text`]): connection-string keys (`AccountKey=`,
//!    `SharedAccessKey=`, `Password=`, `Pwd=`), signed URL query
//!    parameters (`sig=`, `code=`, …), PEM private keys, JSON Web Tokens,
//!    bearer tokens, passwords in URL user info, GitHub tokens.
//!
//! Rules 1–3 replace the whole value with [`REDACTED`] (unless rule 4
//! finds its secret part, a connection string's key); rule 4 replaces
//! only the secret part (`AccountName=st1;AccountKey=***`), so the
//! references a value carries (the storage account, the Logic App
//! trigger) survive for the dependency graph. A value that only *refers*
//! to a secret — a Key Vault reference (`@Microsoft.KeyVault(…)`, a
//! parameters-file `reference`), an expression azrelo keeps symbolic
//! (`{"$azrelo.unknown": "listKeys(…)"}`) — is not a secret and is kept
//! (rule 4 still applies to its text).
//!
//! [`redact_body`] applies the policy to a resource body at ingest;
//! [`redact_values`] applies rule 4 to free-form values (tags, messages).
//! The template generator turns what the policy redacted into secure
//! parameters ([`looks_secret`] recognises a redacted value), and the
//! orchestrator keeps the same secrets out of its journal
//! ([`mentions_secret`]).

use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

/// What replaces a secret (the whole value, or its secret part). The same
/// marker the template engine writes for a secure parameter's value.
pub const REDACTED: &str = "***";

/// Property names (compared after [`normalize`]) whose values are credentials.
const NAMES: &[&str] = &[
    "password",
    "adminpassword",
    "administratorloginpassword",
    "secret",
    "clientsecret",
    "primarykey",
    "secondarykey",
    "accountkey",
    "storageaccountkey",
    "accesskey",
    "connectionstring",
    "primaryconnectionstring",
    "secondaryconnectionstring",
    "sastoken",
    "sasurl",
    "sasuri",
    "sharedaccesskey",
    "sharedaccesssignature",
    "sharedkey",
    "certificatepassword",
    "pfxpassword",
    "keyvalue",
    "customkey",
    "authkey",
    "token",
    "protectedsettings",
    "securevalue",
    "privatekey",
    "primarymasterkey",
    "secondarymasterkey",
];

/// Suffixes (after [`normalize`]) that mark a credential (`dbPassword`,
/// `apiSecret`, `SQL_CONNECTION_STRING`, `X_API_KEY`, …).
const SUFFIXES: &[&str] = &[
    "password",
    "secret",
    "connectionstring",
    "sastoken",
    "accesskey",
    "apikey",
    "accesstoken",
    "privatekey",
    "secretkey",
    "masterkey",
    "sharedkey",
    // Abbreviations templates use (`backendCertPw`, `DB_PWD`).
    "pwd",
    "pw",
];

/// A property name as the rules compare it: lower-case ASCII letters and
/// digits only (`DB_PASSWORD`, `db-password` and `dbPassword` are one name).
fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a property name holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    let n = normalize(name);
    !n.is_empty() && (NAMES.contains(&n.as_str()) || SUFFIXES.iter().any(|s| n.ends_with(s)))
}

/// Whether a property name mentions a credential anywhere in it
/// (`passwordProfile`, `primaryKeyRef`, `secretUri`, …) — the broad rule for
/// what must never be journaled or logged, where dropping a harmless value
/// costs nothing; [`is_secret_name`] is the narrow rule for what becomes a
/// secure template parameter.
pub fn mentions_secret(name: &str) -> bool {
    let n = normalize(name);
    is_secret_name(name)
        || SUFFIXES
            .iter()
            .chain(&["primarykey", "secondarykey", "protectedsettings"])
            .any(|s| n.contains(s))
}

/// Whether a string value carries a credential regardless of its name:
/// connection strings with keys, signed URLs, private keys, tokens — or a
/// value the policy already redacted (whole, or its secret part).
pub fn looks_secret(value: &str) -> bool {
    value == REDACTED || redact_text(value).is_some() || redacted_part(value)
}

/// Whether a string has a part the value rules redacted (`AccountKey=***`,
/// `sig=***`, `user:***@`).
fn redacted_part(value: &str) -> bool {
    value.contains(&format!("={REDACTED}"))
        || value.contains(&format!(":{REDACTED}@"))
        || value.contains(&format!("Bearer {REDACTED}"))
        || value.contains(&format!("-----{REDACTED}-----"))
}

/// Write-only properties that are creation-time directives, not credentials
/// (ARM does not return them, but their values are plain settings such as
/// `createMode: Default`): kept as values instead of becoming secure
/// parameters. Names (ASCII case-insensitive) from the non-sensitive
/// write-only paths of the embedded schema snapshot ([`crate::schema`]).
const DIRECTIVES: &[&str] = &[
    "createmode",
    "restorepointintime",
    "sourcedatabaseid",
    "sourceserverid",
    "recoverabledatabaseid",
    "restorabledroppeddatabaseid",
    "longtermretentionbackupresourceid",
    "sourcesnapshotresourceid",
    "sourcevolumegroupresourceid",
    "sourcetype",
    "serverkeytype",
];

/// Whether a write-only property at this JSON pointer is a creation-time
/// directive rather than a secret (the `DIRECTIVES` list).
pub fn is_creation_directive(pointer: &str) -> bool {
    let last = pointer.rsplit('/').next().unwrap_or(pointer);
    DIRECTIVES.iter().any(|d| last.eq_ignore_ascii_case(d))
}

/// Secrets the schema snapshot does not flag, by resource type (lower
/// case) and JSON pointer pattern (`*` is one segment) from the resource
/// body. A Key Vault secret's value is the secret itself (REST API:
/// `SecretProperties.value`, "The value of the secret"); the schemas mark
/// it neither sensitive nor write-only.
pub const TYPE_RULES: &[(&str, &str)] = &[
    ("microsoft.keyvault/vaults/secrets", "/properties/value"),
    // App Service connection strings (`config/connectionstrings`):
    // `{NAME: {value, type}}`, every value a connection string.
    ("microsoft.web/sites/config", "/properties/*/value"),
    ("microsoft.web/sites/slots/config", "/properties/*/value"),
];

/// Whether a [`TYPE_RULES`] entry makes the value at this JSON pointer (from
/// the resource body) of this type a secret.
pub fn is_type_secret(resource_type: &str, pointer: &str) -> bool {
    TYPE_RULES
        .iter()
        .any(|(t, p)| t.eq_ignore_ascii_case(resource_type) && pattern_matches(p, pointer))
}

/// Why a value was redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Sensitive in the schema snapshot.
    Schema,
    /// A [`TYPE_RULES`] entry.
    Type,
    /// A credential property name, or the value of a `{name, value}` pair
    /// named like one.
    Name,
    /// The secret part of a string ([`redact_text`]).
    Value,
}

/// One redaction: where (JSON pointer from the resource body) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    pub pointer: String,
    pub rule: Rule,
}

/// Apply the secret policy to a resource body in place. `pointer` is where
/// `value` sits in the resource body (`""` for the whole body,
/// `"/properties"` for its properties); schema and type rules are looked
/// up for `resource_type`. Returns what was redacted (never the values).
pub fn redact_body(resource_type: &str, value: &mut Value, pointer: &str) -> Vec<Redaction> {
    let flags = crate::schema::SchemaFlags::embedded().get(resource_type);
    let ty = resource_type.to_ascii_lowercase();
    let type_rules: Vec<&str> = TYPE_RULES
        .iter()
        .filter(|(t, _)| *t == ty)
        .map(|(_, p)| *p)
        .collect();
    let mut out = Vec::new();
    walk(
        value,
        pointer,
        &mut |p, name| {
            if flags.is_some_and(|f| f.is_sensitive(p)) {
                Some(Rule::Schema)
            } else if type_rules.iter().any(|r| pattern_matches(r, p)) {
                Some(Rule::Type)
            } else if name.is_some_and(is_secret_name) {
                Some(Rule::Name)
            } else {
                None
            }
        },
        &mut out,
    );
    out
}

/// Apply the value rules ([`redact_text`]) to every string of a value
/// (and to the text of symbolic expressions), in place; returns how many
/// strings changed.
pub fn redact_values(value: &mut Value) -> usize {
    let mut out = Vec::new();
    walk(value, "", &mut |_, _| None, &mut out);
    out.len()
}

/// The walk: `whole` says whether the member at a pointer (with its name)
/// is a secret as a whole; otherwise strings get the value rules.
fn walk(
    v: &mut Value,
    pointer: &str,
    whole: &mut dyn FnMut(&str, Option<&str>) -> Option<Rule>,
    out: &mut Vec<Redaction>,
) {
    match v {
        Value::Object(m) => {
            if is_symbolic(m) {
                for x in m.values_mut() {
                    if let Value::String(s) = x
                        && let Some(r) = redact_expression_text(s)
                    {
                        *s = r;
                        out.push(Redaction {
                            pointer: pointer.to_string(),
                            rule: Rule::Value,
                        });
                    }
                }
                return;
            }
            // `{name: SECRET_NAME, value: …}` (app settings, environment
            // variables) and `{key: …, value: …}` pairs.
            let pair_secret = ["name", "key"].iter().any(|k| {
                m.get(*k)
                    .and_then(Value::as_str)
                    .is_some_and(is_secret_name)
            });
            for (k, x) in m.iter_mut() {
                let p = format!("{pointer}/{}", escape(k));
                let rule = whole(&p, Some(k)).or_else(|| {
                    (pair_secret && k.eq_ignore_ascii_case("value")).then_some(Rule::Name)
                });
                match rule {
                    Some(rule) if redact_whole(x) => out.push(Redaction { pointer: p, rule }),
                    _ => walk(x, &p, whole, out),
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                walk(x, &format!("{pointer}/{i}"), whole, out);
            }
        }
        Value::String(s) => {
            if let Some(r) = redact_text(s) {
                *s = r;
                out.push(Redaction {
                    pointer: pointer.to_string(),
                    rule: Rule::Value,
                });
            }
        }
        _ => {}
    }
}

/// Replace a secret value whole: strings and numbers become [`REDACTED`],
/// objects and arrays keep their shape with every leaf redacted (so a
/// redacted `protectedSettings` still says which settings it held).
/// References to secrets (Key Vault references, symbolic expressions) are
/// kept, with the value rules applied to their text. Returns whether
/// anything was replaced.
fn redact_whole(v: &mut Value) -> bool {
    match v {
        Value::String(s) => {
            // Already redacted (whole, or its secret part): kept as it is.
            if s.is_empty() || s == REDACTED || redacted_part(s) {
                return false;
            }
            // A reference to a secret is kept; a value whose secret part
            // the value rules find (a connection string's key) keeps the
            // rest, which names what it connects to.
            if let Some(r) = redact_text(s) {
                *s = r;
                return true;
            }
            if is_key_vault_reference(s) || is_clear_connection_string(s) {
                return false;
            }
            *s = REDACTED.to_string();
            true
        }
        Value::Number(_) => {
            *v = Value::String(REDACTED.to_string());
            true
        }
        Value::Object(m) => {
            if is_symbolic(m) || is_parameter_reference(m) {
                let mut out = Vec::new();
                walk(v, "", &mut |_, _| None, &mut out);
                return !out.is_empty();
            }
            let mut any = false;
            for x in m.values_mut() {
                any |= redact_whole(x);
            }
            any
        }
        Value::Array(a) => {
            let mut any = false;
            for x in a.iter_mut() {
                any |= redact_whole(x);
            }
            any
        }
        Value::Bool(_) | Value::Null => false,
    }
}

/// Connection-string keys that never hold a credential (lower case): what
/// a `key=value;` string names and how it connects. Storage
/// (learn.microsoft.com/azure/storage/common/storage-configure-connection-string),
/// Service Bus / Event Hubs (the key *name*, the entity), Application
/// Insights (learn.microsoft.com/azure/azure-monitor/app/connection-strings:
/// "the connection string isn't considered a security token or key"),
/// Cosmos DB, App Configuration (the credential id), SQL / ADO.NET
/// (learn.microsoft.com/dotnet/api/system.data.sqlclient.sqlconnection.connectionstring;
/// the user id is not a secret, its password is).
const CLEAR_KEYS: &[&str] = &[
    "defaultendpointsprotocol",
    "accountname",
    "endpointsuffix",
    "blobendpoint",
    "queueendpoint",
    "tableendpoint",
    "fileendpoint",
    "endpoint",
    "sharedaccesskeyname",
    "entitypath",
    "instrumentationkey",
    "ingestionendpoint",
    "liveendpoint",
    "profilerendpoint",
    "snapshotendpoint",
    "applicationid",
    "authorization",
    "location",
    "accountendpoint",
    "id",
    "server",
    "data source",
    "address",
    "addr",
    "network address",
    "initial catalog",
    "database",
    "encrypt",
    "trustservercertificate",
    "hostnameincertificate",
    "connection timeout",
    "connect timeout",
    "command timeout",
    "authentication",
    "user id",
    "uid",
    "persist security info",
    "multipleactiveresultsets",
    "application name",
    "applicationintent",
    "multisubnetfailover",
    "integrated security",
    "trusted_connection",
    "pooling",
    "port",
    "sslmode",
    "ssl mode",
];

/// Whether a value is a `key=value;` connection string made only of keys
/// that never hold a credential ([`CLEAR_KEYS`]): an Application Insights
/// connection string, a SQL connection string with Microsoft Entra
/// authentication. Its name may say "connection string", but nothing in it
/// is secret, and what it names must survive for the dependency graph.
fn is_clear_connection_string(s: &str) -> bool {
    let mut parts = 0;
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return false;
        };
        let k = k.trim().to_ascii_lowercase();
        if v.trim().is_empty() || !CLEAR_KEYS.contains(&k.as_str()) {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// An object azrelo writes for a value it keeps symbolic
/// (`{"$azrelo.unknown": "<expression>"}`): one member named `$azrelo.…`.
fn is_symbolic(m: &serde_json::Map<String, Value>) -> bool {
    m.len() == 1 && m.keys().all(|k| k.starts_with("$azrelo."))
}

/// A parameters-file Key Vault reference
/// (`{"reference": {"keyVault": {"id": …}, "secretName": …}}`).
fn is_parameter_reference(m: &serde_json::Map<String, Value>) -> bool {
    m.get("reference").and_then(|r| r.get("keyVault")).is_some()
        || (m.contains_key("keyVault") && m.contains_key("secretName"))
}

/// An App Service Key Vault reference
/// (`@Microsoft.KeyVault(SecretUri=…)` / `@Microsoft.KeyVault(VaultName=…;SecretName=…)`).
fn is_key_vault_reference(s: &str) -> bool {
    const PREFIX: &str = "@Microsoft.KeyVault(";
    s.trim_start()
        .get(..PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Whether a pointer pattern (`*` = one segment) matches a pointer exactly
/// or one of its ancestors.
fn pattern_matches(pattern: &str, pointer: &str) -> bool {
    let mut got = pointer.split('/');
    pattern.split('/').all(|want| {
        got.next()
            .is_some_and(|g| want == "*" || want.eq_ignore_ascii_case(g))
    })
}

/// The value rules' patterns: the capture group `s` is the secret part.
fn patterns(expression: bool) -> &'static [Regex] {
    static PLAIN: OnceLock<Vec<Regex>> = OnceLock::new();
    static EXPR: OnceLock<Vec<Regex>> = OnceLock::new();
    let cell = if expression { &EXPR } else { &PLAIN };
    cell.get_or_init(|| {
        // In an expression's text a `'` ends a literal, and with it a value.
        let stop = if expression { "'" } else { "" };
        let sources = [
            // Connection-string keys: `Key=value` up to `;`.
            format!(
                r#"(?i)(?:^|[;"'\s])\s*(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|AccessKey|PrimaryKey|SecondaryKey|ClientSecret|Secret)\s*=\s*(?P<s>[^;"{stop}\r\n]+)"#
            ),
            // StackExchange.Redis configuration strings:
            // `host:6380,password=…,ssl=True` (stackexchange.github.io/
            // StackExchange.Redis/Configuration: options are `,`-separated).
            format!(r#"(?i),\s*(?:password|pwd)\s*=\s*(?P<s>[^,;"{stop}\r\n]+)"#),
            // Signed URL query parameters: `?sig=…`, `&code=…`.
            format!(
                r#"(?i)[?&](?:sig|signature|code|client_secret|access_token|api[-_]?key|subscription-key|password|token)=(?P<s>[^&#\s"<>{stop}]+)"#
            ),
            // A password in URL user info: `https://user:PASSWORD@host`.
            // The user may hold `@` (Azure Database single servers' logins
            // are `user@server`) and so may the password: it runs to the
            // last `@` before the host, which holds none.
            format!(
                r#"(?i)[a-z][a-z0-9+.-]*://[^/\s:"{stop}]+:(?P<s>[^/\s"{stop}]+)@[^@/\s"{stop}]*"#
            ),
            // A credential-named variable assigned in a script (a run
            // command, a custom script, cloud-init):
            // `GITLAB_ROOT_PASSWORD="…"`, `export DB_PWD=…`.
            format!(
                r#"(?:^|[\s;&|("'])[A-Za-z_][A-Za-z0-9_]*(?:PASSWORD|PASSWD|_PWD|_SECRET|_TOKEN|API_KEY)=\\?["]?(?P<s>[^"\s;&|\\{stop}]+)"#
            ),
            // PEM private keys.
            r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?P<s>[\s\S]*?)-----END[A-Z ]*PRIVATE KEY-----"
                .to_string(),
            // Bearer tokens.
            r"(?i)\bBearer\s+(?P<s>[A-Za-z0-9._~+/=-]{16,})".to_string(),
            // JSON Web Tokens (header and payload are base64url JSON).
            r"(?P<s>\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)".to_string(),
            // GitHub tokens (documented prefixes).
            r"(?P<s>\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,})"
                .to_string(),
        ];
        sources
            .iter()
            .map(|s| Regex::new(s).expect("the secret patterns are valid (unit tests)"))
            .collect()
    })
}

/// The value rules on one plain string: the string with every secret part
/// replaced by [`REDACTED`], or `None` when it has none.
pub fn redact_text(s: &str) -> Option<String> {
    redact_with(s, false)
}

/// The value rules on the text of an ARM expression (a literal ends at
/// `'`): `concat('Server=x;Password=', parameters('p'))` has no literal
/// secret, `concat('Password=hunter2;')` has one.
pub fn redact_expression_text(s: &str) -> Option<String> {
    redact_with(s, true)
}

fn redact_with(s: &str, expression: bool) -> Option<String> {
    // Cheap pre-filter: every pattern needs one of these.
    let b = s.as_bytes();
    let candidate = b.contains(&b'=')
        || b.contains(&b'@')
        || b.contains(&b'_')
        || s.contains("-----")
        || s.contains("eyJ")
        || s.contains("earer");
    if !candidate {
        return None;
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for re in patterns(expression) {
        for c in re.captures_iter(s) {
            if let Some(m) = c.name("s") {
                let text = m.as_str();
                if text.is_empty() || text == REDACTED || is_key_vault_reference(text) {
                    continue;
                }
                spans.push((m.start(), m.start() + text.len()));
            }
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (a, b) in spans {
        if a < at {
            at = at.max(b);
            continue;
        }
        out.push_str(&s[at..a]);
        out.push_str(REDACTED);
        at = b;
    }
    out.push_str(&s[at..]);
    Some(out)
}

/// Properties ARM never returns that neither the schema snapshot nor
/// [`TYPE_RULES`] flag: `(lower-cased type, JSON pointer)`. (A Key Vault
/// secret's value is a [`TYPE_RULES`] entry; its REST specification adds
/// "NOTE: 'value' will never be returned from the service".)
const UNFLAGGED_HIDDEN: &[(&str, &str)] = &[
    // Extension protected settings are encrypted for the machine and
    // decrypted only there ("Settings in the protectedSettings section are
    // encrypted", learn.microsoft.com/azure/virtual-machines/extensions/
    // features-windows); ARM's GET answers never carry them.
    (
        "microsoft.compute/virtualmachines/extensions",
        "/properties/protectedSettings",
    ),
    (
        "microsoft.compute/virtualmachinescalesets/extensions",
        "/properties/protectedSettings",
    ),
    (
        "microsoft.compute/virtualmachinescalesets",
        "/properties/virtualMachineProfile/extensionProfile/extensions/*/properties/protectedSettings",
    ),
    (
        "microsoft.hybridcompute/machines/extensions",
        "/properties/protectedSettings",
    ),
    // An API Management host name's certificate (a PFX with its private
    // key) is sent, never returned: GET answers `"encodedCertificate":
    // null` and describes the certificate in `certificate` instead
    // (github.com/Azure/azure-rest-api-specs/issues/9267).
    (
        "microsoft.apimanagement/service",
        "/properties/hostnameConfigurations/*/encodedCertificate",
    ),
];

/// Whether ARM leaves the property at `pointer` of a `resource_type` body
/// out of everything it returns (GET, lists, Resource Graph rows, PUT
/// answers): write-only and sensitive (`x-ms-secret`) properties of the
/// schema snapshot, and the few the snapshot does not flag
/// (the private `UNFLAGGED_HIDDEN` table). Such a value can only come from its owner, never
/// from discovery: the generator makes it a secure parameter.
pub fn never_returned(resource_type: &str, pointer: &str) -> bool {
    is_unflagged_hidden(resource_type, pointer)
        || crate::schema::SchemaFlags::embedded()
            .get(resource_type)
            .is_some_and(|f| f.is_write_only(pointer) || f.is_sensitive(pointer))
}

/// Whether `pointer` is a hidden property the schema snapshot does not
/// flag: a [`TYPE_RULES`] secret or an `UNFLAGGED_HIDDEN` entry (see
/// [`never_returned`]).
pub fn is_unflagged_hidden(resource_type: &str, pointer: &str) -> bool {
    TYPE_RULES
        .iter()
        .chain(UNFLAGGED_HIDDEN)
        .any(|(t, p)| t.eq_ignore_ascii_case(resource_type) && crate::schema::covers(p, pointer))
}

/// Remove from `body` (a `resource_type` body as stored) every property ARM
/// never returns ([`never_returned`]): what a GET of it answers.
pub fn strip_never_returned(resource_type: &str, body: &mut serde_json::Value) {
    fn walk(ty: &str, v: &mut serde_json::Value, pointer: &mut String) {
        match v {
            serde_json::Value::Object(m) => {
                let keys: Vec<String> = m.keys().cloned().collect();
                for k in keys {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    if never_returned(ty, pointer) {
                        m.shift_remove(&k);
                    } else if let Some(x) = m.get_mut(&k) {
                        walk(ty, x, pointer);
                    }
                    pointer.truncate(len);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter_mut().enumerate() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    walk(ty, x, pointer);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }
    let flagged = crate::schema::SchemaFlags::embedded()
        .get(resource_type)
        .is_some_and(|f| !f.write_only.is_empty() || !f.sensitive.is_empty());
    let unflagged = TYPE_RULES
        .iter()
        .chain(UNFLAGGED_HIDDEN)
        .any(|(t, _)| t.eq_ignore_ascii_case(resource_type));
    if flagged || unflagged {
        walk(resource_type, body, &mut String::new());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_arm_never_returns_is_stripped_from_a_body() {
        // Sensitive in the schema (x-ms-secret): a VM's admin password.
        let mut vm = serde_json::json!({"properties": {"osProfile": {
            "computerName": "vm1", "adminUsername": "u", "adminPassword": "p"}}});
        strip_never_returned("Microsoft.Compute/virtualMachines", &mut vm);
        assert_eq!(
            vm,
            serde_json::json!({"properties": {"osProfile": {"computerName": "vm1", "adminUsername": "u"}}})
        );
        // Not flagged by the schema, documented as never returned.
        let mut secret =
            serde_json::json!({"properties": {"value": "s3cret", "attributes": {"enabled": true}}});
        strip_never_returned("Microsoft.KeyVault/vaults/secrets", &mut secret);
        assert_eq!(
            secret,
            serde_json::json!({"properties": {"attributes": {"enabled": true}}})
        );
        assert!(never_returned(
            "microsoft.keyvault/vaults/secrets",
            "/properties/value"
        ));
        assert!(!never_returned(
            "microsoft.keyvault/vaults/secrets",
            "/properties/valueX"
        ));
        assert!(!never_returned(
            "Microsoft.Storage/storageAccounts",
            "/properties/value"
        ));
        // An API Management GET answers as issue 9267 of the REST specs
        // shows: the host name's certificate is not in it.
        let mut apim = serde_json::json!({"properties": {"hostnameConfigurations": [
            {"type": "Proxy", "hostName": "api.contoso.com", "encodedCertificate": "MIIKcQ..."}]}});
        strip_never_returned("Microsoft.ApiManagement/service", &mut apim);
        assert_eq!(
            apim,
            serde_json::json!({"properties": {"hostnameConfigurations": [
                {"type": "Proxy", "hostName": "api.contoso.com"}]}})
        );
    }

    #[test]
    fn names_and_values() {
        assert!(is_secret_name("adminPassword"));
        assert!(is_secret_name("AccountKey"));
        assert!(is_secret_name("dbConnectionString"));
        assert!(is_secret_name("SQL_CONNECTION_STRING"));
        assert!(is_secret_name("DB_PASSWORD"));
        assert!(is_secret_name("X-API-KEY"));
        assert!(is_secret_name("protectedSettings"));
        assert!(!is_secret_name("keyVaultUri"));
        assert!(!is_secret_name("keyName"));
        assert!(!is_secret_name("disablePasswordAuthentication"));
        assert!(!is_secret_name("secretName"));
        assert!(!is_secret_name(""));
        assert!(looks_secret(
            "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=abc"
        ));
        assert!(looks_secret("https://x/y?sv=2021&sig=abc%3D"));
        assert!(!looks_secret("https://kv.vault.azure.net/secrets/s"));
        assert!(looks_secret("***"));
        assert!(looks_secret("AccountName=a;AccountKey=***"));
    }

    #[test]
    fn connection_strings_with_nothing_secret_are_kept_whole() {
        let mut v = json!({"properties": {
            "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=5e3c9a1f-7b2d-4e8c-a4f6-0d2b8e6c4a19;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;ApplicationId=2a7c5e9b-3d1f-4b6a-8e2c-7f4a0c6e2b85",
            "Db__ConnectionString": "Server=tcp:sql1.database.windows.net,1433;Initial Catalog=orders;Encrypt=True;Authentication=Active Directory Managed Identity;User Id=d4f8b2a6-1e3c-4a7d-9b5f-2c6e8a0d4b17;",
            "Other__ConnectionString": "Endpoint=https://x;Token=abc",
            // App Configuration: the credential id is not secret, its
            // secret is (learn.microsoft.com/azure/azure-app-configuration/
            // howto-best-practices#connection-strings).
            "AppConfig": "Endpoint=https://appcs1.azconfig.io;Id=p-l0-s0:abc;Secret=c2VjcmV0",
            "Plain__Password": "Server=a;Database=b;Password",
            "Redis__ConnectionString": "redis1.redis.cache.windows.net:6380,password=abc=,ssl=True,abortConnect=False",
        }});
        redact_body("Microsoft.Web/sites/config", &mut v, "");
        let p = &v["properties"];
        assert!(
            p["APPLICATIONINSIGHTS_CONNECTION_STRING"]
                .as_str()
                .unwrap()
                .starts_with("InstrumentationKey=5e3c9a1f")
        );
        assert!(
            p["Db__ConnectionString"]
                .as_str()
                .unwrap()
                .contains("User Id=d4f8")
        );
        // An unknown key, or a part that is not `key=value`: whole.
        assert_eq!(p["Other__ConnectionString"], REDACTED);
        assert_eq!(p["Plain__Password"], REDACTED);
        assert_eq!(
            p["AppConfig"],
            "Endpoint=https://appcs1.azconfig.io;Id=p-l0-s0:abc;Secret=***"
        );
        assert_eq!(
            p["Redis__ConnectionString"],
            "redis1.redis.cache.windows.net:6380,password=***,ssl=True,abortConnect=False"
        );
    }

    #[test]
    fn value_rules_redact_only_the_secret_part() {
        let r = |s: &str| redact_text(s);
        assert_eq!(
            r("DefaultEndpointsProtocol=https;AccountName=st1;AccountKey=abc+/==;EndpointSuffix=core.windows.net").unwrap(),
            "DefaultEndpointsProtocol=https;AccountName=st1;AccountKey=***;EndpointSuffix=core.windows.net"
        );
        assert_eq!(
            r("Server=tcp:s.database.windows.net;User ID=admin;Password=p@ss;").unwrap(),
            "Server=tcp:s.database.windows.net;User ID=admin;Password=***;"
        );
        assert_eq!(
            r("https://prod-1.westeurope.logic.azure.com/workflows/w/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers&sv=1.0&sig=AbC123").unwrap(),
            "https://prod-1.westeurope.logic.azure.com/workflows/w/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers&sv=1.0&sig=***"
        );
        assert_eq!(
            r("https://f.azurewebsites.net/api/h?code=k3y==&x=1").unwrap(),
            "https://f.azurewebsites.net/api/h?code=***&x=1"
        );
        assert_eq!(
            r("postgresql://admin1@pg-weu:P@ss-w0rd@pg-weu.postgres.database.azure.com:5432/airflow").unwrap(),
            "postgresql://admin1@pg-weu:***@pg-weu.postgres.database.azure.com:5432/airflow"
        );
        assert_eq!(r("https://user@host.example.com:8443/path@x"), None);
        assert_eq!(
            r(r#"sudo GITLAB_ROOT_EMAIL="a@b.c" GITLAB_ROOT_PASSWORD="Hunter2!x" apt-get install -y gitlab-ee"#).unwrap(),
            r#"sudo GITLAB_ROOT_EMAIL="a@b.c" GITLAB_ROOT_PASSWORD="***" apt-get install -y gitlab-ee"#
        );
        assert_eq!(
            r("export DB_PWD=s3cr3t; run"),
            Some("export DB_PWD=***; run".into())
        );
        assert_eq!(r("PASSWORD_MIN_LENGTH_HINT is documented"), None);
        assert!(is_secret_name("backendCertPw") && is_secret_name("DB_PWD"));
        assert_eq!(
            r("https://user:hunter2@git.example.com/repo").unwrap(),
            "https://user:***@git.example.com/repo"
        );
        assert_eq!(
            r("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----").unwrap(),
            "-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----"
        );
        assert_eq!(
            r("Authorization: Bearer abcdefghijklmnopqrstuvwxyz").unwrap(),
            "Authorization: Bearer ***"
        );
        assert_eq!(
            r("t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_part").unwrap(),
            "t=***"
        );
        assert_eq!(
            r("ghp_abcdefghijklmnopqrstuvwxyz0123456789").unwrap(),
            "***"
        );
        // Nothing secret: unchanged.
        for s in [
            "https://kv.vault.azure.net/secrets/s",
            "Server=tcp:s.database.windows.net;Authentication=Active Directory Default",
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/s)",
            "key_name",
            "a=b",
        ] {
            assert_eq!(r(s), None, "{s}");
        }
        // Idempotent.
        assert_eq!(r("AccountKey=***"), None);
    }

    #[test]
    fn expression_text_keeps_references() {
        assert_eq!(
            redact_expression_text(
                "[concat('DefaultEndpointsProtocol=https;AccountName=', variables('n'), ';AccountKey=', listKeys(resourceId('Microsoft.Storage/storageAccounts', variables('n')), '2021-01-01').keys[0].value)]"
            ),
            None
        );
        assert_eq!(
            redact_expression_text("[concat('Server=', reference('s').fqdn, ';Password=hunter2')]")
                .unwrap(),
            "[concat('Server=', reference('s').fqdn, ';Password=***')]"
        );
    }

    #[test]
    fn bodies() {
        let mut v = json!({
            "properties": {
                "value": "the-secret",
                "contentType": "text/plain"
            }
        });
        let r = redact_body("Microsoft.KeyVault/vaults/secrets", &mut v, "");
        assert_eq!(v["properties"]["value"], "***");
        assert_eq!(v["properties"]["contentType"], "text/plain");
        assert_eq!(r[0].pointer, "/properties/value");
        assert_eq!(r[0].rule, Rule::Type);

        let mut p = json!({
            "protectedSettings": {"commandToExecute": "echo secret", "timeout": 5},
            "settings": {"fileUris": ["https://st.blob.core.windows.net/c/s.sh?sv=1&sig=x1"]},
            "siteConfig": {"appSettings": [
                {"name": "DB_PASSWORD", "value": "pw"},
                {"name": "WEBSITE_RUN_FROM_PACKAGE", "value": "1"},
                {"name": "KV", "value": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/s)"}
            ]},
            "adminPassword": {"$azrelo.unknown": "parameters('adminPassword')"},
            "connectionString": "@Microsoft.KeyVault(VaultName=kv;SecretName=c)",
            "disablePasswordAuthentication": true
        });
        redact_body(
            "Microsoft.Compute/virtualMachines/extensions",
            &mut p,
            "/properties",
        );
        assert_eq!(p["protectedSettings"]["commandToExecute"], "***");
        assert_eq!(p["protectedSettings"]["timeout"], "***");
        assert_eq!(
            p["settings"]["fileUris"][0],
            "https://st.blob.core.windows.net/c/s.sh?sv=1&sig=***"
        );
        assert_eq!(p["siteConfig"]["appSettings"][0]["value"], "***");
        assert_eq!(p["siteConfig"]["appSettings"][1]["value"], "1");
        assert!(
            p["siteConfig"]["appSettings"][2]["value"]
                .as_str()
                .unwrap()
                .starts_with("@Microsoft.KeyVault(")
        );
        assert_eq!(
            p["adminPassword"]["$azrelo.unknown"],
            "parameters('adminPassword')"
        );
        assert_eq!(
            p["connectionString"],
            "@Microsoft.KeyVault(VaultName=kv;SecretName=c)"
        );
        assert_eq!(p["disablePasswordAuthentication"], true);

        // Schema-sensitive paths.
        let mut c = json!({"properties": {"imageRegistryCredentials": [{"server": "r.azurecr.io", "username": "u", "password": "pw"}]}});
        let r = redact_body("Microsoft.ContainerInstance/containerGroups", &mut c, "");
        assert_eq!(
            c["properties"]["imageRegistryCredentials"][0]["password"],
            "***"
        );
        assert_eq!(
            c["properties"]["imageRegistryCredentials"][0]["username"],
            "u"
        );
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn creation_directives_are_not_secrets() {
        assert!(super::is_creation_directive("/properties/createMode"));
        assert!(super::is_creation_directive(
            "/properties/restorePointInTime"
        ));
        assert!(!super::is_creation_directive(
            "/properties/storageAccountAccessKey"
        ));
        assert!(!super::is_creation_directive(
            "/properties/administratorLoginPassword"
        ));
    }
}
