//! The Network Firewall kind (`firewall`): its policy, per-AZ endpoints, deletion
//! protection and logging.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::names::az_letter;
use airgap_catalog::spec::{FirewallSpec, Id, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_networkfirewall::types::{
    FirewallStatusValue, LogDestinationConfig, LogDestinationType, LogType, LoggingConfiguration,
    SubnetMapping,
};

use super::{
    arn_created, arn_out, build_err, candidates, nfw_tags, observed, ours, resource_name, retag,
    tag_map, Nfw,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{
    all_pages, changes, delete_call, lookup, made, not_visible_yet, set_of, with_tag_drift,
};
use crate::tags;

/// The firewall: its policy, one subnet mapping per AZ, deletion protection, and the
/// CloudWatch log groups of its ALERT and FLOW logs (`alertLogGroup`, `flowLogGroup`:
/// names; absent means not logged). Outputs `endpoint/<az letter>` (`endpoint/a` for
/// eu-central-1a): the endpoint ids of the sync states, once every AZ has one.
pub struct Firewall(pub Arc<Nfw>);

/// The log types, with the attribute naming each one's log group.
const LOGS: [(&str, &str); 2] = [("ALERT", "alertLogGroup"), ("FLOW", "flowLogGroup")];

/// The log group (its name) a spec wants for a log type of [`LOGS`].
fn wanted_log_group<'a>(s: &'a FirewallSpec, ty: &str) -> Result<Option<&'a str>, KindError> {
    let group = if ty == "ALERT" { &s.alert_log_group } else { &s.flow_log_group };
    Ok(group.as_ref().map(Id::get).transpose()?)
}

/// Attributes where a log type that is not logged is `null`, as observe shows it.
fn with_unlogged(mut a: Attrs) -> Attrs {
    for (_, key) in LOGS {
        a.entry(key.to_string()).or_insert(Value::Null);
    }
    a
}

fn subnet_mappings(subnets: &[Id]) -> Result<Vec<SubnetMapping>, KindError> {
    subnets
        .iter()
        .map(|s| SubnetMapping::builder().subnet_id(s.get()?).build().map_err(build_err))
        .collect()
}

/// The subnets to associate and to disassociate to take the firewall from the subnets it
/// maps now (`have`) to the wanted ones.
fn subnet_moves(want: &[Id], have: &[&str]) -> Result<(Vec<Id>, Vec<String>), KindError> {
    let want: Vec<&str> = want.iter().map(Id::get).collect::<Result<_, _>>()?;
    let add = want.iter().filter(|s| !have.contains(s)).map(|s| Id::from(*s)).collect();
    let remove = have.iter().filter(|s| !want.contains(s)).map(|s| s.to_string()).collect();
    Ok((add, remove))
}

/// A subnet change may go to the firewall: it is READY, and no endpoint of a subnet it no
/// longer maps (`mapped`) is still listed (one going away after a DisassociateSubnets).
/// Otherwise a Conflict, retried.
fn settled(
    d: &aws_sdk_networkfirewall::operation::describe_firewall::DescribeFirewallOutput,
    mapped: &[&str],
) -> Result<(), KindError> {
    let Some(st) = d.firewall_status() else {
        return Err(provisioning("it reports no status yet"));
    };
    if st.status() != &FirewallStatusValue::Ready {
        return Err(provisioning(&format!("it is {}", st.status().as_str())));
    }
    let leaving = st
        .sync_states()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|s| s.attachment()?.subnet_id())
        .find(|s| !mapped.contains(s));
    match leaving {
        Some(s) => Err(provisioning(&format!("the endpoint in {s} is still going"))),
        None => Ok(()),
    }
}

fn provisioning(why: &str) -> KindError {
    KindError::new(
        ErrorClass::Conflict,
        "FirewallProvisioning",
        format!("the firewall's subnets change once it is READY: {why}"),
    )
}

/// Outputs and readiness of a described firewall: the endpoints by AZ letter, and
/// whether every subnet has a READY endpoint while the firewall itself is READY.
fn firewall_state(
    d: &aws_sdk_networkfirewall::operation::describe_firewall::DescribeFirewallOutput,
) -> (Attrs, bool, String) {
    let (arn, name) = d
        .firewall()
        .map(|f| (f.firewall_arn().unwrap_or_default(), f.firewall_name().unwrap_or_default()))
        .unwrap_or_default();
    let mut out = arn_out(arn, name);
    let subnets = d.firewall().map_or(0, |f| f.subnet_mappings().len());
    let Some(st) = d.firewall_status() else {
        return (out, false, "provisioning".into());
    };
    let mut ready_eps = 0;
    if let Some(sync) = st.sync_states() {
        for (az, state) in sync {
            let Some(att) = state.attachment() else {
                continue;
            };
            if let Some(ep) = att.endpoint_id() {
                out.insert(format!("endpoint/{}", az_letter(az)), Value::str(ep));
                if att.status().map(|s| s.as_str()) == Some("READY") {
                    ready_eps += 1;
                }
            }
        }
    }
    let status = st.status().as_str().to_ascii_lowercase();
    let ready = st.status() == &FirewallStatusValue::Ready && ready_eps >= subnets && subnets > 0;
    let shown =
        if ready { status } else { format!("{status}, {ready_eps}/{subnets} endpoints ready") };
    (out, ready, shown)
}

/// The log group names by log type, from a logging configuration.
pub(crate) fn log_groups(cfg: Option<&LoggingConfiguration>) -> HashMap<String, String> {
    cfg.map(|c| c.log_destination_configs())
        .unwrap_or_default()
        .iter()
        .filter(|d| d.log_destination_type() == &LogDestinationType::CloudwatchLogs)
        .filter_map(|d| {
            Some((d.log_type().as_str().to_string(), d.log_destination().get("logGroup")?.clone()))
        })
        .collect()
}

fn destination(ty: &str, group: &str) -> Result<LogDestinationConfig, KindError> {
    LogDestinationConfig::builder()
        .log_type(LogType::from(ty))
        .log_destination_type(LogDestinationType::CloudwatchLogs)
        .log_destination("logGroup", group)
        .build()
        .map_err(build_err)
}

impl Firewall {
    async fn describe(
        &self,
        scope: &Scope,
        arn: &str,
    ) -> Result<
        Option<aws_sdk_networkfirewall::operation::describe_firewall::DescribeFirewallOutput>,
        KindError,
    > {
        lookup(self.0.client(scope)?.describe_firewall().firewall_arn(arn).send()).await
    }

    /// Moves the logging configuration to the desired one. AWS takes one destination
    /// change per call: add one, remove one, or change one's `LogDestination`; "You can't
    /// change the LogDestinationType or LogType in a LogDestinationConfig. To change these
    /// settings, delete the existing LogDestinationConfig object and create a new one, using
    /// two separate calls" (API reference, UpdateLoggingConfiguration). So a destination of
    /// another type (an S3 bucket or a Firehose stream set outside airgapctl) is removed in
    /// one call and the log group added in the next.
    async fn reconcile_logging(
        &self,
        c: &aws_sdk_networkfirewall::Client,
        arn: &str,
        desired: &FirewallSpec,
    ) -> Result<(), KindError> {
        let cur =
            c.describe_logging_configuration().firewall_arn(arn).send().await.map_err(classify)?;
        let mut configs: Vec<LogDestinationConfig> = cur
            .logging_configuration()
            .map(|l| l.log_destination_configs().to_vec())
            .unwrap_or_default();
        for (ty, _) in LOGS {
            let want = wanted_log_group(desired, ty)?;
            for step in logging_steps(&configs, ty, want) {
                match step {
                    LogStep::Remove(i) => {
                        configs.remove(i);
                    }
                    LogStep::Add(g) => configs.push(destination(ty, g)?),
                    LogStep::Change(i, g) => configs[i] = destination(ty, g)?,
                }
                c.update_logging_configuration()
                    .firewall_arn(arn)
                    .logging_configuration(
                        LoggingConfiguration::builder()
                            .set_log_destination_configs(Some(configs.clone()))
                            .build()
                            .map_err(build_err)?,
                    )
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        Ok(())
    }
}

/// One UpdateLoggingConfiguration's change to the destinations.
#[derive(Debug, PartialEq)]
enum LogStep<'a> {
    Remove(usize),
    Add(&'a str),
    /// The log group of a CloudWatch Logs destination, the one change AWS makes in place.
    Change(usize, &'a str),
}

/// The calls that take log type `ty` from `configs` to log group `want` (none: no logs).
fn logging_steps<'a>(
    configs: &[LogDestinationConfig],
    ty: &str,
    want: Option<&'a str>,
) -> Vec<LogStep<'a>> {
    let have = configs.iter().position(|d| d.log_type().as_str() == ty);
    let group = |i: usize| configs[i].log_destination().get("logGroup").map(String::as_str);
    let cloudwatch =
        |i: usize| configs[i].log_destination_type() == &LogDestinationType::CloudwatchLogs;
    match (have, want) {
        (None, None) => vec![],
        (None, Some(g)) => vec![LogStep::Add(g)],
        (Some(i), None) => vec![LogStep::Remove(i)],
        (Some(i), Some(g)) if cloudwatch(i) && group(i) == Some(g) => vec![],
        (Some(i), Some(g)) if cloudwatch(i) => vec![LogStep::Change(i, g)],
        (Some(i), Some(g)) => vec![LogStep::Remove(i), LogStep::Add(g)],
    }
}

#[async_trait]
impl Kind for Firewall {
    kind_meta!(FIREWALL);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            self.facts().diff(&with_unlogged(desired.clone()), &observed.attrs),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let listed = all_pages!(c.list_firewalls())?;
        let mut out = Vec::new();
        for (_, arn) in
            candidates(env, listed.iter().map(|m| (m.firewall_name(), m.firewall_arn())))
        {
            // No list returns tags, subnets or logging: a Describe and (for the env's
            // own) a DescribeLoggingConfiguration per candidate.
            let Some(d) = self.describe(scope, &arn).await? else {
                continue;
            };
            let Some(fw) = d.firewall() else { continue };
            if d.firewall_status().map(|s| s.status()) == Some(&FirewallStatusValue::Deleting) {
                continue;
            }
            let t = tag_map(fw.tags());
            if tags::owned_id(&t, env).is_none() {
                continue;
            }
            let Some(logging) =
                lookup(c.describe_logging_configuration().firewall_arn(&arn).send()).await?
            else {
                continue;
            };
            let groups = log_groups(logging.logging_configuration());
            let subnets: Vec<String> =
                fw.subnet_mappings().iter().map(|m| m.subnet_id().to_string()).collect();
            let group = |ty: &str| groups.get(ty).map(|g| Id::from(g.as_str()));
            let spec = FirewallSpec {
                policy: fw.firewall_policy_arn().into(),
                vpc: fw.vpc_id().into(),
                // AWS lists the mappings in no particular order.
                subnets: set_of(&subnets).into_iter().map(Id::from).collect(),
                deletion_protection: fw.delete_protection(),
                alert_log_group: group("ALERT"),
                flow_log_group: group("FLOW"),
            };
            let (outputs, _, _) = firewall_state(&d);
            let mut parents = vec![fw.firewall_policy_arn().to_string(), fw.vpc_id().to_string()];
            parents.extend(subnets);
            out.extend(observed(env, &t, &arn, with_unlogged(spec.to_attrs()), outputs, parents));
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = FirewallSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let name = resource_name(node);
        let existing = lookup(c.describe_firewall().firewall_name(&name).send()).await?;
        let arn = match existing.as_ref().and_then(|d| d.firewall()) {
            Some(fw) => {
                let arn = fw.firewall_arn().unwrap_or_default();
                ours("firewall", &name, node, &tag_map(fw.tags()), arn)?;
                let deleting =
                    existing.as_ref().and_then(|d| d.firewall_status()).map(|s| s.status())
                        == Some(&FirewallStatusValue::Deleting);
                if deleting {
                    // The name is free only once the old one is gone.
                    return Err(KindError::new(
                        ErrorClass::Conflict,
                        "FirewallDeleting",
                        format!("firewall {name} is still being deleted"),
                    ));
                }
                arn.to_string()
            }
            None => {
                let out = c
                    .create_firewall()
                    .firewall_name(&name)
                    .firewall_policy_arn(spec.policy.get()?)
                    .vpc_id(spec.vpc.get()?)
                    .set_subnet_mappings(Some(subnet_mappings(&spec.subnets)?))
                    .delete_protection(spec.deletion_protection)
                    // Both flags start TRUE when left out (botocore CreateFirewallRequest:
                    // "When you create a firewall, the operation initializes this setting
                    // to TRUE"), and either one refuses the policy and subnet changes
                    // `update` makes. They guard against hands, not against the blueprint,
                    // so they are off, as Terraform's defaults are.
                    .subnet_change_protection(false)
                    .firewall_policy_change_protection(false)
                    .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
                    .send()
                    .await
                    .map_err(classify)?;
                made(out.firewall().and_then(|f| f.firewall_arn()), "CreateFirewall")?.to_string()
            }
        };
        self.reconcile_logging(c, &arn, &spec).await?;
        Ok(arn_created(&arn, &name))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = FirewallSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let arn = &change.current.physical_id;
        retag(c, change.diff, arn, change.node).await?;
        let changed = |f: &str| changes(change.diff, &[f]);
        if changes(change.diff, &["policy", "subnets", "deletionProtection"]) {
            // Each step compares with the firewall as it is now, not as it was planned, so
            // an update retried after a Conflict (below) redoes only what is not done yet.
            // Each change returns the next token; a stale one is a Conflict (re-read on retry).
            let described = self.describe(&change.node.scope, arn).await?;
            let Some((d, fw)) = described.as_ref().and_then(|d| Some((d, d.firewall()?))) else {
                return Err(KindError::new(ErrorClass::NotFound, "ResourceNotFoundException", arn));
            };
            let mut token = d.update_token().map(str::to_string);
            let policy = spec.policy.get()?;
            let move_policy = changed("policy") && fw.firewall_policy_arn() != policy;
            let mapped: Vec<&str> = fw.subnet_mappings().iter().map(|m| m.subnet_id()).collect();
            let (add, remove) = if changed("subnets") {
                subnet_moves(&spec.subnets, &mapped)?
            } else {
                Default::default()
            };
            let move_subnets = !add.is_empty() || !remove.is_empty();
            if move_subnets {
                // Terraform's provider waits for READY after each AssociateSubnets and
                // DisassociateSubnets before its next call (`waitFirewallUpdated`); AWS
                // documents no answer to a subnet change while the firewall is still
                // PROVISIONING, so airgapctl makes none: until the firewall has settled the
                // update is a Conflict, which the engine retries with backoff.
                settled(d, &mapped)?;
            }
            // A firewall created without the change protections set (by an earlier
            // airgapctl, or adopted) has them on, and AWS refuses the change while they
            // are: the plan the user approved makes it, so they are lifted first.
            if move_policy && fw.firewall_policy_change_protection() {
                token = c
                    .update_firewall_policy_change_protection()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .firewall_policy_change_protection(false)
                    .send()
                    .await
                    .map_err(classify)?
                    .update_token()
                    .map(str::to_string);
            }
            if move_subnets && fw.subnet_change_protection() {
                token = c
                    .update_subnet_change_protection()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .subnet_change_protection(false)
                    .send()
                    .await
                    .map_err(classify)?
                    .update_token()
                    .map(str::to_string);
            }
            if move_policy {
                token = c
                    .associate_firewall_policy()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .firewall_policy_arn(policy)
                    .send()
                    .await
                    .map_err(classify)?
                    .update_token()
                    .map(str::to_string);
            }
            // Old subnets leave first: "You can specify one subnet for each of the
            // Availability Zones that the VPC spans" (API reference, AssociateSubnets), so a
            // subnet replaced within its zone cannot join while the old one is in. The new
            // ones join on the retry, once the firewall has settled without the old ones.
            if !remove.is_empty() {
                token = c
                    .disassociate_subnets()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .set_subnet_ids(Some(remove))
                    .send()
                    .await
                    .map_err(classify)?
                    .update_token()
                    .map(str::to_string);
                if !add.is_empty() {
                    return Err(provisioning("its old subnets' endpoints are going"));
                }
            }
            if !add.is_empty() {
                token = c
                    .associate_subnets()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .set_subnet_mappings(Some(subnet_mappings(&add)?))
                    .send()
                    .await
                    .map_err(classify)?
                    .update_token()
                    .map(str::to_string);
            }
            if changed("deletionProtection") && fw.delete_protection() != spec.deletion_protection {
                c.update_firewall_delete_protection()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .delete_protection(spec.deletion_protection)
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        if changes(change.diff, &LOGS.map(|(_, key)| key)) {
            self.reconcile_logging(c, arn, &spec).await?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0.client(scope)?.delete_firewall().firewall_arn(&current.physical_id).send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let Some(d) = self.describe(check.scope, check.physical_id).await? else {
            return if check.op == Op::Delete {
                Ok(Readiness::Gone)
            } else {
                Err(not_visible_yet(check.physical_id))
            };
        };
        if check.op == Op::Delete {
            let st = d.firewall_status().map_or("deleting", |s| s.status().as_str());
            return Ok(Readiness::Pending(st.to_ascii_lowercase()));
        }
        let (outputs, ready, status) = firewall_state(&d);
        // After an update the configuration must also have reached every endpoint.
        let in_sync = check.op != Op::Update
            || d.firewall_status()
                .is_some_and(|s| s.configuration_sync_state_summary().as_str() == "IN_SYNC");
        Ok(if ready && in_sync { Readiness::Ready(outputs) } else { Readiness::Pending(status) })
    }
}
