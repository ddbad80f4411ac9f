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

/// Every EC2 resource of the kinds airgapctl makes that carries `env`'s tag: `found` gets
/// its kind, its tags and, for the kinds that have one, its state in lower case (AWS lists
/// deleted NAT gateways, endpoints and transit gateway resources a while longer). The tag
/// is checked on what comes back, not only asked of the filter: whether AWS applies a tag
/// filter to DescribeTransitGatewayRouteTables is not documented, and the emulator ignores
/// it (docs/emulator-fidelity.md).
pub async fn ec2_tagged(
    ec2: &aws_sdk_ec2::Client,
    env: &str,
    mut found: impl FnMut(&'static str, Tags, Option<String>),
) -> Result<(), Box<dyn std::error::Error>> {
    let f = || Filter::builder().name("tag:airgap:env").values(env).build();
    macro_rules! tagged {
        ($kind:literal, $call:ident, $list:ident, $filter:ident $(, $state:ident)?) => {
            for x in ec2.$call().$filter(f()).send().await?.$list() {
                let state = None $(.or(x.$state().map(|s| s.as_str().to_ascii_lowercase())))?;
                let tags = ec2_tags(x.tags());
                if tags.get("airgap:env").map(String::as_str) == Some(env) {
                    found($kind, tags, state);
                }
            }
        };
    }
    tagged!("vpc", describe_vpcs, vpcs, filters);
    tagged!("subnet", describe_subnets, subnets, filters);
    tagged!("route-table", describe_route_tables, route_tables, filters);
    tagged!("internet-gateway", describe_internet_gateways, internet_gateways, filters);
    tagged!("security-group", describe_security_groups, security_groups, filters);
    tagged!("elastic-ip", describe_addresses, addresses, filters);
    tagged!("nat-gateway", describe_nat_gateways, nat_gateways, filter, state);
    tagged!("vpc-endpoint", describe_vpc_endpoints, vpc_endpoints, filters, state);
    tagged!("transit-gateway", describe_transit_gateways, transit_gateways, filters, state);
    tagged!(
        "tgw-attachment",
        describe_transit_gateway_attachments,
        transit_gateway_attachments,
        filters,
        state
    );
    tagged!(
        "tgw-route-table",
        describe_transit_gateway_route_tables,
        transit_gateway_route_tables,
        filters,
        state
    );
    tagged!("launch-template", describe_launch_templates, launch_templates, filters);
    tagged!("flow-log", describe_flow_logs, flow_logs, filter);
    Ok(())
}

/// What [`ec2_tagged`] finds of `env` that is not deleted (one being deleted is still
/// there), as `kind airgap:id`.
pub async fn ec2_left(
    ec2: &aws_sdk_ec2::Client,
    env: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut left = Vec::new();
    ec2_tagged(ec2, env, |kind, tags, state| {
        if state.as_deref() != Some("deleted") {
            let id = tags.get("airgap:id").map_or("(no airgap:id)", String::as_str);
            left.push(format!("{kind} {id}"));
        }
    })
    .await?;
    Ok(left)
}

/// The census of `env` in the account `conf` reaches.
pub async fn census(conf: &SdkConfig, env: &str) -> Result<Census, Box<dyn std::error::Error>> {
    let mut c = Count { env, counts: Census::new() };
    let ec2 = aws_sdk_ec2::Client::new(conf);
    ec2_tagged(&ec2, env, |kind, tags, state| {
        if live(state.as_deref()) {
            c.add(kind, &tags)
        }
    })
    .await?;

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
