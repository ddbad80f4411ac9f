//! `verify --aws-analyzer`: asks AWS Network Access Analyzer the egress question too, so
//! its findings stand next to verify's own. In each account that holds spoke subnets of
//! the environment, one Network Access Scope: from those subnets (by id) to any internet
//! gateway, excluding paths through the account's firewalls; one analysis of it, waited
//! for; its findings; then the analysis and the scope are deleted.
//!
//! AWS bills $0.002 per network interface analysed, and an analysis takes minutes. Without
//! AWS Organizations' trusted access the analyzer sees one account: a spoke's path that
//! leaves through the hub's transit gateway attachment is not followed into the hub, so
//! across accounts it finds what leaves a spoke account directly (an internet gateway
//! someone attached there), which is the gap verify's model also names.
//!
//! API (botocore `ec2`): CreateNetworkInsightsAccessScope and
//! StartNetworkInsightsAccessScopeAnalysis require a ClientToken (one per call here, kept
//! across the SDK's retries of that call); a resource statement holds ids or types, never
//! both (Network Access Analyzer guide, "Resource statements"); subnets are sources by id,
//! internet gateways destinations by type, firewalls through-resources by ARN.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use airgap_engine::KindError;
use aws_sdk_ec2::types::{
    AccessScopePathRequest, AnalysisStatus, PathComponent, PathStatementRequest,
    ResourceStatementRequest, ResourceType, Tag, TagSpecification,
    ThroughResourcesStatementRequest,
};

use crate::errors::classify;
use crate::inspect::{InspectError, Inspection};
use crate::{tags, Provider};

/// How long an analysis may run before verify gives up on it (AWS's take minutes).
const ANALYSIS_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const POLL: Duration = Duration::from_secs(5);

/// One account's analysis.
#[derive(Clone, Debug)]
pub struct AnalyzerRun {
    pub account: String,
    pub scope: String,
    pub analysis: String,
    /// `succeeded`, `failed`, or `running` when verify stopped waiting.
    pub status: String,
    pub message: Option<String>,
    pub analyzed_enis: Option<i32>,
    /// The subnets given as sources.
    pub sources: Vec<String>,
    pub findings: Vec<AnalyzerFinding>,
}

/// One path the analyzer found, component by component.
#[derive(Clone, Debug)]
pub struct AnalyzerFinding {
    pub id: String,
    pub components: Vec<String>,
}

fn at<'a>(account: &'a str, what: &'static str) -> impl Fn(KindError) -> InspectError + 'a {
    move |source| InspectError::Call { account: account.to_string(), what, source }
}

/// A unique client token of at most 64 ASCII characters (EC2 idempotency tokens).
fn token(what: &str) -> String {
    format!("airgap-{what}-{:032x}", rand::random::<u128>())
}

/// Runs one analysis per account with spoke subnets of the environment.
pub async fn analyze(
    provider: &Provider,
    env: &str,
    found: &Inspection,
) -> Result<Vec<AnalyzerRun>, InspectError> {
    let spoke_vpcs: Vec<&str> = found
        .topology
        .vpcs_of(airgap_verify::topology::VpcRole::Spoke)
        .map(|v| v.id.as_str())
        .collect();
    let mut by_account: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for s in found.topology.subnets.values().filter(|s| spoke_vpcs.contains(&s.vpc.as_str())) {
        let (Some(account), Some(aws)) = (found.owners.get(&s.id), found.aws_ids.get(&s.id)) else {
            continue;
        };
        by_account.entry(account).or_default().0.push(aws.clone());
    }
    for f in &found.topology.firewalls {
        let (Some(account), Some(arn)) = (found.owners.get(&f.id), found.aws_ids.get(&f.id)) else {
            continue;
        };
        if let Some(e) = by_account.get_mut(account.as_str()) {
            e.1.push(arn.clone());
        }
    }
    let mut runs = Vec::new();
    for (account, (subnets, firewalls)) in by_account {
        let conf = provider
            .sdk_config(account)
            .ok_or_else(|| InspectError::NoConfig(account.to_string()))?;
        let c = crate::stats::counted_client!(aws_sdk_ec2, conf, provider.stats());
        runs.push(analyze_account(&c, env, account, subnets, firewalls).await?);
    }
    Ok(runs)
}

async fn analyze_account(
    c: &aws_sdk_ec2::Client,
    env: &str,
    account: &str,
    sources: Vec<String>,
    firewalls: Vec<String>,
) -> Result<AnalyzerRun, InspectError> {
    let statement =
        |b: ResourceStatementRequest| PathStatementRequest::builder().resource_statement(b).build();
    let path = AccessScopePathRequest::builder()
        .source(statement(
            ResourceStatementRequest::builder().set_resources(Some(sources.clone())).build(),
        ))
        .destination(statement(
            ResourceStatementRequest::builder().resource_types("AWS::EC2::InternetGateway").build(),
        ))
        .build();
    let mut tagging =
        TagSpecification::builder().resource_type(ResourceType::NetworkInsightsAccessScope);
    for (k, v) in tags::standard(env, "verify/aws-analyzer") {
        tagging = tagging.tags(Tag::builder().key(k).value(v).build());
    }
    let mut req = c
        .create_network_insights_access_scope()
        .client_token(token("scope"))
        .match_paths(path)
        .tag_specifications(tagging.build());
    if !firewalls.is_empty() {
        req = req.exclude_paths(
            AccessScopePathRequest::builder()
                .through_resources(
                    ThroughResourcesStatementRequest::builder()
                        .resource_statement(
                            ResourceStatementRequest::builder()
                                .set_resources(Some(firewalls))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
    }
    let scope = req
        .send()
        .await
        .map_err(classify)
        .map_err(at(account, "CreateNetworkInsightsAccessScope"))?
        .network_insights_access_scope()
        .and_then(|s| s.network_insights_access_scope_id())
        .unwrap_or_default()
        .to_string();
    let result = run_analysis(c, account, &scope, sources).await;
    // The scope goes whatever the analysis did; a scope left behind costs nothing.
    if let Err(e) = c
        .delete_network_insights_access_scope()
        .network_insights_access_scope_id(&scope)
        .send()
        .await
    {
        tracing::warn!(account, scope, error = %classify(e), "could not delete the access scope");
    }
    result
}

async fn run_analysis(
    c: &aws_sdk_ec2::Client,
    account: &str,
    scope: &str,
    sources: Vec<String>,
) -> Result<AnalyzerRun, InspectError> {
    let started = c
        .start_network_insights_access_scope_analysis()
        .network_insights_access_scope_id(scope)
        .client_token(token("analysis"))
        .send()
        .await
        .map_err(classify)
        .map_err(at(account, "StartNetworkInsightsAccessScopeAnalysis"))?;
    let id = started
        .network_insights_access_scope_analysis()
        .and_then(|a| a.network_insights_access_scope_analysis_id())
        .unwrap_or_default()
        .to_string();
    let until = Instant::now() + ANALYSIS_TIMEOUT;
    let mut run = AnalyzerRun {
        account: account.to_string(),
        scope: scope.to_string(),
        analysis: id.clone(),
        status: "running".into(),
        message: None,
        analyzed_enis: None,
        sources,
        findings: Vec::new(),
    };
    loop {
        let d = c
            .describe_network_insights_access_scope_analyses()
            .network_insights_access_scope_analysis_ids(&id)
            .send()
            .await
            .map_err(classify)
            .map_err(at(account, "DescribeNetworkInsightsAccessScopeAnalyses"))?;
        let a = d.network_insights_access_scope_analyses().first();
        let status = a.and_then(|a| a.status()).cloned().unwrap_or(AnalysisStatus::Running);
        run.message = a.and_then(|a| a.status_message()).map(str::to_string);
        run.analyzed_enis = a.and_then(|a| a.analyzed_eni_count());
        run.status = status.as_str().to_string();
        if status != AnalysisStatus::Running || Instant::now() >= until {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    if run.status == AnalysisStatus::Succeeded.as_str() {
        let mut next: Option<String> = None;
        loop {
            let page = c
                .get_network_insights_access_scope_analysis_findings()
                .network_insights_access_scope_analysis_id(&id)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(classify)
                .map_err(at(account, "GetNetworkInsightsAccessScopeAnalysisFindings"))?;
            for f in page.analysis_findings() {
                let mut parts: Vec<&PathComponent> = f.finding_components().iter().collect();
                parts.sort_by_key(|p| p.sequence_number());
                run.findings.push(AnalyzerFinding {
                    id: f.finding_id().unwrap_or_default().to_string(),
                    components: parts.into_iter().map(component).collect(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
    }
    if let Err(e) = c
        .delete_network_insights_access_scope_analysis()
        .network_insights_access_scope_analysis_id(&id)
        .send()
        .await
    {
        tracing::warn!(account, analysis = id, error = %classify(e), "could not delete the analysis");
    }
    Ok(run)
}

/// One hop of a finding: the component, and the route it took where there is one.
fn component(p: &PathComponent) -> String {
    let id = p.component().and_then(|c| c.id().or(c.arn())).unwrap_or("?");
    match p.route_table_route() {
        Some(r) => {
            let to = crate::ec2::route_target!(r).unwrap_or("?");
            format!("{id}: {} -> {to}", r.destination_cidr().unwrap_or("?"))
        }
        None => id.to_string(),
    }
}
