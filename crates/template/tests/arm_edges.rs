//! ARM's lenient edges (issue #18 "Inputs"), each as the public reference
//! documents it: the JSON-family functions read JSON as Json.NET does,
//! `parseCidr` of an IPv6 range has a `netmask`, `reference(…, 'Full')` of a
//! nested deployment is the full envelope, and duplicate JSON keys behave as
//! in ARM (last value wins, exact names) with an opt-in rejection.

use azrelo_template::json::{self, JsonOptions};
use azrelo_template::{ExpandOptions, Expanded, Template, expand};
use serde_json::json;

fn run(t: serde_json::Value) -> Expanded {
    let t = Template::parse(&t.to_string(), "t.json").unwrap();
    expand(&t, &ExpandOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn template(
    parameters: serde_json::Value,
    resources: serde_json::Value,
    outputs: serde_json::Value,
) -> serde_json::Value {
    json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "contentVersion": "1.0.0.0", "parameters": parameters,
           "resources": resources, "outputs": outputs})
}

/// template-functions-cidr.md, parseCidr: the IPv6 example's documented object.
#[test]
fn parse_cidr_ipv6_has_the_documented_netmask() {
    let x = run(template(
        json!({}),
        json!([]),
        json!({"v6info": {"type": "object", "value": "[parseCidr('fdad:3236:5555::/48')]"}}),
    ));
    assert_eq!(
        x.outputs["v6info"].to_json(),
        json!({
            "network": "fdad:3236:5555::",
            "netmask": "ffff:ffff:ffff::",
            "firstUsable": "fdad:3236:5555::",
            "lastUsable": "fdad:3236:5555:ffff:ffff:ffff:ffff:ffff",
            "cidr": 48
        })
    );
}

/// template-functions-string.md, base64: the example's `jsonFormattedData`
/// is single-quoted JSON, and `base64ToJson` of it is documented as
/// `{"one": "a", "two": "b"}`.
#[test]
fn base64_to_json_reads_the_documented_single_quoted_json() {
    let x = run(template(
        json!({"stringData": {"type": "string", "defaultValue": "one, two, three"},
               "jsonFormattedData": {"type": "string", "defaultValue": "{'one': 'a', 'two': 'b'}"}}),
        json!([]),
        json!({
            "base64Output": {"type": "string", "value": "[base64(parameters('stringData'))]"},
            "toStringOutput": {"type": "string", "value": "[base64ToString(base64(parameters('stringData')))]"},
            "toJsonOutput": {"type": "object", "value": "[base64ToJson(base64(parameters('jsonFormattedData')))]"}
        }),
    ));
    assert_eq!(
        x.outputs["base64Output"].to_json(),
        json!("b25lLCB0d28sIHRocmVl")
    );
    assert_eq!(
        x.outputs["toStringOutput"].to_json(),
        json!("one, two, three")
    );
    assert_eq!(
        x.outputs["toJsonOutput"].to_json(),
        json!({"one": "a", "two": "b"})
    );
}

/// json() reads what Json.NET's reader reads: single- and double-quoted
/// strings mixed (the old quote-swapping fallback failed on these),
/// unquoted property names, comments and trailing commas; the documented
/// examples (template-functions-object.md, json) still hold.
#[test]
fn json_reads_json_the_way_json_net_does() {
    let lenient = "{'a': \"say \\\"hi\\\"\", b: ['x', \"it's\"], // note\n c: 1,}";
    let x = run(template(
        json!({"lenient": {"type": "string", "defaultValue": lenient},
               "jsonObject": {"type": "string", "defaultValue": "{\"a\": \"b\"}"}}),
        json!([]),
        json!({
            "lenient": {"type": "object", "value": "[json(parameters('lenient'))]"},
            "objectOutput": {"type": "object", "value": "[json(parameters('jsonObject'))]"},
            "emptyObjectOutput": {"type": "bool", "value": "[empty(json('null'))]"}
        }),
    ));
    assert_eq!(
        x.outputs["lenient"].to_json(),
        json!({"a": "say \"hi\"", "b": ["x", "it's"], "c": 1})
    );
    assert_eq!(x.outputs["objectOutput"].to_json(), json!({"a": "b"}));
    assert_eq!(x.outputs["emptyObjectOutput"].to_json(), json!(true));
    // Still not anything goes: an unterminated string is an error with its position.
    let t = template(
        json!({}),
        json!([]),
        json!({"o": {"type": "object", "value": "[json('{''a'': ''b}')]"}}),
    );
    let t = Template::parse(&t.to_string(), "t.json").unwrap();
    let e = expand(&t, &ExpandOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("json(): the string is not valid JSON"), "{e}");
}

/// template-functions-resource.md, reference: with 'Full' the function
/// returns the full resource object (apiVersion, location, properties,
/// subscriptionId, resourceGroupName, resourceId, referenceApiVersion,
/// condition, isConditionTrue, isTemplateResource, isAction,
/// provisioningOperation); without it, only the properties.
#[test]
fn reference_full_of_a_nested_deployment_is_the_full_envelope() {
    let x = run(template(
        json!({}),
        json!([{
            "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
            "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                "template": {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    "resources": [], "outputs": {"x": {"type": "string", "value": "from nested"}}}}
        }]),
        json!({
            "full": {"type": "object", "value": "[reference('inner', '2022-09-01', 'Full')]"},
            "fullOutput": {"type": "string", "value": "[reference('inner', '2022-09-01', 'Full').properties.outputs.x.value]"},
            "plainOutput": {"type": "string", "value": "[reference('inner').outputs.x.value]"}
        }),
    ));
    let full = x.outputs["full"].to_json();
    assert_eq!(full["apiVersion"], json!("2022-09-01"));
    assert_eq!(full["referenceApiVersion"], json!("2022-09-01"));
    assert_eq!(
        full["subscriptionId"],
        json!("00000000-0000-0000-0000-000000000000")
    );
    assert_eq!(full["resourceGroupName"], json!("azrelo-rg"));
    assert_eq!(
        full["resourceId"],
        json!("Microsoft.Resources/deployments/inner")
    );
    for (k, v) in [
        ("condition", json!(true)),
        ("isConditionTrue", json!(true)),
        ("isTemplateResource", json!(true)),
        ("isAction", json!(false)),
        ("provisioningOperation", json!("Create")),
    ] {
        assert_eq!(full[k], v, "{k}");
    }
    assert_eq!(full["properties"]["provisioningState"], json!("Succeeded"));
    assert_eq!(x.outputs["fullOutput"].to_json(), json!("from nested"));
    assert_eq!(x.outputs["plainOutput"].to_json(), json!("from nested"));
}

/// ARM reads templates with Json.NET: a repeated property name keeps its
/// last value in the first one's place, names compared exactly. The corpus
/// has such a template that ARM deploys; rejection is opt-in, worded as
/// Json.NET's DuplicatePropertyNameHandling.Error.
#[test]
fn duplicate_keys_keep_the_last_value_as_arm_does_and_can_be_rejected() {
    let text = r#"{"a": 1, "b": 2, "a": 3, "A": 4}"#;
    let v = json::parse(text, "dup.json").unwrap();
    assert_eq!(v, json!({"a": 3, "b": 2, "A": 4}));
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b", "A"]);
    let strict = JsonOptions {
        reject_duplicate_keys: true,
        ..Default::default()
    };
    let e = json::parse_with(text, "dup.json", strict).unwrap_err();
    assert_eq!(
        e.message,
        "Property with the name 'a' already exists in the current JSON object."
    );
    assert_eq!((e.line, e.path.as_str()), (1, "$"));
    // Names differing only in case are two properties.
    assert!(json::parse_with(r#"{"name": 1, "Name": 2}"#, "f", strict).is_ok());

    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/corpus/quickstarts/microsoft.datalakestore/yash-datalake/nested/streamAnalytics.json",
    );
    let text = std::fs::read_to_string(&corpus).unwrap();
    let doc = json::parse(&text, "streamAnalytics.json").unwrap();
    assert!(doc["variables"].get("numberOfStreamingUnits").is_some());
    assert!(doc["variables"].get("defaultSASKeyName").is_none());
    let e = json::parse_with(&text, "streamAnalytics.json", strict).unwrap_err();
    assert!(e.message.contains("'variables' already exists"), "{e}");
}
