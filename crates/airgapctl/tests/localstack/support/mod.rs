//! Helpers shared by the end-to-end tests.

// Not every module of the test binary uses every helper.
#![allow(dead_code)]

pub mod census;
pub mod kill;

/// plans/hub-spoke.yaml for three accounts (network, shared, workload), named `env`.
pub fn hub_spoke(env: &str, ids: [&str; 3]) -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/hub-spoke.yaml");
    let mut text = std::fs::read_to_string(file).expect("plans/hub-spoke.yaml");
    for (placeholder, id) in ["111111111111", "222222222222", "333333333333"].iter().zip(ids) {
        assert!(text.contains(placeholder), "{placeholder} in hub-spoke.yaml");
        text = text.replace(placeholder, id);
    }
    text.replace("name: hub-spoke\n", &format!("name: {env}\n"))
}
