//! Every id-looking string in `../shared/corpus` parses and round-trips.
//!
//! The scanner runs over every string value of every JSON file (and over the
//! raw text of the few files a strict JSON parser rejects: comments, trailing
//! commas, raw newlines — ARM accepts them). Every match must parse, display in
//! its original spelling and compare equal to its re-parse and to a re-cased
//! copy.

use azrelo_arm::id::ResourceId;
use azrelo_arm::scan::find_resource_ids;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                out.push(k);
                strings(x, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_id_in_the_corpus_parses_and_round_trips() {
    let root = corpus_root();
    assert!(root.is_dir(), "corpus not found at {}", root.display());
    let mut files = Vec::new();
    json_files(&root, &mut files);
    assert!(
        files.len() > 3000,
        "expected the full corpus, found {} files",
        files.len()
    );

    let (mut found, mut lenient_files) = (0usize, 0usize);
    let mut distinct: HashSet<ResourceId> = HashSet::new();
    let mut check = |text: &str, file: &Path| {
        for m in find_resource_ids(text) {
            let id = ResourceId::parse(m.text).unwrap_or_else(|e| {
                panic!(
                    "{}: scanner match {:?} does not parse: {e}",
                    file.display(),
                    m.text
                )
            });
            assert_eq!(
                id.as_str(),
                m.text,
                "display must keep the original spelling"
            );
            assert_eq!(id.to_string(), m.text);
            let again = ResourceId::parse(&id.to_string()).unwrap();
            assert_eq!(again, id);
            let upper = ResourceId::parse(&m.text.to_ascii_uppercase()).unwrap();
            assert_eq!(upper, id, "case-insensitive equality");
            assert_eq!(upper.kind(), id.kind());
            found += 1;
            distinct.insert(id);
        }
    };
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => {
                let mut ss = Vec::new();
                strings(&v, &mut ss);
                for s in ss {
                    check(s, f);
                }
            }
            Err(_) => {
                lenient_files += 1;
                check(&text, f);
            }
        }
    }
    println!(
        "corpus: {} files ({} scanned as raw text), {} id-looking strings, {} distinct ids",
        files.len(),
        lenient_files,
        found,
        distinct.len()
    );
    // The corpus is fixed; these floors catch a scanner that silently stops finding ids.
    assert!(found >= 280, "only {found} ids found (301 when written)");
}
