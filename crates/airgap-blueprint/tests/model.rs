//! Defaults and value handling of a successfully parsed blueprint.

use airgap_blueprint::{parse, Ami, AzSpec, SubnetTier};

const MINI: &str = r#"apiVersion: airgapctl.dev/v1alpha1
kind: Environment
metadata: { name: mini, region: ap-northeast-1 }
accounts:
  main: { id: 012345678901 }
hub:
  account: main
  inspectionVpc: { cidr: 100.64.0.0/22 }
vpcs:
  - { name: workload, account: main, cidr: 10.10.0.0/16 }
clusters:
  - name: apps
    vpc: workload
    version: 1.30
    nodegroups:
      - name: general
      - name: custom
        launchTemplate: { id: lt-0123456789abcdef0 }
"#;

#[test]
fn defaults_are_applied() {
    let bp = parse("mini.yaml", MINI).unwrap();
    // Unquoted numbers keep their text: leading zero and trailing zero survive.
    assert_eq!(bp.accounts[0].id.value, "012345678901");
    assert_eq!(bp.clusters[0].version.as_ref().unwrap().value, "1.30");
    assert_eq!(bp.availability_zones.value, AzSpec::Count(2));
    // ap-northeast-1 has no `b` zone.
    assert_eq!(bp.azs(), ["ap-northeast-1a", "ap-northeast-1c"]);
    assert_eq!(bp.hub.transit_gateway.asn.value, 64512);
    assert!(!bp.hub.transit_gateway.auto_accept_shared_attachments.value);
    assert!(bp.hub.firewall.is_none());
    assert!(bp.metadata.ttl.is_none());
    assert!(bp.accounts[0].role_arn().is_none());
    let vpc = &bp.vpcs[0];
    assert_eq!(
        vpc.subnets.tiers(),
        [
            (SubnetTier::ControlPlane, 28),
            (SubnetTier::DataPlane, 20),
            (SubnetTier::Endpoints, 24),
            (SubnetTier::Transit, 28)
        ]
    );
    let gw: Vec<&str> = vpc.endpoints.gateway.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(gw, ["s3"]);
    assert_eq!(vpc.endpoints.interface.len(), 9);
    let c = &bp.clusters[0];
    assert!(c.secrets_encryption.value);
    let ng = &c.nodegroups[0];
    assert_eq!(ng.ami.value, Ami::Type("AL2023_x86_64_STANDARD".into()));
    assert_eq!(ng.instance_types[0].value, "m6i.large");
    assert_eq!((ng.scaling.min.value, ng.scaling.desired.value, ng.scaling.max.value), (1, 2, 3));
    assert_eq!(
        c.nodegroups[1].ami.value,
        Ami::LaunchTemplate { id_or_name: "lt-0123456789abcdef0".into(), version: None }
    );
}

#[test]
fn anchors_and_aliases_resolve() {
    let text = MINI.replace(
        "  main: { id: 012345678901 }",
        "  main: &acct { id: \"012345678901\", role: airgap-deployer }\n  other: *acct",
    );
    let bp = parse("anchors.yaml", &text).unwrap();
    assert_eq!(bp.accounts.len(), 2);
    assert_eq!(
        bp.account("other").unwrap().role_arn().as_deref(),
        Some("arn:aws:iam::012345678901:role/airgap-deployer")
    );
}

#[test]
fn ami_choices_are_exclusive() {
    let text = MINI.replace(
        "launchTemplate: { id: lt-0123456789abcdef0 }",
        "launchTemplate: { id: lt-0123456789abcdef0 }\n        amiId: ami-0123456789abcdef0",
    );
    let d = parse("ami.yaml", &text).unwrap_err();
    assert_eq!(d.problems().len(), 1);
    assert!(d.problems()[0].message().contains("only one of"));
}

#[test]
fn one_cluster_needs_two_azs() {
    let text = MINI.replace("accounts:", "availabilityZones: 1\naccounts:");
    let d = parse("az.yaml", &text).unwrap_err();
    assert_eq!(d.problems().len(), 1);
    assert_eq!(d.problems()[0].code(), airgap_blueprint::Code::AvailabilityZones);
}
