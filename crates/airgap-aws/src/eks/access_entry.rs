//! The EKS access entry kind (`eks-access-entry`), with its access policy
//! association.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{AccessScope, AccessScopeType};

use super::{std_tags, tag_map, Eks};
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, delete_call, id_set, list, not_visible_yet, opt_s, presence, s};
use crate::tags;

pub struct EksAccessEntry(pub Arc<Eks>);

fn entry_out(cluster: &str, principal: &str, arn: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(arn)),
        ("arn".to_string(), Value::str(arn)),
        ("cluster".to_string(), Value::str(cluster)),
        ("principal".to_string(), Value::str(principal)),
    ])
}

async fn describe_entry(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
) -> Result<Option<aws_sdk_eks::types::AccessEntry>, KindError> {
    match c
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
    {
        Ok(o) => Ok(o.access_entry),
        Err(e) => match classify(e) {
            e if e.class == ErrorClass::NotFound => Ok(None),
            e => Err(e),
        },
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
        .access_scope(
            AccessScope::builder()
                .r#type(AccessScopeType::Cluster)
                .build(),
        )
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
        let mut out = Vec::new();
        for cl in self.0.clusters(env, scope).await?.iter() {
            let Some(cname) = cl.name() else { continue };
            let principals: Vec<String> =
                match all_pages!(c.list_access_entries().cluster_name(cname)) {
                    Ok(p) => p,
                    Err(e) if e.class == ErrorClass::NotFound => continue,
                    Err(e) => return Err(e),
                };
            for p in principals {
                // Entries carry their tags only in their description; the cluster
                // creator's bootstrap entry has none and is left alone.
                let Some(entry) = describe_entry(c, cname, &p).await? else {
                    continue;
                };
                let Some(id) = tags::owned_id(&tag_map(entry.tags()), env) else {
                    continue;
                };
                let policies: Vec<String> = all_pages!(c
                    .list_associated_access_policies()
                    .cluster_name(cname)
                    .principal_arn(&p))?
                .iter()
                .filter_map(|a| a.policy_arn().map(str::to_string))
                .collect();
                let policy = match policies.as_slice() {
                    [] => Value::Null,
                    [one] => Value::str(one.as_str()),
                    many => id_set(many.to_vec()),
                };
                let arn = entry.access_entry_arn().unwrap_or_default();
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: arn.to_string(),
                    attrs: Attrs::from([
                        ("cluster".to_string(), Value::str(cname)),
                        ("principal".to_string(), Value::str(p.as_str())),
                        ("policy".to_string(), policy),
                    ]),
                    outputs: entry_out(cname, &p, arn),
                    parents: vec![cl.arn().unwrap_or_default().to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let (cluster, principal) = (s(a, "cluster")?, s(a, "principal")?);
        let entry = match c
            .create_access_entry()
            .cluster_name(&cluster)
            .principal_arn(&principal)
            .set_tags(Some(std_tags(&node.env, &node.id.0)))
            .client_request_token(node.client_token())
            .send()
            .await
        {
            Ok(o) => o.access_entry,
            Err(e) if code_of(&e) == Some("ResourceInUseException") => {
                match describe_entry(c, &cluster, &principal).await? {
                    Some(en)
                        if tags::owned_id(&tag_map(en.tags()), &node.env).as_deref()
                            == Some(node.id.0.as_str()) =>
                    {
                        Some(en)
                    }
                    Some(_) => {
                        return Err(KindError::fatal(
                            "ResourceInUseException",
                            format!(
                                "cluster {cluster} already has an access entry for {principal} \
                                 that airgapctl did not create (the cluster creator's own entry?); \
                                 remove the principal from `admins` or delete the entry"
                            ),
                        ))
                    }
                    None => return Err(classify(e)),
                }
            }
            Err(e) => return Err(classify(e)),
        };
        let arn = entry
            .as_ref()
            .and_then(|e| e.access_entry_arn())
            .unwrap_or_default()
            .to_string();
        if let Some(policy) = opt_s(a, "policy") {
            associate(c, &cluster, &principal, &policy).await?;
        }
        Ok(Created {
            outputs: entry_out(&cluster, &principal, &arn),
            physical_id: arn,
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        // Only the policy differs in place: associate the wanted one, drop the others.
        let c = self.0.client(&node.scope)?;
        let (cluster, principal) = (s(&node.attrs, "cluster")?, s(&node.attrs, "principal")?);
        let want = opt_s(&node.attrs, "policy");
        if let Some(p) = &want {
            associate(c, &cluster, &principal, p).await?;
        }
        let had: Vec<String> = match current.attrs.get("policy") {
            Some(Value::Str(p)) => vec![p.clone()],
            Some(Value::List(_)) => list(&current.attrs, "policy")?,
            _ => Vec::new(),
        };
        for p in had.iter().filter(|p| Some(*p) != want.as_ref()) {
            delete_call(
                c.disassociate_access_policy()
                    .cluster_name(&cluster)
                    .principal_arn(&principal)
                    .policy_arn(p)
                    .send(),
            )
            .await?;
        }
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_access_entry()
                .cluster_name(s(&current.attrs, "cluster")?)
                .principal_arn(s(&current.attrs, "principal")?)
                .send(),
        )
        .await
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let (cluster, principal) = (s(outputs, "cluster")?, s(outputs, "principal")?);
        let found = describe_entry(self.0.client(scope)?, &cluster, &principal).await?;
        presence(
            op,
            found,
            |_| outputs.clone(),
            || {
                not_visible_yet(format!(
                    "the access entry of {principal} is not visible yet"
                ))
            },
        )
    }
}
