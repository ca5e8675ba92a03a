//! Every quickstart template (parameters filled as the quickstarts' CI does)
//! deployed through the emulator's deployments API into a fresh resource
//! group. Prints the pass rate and the reasons of failures
//! (`cargo test -p azrelo-emulator --test quickstarts -- --nocapture`) and
//! guards it.

use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use azrelo_emulator::{Emulator, router};
use serde_json::{Value, json};
use tower::ServiceExt;

#[path = "../../template/tests/common/mod.rs"]
mod common;

async fn call(em: &Emulator, method: &str, path: &str, body: Value) -> Value {
    let req = Request::builder()
        .method(method)
        .uri(format!("{path}?api-version=2022-09-01"))
        .header("authorization", "Bearer test")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = router(em.clone()).oneshot(req).await.unwrap();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn short(d: &Path) -> String {
    d.strip_prefix(d.parent().and_then(Path::parent).unwrap())
        .unwrap()
        .display()
        .to_string()
}

/// Deploy `prereqs/prereq.azuredeploy.json` when the quickstart has one;
/// its outputs (name → value).
async fn deploy_prereq(
    em: &Emulator,
    rg: &str,
    d: &Path,
) -> Result<serde_json::Map<String, Value>, String> {
    let t = d.join("prereqs/prereq.azuredeploy.json");
    if !t.exists() {
        return Ok(Default::default());
    }
    let text = std::fs::read_to_string(&t).map_err(|e| e.to_string())?;
    let doc = azrelo_template::json::parse(&text, "prereq.azuredeploy.json")
        .map_err(|e| e.to_string())?;
    let pf = d.join("prereqs/prereq.azuredeploy.parameters.json");
    let mut params = if pf.exists() {
        common::parameters_file(&pf)
    } else {
        Default::default()
    };
    common::supply_required(&doc, &mut params, false);
    let parameters: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, json!({"value": v})))
        .collect();
    let r = call(
        em,
        "PUT",
        &format!("{rg}/providers/Microsoft.Resources/deployments/prereq"),
        json!({"properties": {"mode": "Incremental", "template": doc, "parameters": parameters}}),
    )
    .await;
    if r["properties"]["provisioningState"] != "Succeeded" {
        return Err(r["properties"]["error"].to_string());
    }
    Ok(r["properties"]["outputs"]
        .as_object()
        .cloned()
        .unwrap_or_default())
}

/// Parameters whose sample value is `GET-PREREQ-<output>`, from the outputs.
fn prereq_values(
    params_file: &Path,
    outputs: &serde_json::Map<String, Value>,
) -> Vec<(String, Value)> {
    let Ok(text) = std::fs::read_to_string(params_file) else {
        return Vec::new();
    };
    let Ok(doc) = azrelo_template::json::parse(&text, "azuredeploy.parameters.json") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in doc["parameters"].as_object().into_iter().flatten() {
        if let Some(name) = v["value"]
            .as_str()
            .and_then(|s| s.strip_prefix("GET-PREREQ-"))
            && let Some((_, o)) = outputs.iter().find(|(o, _)| o.eq_ignore_ascii_case(name))
        {
            out.push((k.clone(), o["value"].clone()));
        }
    }
    out
}

#[tokio::test]
async fn quickstarts_deploy_through_the_deployments_api() {
    let sub = "/subscriptions/00000000-0000-0000-0000-0000000000e2";
    let (mut total, mut ok) = (0, 0);
    let mut failures: Vec<String> = Vec::new();
    for (i, d) in common::quickstart_dirs().iter().enumerate() {
        let text = std::fs::read_to_string(d.join("azuredeploy.json")).unwrap();
        let Ok(doc) = azrelo_template::json::parse(&text, "azuredeploy.json") else {
            continue;
        };
        // A fresh cloud per quickstart: their generated names repeat.
        let em = Emulator::new();
        let rg = format!("{sub}/resourceGroups/rg-qs-{i}");
        call(&em, "PUT", &rg, json!({"location": "westeurope"})).await;
        // Prerequisites first, as the quickstarts' CI does: their outputs
        // fill the main template's GET-PREREQ-* parameters.
        let prereq_outputs = match deploy_prereq(&em, &rg, d).await {
            Ok(o) => o,
            Err(why) => {
                total += 1;
                failures.push(format!("{}: prerequisites: {why}", short(d)));
                continue;
            }
        };
        let pf = d.join("azuredeploy.parameters.json");
        let params = common::quickstart_parameters(&pf, &doc, prereq_values(&pf, &prereq_outputs));
        let parameters: serde_json::Map<String, Value> = params
            .into_iter()
            .map(|(k, v)| (k, json!({"value": v})))
            .collect();
        let dep = format!("{rg}/providers/Microsoft.Resources/deployments/qs");
        let r = call(
            &em,
            "PUT",
            &dep,
            json!({"properties": {"mode": "Incremental", "template": doc, "parameters": parameters}}),
        )
        .await;
        total += 1;
        if r["properties"]["provisioningState"] == "Succeeded" {
            ok += 1;
        } else {
            let e = &r["properties"]["error"];
            let why = e["details"][0]["code"]
                .as_str()
                .or(e["code"].as_str())
                .unwrap_or("?")
                .to_string();
            let msg = e["details"][0]["message"]
                .as_str()
                .or(e["message"].as_str())
                .unwrap_or("")
                .to_string();
            failures.push(format!(
                "{}: {why}: {}",
                d.strip_prefix(d.parent().and_then(Path::parent).unwrap())
                    .unwrap()
                    .display(),
                msg.chars().take(160).collect::<String>()
            ));
        }
    }
    let rate = ok as f64 * 100.0 / total as f64;
    println!("quickstarts deployed on the emulator: {ok}/{total} ({rate:.1}%)");
    for f in &failures {
        println!("  {f}");
    }
    assert!(total > 800);
    assert!(rate >= FLOOR, "{rate:.1}% < {FLOOR}%");
}

/// The pass rate measured when this guard was set: 734/826 (88.9%) with
/// prerequisites deployed first. Most remaining failures act on machines or
/// clusters that exist only on premises (Azure Stack HCI) or on existing
/// resources the quickstart does not create; raise the floor as the
/// emulator improves.
const FLOOR: f64 = 88.5;
