//! What an environment has in one account, every kind airgapctl creates, read with the
//! services' own list and describe calls (not airgapctl's observe): `(kind, airgap:id)`
//! with the number of live resources carrying it. A number above one is a duplicate; an
//! id the blueprint does not declare is something the run made and lost track of.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use aws_types::SdkConfig;

pub type Census = BTreeMap<(String, String), usize>;

type Tags = BTreeMap<String, String>;

fn pairs<'a>(it: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>) -> Tags {
    it.filter_map(|(k, v)| Some((k?.to_string(), v?.to_string()))).collect()
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    pairs(tags.iter().map(|t| (t.key(), t.value())))
}

struct Count<'a> {
    env: &'a str,
    counts: Census,
}

impl Count<'_> {
    fn add(&mut self, kind: &str, tags: &Tags) {
        if tags.get("airgap:env").map(String::as_str) != Some(self.env) {
            return;
        }
        let id = tags.get("airgap:id").cloned().unwrap_or_else(|| "(no airgap:id)".into());
        *self.counts.entry((kind.to_string(), id)).or_default() += 1;
    }
}

/// A call about one listed resource, with "it is gone" as `None`: deletions the emulator
/// finishes in the background (a killed run's cluster, firewall, role, ...) can end
/// between the list and the describe, and a resource gone then is not in the census.
async fn unless_gone<T, E>(
    call: impl std::future::Future<Output = Result<T, aws_sdk_ec2::error::SdkError<E>>>,
) -> Result<Option<T>, Box<dyn std::error::Error>>
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_ec2::error::ProvideErrorMetadata as _;
    match call.await {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code().is_some_and(|c| c.contains("NotFound") || c == "NoSuchEntity") => {
            Ok(None)
        }
        Err(e) => Err(Box::new(e)),
    }
}

fn live(state: Option<&str>) -> bool {
    !matches!(state.map(str::to_ascii_lowercase).as_deref(), Some("deleted" | "deleting"))
}

/// The census of `env` in the account `conf` reaches.
pub async fn census(conf: &SdkConfig, env: &str) -> Result<Census, Box<dyn std::error::Error>> {
    let mut c = Count { env, counts: Census::new() };
    let f = || Filter::builder().name("tag:airgap:env").values(env).build();

    let ec2 = aws_sdk_ec2::Client::new(conf);
    for v in ec2.describe_vpcs().filters(f()).send().await?.vpcs() {
        c.add("vpc", &ec2_tags(v.tags()));
    }
    for s in ec2.describe_subnets().filters(f()).send().await?.subnets() {
        c.add("subnet", &ec2_tags(s.tags()));
    }
    for t in ec2.describe_route_tables().filters(f()).send().await?.route_tables() {
        c.add("route-table", &ec2_tags(t.tags()));
    }
    for g in ec2.describe_internet_gateways().filters(f()).send().await?.internet_gateways() {
        c.add("internet-gateway", &ec2_tags(g.tags()));
    }
    for g in ec2.describe_security_groups().filters(f()).send().await?.security_groups() {
        c.add("security-group", &ec2_tags(g.tags()));
    }
    for e in ec2.describe_addresses().filters(f()).send().await?.addresses() {
        c.add("elastic-ip", &ec2_tags(e.tags()));
    }
    for n in ec2.describe_nat_gateways().filter(f()).send().await?.nat_gateways() {
        if live(n.state().map(|s| s.as_str())) {
            c.add("nat-gateway", &ec2_tags(n.tags()));
        }
    }
    for e in ec2.describe_vpc_endpoints().filters(f()).send().await?.vpc_endpoints() {
        if live(e.state().map(|s| s.as_str())) {
            c.add("vpc-endpoint", &ec2_tags(e.tags()));
        }
    }
    for t in ec2.describe_transit_gateways().filters(f()).send().await?.transit_gateways() {
        if live(t.state().map(|s| s.as_str())) {
            c.add("transit-gateway", &ec2_tags(t.tags()));
        }
    }
    let atts = ec2.describe_transit_gateway_attachments().filters(f()).send().await?;
    for t in atts.transit_gateway_attachments() {
        if live(t.state().map(|s| s.as_str())) {
            c.add("tgw-attachment", &ec2_tags(t.tags()));
        }
    }
    let rts = ec2.describe_transit_gateway_route_tables().filters(f()).send().await?;
    for t in rts.transit_gateway_route_tables() {
        if live(t.state().map(|s| s.as_str())) {
            c.add("tgw-route-table", &ec2_tags(t.tags()));
        }
    }
    for t in ec2.describe_launch_templates().filters(f()).send().await?.launch_templates() {
        c.add("launch-template", &ec2_tags(t.tags()));
    }
    for l in ec2.describe_flow_logs().filter(f()).send().await?.flow_logs() {
        c.add("flow-log", &ec2_tags(l.tags()));
    }

    let ram = aws_sdk_ram::Client::new(conf);
    let shares = ram
        .get_resource_shares()
        .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
        .send()
        .await?;
    for s in shares.resource_shares() {
        if !matches!(s.status().map(|s| s.as_str()), Some("DELETED" | "DELETING")) {
            c.add("ram-share", &pairs(s.tags().iter().map(|t| (t.key(), t.value()))));
        }
    }

    let nfw = aws_sdk_networkfirewall::Client::new(conf);
    let nfw_tags = |t: &[aws_sdk_networkfirewall::types::Tag]| {
        pairs(t.iter().map(|t| (Some(t.key()), Some(t.value()))))
    };
    for m in nfw.list_firewalls().send().await?.firewalls() {
        let d = nfw.describe_firewall().set_firewall_arn(m.firewall_arn().map(Into::into));
        let Some(d) = unless_gone(d.send()).await? else { continue };
        if let Some(fw) = d.firewall() {
            c.add("firewall", &nfw_tags(fw.tags()));
        }
    }
    for m in nfw.list_firewall_policies().send().await?.firewall_policies() {
        let d = nfw.describe_firewall_policy().set_firewall_policy_arn(m.arn().map(Into::into));
        let Some(d) = unless_gone(d.send()).await? else { continue };
        if let Some(p) = d.firewall_policy_response() {
            c.add("firewall-policy", &nfw_tags(p.tags()));
        }
    }
    for m in nfw.list_rule_groups().send().await?.rule_groups() {
        let d = nfw.describe_rule_group().set_rule_group_arn(m.arn().map(Into::into));
        let Some(d) = unless_gone(d.send()).await? else { continue };
        if let Some(g) = d.rule_group_response() {
            c.add("rule-group", &nfw_tags(g.tags()));
        }
    }

    let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
    for g in logs.describe_log_groups().send().await?.log_groups() {
        let Some(arn) = g.log_group_arn() else { continue };
        let arn = arn.trim_end_matches(":*");
        let tags = logs.list_tags_for_resource().resource_arn(arn).send();
        let Some(tags) = unless_gone(tags).await? else { continue };
        c.add("log-group", &tags.tags().cloned().unwrap_or_default().into_iter().collect());
    }

    let eks = aws_sdk_eks::Client::new(conf);
    for name in eks.list_clusters().send().await?.clusters() {
        let Some(d) = unless_gone(eks.describe_cluster().name(name).send()).await? else {
            continue;
        };
        if let Some(cl) = d.cluster() {
            c.add("eks-cluster", &cl.tags().cloned().unwrap_or_default().into_iter().collect());
        }
        let Some(ngs) = unless_gone(eks.list_nodegroups().cluster_name(name).send()).await? else {
            continue;
        };
        for ng in ngs.nodegroups() {
            let d = eks.describe_nodegroup().cluster_name(name).nodegroup_name(ng).send();
            let Some(d) = unless_gone(d).await? else { continue };
            if let Some(n) = d.nodegroup() {
                c.add(
                    "eks-nodegroup",
                    &n.tags().cloned().unwrap_or_default().into_iter().collect(),
                );
            }
        }
        let Some(addons) = unless_gone(eks.list_addons().cluster_name(name).send()).await? else {
            continue;
        };
        for a in addons.addons() {
            let d = eks.describe_addon().cluster_name(name).addon_name(a).send();
            let Some(d) = unless_gone(d).await? else { continue };
            if let Some(a) = d.addon() {
                c.add("eks-addon", &a.tags().cloned().unwrap_or_default().into_iter().collect());
            }
        }
    }

    let iam = aws_sdk_iam::Client::new(conf);
    for r in iam.list_roles().path_prefix("/airgap/").send().await?.roles() {
        let Some(tags) = unless_gone(iam.list_role_tags().role_name(r.role_name()).send()).await?
        else {
            continue;
        };
        c.add("iam-role", &tags.tags().iter().map(|t| (t.key.clone(), t.value.clone())).collect());
    }

    let kms = aws_sdk_kms::Client::new(conf);
    for k in kms.list_keys().send().await?.keys() {
        let Some(id) = k.key_id() else { continue };
        let Some(meta) = unless_gone(kms.describe_key().key_id(id).send()).await? else {
            continue;
        };
        let state = meta.key_metadata().and_then(|m| m.key_state()).map(|s| s.as_str());
        if matches!(state, Some("PendingDeletion" | "PendingReplicaDeletion")) {
            continue;
        }
        let Some(tags) = unless_gone(kms.list_resource_tags().key_id(id).send()).await? else {
            continue;
        };
        let tags = tags.tags().iter().map(|t| (t.tag_key().to_string(), t.tag_value().to_string()));
        c.add("kms-key", &tags.collect());
    }

    let ecr = aws_sdk_ecr::Client::new(conf);
    for r in ecr.describe_repositories().send().await?.repositories() {
        let Some(arn) = r.repository_arn() else { continue };
        let tags = ecr.list_tags_for_resource().resource_arn(arn).send();
        let Some(tags) = unless_gone(tags).await? else { continue };
        c.add(
            "ecr-repository",
            &pairs(tags.tags().iter().map(|t| (Some(t.key()), Some(t.value())))),
        );
    }
    Ok(c.counts)
}
