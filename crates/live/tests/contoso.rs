//! Live discovery against the emulator seeded with the example estate
//! (examples/contoso-shop, seeded the way `azrelo emulator serve --seed`
//! does): the live estate holds the same resources as file discovery, also
//! under injected faults; calls that keep failing are named.
//!
//! The emulator is seeded with the example's role assignments, diagnostic
//! settings, locks and policy exemptions too, and lists them as ARM's
//! collection GETs do, so live discovery finds every record file discovery
//! found. An endpoint that rejects every diagnostic-settings call is asked
//! only a few times (see `Breaker`).

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_client::{ArmClient, ClientOptions, Tuning};
use azrelo_emulator::Emulator;
use azrelo_emulator::faults::FaultSpec;
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_live::{LiveOptions, discover};
use azrelo_testkit::{Served, Transport};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tower::ServiceExt;

const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

fn example() -> Estate {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso-shop");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    load_inputs(&files, &LoadOptions::default()).unwrap()
}

/// Seed as `azrelo emulator serve --seed` does.
fn seeded(estate: &Estate, em: Emulator) -> Emulator {
    let bodies = azrelo_estate::arm_shape::arm_bodies(estate);
    let n = estate.resources.len();
    let m = em.seed(bodies).saturating_sub(n);
    assert!(n > 30, "seeded {n}");
    assert!(m > 10, "seeded {m} extension records");
    em
}

fn client(url: &str, max_retries: u32) -> ArmClient {
    let mut o = ClientOptions::emulator(url, "live-test", None);
    o.max_retries = max_retries;
    let t = Tuning {
        time_scale: 0.01,
        ..Tuning::default()
    };
    ArmClient::with_tuning(o, t).unwrap()
}

fn opts() -> LiveOptions {
    LiveOptions {
        subscriptions: vec![SUB.to_string()],
        ..LiveOptions::default()
    }
}

/// The resources of the example's subscription, keyed by lower-cased id.
fn resources(e: &Estate) -> BTreeMap<String, &azrelo_estate::Resource> {
    e.resources
        .iter()
        .filter(|r| {
            r.id.subscription_id()
                .is_some_and(|s| s.eq_ignore_ascii_case(SUB))
        })
        .map(|r| (r.id.as_str().to_ascii_lowercase(), r))
        .collect()
}

/// `want` ⊆ `got`: every field of the file record is in the live one
/// (the emulator may add server-side fields such as provisioningState).
fn contains(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|x| contains(x, v))),
        _ => got == want,
    }
}

/// What live discovery reads that exported files do not hold: settings
/// every vault and subscription has (a vault's storage and vault
/// configuration, its built-in policies, auto-provisioning) and the
/// protection containers of the vault's items, which the procedures read
/// (seed 001's baseline, seed 000's settings).
fn service_default(k: &str) -> bool {
    k.contains("/backupfabrics/azure/protectioncontainers/") && !k.contains("/protecteditems/")
        || k.ends_with("/backupstorageconfig/vaultstorageconfig")
        || k.ends_with("/backupconfig/vaultconfig")
        || ["defaultpolicy", "enhancedpolicy", "hourlylogbackup"]
            .iter()
            .any(|p| k.ends_with(&format!("/backuppolicies/{p}")))
        || k.ends_with("/providers/microsoft.security/autoprovisioningsettings/default")
}

fn assert_same_resources(file: &Estate, live: &Estate) {
    assert_same_resources_but(file, live, None)
}

/// Live discovery finds what the file export lists, plus the parents ARM
/// lists for the children it holds (a share's `fileServices/default`, a
/// protected item's fabric and container: the export omits them, the
/// child collections have them). Records below `unreachable` (a resource
/// whose every call failed) may be missing: their listing failed and is
/// named among the failures.
fn assert_same_resources_but(file: &Estate, live: &Estate, unreachable: Option<&str>) {
    let (f, l) = (resources(file), resources(live));
    let below = |k: &str, of: &str| k.len() > of.len() + 1 && k.starts_with(&format!("{of}/"));
    let missing: Vec<_> = f
        .keys()
        .filter(|k| !l.contains_key(*k))
        .filter(|k| !unreachable.is_some_and(|u| below(k, u)))
        .collect();
    let extra: Vec<_> = l
        .keys()
        .filter(|k| !f.contains_key(*k) && !service_default(k))
        .filter(|k| !f.keys().any(|fk| below(fk, k)))
        .collect();
    assert!(
        missing.is_empty(),
        "missing from live discovery: {missing:#?}"
    );
    assert!(extra.is_empty(), "only in live discovery: {extra:#?}");
    for (k, fr) in &f {
        let Some(lr) = l.get(k) else { continue };
        assert_eq!(fr.id.as_str(), lr.id.as_str(), "id spelling");
        assert!(
            fr.resource_type.eq_ignore_ascii_case(&lr.resource_type),
            "{k}: type"
        );
        assert_eq!(
            fr.location.as_deref().map(azrelo_arm::region::normalize),
            lr.location.as_deref().map(azrelo_arm::region::normalize),
            "{k}: location"
        );
        assert_eq!(fr.sku, lr.sku, "{k}: sku");
        assert_eq!(fr.kind, lr.kind, "{k}: kind");
        assert_eq!(fr.tags, lr.tags, "{k}: tags");
        assert_eq!(fr.zones, lr.zones, "{k}: zones");
        assert_eq!(
            fr.identity.as_ref().map(|i| i.kind.clone()),
            lr.identity.as_ref().map(|i| i.kind.clone()),
            "{k}: identity"
        );
        assert!(
            contains(&lr.properties, &fr.properties),
            "{k}: properties differ\nfile: {}\nlive: {}",
            fr.properties,
            lr.properties
        );
    }
}

#[tokio::test]
async fn live_discovery_of_the_seeded_example_matches_file_discovery() {
    let file = example();
    let served = Served::start(seeded(&file, Emulator::new()), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url, 8);
    let live = discover(&c, &opts(), None).await.unwrap();
    assert_same_resources(&file, &live.estate);
    // Provenance names the endpoint; the estate is a valid estate file.
    let r = &live.estate.resources[0];
    assert!(
        r.provenance[0].file.starts_with("arm:http://127.0.0.1"),
        "{:?}",
        r.provenance
    );
    let text = serde_json::to_string(&live.estate).unwrap();
    let back: Estate = serde_json::from_str(&text).unwrap();
    assert_eq!(back.resources.len(), live.estate.resources.len());
    // A resource-group filter keeps only that group's resources — and the
    // subscription's own Defender for Cloud settings, which belong to no
    // group and apply whatever is selected (seed 000).
    let mut o = opts();
    o.resource_groups = vec!["RG-SHOP-DATA".into()];
    let part = discover(&c, &o, None).await.unwrap();
    assert!(!part.estate.resources.is_empty());
    let mut settings = 0;
    for r in &part.estate.resources {
        if r.id.resource_group().is_none() {
            assert!(
                r.resource_type.starts_with("Microsoft.Security/"),
                "{}",
                r.id
            );
            settings += 1;
            continue;
        }
        assert!(
            r.id.resource_group()
                .is_some_and(|g| g.eq_ignore_ascii_case("rg-shop-data")),
            "{}",
            r.id
        );
    }
    assert!(
        settings > 0,
        "the Defender plans are discovered with a group filter"
    );
}

#[tokio::test]
async fn injected_faults_are_retried_and_the_estate_is_the_same() {
    let file = example();
    let spec = FaultSpec::parse("429=0.05,500=0.05,503=0.05,seed=5").unwrap();
    let served = Served::start(
        seeded(&file, Emulator::new().with_faults(spec)),
        Transport::Http,
    )
    .await;
    let url = served.endpoint.clone();
    let c = client(&url, 8);
    let mut o = opts();
    o.get_all = true;
    let live = discover(&c, &o, None).await.unwrap();
    assert_same_resources(&file, &live.estate);
    assert!(c.stats().retries > 0, "{:?}", c.stats());
}

#[tokio::test]
async fn calls_that_keep_failing_are_named_and_the_rest_is_kept() {
    let file = example();
    let em = seeded(&file, Emulator::new());
    let router = azrelo_emulator::router(em);
    // One storage account answers 503 to everything addressed below it.
    let doomed = file
        .resources
        .iter()
        .find(|r| {
            r.resource_type
                .eq_ignore_ascii_case("Microsoft.Storage/storageAccounts")
        })
        .unwrap()
        .id
        .as_str()
        .to_ascii_lowercase();
    let d = doomed.clone();
    let proxy = axum::Router::new().fallback(move |req: Request| {
        let router = router.clone();
        let d = d.clone();
        async move {
            if req.uri().path().to_ascii_lowercase().starts_with(&d) {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(serde_json::json!({"error": {"code": "ServiceUnavailable", "message": "down"}})),
                )
                    .into_response();
            }
            // Extension collections ARM lists (empty here), so the test does
            // not depend on the emulator serving them.
            let path = req.uri().path().to_ascii_lowercase();
            if path.ends_with("/providers/microsoft.insights/diagnosticsettings")
                || path.ends_with("/providers/microsoft.authorization/roleassignments")
                || path.ends_with("/providers/microsoft.authorization/locks")
                || path.ends_with("/providers/microsoft.authorization/policyexemptions")
            {
                return axum::Json(serde_json::json!({"value": []})).into_response();
            }
            let r: Response = router.oneshot(req).await.unwrap();
            r
        }
    });
    let served = Served::router(proxy, Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url, 2);
    let mut o = opts();
    o.get_all = true;
    let live = discover(&c, &o, None).await.unwrap();
    // The GET and the diagnostic settings of that account are named…
    let failed: Vec<&str> = live
        .failures
        .iter()
        .filter(|f| f.call.to_ascii_lowercase().contains(&doomed))
        .map(|f| f.call.as_str())
        .collect();
    assert!(
        failed
            .iter()
            .any(|c| c.starts_with("GET ") && !c.contains("diagnosticSettings")),
        "{:#?}",
        live.failures
    );
    assert!(
        failed.iter().any(|c| c.contains("diagnosticSettings")),
        "{:#?}",
        live.failures
    );
    for f in &live.failures {
        if f.call.to_ascii_lowercase().contains(&doomed) {
            assert!(
                f.error.contains("ServiceUnavailable")
                    && f.error.contains("x-ms-client-request-id"),
                "{f:?}"
            );
        }
    }
    // Nothing else failed.
    assert!(
        live.failures
            .iter()
            .all(|f| f.call.to_ascii_lowercase().contains(&doomed)),
        "{:#?}",
        live.failures
    );
    // …in the estate's warnings too, and everything is still there (the
    // account from its Resource Graph row).
    assert!(
        live.estate
            .warnings
            .iter()
            .any(|w| w.path.to_ascii_lowercase().contains(&doomed))
    );
    assert_same_resources_but(&file, &live.estate, Some(&doomed));
}

#[tokio::test]
async fn an_endpoint_without_diagnostic_settings_is_asked_only_a_few_times() {
    let file = example();
    let router = azrelo_emulator::router(seeded(&file, Emulator::new()));
    // An endpoint that rejects every diagnostic-settings call alike.
    let proxy = axum::Router::new().fallback(move |req: Request| {
        let router = router.clone();
        async move {
            let path = req.uri().path().to_ascii_lowercase();
            if path.ends_with("/providers/microsoft.insights/diagnosticsettings") {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(
                        serde_json::json!({"error": {"code": "UnsupportedApi", "message": "no"}}),
                    ),
                )
                    .into_response();
            }
            let r: Response = router.oneshot(req).await.unwrap();
            r
        }
    });
    let served = Served::router(proxy, Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url, 8);
    let live = discover(&c, &opts(), None).await.unwrap();
    let diag: Vec<_> = live
        .failures
        .iter()
        .filter(|f| f.call.contains("diagnosticSettings"))
        .collect();
    // The first calls are named; the skipped rest is summarised in one entry.
    assert!(diag.len() < 20, "{diag:#?}");
    assert!(
        diag.iter().any(|f| f.error.contains("UnsupportedApi")),
        "{diag:#?}"
    );
    assert!(
        diag.iter().any(|f| f.error.contains("not attempted")),
        "{diag:#?}"
    );
    assert_same_resources(&file, &live.estate);
}

#[tokio::test]
async fn diagnostic_settings_role_assignments_locks_and_exemptions_match_file_discovery() {
    let file = example();
    let served = Served::start(seeded(&file, Emulator::new()), Transport::Http).await;
    let url = served.endpoint.clone();
    let live = discover(&client(&url, 8), &opts(), None).await.unwrap();
    assert!(live.failures.is_empty(), "{:#?}", live.failures);
    let e = &live.estate;
    let key = |id: &azrelo_arm::id::ResourceId| id.as_str().to_ascii_lowercase();
    let ra = |x: &Estate| -> BTreeMap<String, (String, String, String)> {
        x.role_assignments
            .iter()
            .map(|r| {
                (
                    key(&r.id),
                    (
                        r.scope.to_ascii_lowercase(),
                        r.role_definition_id.to_ascii_lowercase(),
                        r.principal_id.clone(),
                    ),
                )
            })
            .collect()
    };
    assert_eq!(ra(&file), ra(e));
    type DiagKey = (
        String,
        Option<String>,
        Vec<azrelo_estate::DiagnosticEntry>,
        Vec<azrelo_estate::DiagnosticEntry>,
    );
    let ds = |x: &Estate| -> BTreeMap<String, DiagKey> {
        x.diagnostic_settings
            .iter()
            .map(|d| {
                (
                    key(&d.id),
                    (
                        d.resource_id.to_ascii_lowercase(),
                        d.workspace_id.clone(),
                        d.logs.clone(),
                        d.metrics.clone(),
                    ),
                )
            })
            .collect()
    };
    assert_eq!(ds(&file), ds(e));
    let locks = |x: &Estate| -> BTreeMap<String, (String, String)> {
        x.locks
            .iter()
            .map(|l| (key(&l.id), (l.scope.to_ascii_lowercase(), l.level.clone())))
            .collect()
    };
    assert_eq!(locks(&file), locks(e));
    let ex = |x: &Estate| -> BTreeMap<String, (String, String)> {
        x.policy_exemptions
            .iter()
            .map(|p| {
                (
                    key(&p.id),
                    (
                        p.scope.to_ascii_lowercase(),
                        p.policy_assignment_id.to_ascii_lowercase(),
                    ),
                )
            })
            .collect()
    };
    assert_eq!(ex(&file), ex(e));
    // Every record of the example, plus the service defaults of its vault
    // and subscription and the parents ARM lists above the children it
    // holds (`assert_same_resources` checks each is one).
    let (fr, lr) = (resources(&file), resources(e));
    let defaults = lr
        .keys()
        .filter(|k| service_default(k) && !fr.contains_key(*k))
        .count();
    let implied = lr
        .keys()
        .filter(|k| !fr.contains_key(*k) && !service_default(k))
        .count();
    assert_eq!(
        e.len() - defaults,
        file.len() + implied,
        "every record of the example, live"
    );
    assert!(
        !e.role_assignments.is_empty() && !e.diagnostic_settings.is_empty() && !e.locks.is_empty()
    );
}
