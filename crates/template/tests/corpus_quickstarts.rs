//! Robustness: every quickstart template expands offline without error,
//! except those listed (with a specific reason each) in
//! `tests/expectations/quickstarts.txt`.

mod peak;

use azrelo_template::{ExpandOptions, Template, expand};

#[test]
fn every_quickstart_expands() {
    let root = azrelo_testkit::corpus("quickstarts");
    let mut files = Vec::new();
    azrelo_testkit::files_named(&root, &["azuredeploy.json", "main.json"], &mut files);
    assert!(files.len() > 800, "found only {} templates", files.len());
    let expected = azrelo_testkit::expectations(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/expectations/quickstarts.txt"),
    );
    let mut peak = peak::Peak::default();
    let mut failures: Vec<(String, String)> = Vec::new();
    let (mut resources, mut ok) = (0usize, 0usize);
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let tpl = match Template::parse(&text, &rel) {
            Ok(t) => t,
            Err(e) => {
                failures.push((rel, e.to_string()));
                continue;
            }
        };
        let dir = f.parent().unwrap();
        let pfile = ["azuredeploy.parameters.json", "main.parameters.json"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.exists());
        let mut params = pfile
            .map(|p| azrelo_testkit::parameters_file(&p))
            .unwrap_or_default();
        azrelo_testkit::supply_required(&tpl.doc, &mut params, false);
        // The quickstarts are deployed by link from GitHub (their CI does so),
        // which is what `deployment().properties.templateLink.uri` expects.
        let opts = ExpandOptions {
            parameters: params,
            base_dir: Some(dir.to_path_buf()),
            template_link: Some(format!(
                "https://raw.githubusercontent.com/Azure/azure-quickstart-templates/master/quickstarts/{rel}"
            )),
            ..Default::default()
        };
        match expand(&tpl, &opts) {
            Ok(x) => {
                ok += 1;
                resources += x.resources.len();
                peak.record(x.usage, &rel);
            }
            Err(e) => failures.push((rel, e.to_string())),
        }
    }
    println!(
        "quickstarts: {ok}/{} templates expand ({resources} resources); {} listed in expectations",
        files.len(),
        expected.len()
    );
    peak.assert_headroom("quickstarts");
    let mismatch = azrelo_testkit::expectation_mismatch(&failures, &expected);
    assert!(mismatch.is_empty(), "{mismatch}");
    assert!(
        expected.len() * 100 <= files.len(),
        "more than 1% of the corpus is excused"
    );
}
