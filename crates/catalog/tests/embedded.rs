//! The embedded catalog loads and validates: a bad data file fails here.

use azrelo_catalog::Catalog;

#[test]
fn embedded_catalog_loads() {
    let c = match Catalog::try_embedded() {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert!(c.services().len() >= 2);
}
