//! Property tests: generated ids of every form round-trip through parse and
//! display, compare equal across case changes, and are found by the scanner
//! wherever they are embedded.

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::scan::find_resource_ids;
use proptest::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

fn name() -> impl Strategy<Value = String> {
    // Names as ARM allows them in ids: no '/', no boundary characters, and
    // (for the scanner, which drops sentence punctuation) not ending in '.'.
    "[A-Za-z0-9]([A-Za-z0-9._;%-]{0,19}[A-Za-z0-9_-])?"
        .prop_filter("not a keyword", |s| !s.eq_ignore_ascii_case("providers"))
}

fn namespace() -> impl Strategy<Value = String> {
    "[A-Z][a-z]{1,8}\\.[A-Z][A-Za-z]{1,12}"
}

fn typ() -> impl Strategy<Value = String> {
    "[a-z][A-Za-z]{1,15}".prop_filter("not a keyword", |s| !s.eq_ignore_ascii_case("providers"))
}

fn block() -> impl Strategy<Value = String> {
    (namespace(), prop::collection::vec((typ(), name()), 1..4)).prop_map(|(ns, pairs)| {
        let mut s = format!("/providers/{ns}");
        for (t, n) in pairs {
            s.push_str(&format!("/{t}/{n}"));
        }
        s
    })
}

fn scope() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        name().prop_map(|m| format!("/providers/Microsoft.Management/managementGroups/{m}")),
        name().prop_map(|s| format!("/subscriptions/{s}")),
        (name(), name()).prop_map(|(s, g)| format!("/subscriptions/{s}/resourceGroups/{g}")),
    ]
}

fn any_id() -> impl Strategy<Value = String> {
    (scope(), prop::collection::vec(block(), 0..3)).prop_filter_map("not empty", |(sc, blocks)| {
        let s = format!("{sc}{}", blocks.concat());
        (!s.is_empty()).then_some(s)
    })
}

fn hash<T: Hash>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

proptest! {
    #[test]
    fn parse_display_round_trip(s in any_id()) {
        let id = ResourceId::parse(&s).unwrap();
        prop_assert_eq!(id.to_string(), s.clone());
        let again = ResourceId::parse(&id.to_string()).unwrap();
        prop_assert_eq!(&again, &id);
        prop_assert_eq!(again.kind(), id.kind());
        prop_assert_eq!(again.resource_type(), id.resource_type());
    }

    #[test]
    fn case_changes_compare_and_hash_equal(s in any_id()) {
        let id = ResourceId::parse(&s).unwrap();
        let up = ResourceId::parse(&s.to_ascii_uppercase()).unwrap();
        let low = ResourceId::parse(&s.to_ascii_lowercase()).unwrap();
        prop_assert_eq!(&up, &id);
        prop_assert_eq!(&low, &id);
        prop_assert_eq!(hash(&up), hash(&id));
        prop_assert_eq!(up.cmp(&low), std::cmp::Ordering::Equal);
    }

    #[test]
    fn parents_are_prefixes_and_terminate(s in any_id()) {
        let mut id = ResourceId::parse(&s).unwrap();
        let mut steps = 0;
        while let Some(p) = id.parent() {
            prop_assert!(id.is_within(&p), "{} not within {}", id, p);
            prop_assert!(p.as_str().len() < id.as_str().len() || p.kind() == IdKind::Tenant);
            id = p;
            steps += 1;
            prop_assert!(steps < 64);
        }
    }

    #[test]
    fn scanner_finds_embedded_ids(
        s in any_id().prop_filter("scanner needs a subscription or tenant-level start", |s| s.starts_with("/subscriptions/") || s.starts_with("/providers/")),
        before in "[ a-z:\"'(,]{0,12}",
        after in "[ ?#\"',)][a-z =&]{0,12}",
    ) {
        let text = format!("{before}{s}{after}");
        let found: Vec<&str> = find_resource_ids(&text).map(|m| m.text).collect();
        // An id glued to a preceding word byte (`a/subscriptions/…`, a path
        // segment of something else) is deliberately not matched; see rule 2
        // of the scanner's module docs.
        let glued = before.as_bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
        // Rule 1: a whole string that parses as an id is one match, even when
        // the text after the id reads like part of a name (`…/groups/0 a`,
        // `…/rg(prod)`), so after a space or `)` either reading is right.
        let may_be_whole = before.is_empty()
            && after.starts_with([' ', ')'])
            && ResourceId::parse(&text).is_ok();
        if may_be_whole {
            prop_assert!(found == vec![s.as_str()] || found == vec![text.as_str()], "{:?}", found);
        } else if !glued {
            prop_assert_eq!(found, vec![s.as_str()]);
        }
    }

    #[test]
    fn scanner_never_panics_and_matches_parse(text in "[ -~]{0,200}") {
        for m in find_resource_ids(&text) {
            prop_assert!(ResourceId::parse(m.text).is_ok());
            prop_assert_eq!(&text[m.range.clone()], m.text);
        }
    }
}
