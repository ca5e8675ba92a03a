//! The generated templates of the example's plan deploy, in manifest order,
//! through the emulator's deployments API, and every created target resource
//! then exists in the emulator at its planned id.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use azrelo_catalog::Catalog;
use azrelo_emulator::{Emulator, router};
use azrelo_estate::{LoadOptions, load_inputs};
use azrelo_generate::{DeploymentScope, embedded_flags, generate};
use azrelo_plan::{Action, PlanOptions, plan};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn call(em: &Emulator, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(format!("{path}?api-version=2022-09-01"))
        .header("authorization", "Bearer test")
        .body(
            body.map(|b| Body::from(b.to_string()))
                .unwrap_or_else(Body::empty),
        )
        .unwrap();
    let resp = router(em.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn generated_example_deploys_on_the_emulator() {
    let files = azrelo_testkit::example_files();
    let estate = load_inputs(&files, &LoadOptions::default()).unwrap();
    let g = azrelo_graph::build(&estate);
    let p = plan(
        &estate,
        &g,
        Catalog::embedded(),
        &PlanOptions::new("swedencentral"),
    )
    .unwrap();
    let out = generate(&p, &estate, Catalog::embedded(), embedded_flags());
    let em = Emulator::new();
    for d in &out.deployments {
        let mut parameters = serde_json::Map::new();
        for name in &d.secure_parameters {
            // An object for a secureObject, a string otherwise.
            let object = d.template["parameters"][name]["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("secureObject"));
            let v = if object {
                json!({"supplied": "at-deployment"})
            } else {
                json!("supplied-at-deployment")
            };
            parameters.insert(name.clone(), json!({ "value": v }));
        }
        // Principal ids of recreated identities (the deployment records
        // them as parameters azrelo fills) are known once those identities
        // exist; any GUID-shaped value stands in here.
        for p in &d.run_parameters {
            assert!(
                !d.secure_parameters.contains(&p.name),
                "{}: {} is filled by azrelo, not by the operator",
                d.name,
                p.name
            );
            parameters.insert(
                p.name.clone(),
                json!({ "value": "11111111-2222-3333-4444-555555555555" }),
            );
        }
        let (path, mut body) = match &d.scope {
            DeploymentScope::Subscription {
                subscription_id,
                location,
            } => (
                format!(
                    "/subscriptions/{subscription_id}/providers/Microsoft.Resources/deployments/{}",
                    d.name
                ),
                json!({"location": location}),
            ),
            DeploymentScope::ResourceGroup {
                subscription_id,
                resource_group,
            } => (
                format!(
                    "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Resources/deployments/{}",
                    d.name
                ),
                json!({}),
            ),
        };
        body["properties"] =
            json!({"mode": "Incremental", "template": d.template, "parameters": parameters});
        let (status, record) = call(&em, "PUT", &path, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {record}", d.name);
        assert_eq!(
            record["properties"]["provisioningState"], "Succeeded",
            "{}: {}",
            d.name, record["properties"]["error"]
        );
    }
    // Every generated target exists where the plan put it.
    let generated: std::collections::HashSet<&str> = out
        .deployments
        .iter()
        .flat_map(|d| d.resources.iter().map(String::as_str))
        .collect();
    let mut checked = 0;
    for r in &p.resources {
        if !matches!(r.action, Action::Move | Action::Recreate)
            || !generated.contains(r.source_id.as_str())
        {
            continue;
        }
        let (status, body) = call(&em, "GET", r.target_id.as_str(), None).await;
        assert_eq!(status, StatusCode::OK, "{} missing: {body}", r.target_id);
        if let Some(loc) = body.get("location").and_then(|l| l.as_str()) {
            assert!(
                loc == "swedencentral" || loc == "global",
                "{}: {loc}",
                r.target_id
            );
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked}");
}
