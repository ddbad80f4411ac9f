//! JSON Schema placeholder (filled below).
/// JSON Schema of the blueprint.
pub fn json_schema() -> serde_json::Value {
    serde_json::json!({})
}
