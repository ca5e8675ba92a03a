//! Per resource type schema flags: which properties of a resource body are
//! read-only, write-only or sensitive.
//!
//! The template generator strips read-only properties from the bodies ARM
//! returns and turns sensitive or write-only ones into secure parameters; this
//! module holds the facts it needs.
//!
//! # The data
//!
//! `data/schema-flags.json` is a JSON array with one line per resource type:
//!
//! ```text
//! {"t":"microsoft.keyvault/vaults","v":"2026-02-01","ro":[...],"wo":[...],"s":[...]}
//! ```
//!
//! * `t` — the resource type, lower-cased; `v` — the api-version of the schema;
//! * `ro` / `wo` / `s` — JSON pointers (RFC 6901, escaped) relative to the
//!   resource body as ARM returns it, of the read-only, write-only and
//!   sensitive properties; a `*` segment stands for every array element or
//!   map value. Lists are sorted and minimal: a path below a listed path of the
//!   same list is not listed, and nothing below a read-only path is listed at
//!   all (the whole subtree is read-only). The envelope fields `id`, `name`,
//!   `type` and `apiVersion` are never listed.
//!
//! How the lists are derived from the schemas ([`extract`]):
//!
//! * `ro` — properties with the ReadOnly flag (bit 2). When the same path is
//!   read-only in one variant of a discriminated object (or its base
//!   properties) but writable in another, it is **not** read-only (e.g.
//!   `administratorLogin` of `Microsoft.DBforPostgreSQL/servers`): stripping a
//!   property that some variant writes would lose configuration.
//! * `wo` — properties with the WriteOnly flag (bit 4), in any variant.
//! * `s` — properties whose type is a `StringType` with `sensitive: true`, an
//!   `ObjectType` with `sensitive: true`, or a union containing one, in any
//!   variant.
//!
//! Recursion through `$ref` stops at a type already on the current path (the
//! schemas are cyclic) and below [`MAX_DEPTH`] segments.
//!
//! # Provenance
//!
//! Generated from Azure/bicep-types-az `generated/` @ 1f896de2 (2026-08, MIT),
//! as copied to `../shared/data/bicep-types-az`: the schemas of the **newest
//! api-version** of each of 3,405 resource types. A body fetched with an older
//! api-version is therefore judged by the newest schema (a property that was
//! renamed or dropped since is simply not listed).
//!
//! # Refresh
//!
//! ```text
//! cargo run -p azrelo-arm --example refresh_schema_flags [-- PATH/TO/bicep-types-az]
//! ```
//!
//! rewrites `crates/arm/data/schema-flags.json` (the default input is
//! `../shared/data/bicep-types-az` relative to the repository root);
//! `crates/arm/tests/schema_flags.rs` fails when the embedded file is not
//! exactly what [`extract`] produces from that folder.
//!
//! [`extract`] is the only function of this crate that reads files; it is
//! meant for the refresh example and the tests, not for run time.
//!
//! ```
//! use azrelo_arm::schema::SchemaFlags;
//!
//! let vnet = SchemaFlags::embedded().get("Microsoft.Network/virtualNetworks").unwrap();
//! assert!(vnet.is_read_only("/properties/provisioningState"));
//! assert!(vnet.is_read_only("/properties/subnets/0/properties/ipConfigurations/3/id"));
//! assert!(!vnet.is_read_only("/properties/subnets/0/properties/addressPrefix"));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::OnceLock;

/// The embedded data file (see the module documentation).
pub const SCHEMA_FLAGS_JSON: &str = include_str!("../data/schema-flags.json");

/// Where the embedded data comes from.
pub const SCHEMA_FLAGS_SOURCE: &str = "Azure/bicep-types-az generated/ @ 1f896de2 (MIT), as of 2026-08; newest api-version of each type";

/// Recursion through the schema stops below this many path segments.
pub const MAX_DEPTH: usize = 12;

/// Top-level properties the template generator handles itself.
const ENVELOPE: [&str; 4] = ["id", "name", "type", "apiVersion"];

/// Schema flags of every known resource type.
#[derive(Debug, Clone, Default)]
pub struct SchemaFlags {
    types: HashMap<String, TypeFlags>,
}

/// The read-only, write-only and sensitive property paths of one resource type
/// (JSON pointer patterns; `*` matches any single segment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeFlags {
    /// The api-version of the schema the paths come from.
    pub api_version: String,
    pub read_only: Vec<String>,
    pub write_only: Vec<String>,
    pub sensitive: Vec<String>,
}

/// One line of the data file.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    t: String,
    v: String,
    ro: Vec<String>,
    wo: Vec<String>,
    s: Vec<String>,
}

impl SchemaFlags {
    /// The embedded data, parsed on first use.
    pub fn embedded() -> &'static SchemaFlags {
        static EMBEDDED: OnceLock<SchemaFlags> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            SchemaFlags::from_json(SCHEMA_FLAGS_JSON)
                .expect("the embedded schema-flags.json is valid (checked by the tests)")
        })
    }

    /// Parses a data file in the format of `data/schema-flags.json`.
    pub fn from_json(text: &str) -> Result<SchemaFlags, String> {
        let lines: Vec<Line> =
            serde_json::from_str(text).map_err(|e| format!("schema flags: {e}"))?;
        let mut types = HashMap::with_capacity(lines.len());
        for line in lines {
            let flags = TypeFlags {
                api_version: line.v,
                read_only: line.ro,
                write_only: line.wo,
                sensitive: line.s,
            };
            if types.insert(line.t.to_ascii_lowercase(), flags).is_some() {
                return Err(format!("schema flags: type {} listed twice", line.t));
            }
        }
        Ok(SchemaFlags { types })
    }

    /// Case-insensitive type lookup (e.g. `"Microsoft.KeyVault/vaults"`).
    pub fn get(&self, resource_type: &str) -> Option<&TypeFlags> {
        if let Some(flags) = self.types.get(resource_type) {
            return Some(flags);
        }
        self.types.get(&resource_type.to_ascii_lowercase())
    }

    /// The number of resource types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The known resource types (lower-cased), in no particular order.
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }
}

impl TypeFlags {
    /// Whether the JSON pointer (concrete, e.g.
    /// `"/properties/subnets/0/properties/ipConfigurations"`) is read-only: a
    /// pattern with `*` matches any single segment; a path below a read-only
    /// pattern is read-only too. Segment names compare ASCII
    /// case-insensitively (ARM property names are case-insensitive).
    pub fn is_read_only(&self, pointer: &str) -> bool {
        any_covers(&self.read_only, pointer)
    }

    /// Whether the JSON pointer is write-only (same matching as
    /// [`TypeFlags::is_read_only`]).
    pub fn is_write_only(&self, pointer: &str) -> bool {
        any_covers(&self.write_only, pointer)
    }

    /// Whether the JSON pointer is sensitive (same matching as
    /// [`TypeFlags::is_read_only`]).
    pub fn is_sensitive(&self, pointer: &str) -> bool {
        any_covers(&self.sensitive, pointer)
    }
}

fn any_covers(patterns: &[String], pointer: &str) -> bool {
    patterns.iter().any(|p| covers(p, pointer))
}

/// Whether `pattern` (a JSON pointer, `*` for any one segment) matches
/// `pointer` or an ancestor of it, segment names compared ASCII
/// case-insensitively.
pub fn covers(pattern: &str, pointer: &str) -> bool {
    // Both are "" (the whole document) or start with '/'.
    let (Some(pattern), Some(pointer)) = (
        pattern
            .strip_prefix('/')
            .or((pattern.is_empty()).then_some("")),
        pointer
            .strip_prefix('/')
            .or((pointer.is_empty()).then_some("")),
    ) else {
        return false;
    };
    if pattern.is_empty() {
        return true;
    }
    if pointer.is_empty() {
        return false;
    }
    let mut segments = pointer.split('/');
    for want in pattern.split('/') {
        match segments.next() {
            Some(got) if want == "*" || want.eq_ignore_ascii_case(got) => {}
            _ => return false,
        }
    }
    true
}

/// Reads a bicep-types-az folder (`index.json` and the `types.json` files it
/// names) and produces the content of `data/schema-flags.json`.
///
/// Deterministic: types are sorted, each list is sorted; the result ends with a
/// newline.
pub fn extract(dir: &Path) -> Result<String, String> {
    let index = read_json(&dir.join("index.json"))?;
    let index = index.as_object().ok_or("index.json: expected an object")?;

    // Group the types by file so that each file is parsed once.
    let mut by_file: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (ty, entry) in index {
        let file = str_field(entry, "file").map_err(|e| format!("index.json {ty}: {e}"))?;
        let version =
            str_field(entry, "apiVersion").map_err(|e| format!("index.json {ty}: {e}"))?;
        by_file.entry(file).or_default().push((ty, version));
    }

    let mut lines: BTreeMap<String, String> = BTreeMap::new();
    for (file, types) in by_file {
        let entries = read_json(&dir.join(file))?;
        let entries = entries
            .as_array()
            .ok_or_else(|| format!("{file}: expected an array"))?;
        // The ResourceType entries of the file, by lower-cased "namespace/type@version".
        let mut resources: HashMap<String, &Value> = HashMap::new();
        for entry in entries {
            if entry.get("$type").and_then(Value::as_str) == Some("ResourceType") {
                let name = str_field(entry, "name").map_err(|e| format!("{file}: {e}"))?;
                resources.insert(name.to_ascii_lowercase(), entry);
            }
        }
        for (ty, version) in types {
            let key = format!("{ty}@{version}").to_ascii_lowercase();
            let resource = resources
                .get(&key)
                .ok_or_else(|| format!("{file}: no ResourceType {key}"))?;
            let body = resource
                .get("body")
                .ok_or_else(|| format!("{file}: ResourceType {key} has no body"))?;
            let mut walker = Walker::new(entries);
            walker
                .walk(body, "", 0, true)
                .map_err(|e| format!("{file}: {key}: {e}"))?;
            let line = walker.finish(ty.to_ascii_lowercase(), version.to_string());
            let text = serde_json::to_string(&line).map_err(|e| e.to_string())?;
            if lines.insert(line.t, text).is_some() {
                return Err(format!("index.json: type {ty} listed twice"));
            }
        }
    }

    let mut out = String::from("[\n");
    let count = lines.len();
    for (i, text) in lines.into_values().enumerate() {
        out.push_str(&text);
        out.push_str(if i + 1 < count { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    Ok(out)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn str_field<'v>(value: &'v Value, field: &str) -> Result<&'v str, String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string field {field:?}"))
}

/// Walks the type graph of one resource body, collecting flagged paths.
struct Walker<'a> {
    entries: &'a [Value],
    read_only: BTreeSet<String>,
    /// Paths that some variant declares without the ReadOnly flag.
    writable: BTreeSet<String>,
    write_only: BTreeSet<String>,
    sensitive: BTreeSet<String>,
    /// Type indices on the current recursion path (cycle detection).
    stack: Vec<usize>,
}

impl<'a> Walker<'a> {
    fn new(entries: &'a [Value]) -> Self {
        Walker {
            entries,
            read_only: BTreeSet::new(),
            writable: BTreeSet::new(),
            write_only: BTreeSet::new(),
            sensitive: BTreeSet::new(),
            stack: Vec::new(),
        }
    }

    /// Resolves a `{"$ref": "#/N"}` type reference to N.
    fn resolve(&self, reference: &Value) -> Result<usize, String> {
        let text = str_field(reference, "$ref")?;
        let n: usize = text
            .strip_prefix("#/")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("unsupported $ref {text:?}"))?;
        if n >= self.entries.len() {
            return Err(format!("$ref {text:?} out of range"));
        }
        Ok(n)
    }

    fn walk(
        &mut self,
        reference: &Value,
        path: &str,
        depth: usize,
        top: bool,
    ) -> Result<(), String> {
        let n = self.resolve(reference)?;
        if depth > MAX_DEPTH || self.stack.contains(&n) {
            return Ok(());
        }
        let entries = self.entries;
        let entry = &entries[n];
        self.stack.push(n);
        let result = match entry.get("$type").and_then(Value::as_str) {
            Some("ObjectType") => self.object(entry, path, depth, top),
            Some("DiscriminatedObjectType") => self.discriminated(entry, path, depth, top),
            Some("ArrayType") => {
                let item = entry.get("itemType").ok_or("ArrayType without itemType")?;
                self.walk(item, &format!("{path}/*"), depth + 1, false)
            }
            Some("UnionType") => {
                let elements = entry
                    .get("elements")
                    .and_then(Value::as_array)
                    .ok_or("UnionType without elements")?;
                elements
                    .iter()
                    .try_for_each(|element| self.walk(element, path, depth, false))
            }
            Some("StringType") => {
                if is_sensitive(entry) {
                    self.sensitive.insert(path.to_string());
                }
                Ok(())
            }
            _ => Ok(()),
        };
        self.stack.pop();
        result
    }

    fn object(&mut self, entry: &Value, path: &str, depth: usize, top: bool) -> Result<(), String> {
        if is_sensitive(entry) {
            self.sensitive.insert(path.to_string());
        }
        let properties = entry
            .get("properties")
            .and_then(Value::as_object)
            .ok_or("ObjectType without properties")?;
        self.properties(properties, path, depth, top)?;
        if let Some(values) = entry.get("additionalProperties") {
            self.walk(values, &format!("{path}/*"), depth + 1, false)?;
        }
        Ok(())
    }

    fn discriminated(
        &mut self,
        entry: &Value,
        path: &str,
        depth: usize,
        top: bool,
    ) -> Result<(), String> {
        let base = entry
            .get("baseProperties")
            .and_then(Value::as_object)
            .ok_or("DiscriminatedObjectType without baseProperties")?;
        self.properties(base, path, depth, top)?;
        let elements = entry
            .get("elements")
            .and_then(Value::as_object)
            .ok_or("DiscriminatedObjectType without elements")?;
        for element in elements.values() {
            self.walk(element, path, depth, top)?;
        }
        Ok(())
    }

    fn properties(
        &mut self,
        properties: &Map<String, Value>,
        path: &str,
        depth: usize,
        top: bool,
    ) -> Result<(), String> {
        for (name, property) in properties {
            if top && ENVELOPE.contains(&name.as_str()) {
                continue;
            }
            let child = format!("{path}/{}", escape(name));
            let flags = property
                .get("flags")
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("property {child}: no flags"))?;
            if flags & 4 != 0 {
                self.write_only.insert(child.clone());
            }
            if flags & 2 != 0 {
                // The whole subtree is read-only: do not descend.
                self.read_only.insert(child);
                continue;
            }
            let ty = property
                .get("type")
                .ok_or_else(|| format!("property {child}: no type"))?;
            self.walk(ty, &child, depth + 1, false)?;
            self.writable.insert(child);
        }
        Ok(())
    }

    fn finish(self, t: String, v: String) -> Line {
        let read_only: BTreeSet<String> =
            self.read_only.difference(&self.writable).cloned().collect();
        let ro = minimal(&read_only);
        let below_read_only = |path: &String| ro.iter().any(|r| covers(r, path));
        let wo = minimal(&self.write_only)
            .into_iter()
            .filter(|p| !below_read_only(p) || ro.contains(p))
            .collect();
        let s = minimal(&self.sensitive)
            .into_iter()
            .filter(|p| !below_read_only(p) || ro.contains(p))
            .collect();
        Line { t, v, ro, wo, s }
    }
}

fn is_sensitive(entry: &Value) -> bool {
    entry.get("sensitive").and_then(Value::as_bool) == Some(true)
}

/// JSON pointer escaping of one segment (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The paths of `set` that have no proper ancestor in `set`, sorted.
fn minimal(set: &BTreeSet<String>) -> Vec<String> {
    set.iter()
        .filter(|path| {
            let mut prefix = path.as_str();
            while let Some(cut) = prefix.rfind('/') {
                prefix = &prefix[..cut];
                if !prefix.is_empty() && set.contains(prefix) {
                    return false;
                }
            }
            true
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_matches_wildcards_descendants_and_case() {
        assert!(covers(
            "/properties/subnets/*/etag",
            "/properties/subnets/3/etag"
        ));
        assert!(covers(
            "/properties/subnets/*/etag",
            "/Properties/Subnets/0/ETag/x"
        ));
        assert!(!covers(
            "/properties/subnets/*/etag",
            "/properties/subnets/3"
        ));
        assert!(!covers("/properties/sub", "/properties/subnets"));
        assert!(!covers("/a", ""));
        assert!(covers("", "/a"));
        assert!(!covers("/a", "a"));
    }

    #[test]
    fn minimal_drops_descendants_only() {
        let set: BTreeSet<String> = ["/a", "/a/b", "/a-b", "/ab/c", "/c/*", "/c/*/d"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(minimal(&set), ["/a", "/a-b", "/ab/c", "/c/*"]);
    }
}
