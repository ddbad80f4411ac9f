//! JSON Schema (draft 2020-12) of the blueprint, for editor completion and
//! inline checks (e.g. `# yaml-language-server: $schema=...`). It describes
//! shapes only; cross-field rules (overlaps, references, fit) need `parse`.

use serde_json::{json, Value};

use crate::model::Cluster;
use crate::regions;
use crate::section::{self, Field, Schema};

/// The blueprint's JSON Schema (draft 2020-12). Every mapping lists exactly
/// the keys the parser accepts and forbids others, so an editor flags the
/// same unknown keys `airgapctl` would.
pub fn json_schema() -> Value {
    let regions: Vec<&str> = regions::REGIONS.iter().map(|r| r.0).collect();
    let prefix = json!({ "type": "integer", "minimum": 16, "maximum": 28 });
    // The sections the model derives describe themselves, and their definitions join
    // the hand-written ones.
    let mut derived = Schema::default();
    let clusters =
        <Vec<Cluster> as section::Value>::schema(&mut derived, &Field::key("clusters"), None);
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
            "metadata": { "$ref": "#/$defs/metadata" },
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
            "hub": { "$ref": "#/$defs/hub" },
            "vpcs": { "type": "array", "items": { "$ref": "#/$defs/vpc" } },
            "clusters": clusters,
            "registries": { "$ref": "#/$defs/registries" },
            "endpoints": { "$ref": "#/$defs/endpointLayout" },
            "access": { "$ref": "#/$defs/access" }
        },
        "$defs": {
            "cidr": {
                "type": "string",
                "pattern": "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/([0-9]|[12][0-9]|3[0-2])$"
            },
            "name": { "type": "string", "pattern": "^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$" },
            "metadata": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "region"],
                "properties": {
                    "name": { "$ref": "#/$defs/name", "description": "Environment name; resources are tagged airgap:env=<name>." },
                    "region": { "enum": regions },
                    "ttl": { "type": "string", "pattern": "^([0-9]+[mhd])+$", "description": "Lifetime, e.g. 30m, 8h, 2d." }
                }
            },
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
            },
            "hub": {
                "type": "object",
                "additionalProperties": false,
                "required": ["account", "inspectionVpc"],
                "properties": {
                    "account": { "type": "string" },
                    "transitGateway": { "$ref": "#/$defs/transitGateway" },
                    "ram": { "$ref": "#/$defs/ram" },
                    "inspectionVpc": { "$ref": "#/$defs/inspectionVpc" },
                    "firewall": { "$ref": "#/$defs/firewall" }
                }
            },
            "transitGateway": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "id": { "type": "string", "pattern": "^tgw-([0-9a-f]{8}|[0-9a-f]{17})$" },
                    "asn": { "type": "integer", "default": 64512, "minimum": 64512, "maximum": 4_294_967_294u64 },
                    "autoAcceptSharedAttachments": { "type": "boolean", "default": false }
                }
            },
            "ram": {
                "type": "object",
                "additionalProperties": false,
                "properties": { "organization": { "type": "boolean", "default": false } }
            },
            "inspectionVpc": {
                "type": "object",
                "additionalProperties": false,
                "required": ["cidr"],
                "properties": {
                    "cidr": { "$ref": "#/$defs/cidr" },
                    "subnets": { "$ref": "#/$defs/inspectionSubnets" }
                }
            },
            "inspectionSubnets": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "transit": { "$ref": "#/$defs/prefix", "default": 28 },
                    "firewall": { "$ref": "#/$defs/prefix", "default": 28 },
                    "public": { "$ref": "#/$defs/prefix", "default": 28 }
                }
            },
            "prefix": prefix,
            "firewall": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "allowDomains": { "type": "array", "items": { "type": "string" } },
                    "allowRules": { "type": "array", "items": { "$ref": "#/$defs/allowRule" } },
                    "logging": { "$ref": "#/$defs/firewallLogging" },
                    "deletionProtection": { "type": "boolean", "default": false }
                }
            },
            "allowRule": {
                "type": "object",
                "additionalProperties": false,
                "required": ["protocol", "destination"],
                "properties": {
                    "protocol": { "enum": ["tcp", "udp", "icmp"] },
                    "destination": { "$ref": "#/$defs/cidr" },
                    "port": { "type": "integer", "minimum": 1, "maximum": 65535 }
                }
            },
            "firewallLogging": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "alert": { "enum": ["cloudwatch", "none"], "default": "cloudwatch" },
                    "flow": { "enum": ["cloudwatch", "none"], "default": "none" },
                    "retentionDays": { "enum": regions::LOG_RETENTION_DAYS, "default": 30 }
                }
            },
            "vpc": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "account", "cidr"],
                "properties": {
                    "name": { "$ref": "#/$defs/name" },
                    "account": { "type": "string" },
                    "cidr": { "$ref": "#/$defs/cidr" },
                    "subnets": { "$ref": "#/$defs/vpcSubnets" },
                    "endpoints": { "$ref": "#/$defs/endpoints" }
                }
            },
            "vpcSubnets": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "controlPlane": { "$ref": "#/$defs/prefix", "default": 28 },
                    "dataPlane": { "$ref": "#/$defs/prefix", "default": 20 },
                    "endpoints": { "$ref": "#/$defs/prefix", "default": 24 },
                    "transit": { "$ref": "#/$defs/prefix", "default": 28 }
                }
            },
            "endpoints": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "gateway": { "type": "array", "uniqueItems": true, "items": { "enum": regions::GATEWAY_SERVICES } },
                    "interface": { "type": "array", "uniqueItems": true, "items": { "enum": regions::INTERFACE_SERVICES } },
                    "policies": {
                        "type": "object",
                        "additionalProperties": {
                            "oneOf": [
                                { "type": "string", "description": "Policy document as a JSON string." },
                                { "type": "object", "required": ["Statement"] }
                            ]
                        }
                    }
                }
            },
            "access": {
                "description": "How people reach the private environment from outside.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "vpn": { "$ref": "#/$defs/vpn" },
                    "dns": { "$ref": "#/$defs/dns" },
                    "privateLink": { "type": "array", "items": { "$ref": "#/$defs/privateLink" } }
                }
            },
            "privateLink": {
                "description": "A VPC endpoint service third parties connect to through PrivateLink, in front of an internal Network Load Balancer the environment makes in `vpc` (with an IP target group the workload registers its targets in) or the one `loadBalancerArn` names.",
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "allowedPrincipals"],
                "properties": {
                    "name": { "type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$" },
                    "vpc": { "type": "string" },
                    "loadBalancerArn": { "type": "string", "pattern": "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/net/" },
                    "port": { "type": "integer", "minimum": 1, "maximum": 65535, "default": 443 },
                    "allowedPrincipals": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "type": "string", "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$" } },
                    "acceptanceRequired": { "type": "boolean", "default": true }
                }
            },
            "dns": {
                "description": "A Route 53 Resolver inbound endpoint in `vpc` (two addresses in its endpoints-tier subnets): resolvers outside the VPCs, and the VPN's clients when the VPN is in the same VPC, resolve the environment's private names through it.",
                "type": "object",
                "additionalProperties": false,
                "required": ["vpc"],
                "properties": {
                    "vpc": { "type": "string" },
                    "allowFrom": { "type": "array", "uniqueItems": true, "items": { "$ref": "#/$defs/cidr" },
                                   "description": "Networks besides the VPC's own whose resolvers may query the endpoint (TCP and UDP 53)." }
                }
            },
            "vpn": {
                "description": "An AWS Client VPN endpoint with mutual TLS in the account of `vpc`, associated with its endpoints-tier subnets; clients reach the named clusters' API and the listed CIDRs through the transit gateway and the firewall.",
                "type": "object",
                "additionalProperties": false,
                "required": ["vpc", "clientCidr"],
                "properties": {
                    "vpc": { "type": "string" },
                    "clientCidr": { "$ref": "#/$defs/cidr" },
                    "clusters": { "type": "array", "uniqueItems": true, "items": { "type": "string" } },
                    "cidrs": { "type": "array", "uniqueItems": true, "items": { "$ref": "#/$defs/cidr" } },
                    "highAvailability": { "type": "boolean", "default": false },
                    "transport": { "enum": ["udp", "tcp"], "default": "udp" }
                }
            },
            "registries": {
                "type": "object",
                "additionalProperties": false,
                "required": ["account"],
                "properties": {
                    "account": { "type": "string" },
                    "repositories": { "type": "array", "uniqueItems": true, "items": { "type": "string" } },
                    "immutableTags": { "type": "boolean", "default": true },
                    "scanOnPush": { "type": "boolean", "default": true },
                    "scanning": {
                        "description": "basic: ECR's scan of each pushed image; enhanced: Amazon Inspector's continuous scanning of the repositories (the registry's scanning configuration, shared with its other repositories).",
                        "enum": ["basic", "enhanced"],
                        "default": "basic"
                    },
                    "quarantine": {
                        "description": "A name prefix: artifacts sync pushes what no approved lock lists into <prefix>/<repository>, which nodes cannot pull; only sync --approved copies into the repositories themselves.",
                        "type": "string"
                    },
                    "lifecycle": {
                        "description": "The ECR lifecycle policy of every repository: its rules as ECR's JSON spells them (rulePriority, selection, action).",
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "rules": { "type": "array", "items": { "type": "object" } }
                        }
                    }
                }
            },
            "endpointLayout": {
                "description": "Where the interface endpoints live: in every VPC (per-vpc, the default) or once in `vpc`, reached from the others over the transit gateway through Route 53 private hosted zones (central).",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "mode": { "enum": ["per-vpc", "central"], "default": "per-vpc" },
                    "vpc": { "type": "string", "description": "The VPC that holds the central endpoints." },
                    "services": { "type": "array", "uniqueItems": true, "items": { "type": "string" },
                                  "description": "The services made central; default: every interface service that two VPCs or more list and that a private hosted zone can serve." }
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
    use crate::model::{ClusterRoles, Nodegroup, Scaling, Taint};
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

    #[test]
    fn schema_lists_exactly_the_parser_keys() {
        let schema = json_schema();
        let (cluster, roles, nodegroup, scaling, taint) = (
            Cluster::keys(),
            ClusterRoles::keys(),
            Nodegroup::keys(),
            Scaling::keys(),
            Taint::keys(),
        );
        let table: &[(&str, &[&str])] = &[
            ("", keys::ROOT),
            ("/$defs/metadata", keys::METADATA),
            ("/$defs/account", keys::ACCOUNT),
            ("/$defs/hub", keys::HUB),
            ("/$defs/transitGateway", keys::TRANSIT_GATEWAY),
            ("/$defs/ram", keys::RAM),
            ("/$defs/inspectionVpc", keys::INSPECTION_VPC),
            ("/$defs/inspectionSubnets", keys::INSPECTION_SUBNETS),
            ("/$defs/firewall", keys::FIREWALL),
            ("/$defs/allowRule", keys::ALLOW_RULE),
            ("/$defs/firewallLogging", keys::FIREWALL_LOGGING),
            ("/$defs/vpc", keys::VPC),
            ("/$defs/vpcSubnets", keys::VPC_SUBNETS),
            ("/$defs/endpoints", keys::ENDPOINTS),
            ("/$defs/cluster", &cluster),
            ("/$defs/clusterRoles", &roles),
            ("/$defs/nodegroup", &nodegroup),
            ("/$defs/scaling", &scaling),
            ("/$defs/launchTemplate", keys::LAUNCH_TEMPLATE),
            ("/$defs/taint", &taint),
            ("/$defs/updateConfig", keys::UPDATE_CONFIG),
            ("/$defs/registries", keys::REGISTRIES),
            ("/$defs/endpointLayout", keys::ENDPOINT_LAYOUT),
            ("/$defs/access", keys::ACCESS),
            ("/$defs/vpn", keys::VPN),
            ("/$defs/dns", keys::DNS),
            ("/$defs/privateLink", keys::PRIVATE_LINK),
        ];
        let mut objects_in_schema = 0;
        for (ptr, want) in table {
            let obj = schema.pointer(ptr).unwrap_or_else(|| panic!("{ptr} missing"));
            assert_eq!(obj["additionalProperties"], json!(false), "{ptr}");
            let mut got: Vec<&str> =
                obj["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            let mut want = want.to_vec();
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
