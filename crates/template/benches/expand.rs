//! Expanding the whole quickstarts corpus (838 templates with their
//! parameter files): `cargo bench -p azrelo-template --bench expand`.
//!
//! Files are read and parameters prepared outside the timed loop; the loop
//! times lenient parsing plus expansion, single-threaded.

use azrelo_template::{ExpandOptions, Template, expand};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

struct Case {
    text: String,
    name: String,
    opts: ExpandOptions,
}

fn cases() -> Vec<Case> {
    let root = azrelo_testkit::corpus("quickstarts");
    let mut files = Vec::new();
    azrelo_testkit::files_named(&root, &["azuredeploy.json", "main.json"], &mut files);
    files
        .into_iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).ok()?;
            let rel = f.strip_prefix(&root).ok()?.display().to_string();
            let tpl = Template::parse(&text, &rel).ok()?;
            let dir = f.parent()?.to_path_buf();
            let mut params = ["azuredeploy.parameters.json", "main.parameters.json"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.exists())
                .map(|p| azrelo_testkit::parameters_file(&p))
                .unwrap_or_default();
            azrelo_testkit::supply_required(&tpl.doc, &mut params, false);
            Some(Case {
                text,
                name: rel.clone(),
                opts: ExpandOptions {
                    parameters: params,
                    base_dir: Some(dir),
                    template_link: Some(format!("https://example.invalid/{rel}")),
                    ..Default::default()
                },
            })
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cases = cases();
    let mut g = c.benchmark_group("quickstarts");
    g.sample_size(10);
    g.bench_function(format!("parse_and_expand_{}_templates", cases.len()), |b| {
        b.iter(|| {
            let mut resources = 0;
            for case in &cases {
                if let Ok(t) = Template::parse(&case.text, &case.name)
                    && let Ok(x) = expand(&t, &case.opts)
                {
                    resources += x.resources.len();
                }
            }
            black_box(resources)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
