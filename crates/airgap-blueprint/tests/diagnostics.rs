//! Every class of blueprint mistake: the code, the exact line:col of the
//! offending text, and the rendered report (snapshot) with its hint.

use airgap_blueprint::{line_col, parse, Code, Diagnostics};
use miette::{GraphicalReportHandler, GraphicalTheme};

const BASE: &str = r#"apiVersion: airgapctl.dev/v1alpha1
kind: Environment
metadata:
  name: demo
  region: eu-central-1
  ttl: 8h
accounts:
  network: { id: "111111111111", role: airgap-deployer }
  workload: { id: "333333333333", role: airgap-deployer }
availabilityZones: 2
hub:
  account: network
  inspectionVpc: { cidr: 100.64.0.0/22 }
vpcs:
  - name: workload
    account: workload
    cidr: 10.10.0.0/16
    endpoints:
      gateway: [s3]
      interface: [ecr.api, ecr.dkr, sts, ec2]
clusters:
  - name: apps
    vpc: workload
    version: "1.31"
    nodegroups:
      - name: general
        scaling: { min: 1, desired: 2, max: 3 }
"#;

fn render(d: &Diagnostics) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::none())
        .with_width(100)
        .render_report(&mut out, d)
        .unwrap();
    // Trailing spaces vary with label layout and are invisible in review.
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

/// Where the `nth` (1-based) occurrence of `needle` starts.
/// A `|` in the needle marks the exact position within it.
fn locate(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let (before, after) = needle.split_once('|').unwrap_or(("", needle));
    let whole = format!("{before}{after}");
    let offset = text
        .match_indices(&whole)
        .nth(nth - 1)
        .unwrap_or_else(|| panic!("`{whole}` #{nth} not in:\n{text}"))
        .0;
    line_col(text, offset + before.len())
}

/// Applies `edits` to BASE, parses, checks each expected (code, needle,
/// occurrence) against the reported problems in order, and snapshots the report.
fn check(name: &str, edits: &[(&str, &str)], expected: &[(Code, &str, usize)]) {
    let mut text = BASE.to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "`{from}` not in the base blueprint");
        text = text.replacen(from, to, 1);
    }
    let file = format!("{name}.yaml");
    let diags = match parse(&file, &text) {
        Ok(_) => panic!("{name}: expected problems, parsed fine:\n{text}"),
        Err(d) => d,
    };
    let got: Vec<(Code, (usize, usize))> =
        diags.problems().iter().map(|p| (p.code(), p.line_col())).collect();
    let want: Vec<(Code, (usize, usize))> =
        expected.iter().map(|(c, needle, nth)| (*c, locate(&text, needle, *nth))).collect();
    assert_eq!(got, want, "{name}:\n{}", render(&diags));
    for p in diags.problems() {
        assert!(p.help_text().is_some(), "{name}: `{}` has no hint", p.message());
    }
    insta::assert_snapshot!(name, render(&diags));
}

#[test]
fn base_is_valid() {
    parse("base.yaml", BASE).unwrap();
}

#[test]
fn yaml_syntax_error() {
    check("yaml_syntax", &[("gateway: [s3]", "gateway: [s3")], &[(Code::Yaml, "gateway: |[s3", 1)]);
    // The same for a mapping, and the text says what is missing.
    let text = BASE.replace("{ cidr: 100.64.0.0/22 }", "{ cidr: 100.64.0.0/22");
    let d = parse("flow.yaml", &text).unwrap_err();
    let p = &d.problems()[0];
    assert_eq!(p.line_col(), locate(&text, "inspectionVpc: |{ cidr", 1));
    assert!(
        p.message().contains("this `{` is never closed: `}` expected before line 14"),
        "{}",
        p.message()
    );
    // A list may go on over several lines, deeper than its key: an error there is not
    // an unclosed bracket.
    let text = BASE.replace(
        "gateway: [s3]",
        "gateway: [s3,
        s3: x: y]",
    );
    let d = parse("multi.yaml", &text).unwrap_err();
    assert!(!d.problems()[0].message().contains("never closed"), "{}", d.problems()[0].message());
}

#[test]
fn a_tab_in_indentation_is_named() {
    let text = BASE.replace("    cidr: 10.10.0.0/16", "\tcidr: 10.10.0.0/16");
    let d = parse("tab.yaml", &text).unwrap_err();
    let p = &d.problems()[0];
    assert_eq!(p.code(), Code::Yaml);
    assert!(p.message().contains("YAML does not allow tabs in indentation"), "{}", p.message());
    assert_eq!(p.line_col().0, 17, "{}", p.message());
}

#[test]
fn unknown_key_with_suggestion() {
    check(
        "unknown_key",
        &[("    cidr: 10.10", "    cidrr: 10.10")],
        &[(Code::Missing, "name: workload", 1), (Code::UnknownKey, "cidrr", 1)],
    );
}

#[test]
fn unknown_top_level_key_without_suggestion() {
    check(
        "unknown_key_top",
        &[("availabilityZones: 2", "availabilityZones: 2\nflavour: vanilla")],
        &[(Code::UnknownKey, "flavour", 1)],
    );
}

#[test]
fn spoke_vpc_asking_for_nat() {
    check(
        "spoke_egress",
        &[("    cidr: 10.10.0.0/16\n", "    cidr: 10.10.0.0/16\n    natGateway: true\n")],
        &[(Code::SpokeEgress, "natGateway", 1)],
    );
}

#[test]
fn wrong_types() {
    check(
        "wrong_type",
        &[
            ("availabilityZones: 2", "availabilityZones: two"),
            ("{ min: 1,", "{ min: [1],"),
            ("  account: network", "  account: [network]"),
        ],
        &[
            (Code::WrongType, "Zones: |two", 1),
            (Code::WrongType, "[network]", 1),
            (Code::WrongType, "[1]", 1),
        ],
    );
}

#[test]
fn missing_required_fields() {
    check(
        "missing",
        &[("  region: eu-central-1\n", ""), ("    vpc: workload\n", "")],
        &[(Code::Missing, "metadata", 1), (Code::Missing, "name: apps", 1)],
    );
}

/// A required section that is missing, or not a mapping, is one problem: its own required
/// keys are not reported again, and nothing after it is lost.
#[test]
fn a_missing_section_is_reported_once() {
    let hubless =
        BASE.replace("hub:\n  account: network\n  inspectionVpc: { cidr: 100.64.0.0/22 }\n", "");
    let d = parse("hubless.yaml", &hubless).unwrap_err();
    let messages: Vec<&str> = d.problems().iter().map(|p| p.message()).collect();
    assert_eq!(messages, ["the blueprint has no `hub`"], "{}", render(&d));

    let hub_list = BASE.replace(
        "hub:\n  account: network\n  inspectionVpc: { cidr: 100.64.0.0/22 }\n",
        "hub: [network]\n",
    );
    let d = parse("hub_list.yaml", &hub_list).unwrap_err();
    let messages: Vec<&str> = d.problems().iter().map(|p| p.message()).collect();
    assert_eq!(messages, ["`hub` must be a mapping, found a list"], "{}", render(&d));

    // Inside the hub, a missing inspection VPC is one problem too, and a later mistake
    // is still found.
    let no_vpc = BASE
        .replace("  inspectionVpc: { cidr: 100.64.0.0/22 }\n", "")
        .replace("      - name: general\n", "      - name: general\n        colour: blue\n");
    let d = parse("no_vpc.yaml", &no_vpc).unwrap_err();
    let messages: Vec<&str> = d.problems().iter().map(|p| p.message()).collect();
    assert_eq!(
        messages,
        ["`hub` has no `inspectionVpc`", "unknown key `colour` in node group"],
        "{}",
        render(&d)
    );
}

/// A mapping inside a mapping is named by its path in messages.
#[test]
fn nested_mappings_are_named_by_their_path() {
    let text = BASE.replace(
        "  inspectionVpc: { cidr: 100.64.0.0/22 }\n",
        "  inspectionVpc: { cidr: 100.64.0.0/22, subnets: { transit: 28, firewal: 28 } }\n",
    );
    let d = parse("path.yaml", &text).unwrap_err();
    let p = &d.problems()[0];
    assert_eq!(p.message(), "unknown key `firewal` in `hub.inspectionVpc.subnets`");
    assert_eq!(p.help_text(), Some("did you mean `firewall`?"));
    assert_eq!(p.line_col(), locate(&text, "firewal:", 1));
}

#[test]
fn duplicate_key() {
    check(
        "duplicate_key",
        &[("  name: demo\n", "  name: demo\n  name: other\n")],
        &[(Code::DuplicateKey, "name: other", 1)],
    );
}

#[test]
fn api_version_and_kind() {
    check(
        "api_version_kind",
        &[("airgapctl.dev/v1alpha1", "airgapctl.dev/v1"), ("kind: Environment", "kind: Cluster")],
        &[(Code::ApiVersion, "airgapctl.dev/v1", 1), (Code::Kind, "Cluster", 1)],
    );
}

#[test]
fn env_name() {
    check("env_name", &[("name: demo", "name: Demo_Env")], &[(Code::EnvName, "Demo_Env", 1)]);
    check(
        "env_name_too_long",
        &[("name: demo", "name: a-very-long-environment-name-for-aws")],
        &[(Code::EnvName, "a-very-long", 1)],
    );
}

#[test]
fn unknown_region() {
    check("region", &[("eu-central-1", "eu-centrl-1")], &[(Code::Region, "eu-centrl-1", 1)]);
}

#[test]
fn too_many_azs() {
    check(
        "too_many_azs",
        &[("availabilityZones: 2", "availabilityZones: 4")],
        &[(Code::AvailabilityZones, "4", 1)],
    );
}

#[test]
fn bad_explicit_azs() {
    check(
        "bad_azs",
        &[(
            "availabilityZones: 2",
            "availabilityZones: [eu-central-1a, eu-central-1a, eu-west-1b]",
        )],
        &[
            (Code::AvailabilityZones, "eu-central-1a", 2),
            (Code::AvailabilityZones, "eu-west-1b", 1),
        ],
    );
}

#[test]
fn bad_ttl() {
    check("ttl", &[("ttl: 8h", "ttl: 8 hours")], &[(Code::Ttl, "8 hours", 1)]);
}

#[test]
fn bad_account_id() {
    check(
        "account_id",
        &[("\"333333333333\"", "\"33333333333\"")],
        &[(Code::AccountId, "\"33333333333\"", 1)],
    );
}

#[test]
fn bad_roles() {
    check(
        "role_name",
        &[("role: airgap-deployer }", "role: airgap deployer! }")],
        &[(Code::Role, "airgap deployer!", 1)],
    );
    check(
        "role_arn_other_account",
        &[(
            "role: airgap-deployer }",
            "role: \"arn:aws:iam::999999999999:role/airgap-deployer\" }",
        )],
        &[(Code::Role, "\"arn:aws", 1)],
    );
}

#[test]
fn undefined_account() {
    check(
        "undefined_account",
        &[("    account: workload", "    account: worklaod")],
        &[(Code::UndefinedAccount, "worklaod", 1)],
    );
}

#[test]
fn undefined_vpc() {
    check(
        "undefined_vpc",
        &[("    vpc: workload", "    vpc: tooling")],
        &[(Code::UndefinedVpc, "tooling", 1)],
    );
}

#[test]
fn duplicate_names() {
    let second_vpc = "vpcs:\n  - name: workload\n    account: workload\n    cidr: 10.20.0.0/16\n";
    check(
        "duplicate_names",
        &[
            ("vpcs:\n", second_vpc),
            (
                "        scaling: { min: 1, desired: 2, max: 3 }\n",
                "        scaling: { min: 1, desired: 2, max: 3 }\n      - name: general\n",
            ),
        ],
        &[(Code::DuplicateName, "name: |workload", 2), (Code::DuplicateName, "name: |general", 2)],
    );
}

#[test]
fn bad_cidrs() {
    check(
        "cidr_host_bits",
        &[("cidr: 10.10.0.0/16", "cidr: 10.10.0.1/16")],
        &[(Code::Cidr, "10.10.0.1/16", 1)],
    );
    check(
        "cidr_syntax",
        &[("cidr: 10.10.0.0/16", "cidr: 10.10.0/16")],
        &[(Code::Cidr, "10.10.0/16", 1)],
    );
}

#[test]
fn overlapping_cidrs() {
    let second_vpc =
        "  - name: tooling\n    account: workload\n    cidr: 10.10.128.0/20\n    subnets: { dataPlane: 24 }\nclusters:\n";
    check(
        "cidr_overlap_vpcs",
        &[("clusters:\n", second_vpc)],
        &[(Code::CidrOverlap, "10.10.128.0/20", 1)],
    );
    check(
        "cidr_overlap_inspection",
        &[("cidr: 10.10.0.0/16", "cidr: 100.64.0.0/16")],
        &[(Code::CidrOverlap, "100.64.0.0/16", 1)],
    );
}

#[test]
fn subnets_do_not_fit() {
    check(
        "subnets_do_not_fit",
        &[("cidr: 10.10.0.0/16", "cidr: 10.10.0.0/20")],
        &[(Code::SubnetsDoNotFit, "10.10.0.0/20", 1)],
    );
    check(
        "subnet_larger_than_vpc",
        &[("    cidr: 10.10.0.0/16\n", "    cidr: 10.10.0.0/24\n    subnets: { dataPlane: 23 }\n")],
        &[(Code::SubnetsDoNotFit, "23", 1)],
    );
}

#[test]
fn unknown_endpoint_services() {
    check(
        "endpoint_service",
        &[
            ("gateway: [s3]", "gateway: [s3, sts]"),
            ("[ecr.api, ecr.dkr, sts, ec2]", "[ecr.api, ecr-dkr, sts, sts, blockchain, ec2]"),
        ],
        &[
            (Code::EndpointService, "sts]", 1),
            (Code::EndpointService, "ecr-dkr", 1),
            (Code::DuplicateName, "sts", 3),
            (Code::EndpointService, "blockchain", 1),
        ],
    );
}

#[test]
fn endpoint_policies() {
    check(
        "endpoint_policy",
        &[(
            "      interface: [ecr.api, ecr.dkr, sts, ec2]\n",
            "      interface: [ecr.api, ecr.dkr, sts, ec2]\n      policies:\n        s3: '{\"Statement\": [}'\n        sts: [allow]\n        kms: { Statement: [] }\n",
        )],
        &[
            (Code::EndpointPolicy, "'{", 1),
            (Code::EndpointPolicy, "[allow]", 1),
            (Code::EndpointPolicy, "kms", 1),
        ],
    );
}

#[test]
fn scaling_order() {
    check(
        "scaling",
        &[("{ min: 1, desired: 2, max: 3 }", "{ min: 1, desired: 5, max: 3 }")],
        &[(Code::Scaling, "5", 1)],
    );
}

/// EKS takes at most the group's max size as `maxUnavailable` (AWS's answer recorded in
/// hashicorp/terraform-provider-aws#26551); the plan must not pass what apply would fail.
#[test]
fn max_unavailable_above_max() {
    check(
        "max_unavailable_above_max",
        &[(
            "        scaling: { min: 1, desired: 2, max: 3 }\n",
            "        scaling: { min: 1, desired: 2, max: 3 }\n        updateConfig: { maxUnavailable: 4 }\n",
        )],
        &[(Code::Scaling, "{ maxUnavailable: |4 }", 1)],
    );
}

#[test]
fn cluster_values() {
    check(
        "cluster_values",
        &[(
            "    version: \"1.31\"\n",
            "    version: \"1.31.2\"\n    addons: [vpc-cnii]\n    admins: [platform-admin]\n",
        )],
        &[
            (Code::InvalidValue, "\"1.31.2\"", 1),
            (Code::InvalidValue, "vpc-cnii", 1),
            (Code::InvalidValue, "platform-admin", 1),
        ],
    );
}

#[test]
fn private_cluster_without_ecr_dkr() {
    check(
        "private_cluster_ecr_dkr",
        &[("[ecr.api, ecr.dkr, sts, ec2]", "[ecr.api, sts, ec2]")],
        &[(Code::PrivateCluster, "- name: |apps", 1)],
    );
}

#[test]
fn private_cluster_needs_what_its_features_use() {
    // Logging needs CloudWatch Logs, pod identity needs eks-auth, and no S3 gateway.
    check(
        "private_cluster_features",
        &[
            ("gateway: [s3]", "gateway: [dynamodb]"),
            (
                "    version: \"1.31\"\n",
                "    version: \"1.31\"\n    logging: [api, audit]\n    addons: [vpc-cni, eks-pod-identity-agent]\n",
            ),
        ],
        &[(Code::PrivateCluster, "- name: |apps", 1)],
    );
}

#[test]
fn private_cluster_with_every_endpoint_it_needs() {
    let text = BASE
        .replace("[ecr.api, ecr.dkr, sts, ec2]", "[ecr.api, ecr.dkr, sts, ec2, logs, eks-auth]")
        .replace(
            "    version: \"1.31\"\n",
            "    version: \"1.31\"\n    logging: [api]\n    addons: [eks-pod-identity-agent]\n",
        );
    parse("ready.yaml", &text).unwrap();
    // A VPC without an `endpoints` key gets every endpoint a cluster needs.
    let text = BASE.replace(
        "    endpoints:\n      gateway: [s3]\n      interface: [ecr.api, ecr.dkr, sts, ec2]\n",
        "",
    );
    parse("defaults.yaml", &text).unwrap();
}

#[test]
fn hub_values() {
    check(
        "hub_values",
        &[(
            "  inspectionVpc: { cidr: 100.64.0.0/22 }\n",
            "  transitGateway: { asn: 65535 }\n  inspectionVpc: { cidr: 100.64.0.0/22 }\n  firewall:\n    allowDomains: [\"https://example.com\"]\n    allowRules: [{ protocol: icmp, destination: 0.0.0.0/0, port: 7 }]\n    logging: { retentionDays: 31 }\n",
        )],
        &[
            (Code::InvalidValue, "65535", 1),
            (Code::InvalidValue, "\"https", 1),
            (Code::InvalidValue, "port: |7", 1),
            (Code::InvalidValue, "31", 1),
        ],
    );
}

#[test]
fn nodegroup_values() {
    check(
        "nodegroup_values",
        &[(
            "        scaling: { min: 1, desired: 2, max: 3 }\n",
            "        scaling: { min: 1, desired: 2, max: 3 }\n        amiType: AL2023_x86_64_STANDART\n        amiId: ami-123\n        instanceTypes: [m6i]\n        taints: [{ key: a, effect: NoSchedule }]\n",
        )],
        &[
            (Code::InvalidValue, "amiType: |AL2023", 1),
            (Code::InvalidValue, "amiId", 1),
            (Code::InvalidValue, "m6i]", 1),
            (Code::InvalidValue, "NoSchedule", 1),
        ],
    );
}

#[test]
fn cluster_version_eks_does_not_offer() {
    check(
        "cluster_version_retired",
        &[("    version: \"1.31\"\n", "    version: \"1.12\"\n")],
        &[(Code::InvalidValue, "\"1.12\"", 1)],
    );
}

#[test]
fn nodegroup_labels_and_taints_beyond_eks_limits() {
    let long = "k".repeat(64);
    let labels = format!(
        "        labels: {{ team: apps, example.com/tier: web, {long}: x, Bad_Prefix/x: y, tier: \"\", ok: -dash }}\n"
    );
    let taints = format!(
        "        taints: [{{ key: dedicated, value: {}, effect: NO_SCHEDULE }}, {{ key: gpu, effect: NO_EXECUTE }}]\n",
        "v".repeat(64)
    );
    let extra = format!("        scaling: {{ min: 1, desired: 2, max: 3 }}\n{labels}{taints}");
    check(
        "nodegroup_labels_taints",
        &[("        scaling: { min: 1, desired: 2, max: 3 }\n", extra.as_str())],
        &[
            (Code::InvalidValue, &format!("{long}: x"), 1),
            (Code::InvalidValue, "Bad_Prefix", 1),
            (Code::InvalidValue, "\"\", ok", 1),
            (Code::InvalidValue, "-dash", 1),
            (Code::InvalidValue, "vvvv", 1),
        ],
    );
}

#[test]
fn nodegroup_update_config() {
    check(
        "nodegroup_update_config",
        &[(
            "        scaling: { min: 1, desired: 2, max: 3 }\n",
            "        scaling: { min: 1, desired: 2, max: 3 }\n        updateConfig: { maxUnavailable: 1, maxUnavailablePercentage: 20 }\n      - name: batch\n        updateConfig: { maxUnavailablePercentage: 101 }\n      - name: spare\n        updateConfig: {}\n",
        )],
        &[
            (Code::InvalidValue, "maxUnavailablePercentage: 20", 1),
            (Code::InvalidValue, "101", 1),
            (Code::Missing, "updateConfig: {}", 1),
        ],
    );
}

#[test]
fn every_problem_reported_at_once() {
    let text = BASE
        .replace("name: demo", "name: DEMO")
        .replace("ttl: 8h", "ttl: soon")
        .replace("\"111111111111\"", "\"1111\"")
        .replace("cidr: 10.10.0.0/16", "cidr: 100.64.1.0/24")
        .replace("    vpc: workload", "    vpc: nowhere")
        .replace("desired: 2, max: 3", "desired: 2, max: 1")
        .replace("[ecr.api,", "[ecr.apii,");
    let diags = parse("many.yaml", &text).unwrap_err();
    let codes: Vec<Code> = diags.problems().iter().map(|p| p.code()).collect();
    assert_eq!(
        codes,
        [
            Code::EnvName,
            Code::Ttl,
            Code::AccountId,
            Code::SubnetsDoNotFit,
            Code::CidrOverlap,
            Code::EndpointService,
            Code::UndefinedVpc,
            Code::Scaling,
        ],
        "{}",
        render(&diags)
    );
    let report = render(&diags);
    assert!(report.contains("many.yaml: 8 problems found"), "{report}");
    insta::assert_snapshot!("many", report);
}

#[test]
fn empty_file() {
    let d = parse("empty.yaml", "").unwrap_err();
    assert_eq!(d.problems()[0].code(), Code::Yaml);
    let d = parse("list.yaml", "- a\n").unwrap_err();
    assert_eq!(d.problems()[0].code(), Code::WrongType);
}

#[test]
fn an_existing_transit_gateway_needs_a_real_id_and_no_asn() {
    check(
        "existing_tgw_bad_id",
        &[("  account: network\n", "  account: network\n  transitGateway: { id: tgw-XYZ }\n")],
        &[(Code::InvalidValue, "id: |tgw-XYZ", 1)],
    );
    check(
        "existing_tgw_with_asn",
        &[(
            "  account: network\n",
            "  account: network\n  transitGateway: { id: tgw-0123456789abcdef0, asn: 65000 }\n",
        )],
        &[(Code::InvalidValue, "|asn: 65000", 1)],
    );
    let text = BASE.replace(
        "  account: network\n",
        "  account: network\n  transitGateway: { id: tgw-0123456789abcdef0 }\n",
    );
    parse("existing.yaml", &text).expect("an existing gateway's id alone is valid");
}

#[test]
fn a_vpn_needs_its_vpc_a_free_client_range_and_known_clusters() {
    let vpn = |body: &str| format!("{BASE}access:\n  vpn:\n{body}");
    let bad = vpn("    vpc: workloads\n    clientCidr: 10.10.0.0/24\n    clusters: [app]\n");
    let d = parse("vpn.yaml", &bad).unwrap_err();
    let codes: Vec<Code> = d.problems().iter().map(|p| p.code()).collect();
    assert_eq!(
        codes,
        [Code::UndefinedVpc, Code::InvalidValue, Code::CidrOverlap, Code::InvalidValue],
        "{}",
        render(&d)
    );
    let text = render(&d);
    assert!(text.contains("did you mean `workload`?"), "{text}");
    assert!(text.contains("did you mean `apps`?"), "{text}");
    assert!(text.contains("/12 to /22"), "{text}");
    assert!(text.contains("overlaps VPC `workload`"), "{text}");
    for p in d.problems() {
        assert!(p.help_text().is_some(), "{}", p.message());
    }
    parse(
        "vpn-ok.yaml",
        &vpn("    vpc: workload\n    clientCidr: 10.250.0.0/22\n    clusters: [apps]\n"),
    )
    .expect("a valid VPN");
}

#[test]
fn dns_needs_a_defined_vpc_and_cidrs_to_allow() {
    let dns = |body: &str| format!("{BASE}access:\n  dns:\n{body}");
    let d =
        parse("dns.yaml", &dns("    vpc: workloads\n    allowFrom: [10.1.0.0/33]\n")).unwrap_err();
    let codes: Vec<Code> = d.problems().iter().map(|p| p.code()).collect();
    assert_eq!(codes.len(), 2, "{}", render(&d));
    assert!(codes.contains(&Code::UndefinedVpc), "{}", render(&d));
    let text = render(&d);
    assert!(text.contains("did you mean `workload`?"), "{text}");
    assert!(text.contains("dns.yaml:"), "says where: {text}");
    let d = parse("dns.yaml", &dns("    allowFrom: [10.1.0.0/16]\n    port: 53\n")).unwrap_err();
    let text = render(&d);
    assert!(text.contains("vpc"), "the missing key is named: {text}");
    assert!(text.contains("port"), "the unknown key is named: {text}");
    parse("dns-ok.yaml", &dns("    vpc: workload\n    allowFrom: [192.168.0.0/16]\n"))
        .expect("a valid DNS endpoint");
}

#[test]
fn a_private_link_service_needs_one_load_balancer_and_principal_arns() {
    let pl = |body: &str| format!("{BASE}access:\n  privateLink:\n{body}");
    let bad = pl("    - name: Partners_API\n      vpc: workloads\n      allowedPrincipals: [\"*\", \"444455556666\"]\n    - name: both\n      vpc: workload\n      loadBalancerArn: arn:aws:elasticloadbalancing:eu-central-1:111111111111:loadbalancer/net/x/1\n      allowedPrincipals: [arn:aws:iam::444455556666:root]\n    - name: none\n    - name: far\n      loadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/x/1\n      allowedPrincipals: [arn:aws:iam::444455556666:root]\n");
    let d = parse("pl.yaml", &bad).unwrap_err();
    let text = render(&d);
    for want in [
        "`Partners_API` is not a privateLink name",
        "did you mean `workload`?",
        "`*` is not an IAM principal ARN",
        "`444455556666` is not an IAM principal ARN",
        "`vpc` and `loadBalancerArn` both given",
        "privateLink `none` has no load balancer",
        "privateLink `none` allows no principal",
        "loadbalancer/app/x/1` is not a Network",
        "pl.yaml:",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    for p in d.problems() {
        assert!(p.help_text().is_some(), "{}", p.message());
    }
    let region = pl("    - name: far\n      loadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/net/x/1\n      allowedPrincipals: [arn:aws:iam::444455556666:root]\n");
    let text = render(&parse("pl.yaml", &region).unwrap_err());
    assert!(text.contains("the load balancer is in us-east-1"), "{text}");
    assert!(text.contains("account 999999999999 is not among `accounts`"), "{text}");
    parse(
        "pl-ok.yaml",
        &pl("    - name: partners-api\n      vpc: workload\n      allowedPrincipals: [arn:aws:iam::444455556666:root]\n"),
    )
    .expect("a valid privateLink service");
}

/// The ECR endpoint policies made from `registries` list every repository ARN: with
/// hundreds of repositories they pass AWS's 20,480 characters for one policy, which
/// `validate` says on the endpoint's line, with the way out. Declaring the policies
/// instead is accepted.
#[test]
fn a_made_endpoint_policy_over_the_limit() {
    let repos: Vec<String> = (0..300).map(|i| format!("mirror/team-{i:03}/image")).collect();
    let text =
        format!("{BASE}registries:\n  account: workload\n  repositories: [{}]\n", repos.join(", "));
    let d = parse("big.yaml", &text).unwrap_err();
    let got: Vec<(Code, (usize, usize))> =
        d.problems().iter().map(|p| (p.code(), p.line_col())).collect();
    assert_eq!(
        got,
        [
            (Code::EndpointPolicy, locate(&text, "interface: [|ecr.api", 1)),
            (Code::EndpointPolicy, locate(&text, "interface: [ecr.api, |ecr.dkr", 1)),
        ],
        "{}",
        render(&d)
    );
    let p = &d.problems()[0];
    assert!(p.message().contains("(AWS allows 20480)"), "{}", p.message());
    assert!(p.help_text().unwrap().contains("repository/team/*"), "{:?}", p.help_text());
    let wide = "{ Statement: [{ Effect: Allow, Principal: \"*\", Action: [ecr:BatchGetImage], Resource: [\"arn:aws:ecr:eu-central-1:333333333333:repository/mirror/*\"] }] }";
    let declared = text.replace(
        "      interface: [ecr.api, ecr.dkr, sts, ec2]\n",
        &format!("      interface: [ecr.api, ecr.dkr, sts, ec2]\n      policies: {{ ecr.api: {wide}, ecr.dkr: {wide} }}\n"),
    );
    parse("declared.yaml", &declared).unwrap();
}

/// `registries.quarantine` and `scanning`: a prefix that is the start of a declared
/// repository (quarantined and pulled images would share names), a prefix that is no
/// repository name, and an unknown scan type, each at its value with the way out; a good
/// prefix expands into one quarantine repository per repository, in the scanning rule.
#[test]
fn quarantine_and_scanning_are_checked_where_written() {
    let reg = |extra: &str| {
        format!(
            "{BASE}registries:\n  account: workload\n  repositories: [mirror/app, quarantine/x]\n{extra}"
        )
    };
    for (extra, needle, message) in [
        (
            "  quarantine: quarantine\n",
            "quarantine: |quarantine",
            "is also the start of the declared repository `quarantine/x`",
        ),
        (
            "  quarantine: Quarantine\n",
            "quarantine: |Quarantine",
            "is not a repository name prefix",
        ),
        (
            "  scanning: inspector\n",
            "scanning: |inspector",
            "`scanning` `inspector` is not one of: basic, enhanced",
        ),
    ] {
        let text = reg(extra);
        let d = parse("q.yaml", &text).unwrap_err();
        let p = &d.problems()[0];
        assert_eq!(p.line_col(), locate(&text, needle, 1), "{}", render(&d));
        assert!(p.message().contains(message), "{}", p.message());
        assert!(p.help_text().is_some(), "{}", render(&d));
    }
    let text = reg("  quarantine: held\n  scanning: enhanced\n");
    let bp = parse("ok.yaml", &text).unwrap();
    let g = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
    for id in ["registry/held/mirror/app", "registry/held/quarantine/x", "ecr/scanning"] {
        assert!(g.get(&id.into()).is_some(), "{id}");
    }
    let scanning = &g.get(&"ecr/scanning".into()).unwrap().attrs["repositories"];
    assert_eq!(
        format!("{scanning:?}").matches("held/").count(),
        2,
        "the quarantine repositories are in the rule: {scanning:?}"
    );
}
