//! The lenient JSON parser never panics, and what it accepts as a template
//! expands without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = azrelo_template::Template::parse(text, "fuzz.json") {
            let _ = azrelo_template::expand(&t, &Default::default());
        }
    }
});
