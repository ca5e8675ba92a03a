//! Any expression text parses or fails cleanly, and evaluating it as a
//! template output never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = azrelo_template::expr::parse(text);
        let template = serde_json::json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "resources": [],
            "outputs": {"o": {"type": "string", "value": format!("[{text}]")}}
        });
        if let Ok(t) = azrelo_template::Template::parse(&template.to_string(), "fuzz.json") {
            let _ = azrelo_template::expand(&t, &Default::default());
        }
    }
});
