//! The network firewall: its log groups, rule groups (the allowlist) and policy
//! (default deny), in the inspection VPC's firewall subnets.

use airgap_catalog::names::LOG_GROUP_PREFIX;
use airgap_catalog::spec::{node, FirewallSpec, Id, LogGroupSpec, NfwPolicySpec, NfwRuleGroupSpec};
use airgap_engine::{GraphBuilder, Scope};

use super::az_suffix;
use crate::carve::carve_vpc;
use crate::model::{Blueprint, Firewall, LogDestination, Protocol, SubnetTier};

pub(super) fn firewall(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    env: &str,
    fw: &Firewall,
    net: &Scope,
    v: &str,
    azs: &[String],
) {
    // The log group of each log type that is logged: its `id`, the group's name.
    let mut log_group = |kind: &str, dest: LogDestination| {
        (dest == LogDestination::Cloudwatch).then(|| {
            let id = format!("firewall/logs/{kind}");
            b.add(node(
                id.as_str(),
                net.clone(),
                &LogGroupSpec {
                    name: format!("{LOG_GROUP_PREFIX}{env}/firewall/{kind}"),
                    retention_days: Some(i64::from(fw.logging.retention_days.value)),
                },
            ));
            Id::of(id.as_str(), "id")
        })
    };
    let alert_log_group = log_group("alert", fw.logging.alert.value);
    let flow_log_group = log_group("flow", fw.logging.flow.value);
    let mut groups = Vec::new();
    for (id, spec) in rule_groups(bp, fw) {
        b.add(node(id, net.clone(), &spec));
        groups.push(Id::of(id, "arn"));
    }
    b.add(node(
        "firewall/policy",
        net.clone(),
        &NfwPolicySpec {
            rule_groups: groups,
            rule_order: Some("STRICT_ORDER".into()),
            stateless_default: "aws:forward_to_sfe".into(),
            stateless_fragment_default: None,
            stateful_default: vec!["aws:drop_established".into(), "aws:alert_established".into()],
        },
    ));
    b.add(node(
        "firewall",
        net.clone(),
        &FirewallSpec {
            policy: Id::of("firewall/policy", "arn"),
            vpc: Id::of(v, "id"),
            subnets: azs
                .iter()
                .map(|az| Id::of(format!("{v}/subnet/firewall/{}", az_suffix(az)), "id"))
                .collect(),
            deletion_protection: fw.deletion_protection.value,
            alert_log_group,
            flow_log_group,
        },
    ));
}

/// The firewall's rule groups, by node id, in the policy's order: the flows the blueprint
/// declares between its VPCs, the domain allowlist, the 5-tuple pass rules. Each is
/// made only when it has a rule: a rule group holds at least one (and without any
/// allowed destination, the policy's defaults drop everything). Validation reads them
/// too: their capacities must fit one policy.
pub(crate) fn rule_groups(bp: &Blueprint, fw: &Firewall) -> Vec<(&'static str, NfwRuleGroupSpec)> {
    // The rules match traffic from HOME_NET, by default the firewall's own VPC only:
    // the spokes' traffic arrives through the transit gateway.
    let home_net: Vec<String> = std::iter::once(bp.hub.inspection_vpc.cidr.value.to_string())
        .chain(bp.vpcs.iter().map(|vpc| vpc.cidr.value.to_string()))
        .collect();
    let mut groups = Vec::new();
    // Flows the blueprint declares between its own VPCs cross the firewall too: the spoke
    // route table sends everything to the inspection VPC. The policy is strict order
    // with aws:drop_established by default, and the domain rules only match traffic to
    // $EXTERNAL_NET, so without a rule of its own such a flow gets its handshake through
    // and then nothing: kubectl from the tooling VPC would hang. They pass first.
    let flows = declared_flows(bp);
    if !flows.is_empty() {
        groups.push((
            "firewall/rules/flows",
            NfwRuleGroupSpec { rules: flows, ..rule_group(&home_net) },
        ));
    }
    if !fw.allow_domains.is_empty() {
        groups.push((
            "firewall/rules/domains",
            NfwRuleGroupSpec {
                domains: fw.allow_domains.iter().map(|d| d.value.clone()).collect(),
                target_types: NfwRuleGroupSpec::DEFAULT_TARGET_TYPES.map(String::from).to_vec(),
                ..rule_group(&home_net)
            },
        ));
    }
    if !fw.allow_rules.is_empty() {
        let rules = fw.allow_rules.iter().enumerate().map(|(i, rule)| {
            let proto = match rule.protocol.value {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
                Protocol::Icmp => "icmp",
            };
            let port = rule.port.as_ref().map_or("any".to_string(), |p| p.value.to_string());
            format!(
                "pass {proto} $HOME_NET any -> {} {port} (sid:{};)",
                rule.destination.value,
                100 + i
            )
        });
        groups.push((
            "firewall/rules/allow",
            NfwRuleGroupSpec { rules: rules.collect(), ..rule_group(&home_net) },
        ));
    }
    groups
}

/// Pass rules for the flows the blueprint declares: each cluster's API
/// (TCP 443) from its `apiAccessCidrs` outside the cluster's own VPC, DNS (53) from
/// `access.dns.allowFrom` outside its VPC (traffic inside the
/// VPC never reaches the firewall). SIDs are unique within the group, as Network
/// Firewall requires (developer guide, "Signature ID uniqueness").
fn declared_flows(bp: &Blueprint) -> Vec<String> {
    let mut rules = Vec::new();
    for c in &bp.clusters {
        let Some(vpc) = bp.vpc(&c.vpc.value) else { continue };
        for cidr in &bp.api_access(c) {
            if vpc.cidr.value.contains(&cidr.value) {
                continue;
            }
            rules.push(format!(
                "pass tcp {} any -> {} 443 (msg:\"cluster {} API\"; flow:to_server; sid:{};)",
                cidr.value,
                vpc.cidr.value,
                c.name.value,
                1000 + rules.len()
            ));
        }
    }
    // DNS from the networks `access.dns` admits to its VPC.
    if let Some(dns) = &bp.access.dns {
        if let Some(vpc) = bp.vpc(&dns.vpc.value) {
            for cidr in dns.allow_from.iter().filter(|c| !vpc.cidr.value.contains(&c.value)) {
                for proto in ["udp", "tcp"] {
                    rules.push(format!(
                        "pass {proto} {} any -> {} 53 (msg:\"DNS to the resolver endpoint\"; sid:{};)",
                        cidr.value,
                        vpc.cidr.value,
                        1000 + rules.len()
                    ));
                }
            }
        }
    }
    // Central endpoints: HTTPS from each VPC that uses them to the host VPC's endpoint
    // subnets (the spokes' traffic to another VPC crosses the firewall like any other).
    if let Some((host, services)) = bp.central() {
        let subnets: Vec<String> = carve_vpc(host, &bp.azs())
            .map(|subs| {
                subs.into_iter()
                    .filter(|s| s.tier == SubnetTier::Endpoints)
                    .map(|s| s.cidr.to_string())
                    .collect()
            })
            .unwrap_or_default();
        let mut sources: Vec<&crate::model::Vpc> = Vec::new();
        for svc in &services {
            for v in crate::central::users(bp, svc) {
                if v.name.value != host.name.value && !sources.iter().any(|s| s.name == v.name) {
                    sources.push(v);
                }
            }
        }
        for v in sources {
            for dst in &subnets {
                rules.push(format!(
                    "pass tcp {} any -> {dst} 443 (msg:\"VPC {} to central endpoints\"; flow:to_server; sid:{};)",
                    v.cidr.value,
                    v.name.value,
                    1000 + rules.len()
                ));
            }
        }
    }
    rules
}

/// A stateful rule group in strict order for traffic from `home_net`, without rules yet.
fn rule_group(home_net: &[String]) -> NfwRuleGroupSpec {
    NfwRuleGroupSpec {
        group_type: "STATEFUL".into(),
        domains: Vec::new(),
        target_types: Vec::new(),
        generated_rules_type: None,
        rules: Vec::new(),
        home_net: home_net.to_vec(),
        rule_order: Some("STRICT_ORDER".into()),
        capacity: None,
    }
}
