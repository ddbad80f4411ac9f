//! The EKS access entry kind (`eks-access-entry`), with its access policy
//! association.

use std::sync::Arc;

use airgap_catalog::spec::{EksAccessEntrySpec, Policies, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
    Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{AccessEntry, AccessScope, AccessScopeType};

use super::{changes, made_or_adopted, member_out, std_tags, Eks};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{all_pages, delete_call, lookup, not_visible_yet, presence, s, set_of};

pub struct EksAccessEntry(pub Arc<Eks>);

/// An entry is known by its ARN (its principal is not unique across clusters).
fn entry_out(cluster: &str, principal: &str, arn: &str) -> Attrs {
    let mut out = member_out(arn, cluster, arn);
    out.insert("principal".into(), Value::str(principal));
    out
}

async fn describe_entry(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
) -> Result<Option<AccessEntry>, KindError> {
    Ok(lookup(c.describe_access_entry().cluster_name(cluster).principal_arn(principal).send())
        .await?
        .and_then(|o| o.access_entry))
}

/// The policies associated with an entry: none, the one a blueprint asks for, or
/// several (added by hand), in one order.
fn policies(arns: Vec<String>) -> Option<Policies> {
    let mut arns = set_of(arns);
    match arns.len() {
        0 => None,
        1 => arns.pop().map(Policies::One),
        _ => Some(Policies::Many(arns)),
    }
}

async fn associate(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    policy: &str,
) -> Result<(), KindError> {
    c.associate_access_policy()
        .cluster_name(cluster)
        .principal_arn(principal)
        .policy_arn(policy)
        .access_scope(AccessScope::builder().r#type(AccessScopeType::Cluster).build())
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl Kind for EksAccessEntry {
    kind_meta!(EKS_ACCESS_ENTRY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        // Entries carry their tags only in their description; the cluster creator's
        // bootstrap entry has none and is left alone.
        let found = self
            .0
            .members(
                env,
                scope,
                |c, cl| async move { all_pages!(c.list_access_entries().cluster_name(cl)) },
                |c, cl, p| async move { describe_entry(&c, &cl, &p).await },
            )
            .await?;
        let mut out = Vec::new();
        for f in found {
            let arns: Vec<String> = all_pages!(c
                .list_associated_access_policies()
                .cluster_name(&f.cluster)
                .principal_arn(&f.name))?
            .iter()
            .filter_map(|a| a.policy_arn().map(str::to_string))
            .collect();
            let spec = EksAccessEntrySpec {
                cluster: f.cluster.as_str().into(),
                principal: f.name.clone(),
                policy: policies(arns),
            };
            let arn = f.item.access_entry_arn().unwrap_or_default();
            out.push(Observed {
                id: f.id.as_str().into(),
                physical_id: arn.to_string(),
                attrs: spec.to_attrs(),
                outputs: entry_out(&f.cluster, &f.name, arn),
                parents: vec![f.cluster_arn.clone()],
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = EksAccessEntrySpec::from_attrs(&node.attrs)?;
        let (cluster, principal) = (spec.cluster.get()?, spec.principal.as_str());
        let sent = c
            .create_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .set_tags(Some(std_tags(&node.env, &node.id.0)))
            .client_request_token(node.client_token())
            .send()
            .await;
        let entry = made_or_adopted(
            sent,
            |o| o.access_entry,
            || describe_entry(c, cluster, principal),
            node,
            &format!("the access entry of {principal}"),
            || {
                format!(
                    "cluster {cluster} already has an access entry for {principal} \
                     that airgapctl did not create (the cluster creator's own entry?); \
                     remove the principal from `admins` or delete the entry"
                )
            },
        )
        .await?;
        let arn = entry.access_entry_arn().unwrap_or_default().to_string();
        for policy in spec.policy.iter().flat_map(Policies::arns) {
            associate(c, cluster, principal, policy).await?;
        }
        Ok(Created { outputs: entry_out(cluster, principal, &arn), physical_id: arn })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        // Only the policy changes in place: associate the wanted ones, drop the others.
        if !changes(change.diff, &["policy"]) {
            return Ok(change.done());
        }
        let c = self.0.client(&change.node.scope)?;
        let want = EksAccessEntrySpec::from_attrs(&change.node.attrs)?;
        let had = EksAccessEntrySpec::from_attrs(&change.current.attrs)?;
        let (cluster, principal) = (want.cluster.get()?, want.principal.as_str());
        let wanted: Vec<&str> = want.policy.iter().flat_map(Policies::arns).collect();
        for p in &wanted {
            associate(c, cluster, principal, p).await?;
        }
        for p in had.policy.iter().flat_map(Policies::arns).filter(|p| !wanted.contains(p)) {
            delete_call(
                c.disassociate_access_policy()
                    .cluster_name(cluster)
                    .principal_arn(principal)
                    .policy_arn(p)
                    .send(),
            )
            .await?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = EksAccessEntrySpec::from_attrs(&current.attrs)?;
        delete_call(
            self.0
                .client(scope)?
                .delete_access_entry()
                .cluster_name(spec.cluster.get()?)
                .principal_arn(&spec.principal)
                .send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let (cluster, principal) = (s(check.outputs, "cluster")?, s(check.outputs, "principal")?);
        let found = describe_entry(self.0.client(check.scope)?, &cluster, &principal).await?;
        presence(
            check.op,
            found,
            |_| check.outputs.clone(),
            || not_visible_yet(format!("the access entry of {principal} is not visible yet")),
        )
    }
}
