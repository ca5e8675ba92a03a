//! Property tests for the expression parser: printing a parsed expression and
//! parsing it again gives the same tree; arbitrary input never panics.

use azrelo_template::expr::{self, Expr};
use proptest::prelude::*;

fn strip(e: &Expr) -> String {
    // Spans differ between the generated and the printed text; compare printed forms.
    e.to_string()
}

fn arb_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-zA-Z0-9 ,.''-]{0,12}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        any::<i32>().prop_map(|i| i.to_string()),
        Just("true()".to_string()),
        "[a-z]{1,8}".prop_map(|n| format!("parameters('{n}')")),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            ("[a-zA-Z]{1,10}", prop::collection::vec(inner.clone(), 0..4))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (inner.clone(), "[a-zA-Z][a-zA-Z0-9]{0,6}").prop_map(|(e, p)| format!("{e}.{p}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}[{b}]")),
            (
                "[a-z]{1,5}",
                "[a-z]{1,5}",
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(|(ns, f, args)| format!("{ns}.{f}({})", args.join(", "))),
        ]
    })
}

proptest! {
    #[test]
    fn print_parse_round_trip(src in arb_expr()) {
        if let Ok(e) = expr::parse(&src) {
            let printed = strip(&e);
            let again = expr::parse(&printed).unwrap();
            prop_assert_eq!(strip(&again), printed);
        }
    }

    #[test]
    fn generated_calls_always_parse(src in arb_expr()) {
        prop_assert!(expr::parse(&src).is_ok(), "{}", src);
    }

    #[test]
    fn garbage_never_panics(src in "\\PC{0,200}") {
        let _ = expr::parse(&src);
        let _ = azrelo_template::json::parse(&src, "fuzz");
    }
}
