//! Overlays (`-f base.yaml -f pr.yaml --set path=value`): what the merge makes, and that
//! each problem is reported in the source that wrote the value, at its line and column.

use airgap_blueprint::{line_col, parse, parse_layers, Code, Layer, SET_SOURCE};
use miette::{GraphicalReportHandler, GraphicalTheme};

const BASE: &str = r#"apiVersion: airgapctl.dev/v1alpha1
kind: Environment
metadata:
  name: demo
  region: eu-central-1
accounts:
  network: { id: "111111111111", role: airgap-deployer }
availabilityZones: 2
hub:
  account: network
  inspectionVpc: { cidr: 100.64.0.0/22 }
vpcs:
  - name: workload
    account: network
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

fn layers(over: &[&str]) -> Vec<Layer> {
    let mut out = vec![Layer { name: "base.yaml".into(), text: BASE.into() }];
    out.extend(
        over.iter()
            .enumerate()
            .map(|(i, t)| Layer { name: format!("pr{i}.yaml"), text: t.to_string() }),
    );
    out
}

fn sets(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

#[test]
fn an_overlay_changes_what_it_names_and_keeps_the_rest() {
    let pr = "metadata:\n  name: pr-42\n  ttl: 4h\nclusters:\n  - name: apps\n    vpc: workload\n    \
              version: \"1.31\"\n    nodegroups:\n      - name: general\n        scaling: { min: 1, desired: 1, max: 1 }\n";
    let bp = parse_layers(&layers(&[pr]), &[]).unwrap();
    assert_eq!(bp.metadata.name.value, "pr-42");
    assert_eq!(bp.metadata.region.value, "eu-central-1", "kept from the base");
    assert_eq!(bp.vpcs.len(), 1);
    let ng = &bp.clusters[0].nodegroups[0];
    assert_eq!((ng.scaling.min.value, ng.scaling.desired.value, ng.scaling.max.value), (1, 1, 1));
    // The same as the whole file written out.
    let whole = BASE
        .replace("name: demo", "name: pr-42\n  ttl: 4h")
        .replace("{ min: 1, desired: 2, max: 3 }", "{ min: 1, desired: 1, max: 1 }");
    let direct = parse("whole.yaml", &whole).unwrap();
    assert_eq!(airgap_blueprint::expand(&bp).unwrap().seal().unwrap().len(), {
        airgap_blueprint::expand(&direct).unwrap().seal().unwrap().len()
    });
    // Positions of what the overlay wrote are in the overlay.
    let (file, line, _) = bp.position(bp.metadata.name.span.offset());
    assert_eq!((file.as_str(), line), ("pr0.yaml", 2));
    let (file, line, _) = bp.position(bp.metadata.region.span.offset());
    assert_eq!((file.as_str(), line), ("base.yaml", 5));
}

#[test]
fn settings_apply_after_the_files() {
    let bp = parse_layers(
        &layers(&["metadata: { name: from-file }\n"]),
        &sets(&[
            "metadata.name=from-set",
            "clusters.0.nodegroups.0.scaling.desired=3",
            "clusters.0.nodegroups.0.scaling.max=5",
        ]),
    )
    .unwrap();
    assert_eq!(bp.metadata.name.value, "from-set");
    assert_eq!(bp.clusters[0].nodegroups[0].scaling.desired.value, 3);
    let (file, line, col) = bp.position(bp.metadata.name.span.offset());
    assert_eq!((file.as_str(), line, col), (SET_SOURCE, 1, 15));
}

#[test]
fn null_deletes_and_lists_replace() {
    // The clusters are removed; the endpoints list is replaced, not appended to.
    let pr = "clusters: null\nvpcs:\n  - name: workload\n    account: network\n    cidr: 10.10.0.0/16\n    \
              endpoints: { gateway: [s3], interface: [sts] }\n";
    let bp = parse_layers(&layers(&[pr]), &[]).unwrap();
    assert!(bp.clusters.is_empty());
    let interface: Vec<&str> =
        bp.vpcs[0].endpoints.interface.iter().map(|e| e.value.as_str()).collect();
    assert_eq!(interface, ["sts"]);
}

#[test]
fn a_problem_is_reported_in_the_overlay_that_wrote_it() {
    let pr = "# a smaller PR environment\nvpcs:\n  - name: workload\n    account: network\n    cidr: 10.10.0.0/33\n";
    let d = parse_layers(&layers(&[pr]), &[]).unwrap_err();
    let p = &d.problems()[0];
    assert_eq!(p.code(), Code::Cidr, "{p:?}");
    let at = pr.find("10.10.0.0/33").unwrap();
    assert_eq!(p.line_col(), line_col(pr, at));
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::none())
        .with_width(100)
        .render_report(&mut out, &d)
        .unwrap();
    assert!(out.contains("[pr0.yaml:5:11]"), "{out}");
    assert!(out.contains("10.10.0.0/33"), "{out}");
}

#[test]
fn a_problem_across_files_names_the_other_place() {
    // Two VPCs with one CIDR: one in the base, one added by the overlay? Lists replace, so
    // the overlay writes both; the overlap between an overlay VPC and the base's inspection
    // VPC is across files.
    let pr = "vpcs:\n  - name: workload\n    account: network\n    cidr: 100.64.0.0/16\n";
    let d = parse_layers(&layers(&[pr]), &[]).unwrap_err();
    let p = d
        .problems()
        .iter()
        .find(|p| p.message().contains("overlap"))
        .unwrap_or_else(|| panic!("no overlap in {:?}", d.problems()));
    let help = p.help_text().unwrap_or_default();
    assert!(help.contains("base.yaml:11:"), "{help}");
    assert!(["base.yaml", "pr0.yaml"].iter().any(|f| format!("{p:?}").contains(f)));
}

#[test]
fn a_wrong_setting_is_reported_in_the_settings() {
    for (set, needle) in [
        ("clusters.9.version=1.31", "past the end of a list of 1"),
        ("metadata.name.x=1", "which is a value"),
        ("metadata", "no `=`"),
        ("metadata..name=x", "an empty key"),
    ] {
        let d = parse_layers(&layers(&[]), &sets(&[set])).unwrap_err();
        let p = &d.problems()[0];
        assert!(p.message().contains(needle), "{set}: {}", p.message());
        let mut out = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::none())
            .render_report(&mut out, &d)
            .unwrap();
        assert!(out.contains("[--set:1:1]"), "{set}: {out}");
    }
    // A setting whose value the schema refuses: reported at the value in --set.
    let d = parse_layers(&layers(&[]), &sets(&["metadata.name=ok", "availabilityZones=9"]))
        .unwrap_err();
    let p = &d.problems()[0];
    assert_eq!(p.line_col(), (2, 19), "{p:?}");
}

#[test]
fn one_file_without_settings_is_the_plain_parse() {
    let bp = parse_layers(&layers(&[]), &[]).unwrap();
    assert!(bp.layers.is_single());
    assert_eq!(bp.position(bp.metadata.region.span.offset()), ("base.yaml".into(), 5, 11));
}
