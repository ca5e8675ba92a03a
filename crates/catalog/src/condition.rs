//! The condition vocabulary of assessment rules, conditional checklist items
//! and conditional template fixes, and its (three-valued) meaning.
//!
//! A condition is a small tree, written in TOML as a one-key table:
//!
//! ```toml
//! when = { all = [
//!   { property_in = { path = "/sku/name", values = ["Basic"] } },
//!   { target_region_not_in = ["westeurope"] },
//! ] }
//! ```
//!
//! Evaluation is pure: it looks only at the resource JSON handed in and at a
//! [`RuleContext`]. Anything it cannot know (a context fact the caller did not
//! supply, a property still holding an unevaluated ARM expression) yields
//! [`Truth::Unknown`] — combinators use Kleene logic — so the planner can flag
//! instead of guessing. Deciding what a hit *means* for a plan is the
//! planner's job, not this module's.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A path and a value to compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathValue {
    /// JSON pointer into the resource (`*` = every element/member).
    pub path: String,
    /// Value (strings compare case-insensitively).
    pub value: Value,
}

/// A path and a set of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathValues {
    /// JSON pointer into the resource (`*` = every element/member).
    pub path: String,
    /// Values (strings compare case-insensitively).
    pub values: Vec<Value>,
}

/// A condition over one resource and the move context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Constant (`{ always = true }`).
    Always(bool),
    /// Some value exists (non-null) at the path.
    PropertyExists(String),
    /// No value (or only null) exists at the path.
    PropertyAbsent(String),
    /// Some value at the path equals `value`.
    PropertyEquals(PathValue),
    /// Some value at the path equals one of `values`.
    PropertyIn(PathValues),
    /// Some value at the path is a string containing `value` (as a
    /// case-insensitive substring) or an array holding an element equal to it.
    PropertyContains(PathValue),
    /// Some value at the path is a number greater than `value`.
    PropertyGreaterThan(PathValue),
    /// Source and target regions are (true) / are not (false) in different
    /// geographies.
    CrossGeography(bool),
    /// Target subscription differs (true) / is the same (false).
    CrossSubscription(bool),
    /// The target region is (true) / is not (false) the source's pair.
    TargetIsPaired(bool),
    /// The target region has no (true) / has (false) availability zones.
    TargetLacksZones(bool),
    /// Target region is one of these (any spelling ARM accepts).
    TargetRegionIn(Vec<String>),
    /// Target region is none of these.
    TargetRegionNotIn(Vec<String>),
    /// (source, target) is one of these ordered pairs; a pair listed once
    /// matches both directions.
    RegionPairIn(Vec<[String; 2]>),
    /// (source, target) is none of these pairs (either direction).
    RegionPairNotIn(Vec<[String; 2]>),
    /// Every sub-condition holds (empty: true).
    All(Vec<Condition>),
    /// Some sub-condition holds (empty: false).
    Any(Vec<Condition>),
    /// The sub-condition does not hold.
    Not(Box<Condition>),
}

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided from what is known.
    Unknown,
}

impl Truth {
    fn from_bool(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    /// Whether it is [`Truth::True`].
    pub fn is_true(self) -> bool {
        self == Truth::True
    }
}

/// Facts about the move that conditions may ask about. `None` = not known.
#[derive(Debug, Clone, Default)]
pub struct RuleContext {
    /// Source region (any spelling).
    pub source_region: Option<String>,
    /// Target region (any spelling).
    pub target_region: Option<String>,
    /// Whether the regions are in different geographies.
    pub cross_geography: Option<bool>,
    /// Whether the target subscription differs from the source's.
    pub cross_subscription: Option<bool>,
    /// Whether the target is the source's paired region.
    pub target_is_paired: Option<bool>,
    /// Whether the target region has availability zones.
    pub target_has_zones: Option<bool>,
}

impl RuleContext {
    /// A context for a source/target pair, with geography, pairing and zone
    /// facts filled in from the embedded region catalog of `azrelo-arm`
    /// (left unknown where that catalog has no answer).
    pub fn for_regions(source: &str, target: &str) -> RuleContext {
        let regions = azrelo_arm::Regions::embedded();
        let target_name = regions.get(target).map(|r| r.name.clone());
        let pair = match (regions.get(source), &target_name) {
            (Some(s), Some(t)) => Some(s.paired_regions.iter().any(|p| p.eq_ignore_ascii_case(t))),
            _ => None,
        };
        let zones = regions.get(target).map(|r| r.has_zones());
        RuleContext {
            source_region: Some(source.to_string()),
            target_region: Some(target.to_string()),
            cross_geography: regions.same_geography(source, target).map(|s| !s),
            cross_subscription: None,
            target_is_paired: pair,
            target_has_zones: zones,
        }
    }
}

fn norm_region(s: &str) -> String {
    azrelo_arm::region::normalize(s)
}

/// Errors found when checking a condition's shape at load time.
pub(crate) fn validate(c: &Condition, out: &mut Vec<String>) {
    match c {
        Condition::PropertyExists(p) | Condition::PropertyAbsent(p) => check_path(p, out),
        Condition::PropertyEquals(pv) | Condition::PropertyContains(pv) => {
            check_path(&pv.path, out)
        }
        Condition::PropertyGreaterThan(pv) => {
            check_path(&pv.path, out);
            if !pv.value.is_number() {
                out.push(format!(
                    "property_greater_than on {} needs a number value",
                    pv.path
                ));
            }
        }
        Condition::PropertyIn(pv) => {
            check_path(&pv.path, out);
            if pv.values.is_empty() {
                out.push(format!("property_in on {} has no values", pv.path));
            }
        }
        Condition::TargetRegionIn(v) | Condition::TargetRegionNotIn(v) => {
            if v.is_empty() {
                out.push("region list is empty".into());
            }
        }
        Condition::RegionPairIn(v) | Condition::RegionPairNotIn(v) => {
            if v.is_empty() {
                out.push("region pair list is empty".into());
            }
        }
        Condition::All(v) | Condition::Any(v) => v.iter().for_each(|c| validate(c, out)),
        Condition::Not(c) => validate(c, out),
        Condition::Always(_)
        | Condition::CrossGeography(_)
        | Condition::CrossSubscription(_)
        | Condition::TargetIsPaired(_)
        | Condition::TargetLacksZones(_) => {}
    }
}

fn check_path(p: &str, out: &mut Vec<String>) {
    if !p.starts_with('/') || p.len() < 2 {
        out.push(format!(
            "path '{p}' must be a JSON pointer starting with '/', e.g. /properties/sku/name"
        ));
    }
}

/// Values at a JSON pointer with `*` wildcards (`~0`/`~1` escapes as RFC 6901).
pub fn select<'v>(root: &'v Value, path: &str) -> Vec<&'v Value> {
    select_walk(root, path).0
}

/// A resource as conditions see it: its top-level members in ARM GET shape
/// (`id`, `name`, `type`, `location`, `sku`, `kind`, `zones`, `identity`,
/// `properties`, `tags`, …). Implemented for a JSON value; a caller holding a
/// typed record implements it to avoid building a JSON copy per resource.
pub trait ResourceView {
    /// The member with this name (ARM names are case-insensitive).
    fn member(&self, name: &str) -> Option<&Value>;
    /// Every member (for a leading `*` segment).
    fn members(&self) -> Vec<&Value> {
        Vec::new()
    }
}

impl ResourceView for Value {
    fn member(&self, name: &str) -> Option<&Value> {
        let m = self.as_object()?;
        m.get(name).or_else(|| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    }

    fn members(&self) -> Vec<&Value> {
        match self {
            Value::Object(m) => m.values().collect(),
            _ => Vec::new(),
        }
    }
}

fn unescape(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('~') {
        raw.replace("~1", "/").replace("~0", "~").into()
    } else {
        raw.into()
    }
}

/// [`select`], and whether an unevaluated expression stood in the way before
/// the end of the path (e.g. `/properties` itself is `"[parameters('p')]"`).
/// One walk, no allocation per segment unless it holds an escape.
fn select_walk<'v>(root: &'v Value, path: &str) -> (Vec<&'v Value>, bool) {
    walk_from(vec![root], path.split('/').skip(1))
}

/// The same walk starting at a view's top-level member.
fn select_view<'v>(root: &'v dyn ResourceView, path: &str) -> (Vec<&'v Value>, bool) {
    let mut segs = path.split('/').skip(1);
    let Some(first) = segs.next() else {
        return (Vec::new(), false);
    };
    let first = unescape(first);
    let start: Vec<&Value> = if first == "*" {
        root.members()
    } else {
        root.member(&first).into_iter().collect()
    };
    if start.is_empty() {
        return (start, false);
    }
    walk_from(start, segs)
}

fn walk_from<'v, 'p>(
    mut cur: Vec<&'v Value>,
    segs: impl Iterator<Item = &'p str>,
) -> (Vec<&'v Value>, bool) {
    let mut blocked = false;
    for raw in segs {
        if cur.iter().any(|v| is_expression(v)) {
            blocked = true;
        }
        let seg = unescape(raw);
        let seg: &str = &seg;
        let mut next = Vec::new();
        for v in cur {
            match v {
                Value::Object(m) if seg == "*" => next.extend(m.values()),
                Value::Array(a) if seg == "*" => next.extend(a.iter()),
                Value::Object(m) => {
                    // ARM property names are case-insensitive.
                    if let Some(x) = m.get(seg) {
                        next.push(x);
                    } else if let Some((_, x)) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(seg))
                    {
                        next.push(x);
                    }
                }
                Value::Array(a) => {
                    if let Some(x) = seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                        next.push(x);
                    }
                }
                _ => {}
            }
        }
        cur = next;
        if cur.is_empty() {
            break;
        }
    }
    (cur, blocked)
}

fn is_expression(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.starts_with('[') && !s.starts_with("[["))
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Any-match over the selected values; `Unknown` when nothing matched but an
/// unevaluated expression was seen on the way.
fn any_value(resource: &dyn ResourceView, path: &str, f: impl Fn(&Value) -> bool) -> Truth {
    let (vals, blocked) = select_view(resource, path);
    let mut unknown = blocked;
    for v in vals {
        if is_expression(v) {
            unknown = true;
        } else if f(v) {
            return Truth::True;
        }
    }
    if unknown {
        Truth::Unknown
    } else {
        Truth::False
    }
}

fn fact(f: Option<bool>, want: bool) -> Truth {
    match f {
        Some(b) => Truth::from_bool(b == want),
        None => Truth::Unknown,
    }
}

impl Condition {
    /// Evaluate against a resource (template or ARM GET shape) and context.
    pub fn evaluate(&self, resource: &Value, ctx: &RuleContext) -> Truth {
        self.evaluate_view(resource, ctx)
    }

    /// [`Condition::evaluate`] over any [`ResourceView`].
    pub fn evaluate_view(&self, resource: &dyn ResourceView, ctx: &RuleContext) -> Truth {
        match self {
            Condition::Always(b) => Truth::from_bool(*b),
            Condition::PropertyExists(p) => any_value(resource, p, |v| !v.is_null()),
            Condition::PropertyAbsent(p) => any_value(resource, p, |v| !v.is_null()).not(),
            Condition::PropertyEquals(pv) => {
                any_value(resource, &pv.path, |v| values_equal(v, &pv.value))
            }
            Condition::PropertyIn(pv) => any_value(resource, &pv.path, |v| {
                pv.values.iter().any(|w| values_equal(v, w))
            }),
            Condition::PropertyContains(pv) => {
                any_value(resource, &pv.path, |v| match (v, &pv.value) {
                    (Value::String(s), Value::String(w)) => {
                        s.to_ascii_lowercase().contains(&w.to_ascii_lowercase())
                    }
                    (Value::Array(a), w) => a.iter().any(|x| values_equal(x, w)),
                    _ => false,
                })
            }
            Condition::PropertyGreaterThan(pv) => any_value(resource, &pv.path, |v| {
                match (v.as_f64(), pv.value.as_f64()) {
                    (Some(x), Some(y)) => x > y,
                    _ => false,
                }
            }),
            Condition::CrossGeography(b) => fact(ctx.cross_geography, *b),
            Condition::CrossSubscription(b) => fact(ctx.cross_subscription, *b),
            Condition::TargetIsPaired(b) => fact(ctx.target_is_paired, *b),
            Condition::TargetLacksZones(b) => fact(ctx.target_has_zones.map(|z| !z), *b),
            Condition::TargetRegionIn(list) => match &ctx.target_region {
                Some(t) => {
                    let t = norm_region(t);
                    Truth::from_bool(list.iter().any(|r| norm_region(r) == t))
                }
                None => Truth::Unknown,
            },
            Condition::TargetRegionNotIn(list) => Condition::TargetRegionIn(list.clone())
                .evaluate_view(resource, ctx)
                .not(),
            Condition::RegionPairIn(pairs) => match (&ctx.source_region, &ctx.target_region) {
                (Some(s), Some(t)) => {
                    let (s, t) = (norm_region(s), norm_region(t));
                    Truth::from_bool(pairs.iter().any(|[a, b]| {
                        let (a, b) = (norm_region(a), norm_region(b));
                        (a == s && b == t) || (a == t && b == s)
                    }))
                }
                _ => Truth::Unknown,
            },
            Condition::RegionPairNotIn(pairs) => Condition::RegionPairIn(pairs.clone())
                .evaluate_view(resource, ctx)
                .not(),
            Condition::All(cs) => {
                let mut acc = Truth::True;
                for c in cs {
                    match c.evaluate_view(resource, ctx) {
                        Truth::False => return Truth::False,
                        Truth::Unknown => acc = Truth::Unknown,
                        Truth::True => {}
                    }
                }
                acc
            }
            Condition::Any(cs) => {
                let mut acc = Truth::False;
                for c in cs {
                    match c.evaluate_view(resource, ctx) {
                        Truth::True => return Truth::True,
                        Truth::Unknown => acc = Truth::Unknown,
                        Truth::False => {}
                    }
                }
                acc
            }
            Condition::Not(c) => c.evaluate_view(resource, ctx).not(),
        }
    }
}
