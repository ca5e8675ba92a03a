//! Time-boxed fuzzing of the evaluator on the stable toolchain (the
//! cargo-fuzz targets under `fuzz/` need nightly).
//!
//! For `AZRELO_FUZZ_SECONDS` (default 3; CI runs it longer) it throws
//! generated input at the parser and the engine and asserts that nothing
//! panics, that memory stays bounded (peak RSS under 1 GiB, checked at the
//! end) and that hostile input ends in errors, not aborts (a stack overflow
//! or an allocation failure would kill the process and fail the test). The
//! inputs are:
//!
//! * expressions built from the grammar (every built-in function name,
//!   string and integer literals, member and index access, user function
//!   calls, lambdas) evaluated as template outputs;
//! * expressions and templates of the corpus (`../shared/corpus`), mutated:
//!   spliced, cut, duplicated, with literals and names swapped;
//! * template JSON text with byte-level mutations for the lenient parser.
//!
//! `AZRELO_FUZZ_SEED` replays a run (the seed is printed). A panicking
//! input is written to `target/fuzz-failures/` and printed.

mod peak;

use azrelo_template::eval::function_names;
use azrelo_template::{ExpandOptions, Limits, Template, expand};
use serde_json::{Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the corpus gives the generators.
struct Seeds {
    functions: Vec<&'static str>,
    expressions: Vec<String>,
    templates: Vec<Value>,
}

fn collect_expressions(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[") => {
            out.push(s[1..s.len() - 1].to_string())
        }
        Value::Array(a) => a.iter().for_each(|x| collect_expressions(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_expressions(x, out)),
        _ => {}
    }
}

fn seeds() -> Seeds {
    let mut files = Vec::new();
    azrelo_testkit::files_named(
        &azrelo_testkit::corpus("quickstarts"),
        &["azuredeploy.json"],
        &mut files,
    );
    // Every 16th quickstart, all function examples and a few AVM modules.
    let mut chosen: Vec<_> = files.into_iter().step_by(16).collect();
    azrelo_testkit::files_named(
        &azrelo_testkit::corpus("arm-functions"),
        &["template.json"],
        &mut chosen,
    );
    let mut avm = Vec::new();
    azrelo_testkit::files_named(
        &azrelo_testkit::corpus("avm-modules"),
        &["main.json"],
        &mut avm,
    );
    chosen.extend(avm.into_iter().step_by(20));
    let mut expressions = Vec::new();
    let mut templates = Vec::new();
    for f in chosen {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if let Ok(doc) = azrelo_template::json::parse(&text, "seed") {
            collect_expressions(&doc, &mut expressions);
            templates.push(doc);
        }
    }
    Seeds {
        functions: function_names(),
        expressions,
        templates,
    }
}

/// An expression from the grammar, `depth` levels deep at most.
fn gen_expr(r: &mut Rng, s: &Seeds, depth: usize) -> String {
    let leaf = |r: &mut Rng| -> String {
        match r.below(7) {
            0 => format!("'{}'", gen_text(r).replace('\'', "''")),
            1 => r
                .pick(&[
                    "0",
                    "1",
                    "-1",
                    "800",
                    "801",
                    "10000",
                    "9223372036854775807",
                    "-9223372036854775808",
                ])
                .to_string(),
            2 => format!(
                "parameters('{}')",
                r.pick(&["p", "s", "arr", "obj", "missing"])
            ),
            3 => format!("variables('{}')", r.pick(&["v", "big", "missing"])),
            4 => r
                .pick(&[
                    "true()",
                    "false()",
                    "null()",
                    "json('null')",
                    "createArray()",
                    "createObject()",
                    "copyIndex()",
                ])
                .to_string(),
            5 => "lambdaVariables('x')".to_string(),
            _ => format!(
                "'{}'",
                r.pick(&[
                    "a",
                    "",
                    "10.0.0.0/16",
                    "fdad::/48",
                    "{0}-{1}",
                    "2024-01-01T00:00:00Z",
                    "P1D",
                    "[x]",
                    "{'a': 1}"
                ])
            ),
        }
    };
    if depth == 0 || r.chance(30) {
        return leaf(r);
    }
    let args = |r: &mut Rng| -> Vec<String> {
        (0..r.below(4)).map(|_| gen_expr(r, s, depth - 1)).collect()
    };
    let mut e = match r.below(10) {
        0 => format!(
            "{}(lambda('x', {}))",
            r.pick(&["filter", "map", "sort", "toObject", "groupBy", "mapValues"]),
            gen_expr(r, s, depth - 1)
        ),
        1 => format!("ns.f({})", args(r).join(", ")),
        2 => format!(
            "reference('{}', '2022-09-01', 'Full')",
            r.pick(&["nested", "x"])
        ),
        _ => format!("{}({})", r.pick(&s.functions), args(r).join(", ")),
    };
    if r.chance(20) {
        let tail: &&str = r.pick(&[
            ".a",
            "[0]",
            ".properties",
            "['x']",
            "[-1]",
            ".outputs.o.value",
        ]);
        e.push_str(tail);
    }
    e
}

fn gen_text(r: &mut Rng) -> String {
    let n = r.below(12);
    (0..n)
        .map(|_| {
            *r.pick(&[
                'a', 'Z', '0', ' ', '\'', '"', '{', '}', '[', ']', ',', ':', '/', '\\', 'é', '\n',
            ])
        })
        .collect()
}

/// Mutate text: cut, duplicate, splice from another seed, flip a byte.
fn mutate(r: &mut Rng, text: &str, other: &str) -> String {
    let mut b: Vec<char> = text.chars().collect();
    for _ in 0..1 + r.below(3) {
        let len = b.len().max(1);
        let (i, j) = {
            let a = r.below(len);
            let c = r.below(len);
            (a.min(c), a.max(c).min(b.len()))
        };
        match r.below(5) {
            0 if i < j => {
                b.drain(i..j);
            }
            1 if i < j => {
                let dup: Vec<char> = b[i..j].to_vec();
                b.splice(j..j, dup);
            }
            2 => {
                let o: Vec<char> = other.chars().collect();
                let k = r.below(o.len().max(1)).min(o.len());
                b.splice(
                    i.min(b.len())..i.min(b.len()),
                    o[k..].iter().take(40).copied(),
                );
            }
            3 if !b.is_empty() => {
                let at = i.min(b.len() - 1);
                b[at] = *r.pick(&['(', ')', '\'', ',', '.', '[', ']', '"', '{', '}', '0', 'x']);
            }
            _ => b.insert(
                i.min(b.len()),
                *r.pick(&['(', ')', '\'', ',', '.', '[', ']']),
            ),
        }
    }
    b.into_iter().collect()
}

/// A template around generated outputs, with parameters, variables and a
/// user function for the expressions to use.
fn expression_template(exprs: &[String]) -> Value {
    let outputs: serde_json::Map<String, Value> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                format!("o{i}"),
                json!({"type": "object", "value": format!("[{e}]")}),
            )
        })
        .collect();
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {"p": {"type": "string", "defaultValue": "x"},
                       "s": {"type": "securestring", "defaultValue": "secret"},
                       "arr": {"type": "array", "defaultValue": [1, "a", {"b": [2]}]},
                       "obj": {"type": "object", "defaultValue": {"a": {"b": "c"}, "n": 1}}},
        "variables": {"v": "[concat(parameters('p'), 'y')]", "big": "[range(0, 1000)]"},
        "functions": [{"namespace": "ns", "members": {"f": {"parameters": [{"name": "a", "type": "string"}],
            "output": {"type": "string", "value": "[concat('f', string(parameters('a')))]"}}}}],
        "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "nested",
            "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                "template": {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    "resources": [], "outputs": {"o": {"type": "string", "value": "n"}}}}}],
        "outputs": outputs
    })
}

/// Replace a random string leaf (or insert a copy loop) in a template.
fn mutate_tree(r: &mut Rng, v: &mut Value, s: &Seeds, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    match v {
        Value::String(x) if r.chance(5) => {
            *budget = budget.saturating_sub(1);
            *x = if r.chance(50) {
                format!("[{}]", gen_expr(r, s, 3))
            } else {
                let other = r.pick(&s.expressions).clone();
                format!("[{}]", mutate(r, x, &other))
            };
        }
        Value::Array(a) => {
            if !a.is_empty() && r.chance(3) {
                *budget = budget.saturating_sub(1);
                let i = r.below(a.len());
                let dup = a[i].clone();
                a.push(dup);
            }
            for x in a.iter_mut() {
                mutate_tree(r, x, s, budget);
            }
        }
        Value::Object(o) => {
            if r.chance(2) {
                *budget = budget.saturating_sub(1);
                o.insert(
                    "copy".into(),
                    json!({"name": "c", "count": r.below(1000), "input": "[copyIndex()]"}),
                );
            }
            if r.chance(2) {
                *budget = budget.saturating_sub(1);
                o.insert(
                    "condition".into(),
                    json!(format!("[{}]", gen_expr(r, s, 2))),
                );
            }
            for x in o.values_mut() {
                mutate_tree(r, x, s, budget);
            }
        }
        _ => {}
    }
}

/// Tight limits so each case stays small and fast.
fn limits() -> Limits {
    Limits {
        max_value_bytes: 1 << 20,
        max_evaluated_bytes: 16 << 20,
        max_steps: 200_000,
        ..Limits::default()
    }
}

/// How far inputs got: not parsed, parsed, expanded.
#[derive(Debug, Default)]
struct Reached {
    unparsed: u64,
    failed: u64,
    expanded: u64,
}

/// Parse and expand one input; a panic is a failure (returned as text).
fn run_case(text: &str, reached: &mut Reached) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| {
        let _ = azrelo_template::expr::parse(text);
        match Template::parse(text, "fuzz.json") {
            Ok(t) => {
                let opts = ExpandOptions {
                    limits: limits(),
                    missing_parameters: azrelo_template::MissingParameters::Symbolic,
                    ..Default::default()
                };
                match expand(&t, &opts) {
                    Ok(_) => reached.expanded += 1,
                    Err(_) => reached.failed += 1,
                }
            }
            Err(_) => reached.unparsed += 1,
        }
    }))
    .map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn the_evaluator_survives_generated_and_mutated_input() {
    let seconds: u64 = std::env::var("AZRELO_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("AZRELO_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("fuzz: {seconds} s, AZRELO_FUZZ_SEED={seed}");
    let s = seeds();
    assert!(s.expressions.len() > 100 && !s.templates.is_empty());
    let mut r = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut failures = Vec::new();
    let mut cases = 0u64;
    let mut reached = Reached::default();
    while Instant::now() < deadline && failures.len() < 5 {
        let input = match r.below(4) {
            0 => {
                let exprs: Vec<String> = (0..1 + r.below(4))
                    .map(|_| gen_expr(&mut r, &s, 4))
                    .collect();
                expression_template(&exprs).to_string()
            }
            1 => {
                let exprs: Vec<String> = (0..1 + r.below(4))
                    .map(|_| {
                        let a = r.pick(&s.expressions).clone();
                        let b = r.pick(&s.expressions).clone();
                        mutate(&mut r, &a, &b)
                    })
                    .collect();
                expression_template(&exprs).to_string()
            }
            2 => {
                let mut t = r.pick(&s.templates).clone();
                let mut budget = 1 + r.below(6);
                mutate_tree(&mut r, &mut t, &s, &mut budget);
                t.to_string()
            }
            _ => {
                let a = r.pick(&s.templates).to_string();
                let b = r.pick(&s.templates).to_string();
                let cut: String = a.chars().take(20_000).collect();
                mutate(&mut r, &cut, &b)
            }
        };
        cases += 1;
        if let Err(panic) = run_case(&input, &mut reached) {
            let dir =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{seed}-{cases}.json"));
            let _ = std::fs::write(&file, &input);
            failures.push(format!("{panic} (input saved to {})", file.display()));
        }
    }
    let rss = peak::peak_rss_kib();
    println!(
        "fuzz: {cases} cases ({reached:?}), peak RSS {:?} MiB",
        rss.map(|k| k / 1024)
    );
    assert!(failures.is_empty(), "panics:\n{}", failures.join("\n"));
    // The generators reach the evaluator, both ways.
    assert!(reached.expanded > 0 && reached.failed > 0, "{reached:?}");
    if let Some(kib) = rss {
        assert!(kib < 1024 * 1024, "peak RSS {kib} KiB");
    }
}
