//! Every location spelling in the providers snapshot resolves to a catalog
//! region, except a short, reasoned list.

use azrelo_arm::availability::Availability;
use azrelo_arm::region::Regions;

/// Spellings in `providers.json` (2023-11) that name no region of the
/// locations API, with the reason.
const UNRESOLVED: &[(&str, &str)] = &[
    (
        "MSFT East Asia",
        "Microsoft-internal App Service stamp listed only by Microsoft.Web types; not a customer region and absent from the locations API",
    ),
    (
        "MSFT East US",
        "Microsoft-internal App Service stamp listed only by Microsoft.Web types; not a customer region and absent from the locations API",
    ),
    (
        "MSFT North Europe",
        "Microsoft-internal App Service stamp listed only by Microsoft.Web types; not a customer region and absent from the locations API",
    ),
    (
        "MSFT West US",
        "Microsoft-internal App Service stamp listed only by Microsoft.Web types; not a customer region and absent from the locations API",
    ),
];

#[test]
fn every_provider_location_spelling_resolves() {
    let regions = Regions::embedded();
    let mut spellings: Vec<&str> = Availability::embedded().location_spellings().collect();
    spellings.sort_unstable();
    let mut unresolved: Vec<&str> = spellings
        .iter()
        .copied()
        .filter(|s| regions.get(s).is_none())
        .collect();
    unresolved.sort_unstable();
    let expected: Vec<&str> = UNRESOLVED.iter().map(|(s, _)| *s).collect();
    println!(
        "{} distinct location spellings, {} resolve, {} expected not to",
        spellings.len(),
        spellings.len() - unresolved.len(),
        unresolved.len()
    );
    assert_eq!(
        unresolved, expected,
        "unresolved location spellings changed"
    );
}
