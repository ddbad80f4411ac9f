//! JSON Schema (draft 2020-12) of the blueprint, for editor completion and
//! inline checks (e.g. `# yaml-language-server: $schema=...`). It describes
//! shapes only; cross-field rules (overlaps, references, fit) need `parse`.

use serde_json::{json, Value};

use crate::model::{Access, Cluster, EndpointLayout, Hub, Metadata, Registries, Vpc};
use crate::section::{self, Field, Schema};

/// The blueprint's JSON Schema (draft 2020-12). Every mapping lists exactly
/// the keys the parser accepts and forbids others, so an editor flags the
/// same unknown keys `airgapctl` would.
pub fn json_schema() -> Value {
    // The sections the model derives describe themselves, and their definitions join
    // the hand-written ones.
    let mut derived = Schema::default();
    let s = &mut derived;
    let metadata = s.def::<Metadata>();
    let hub = s.def::<Hub>();
    let vpcs = <Vec<Vpc> as section::Value>::schema(s, &crate::model::VPCS, None);
    let clusters = <Vec<Cluster> as section::Value>::schema(s, &Field::key("clusters"), None);
    let registries = s.def::<Registries>();
    let endpoints = s.def::<EndpointLayout>();
    let access = s.def::<Access>();
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://airgapctl.dev/schemas/blueprint-v1alpha1.json",
        "title": "airgapctl blueprint",
        "description": "An air-gapped Amazon EKS environment over one or more AWS accounts.",
        "type": "object",
        "additionalProperties": false,
        "required": ["apiVersion", "kind", "metadata", "accounts", "hub"],
        "properties": {
            "apiVersion": { "const": crate::API_VERSION },
            "kind": { "const": crate::KIND },
            "metadata": metadata,
            "accounts": {
                "description": "Logical account name -> account.",
                "type": "object",
                "minProperties": 1,
                "additionalProperties": { "$ref": "#/$defs/account" }
            },
            "availabilityZones": {
                "description": "How many AZs (default 2), or an explicit list of AZ names.",
                "default": 2,
                "oneOf": [
                    { "type": "integer", "minimum": 1, "maximum": 6 },
                    { "type": "array", "minItems": 1, "uniqueItems": true,
                      "items": { "type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$" } }
                ]
            },
            "hub": hub,
            "vpcs": vpcs,
            "clusters": clusters,
            "registries": registries,
            "endpoints": endpoints,
            "access": access
        },
        "$defs": {
            "cidr": {
                "type": "string",
                "pattern": "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/([0-9]|[12][0-9]|3[0-2])$"
            },
            "name": { "type": "string", "pattern": "^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$" },
            "account": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id"],
                "properties": {
                    "id": { "type": ["string", "integer"], "pattern": "^[0-9]{12}$", "description": "12-digit account id; quote it." },
                    "role": { "type": "string", "description": "Role name or arn:aws:iam::<id>:role/<name>; omit for current credentials." },
                    "externalId": { "type": "string", "minLength": 2, "maxLength": 1224 },
                    "sessionName": { "type": "string", "minLength": 2, "maxLength": 64 }
                }
            }
        }
    });
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        defs.extend(derived.defs);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::parse::keys;
    use crate::section::Section;

    fn yaml_to_json(text: &str) -> Value {
        crate::yaml::parse(text).unwrap().unwrap().to_json()
    }

    fn repo_file(rel: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// Every ```yaml block of docs/blueprint.md that is a whole blueprint.
    fn doc_examples() -> Vec<String> {
        let doc = repo_file("docs/blueprint.md");
        doc.split("```yaml\n")
            .skip(1)
            .filter_map(|b| b.split_once("```").map(|(body, _)| body.to_string()))
            .filter(|b| b.starts_with("apiVersion:"))
            .collect()
    }

    fn errors(instance: &Value) -> Vec<String> {
        let v = jsonschema::validator_for(&json_schema()).expect("schema compiles");
        v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
    }

    #[test]
    fn examples_validate_against_schema() {
        let mut texts =
            vec![repo_file("plans/single-account.yaml"), repo_file("plans/hub-spoke.yaml")];
        let docs = doc_examples();
        assert!(docs.len() >= 2, "docs/blueprint.md should carry full examples");
        texts.extend(docs);
        for text in texts {
            let errs = errors(&yaml_to_json(&text));
            assert!(errs.is_empty(), "{errs:#?}\n{text}");
            // And the parser agrees.
            if let Err(d) = crate::parse("example", &text) {
                panic!("{:?}", miette::Report::new(d));
            }
        }
    }

    #[test]
    fn schema_rejects_what_the_parser_rejects() {
        let base = repo_file("plans/single-account.yaml");
        for (from, to) in [
            ("    cidr: 10.10.0.0/16", "    cidrr: 10.10.0.0/16"),
            ("    cidr: 10.10.0.0/16", "    cidr: 10.10.0.0/16\n    natGateway: true"),
            ("availabilityZones: 2", "availabilityZones: two"),
            ("gateway: [s3]", "gateway: [s4]"),
            ("region: eu-central-1", "region: eu-centrl-1"),
            ("ttl: 8h", "ttl: 8 hours"),
        ] {
            let text = base.replacen(from, to, 1);
            assert!(!errors(&yaml_to_json(&text)).is_empty(), "schema accepted {to}");
            assert!(crate::parse("x", &text).is_err(), "parser accepted {to}");
        }
    }

    /// An editor refuses the VPC past the bound where the parser does.
    #[test]
    fn schema_bounds_vpcs_as_the_parser_does() {
        let schema = json_schema();
        assert_eq!(schema["properties"]["vpcs"]["maxItems"], json!(crate::MAX_VPCS));
    }

    #[test]
    fn schema_lists_exactly_the_parser_keys() {
        let schema = json_schema();
        // The derived sections list the keys their reader accepts; the hand-written
        // readers (root, accounts, the image choice, updateConfig) their constants.
        let table: Vec<(&str, Vec<&str>)> = vec![
            ("", keys::ROOT.to_vec()),
            ("/$defs/account", keys::ACCOUNT.to_vec()),
            ("/$defs/launchTemplate", keys::LAUNCH_TEMPLATE.to_vec()),
            ("/$defs/updateConfig", keys::UPDATE_CONFIG.to_vec()),
            ("/$defs/metadata", Metadata::keys()),
            ("/$defs/hub", Hub::keys()),
            ("/$defs/transitGateway", TransitGateway::keys()),
            ("/$defs/ram", Ram::keys()),
            ("/$defs/inspectionVpc", InspectionVpc::keys()),
            ("/$defs/inspectionSubnets", InspectionSubnets::keys()),
            ("/$defs/firewall", Firewall::keys()),
            ("/$defs/allowRule", AllowRule::keys()),
            ("/$defs/firewallLogging", FirewallLogging::keys()),
            ("/$defs/vpc", Vpc::keys()),
            ("/$defs/vpcSubnets", SubnetPrefixes::keys()),
            ("/$defs/endpoints", Endpoints::keys()),
            ("/$defs/cluster", Cluster::keys()),
            ("/$defs/clusterRoles", ClusterRoles::keys()),
            ("/$defs/nodegroup", Nodegroup::keys()),
            ("/$defs/scaling", Scaling::keys()),
            ("/$defs/taint", Taint::keys()),
            ("/$defs/registries", Registries::keys()),
            ("/$defs/endpointLayout", EndpointLayout::keys()),
            ("/$defs/access", Access::keys()),
            ("/$defs/vpn", Vpn::keys()),
            ("/$defs/dns", Dns::keys()),
            ("/$defs/privateLink", PrivateLink::keys()),
        ];
        let mut objects_in_schema = 0;
        for (ptr, want) in &table {
            let obj = schema.pointer(ptr).unwrap_or_else(|| panic!("{ptr} missing"));
            assert_eq!(obj["additionalProperties"], json!(false), "{ptr}");
            let mut got: Vec<&str> =
                obj["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            let mut want = want.clone();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{ptr}");
        }
        for def in schema["$defs"].as_object().unwrap().values() {
            if def.get("properties").is_some() {
                objects_in_schema += 1;
            }
        }
        // Every object definition is covered by the table (root is not in $defs).
        assert_eq!(objects_in_schema, table.len() - 1);
    }
}
