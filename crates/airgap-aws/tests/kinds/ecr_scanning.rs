//! Enhanced scanning against mocked ECR responses: the registry's scanning configuration
//! written back with the environment's filters beside what was there, observe reporting
//! only the environment's filters, and the gate counting Inspector's findings, which ECR
//! lists as `enhancedFindings` without `findingSeverityCounts`, over every page.

use crate::mock::{node, scope, ENV};
use airgap_aws::artifacts::{EcrRegistry, ScanState};
use airgap_aws::ecr_scanning::EcrRegistryScanning;
use airgap_catalog::spec::{EcrRegistryScanningSpec, Spec};
use airgap_engine::Kind;
use aws_sdk_ecr::operation::describe_image_scan_findings::DescribeImageScanFindingsOutput;
use aws_sdk_ecr::operation::describe_repositories::DescribeRepositoriesOutput;
use aws_sdk_ecr::operation::get_registry_scanning_configuration::GetRegistryScanningConfigurationOutput;
use aws_sdk_ecr::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_ecr::operation::put_registry_scanning_configuration::PutRegistryScanningConfigurationOutput;
use aws_sdk_ecr::types::{
    EnhancedImageScanFinding, ImageScanFindings, ImageScanStatus, RegistryScanningConfiguration,
    RegistryScanningRule, Repository, ScanFrequency, ScanStatus, ScanType,
    ScanningRepositoryFilter, ScanningRepositoryFilterType, Tag,
};
use aws_sdk_ecr::Client;
use aws_smithy_mocks::{mock, Rule};

fn rule(frequency: ScanFrequency, filters: &[&str]) -> RegistryScanningRule {
    RegistryScanningRule::builder()
        .scan_frequency(frequency)
        .set_repository_filters(Some(
            filters
                .iter()
                .map(|f| {
                    ScanningRepositoryFilter::builder()
                        .filter(*f)
                        .filter_type(ScanningRepositoryFilterType::Wildcard)
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .build()
        .unwrap()
}

fn current(rules: Vec<RegistryScanningRule>) -> Rule {
    mock!(Client::get_registry_scanning_configuration).then_output(move || {
        GetRegistryScanningConfigurationOutput::builder()
            .scanning_configuration(
                RegistryScanningConfiguration::builder()
                    .scan_type(ScanType::Enhanced)
                    .set_rules(Some(rules.clone()))
                    .build(),
            )
            .build()
    })
}

fn as_pairs(rules: &[RegistryScanningRule]) -> Vec<(String, Vec<String>)> {
    rules
        .iter()
        .map(|r| {
            let fs = r.repository_filters().iter().map(|f| f.filter().to_string()).collect();
            (r.scan_frequency().as_str().to_string(), fs)
        })
        .collect()
}

fn spec() -> EcrRegistryScanningSpec {
    EcrRegistryScanningSpec {
        scan_type: "ENHANCED".into(),
        frequency: "CONTINUOUS_SCAN".into(),
        repositories: vec!["mirror/busybox".into(), "mirror/nginx".into()],
    }
}

#[tokio::test]
async fn create_writes_the_environments_rule_beside_what_was_there() {
    let get = current(vec![rule(ScanFrequency::ScanOnPush, &["team/*"])]);
    let put = mock!(Client::put_registry_scanning_configuration)
        .match_requests(|r| {
            r.scan_type() == Some(&ScanType::Enhanced)
                && as_pairs(r.rules())
                    == [
                        ("SCAN_ON_PUSH".to_string(), vec!["team/*".to_string()]),
                        (
                            "CONTINUOUS_SCAN".to_string(),
                            vec!["mirror/busybox".to_string(), "mirror/nginx".to_string()],
                        ),
                    ]
        })
        .then_output(|| PutRegistryScanningConfigurationOutput::builder().build());
    let kind = EcrRegistryScanning(mocked!(aws_sdk_ecr, &[&get, &put]));
    kind.create(&node("ecr/scanning", spec().to_attrs())).await.unwrap();
    assert_eq!((get.num_calls(), put.num_calls()), (1, 1));
}

#[tokio::test]
async fn observe_reports_the_environments_filters_only() {
    let repo = |name: &str| {
        Repository::builder()
            .repository_name(name)
            .repository_arn(format!("arn:aws:ecr:eu-central-1:111111111111:repository/{name}"))
            .build()
    };
    let repos = mock!(Client::describe_repositories).then_output(move || {
        DescribeRepositoriesOutput::builder()
            .set_repositories(Some(vec![repo("mirror/nginx"), repo("team/app")]))
            .build()
    });
    let ours = mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_arn().is_some_and(|a| a.ends_with("mirror/nginx")))
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tags(Some(vec![
                    Tag::builder().key("airgap:env").value(ENV).build().unwrap(),
                    Tag::builder().key("airgap:id").value("registry/mirror/nginx").build().unwrap(),
                ]))
                .build()
        });
    let theirs = mock!(Client::list_tags_for_resource)
        .then_output(|| ListTagsForResourceOutput::builder().build());
    let get = current(vec![
        rule(ScanFrequency::ScanOnPush, &["team/app"]),
        rule(ScanFrequency::ContinuousScan, &["team/other", "mirror/nginx"]),
    ]);
    let kind = EcrRegistryScanning(mocked!(aws_sdk_ecr, &[&repos, &ours, &theirs, &get]));
    let found = kind.observe(ENV, &scope()).await.unwrap();
    assert_eq!(found.len(), 1);
    let seen = EcrRegistryScanningSpec::from_attrs(&found[0].attrs).unwrap();
    assert_eq!(seen.frequency, "CONTINUOUS_SCAN");
    assert_eq!(seen.repositories, ["mirror/nginx"]);
}

fn finding(severity: &str) -> EnhancedImageScanFinding {
    EnhancedImageScanFinding::builder().severity(severity).build()
}

#[tokio::test]
async fn the_gate_counts_enhanced_findings_over_every_page() {
    let first = mock!(Client::describe_image_scan_findings)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            DescribeImageScanFindingsOutput::builder()
                .image_scan_status(
                    ImageScanStatus::builder()
                        .status(ScanStatus::Active)
                        .description("Continuous scan is selected for image.")
                        .build(),
                )
                .image_scan_findings(
                    ImageScanFindings::builder()
                        .set_enhanced_findings(Some(vec![finding("HIGH"), finding("LOW")]))
                        .build(),
                )
                .next_token("2")
                .build()
        });
    let second = mock!(Client::describe_image_scan_findings)
        .match_requests(|r| r.next_token() == Some("2"))
        .then_output(|| {
            DescribeImageScanFindingsOutput::builder()
                .image_scan_status(ImageScanStatus::builder().status(ScanStatus::Active).build())
                .image_scan_findings(
                    ImageScanFindings::builder()
                        .set_enhanced_findings(Some(vec![finding("HIGH"), finding("UNTRIAGED")]))
                        .build(),
                )
                .build()
        });
    let ecr = mocked!(aws_sdk_ecr, &[&first, &second]);
    let registry = EcrRegistry::new(&ecr, &scope()).unwrap();
    let state = registry.scan_state("mirror/nginx", "sha256:ab").await.unwrap();
    let ScanState::Complete(counts) = state else { panic!("{state:?}") };
    let counts: Vec<(&str, u64)> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(counts, [("HIGH", 2), ("LOW", 1), ("UNTRIAGED", 1)]);
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}
