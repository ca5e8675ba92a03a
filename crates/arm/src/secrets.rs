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
/// directive rather than a secret (the `DIRECTIVES` list).
pub fn is_creation_directive(pointer: &str) -> bool {
    let last = pointer.rsplit('/').next().unwrap_or(pointer);
    DIRECTIVES.iter().any(|d| last.eq_ignore_ascii_case(d))
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
