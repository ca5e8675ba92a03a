//! Recognising secrets that no schema flags: well-known property names and
//! values that carry credentials. One place for it: the generator turns them
//! into secure parameters, the orchestrator keeps them out of its journal.

/// Property names (ASCII case-insensitive) whose values are credentials.
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
    "certificatepassword",
    "pfxpassword",
    "keyvalue",
    "customkey",
    "authkey",
    "token",
];

/// Suffixes that mark a credential (`dbPassword`, `apiSecret`, …).
const SUFFIXES: &[&str] = &[
    "password",
    "secret",
    "connectionstring",
    "sastoken",
    "accesskey",
];

/// Whether a property name holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    NAMES.contains(&n.as_str()) || SUFFIXES.iter().any(|s| n.ends_with(s))
}

/// Whether a property name mentions a credential anywhere in it
/// (`passwordProfile`, `primaryKeyRef`, `secretUri`, …) — the broad rule for
/// what must never be journaled or logged, where dropping a harmless value
/// costs nothing; [`is_secret_name`] is the narrow rule for what becomes a
/// secure template parameter.
pub fn mentions_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    is_secret_name(&n)
        || SUFFIXES
            .iter()
            .chain(&["primarykey", "secondarykey"])
            .any(|s| n.contains(s))
}

/// Whether a string value carries a credential regardless of its name:
/// connection strings with keys, SAS signatures, PEM private keys.
pub fn looks_secret(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    v.contains("accountkey=")
        || v.contains("sharedaccesskey=")
        || v.contains("password=")
        || v.contains("pwd=")
        || (v.contains("sig=") && (v.contains("sv=") || v.contains("se=") || v.contains("sp=")))
        || v.contains("-----begin") && v.contains("private key")
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
/// directive rather than a secret (see [`DIRECTIVES`]).
pub fn is_creation_directive(pointer: &str) -> bool {
    let last = pointer.rsplit('/').next().unwrap_or(pointer);
    DIRECTIVES.iter().any(|d| last.eq_ignore_ascii_case(d))
}

/// Properties ARM never returns although the schema snapshot flags them
/// neither write-only nor sensitive: `(lower-cased type, JSON pointer)`.
/// Each line cites the REST API specification that says so.
const UNFLAGGED_HIDDEN: &[(&str, &str)] = &[
    // specification/keyvault/resource-manager/Microsoft.KeyVault/stable/*/secrets.json,
    // SecretProperties.value: "NOTE: 'value' will never be returned from the
    // service, as APIs using this model are is intended for internal use in
    // ARM deployments."
    ("microsoft.keyvault/vaults/secrets", "/properties/value"),
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
];

/// Whether ARM leaves the property at `pointer` of a `resource_type` body
/// out of everything it returns (GET, lists, Resource Graph rows, PUT
/// answers): write-only and sensitive (`x-ms-secret`) properties of the
/// schema snapshot, and the few the snapshot does not flag
/// ([`UNFLAGGED_HIDDEN`]). Such a value can only come from its owner, never
/// from discovery: the generator makes it a secure parameter.
pub fn never_returned(resource_type: &str, pointer: &str) -> bool {
    is_unflagged_hidden(resource_type, pointer)
        || crate::schema::SchemaFlags::embedded()
            .get(resource_type)
            .is_some_and(|f| f.is_write_only(pointer) || f.is_sensitive(pointer))
}

/// Whether `pointer` is one of the hidden properties the schema snapshot
/// does not flag (see [`never_returned`]).
pub fn is_unflagged_hidden(resource_type: &str, pointer: &str) -> bool {
    UNFLAGGED_HIDDEN
        .iter()
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
    let unflagged = UNFLAGGED_HIDDEN
        .iter()
        .any(|(t, _)| t.eq_ignore_ascii_case(resource_type));
    if flagged || unflagged {
        walk(resource_type, body, &mut String::new());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert!(is_secret_name("adminPassword"));
        assert!(is_secret_name("AccountKey"));
        assert!(is_secret_name("dbConnectionString"));
        assert!(!is_secret_name("keyVaultUri"));
        assert!(!is_secret_name("keyName"));
        assert!(looks_secret(
            "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=abc"
        ));
        assert!(looks_secret("https://x/y?sv=2021&sig=abc%3D"));
        assert!(!looks_secret("https://kv.vault.azure.net/secrets/s"));
    }

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
