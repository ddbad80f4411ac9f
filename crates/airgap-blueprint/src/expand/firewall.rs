//! The network firewall: its log groups, rule groups (the allowlist) and policy
//! (default deny), in the inspection VPC's firewall subnets.

use airgap_engine::{GraphBuilder, Node, Scope, Value};

use super::{az_suffix, list, r};
use crate::model::{Blueprint, Firewall, LogDestination, Protocol};

pub(super) fn firewall(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    env: &str,
    fw: &Firewall,
    net: &Scope,
    v: &str,
    azs: &[String],
) {
    let hub = &bp.hub;
    // The rules match traffic from HOME_NET, by default the firewall's own VPC only:
    // the spokes' traffic arrives through the transit gateway.
    let home_net = list(
        std::iter::once(hub.inspection_vpc.cidr.value.to_string())
            .chain(bp.vpcs.iter().map(|vpc| vpc.cidr.value.to_string()))
            .map(Value::Str),
    );
    let mut logs = Vec::new();
    for (kind, dest) in [
        ("alert", fw.logging.alert.value),
        ("flow", fw.logging.flow.value),
    ] {
        if dest == LogDestination::Cloudwatch {
            let id = format!("firewall/logs/{kind}");
            b.add(
                Node::new(id.as_str(), "log-group", net.clone())
                    .attr("name", format!("/airgap/{}/firewall/{kind}", env))
                    .attr("retentionDays", i64::from(fw.logging.retention_days.value)),
            );
            logs.push((format!("{kind}LogGroup"), r(&id, "id")));
        }
    }
    // A rule group holds at least one rule: without domains there is none (and
    // without any allowed destination, the policy's defaults drop everything).
    let mut groups = Vec::new();
    if !fw.allow_domains.is_empty() {
        b.add(
            Node::new("firewall/rules/domains", "nfw-rule-group", net.clone())
                .attr("type", "STATEFUL")
                .attr(
                    "domains",
                    list(
                        fw.allow_domains
                            .iter()
                            .map(|d| Value::str(d.value.as_str())),
                    ),
                )
                .attr(
                    "targetTypes",
                    list([Value::str("TLS_SNI"), Value::str("HTTP_HOST")]),
                )
                .attr("homeNet", home_net.clone())
                .attr("ruleOrder", "STRICT_ORDER"),
        );
        groups.push(r("firewall/rules/domains", "arn"));
    }
    if !fw.allow_rules.is_empty() {
        let rules = fw.allow_rules.iter().enumerate().map(|(i, rule)| {
            let proto = match rule.protocol.value {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
                Protocol::Icmp => "icmp",
            };
            let port = rule
                .port
                .as_ref()
                .map_or("any".to_string(), |p| p.value.to_string());
            Value::str(format!(
                "pass {proto} $HOME_NET any -> {} {port} (sid:{};)",
                rule.destination.value,
                100 + i
            ))
        });
        b.add(
            Node::new("firewall/rules/allow", "nfw-rule-group", net.clone())
                .attr("type", "STATEFUL")
                .attr("rules", list(rules))
                .attr("homeNet", home_net.clone())
                .attr("ruleOrder", "STRICT_ORDER"),
        );
        groups.push(r("firewall/rules/allow", "arn"));
    }
    b.add(
        Node::new("firewall/policy", "nfw-policy", net.clone())
            .attr("ruleGroups", Value::List(groups))
            .attr("ruleOrder", "STRICT_ORDER")
            .attr("statelessDefault", "aws:forward_to_sfe")
            .attr(
                "statefulDefault",
                list([
                    Value::str("aws:drop_established"),
                    Value::str("aws:alert_established"),
                ]),
            ),
    );
    let mut node = Node::new("firewall", "firewall", net.clone())
        .attr("policy", r("firewall/policy", "arn"))
        .attr("vpc", r(v, "id"))
        .attr(
            "subnets",
            list(
                azs.iter()
                    .map(|az| r(&format!("{v}/subnet/firewall/{}", az_suffix(az)), "id")),
            ),
        )
        .attr("deletionProtection", fw.deletion_protection.value);
    // The log group of each log type that is logged (`alertLogGroup`, `flowLogGroup`):
    // its `id`, the group's name.
    for (key, group) in logs {
        node = node.attr(key.as_str(), group);
    }
    b.add(node);
}
