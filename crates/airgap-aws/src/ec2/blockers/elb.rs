//! The ELBv2 side of the blocker search: the load balancers in the environment's VPC
//! (and the subnet or group held), their tags, and the target groups controllers left.

use std::collections::HashMap;

use airgap_engine::{KindError, Scope};
use tracing::info;

use super::{k8s_cluster, Blockers, ClusterOwners, Findings, Held};
use crate::errors::{classify, gone_is_ok};
use crate::kit::all_pages;

impl Blockers {
    pub(super) async fn load_balancers(
        &self,
        scope: &Scope,
        vpc_id: &str,
        held: Held,
        id: &str,
    ) -> Result<Vec<Lb>, KindError> {
        let elb = self.elb.client(scope)?;
        let all: Vec<_> = all_pages!(elb.describe_load_balancers())?;
        let mine: Vec<_> = all
            .into_iter()
            .filter(|lb| lb.vpc_id() == Some(vpc_id))
            .filter(|lb| match held {
                Held::Vpc => true,
                Held::Subnet => lb.availability_zones().iter().any(|z| z.subnet_id() == Some(id)),
                Held::SecurityGroup => lb.security_groups().iter().any(|g| g == id),
            })
            .collect();
        let arns: Vec<String> =
            mine.iter().filter_map(|lb| lb.load_balancer_arn().map(str::to_string)).collect();
        let tags = self.elb_tags(scope, &arns).await?;
        Ok(mine
            .iter()
            .map(|lb| {
                let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
                Lb {
                    name: lb.load_balancer_name().unwrap_or(&arn).to_string(),
                    cluster: tags.get(&arn).and_then(k8s_cluster),
                    arn,
                }
            })
            .collect())
    }

    /// Tags of ELBv2 resources by ARN.
    async fn elb_tags(
        &self,
        scope: &Scope,
        arns: &[String],
    ) -> Result<HashMap<String, HashMap<String, String>>, KindError> {
        crate::privatelink::elb_tags(self.elb.client(scope)?, arns).await
    }

    pub(super) async fn delete_lb(&self, scope: &Scope, arn: &str) -> Result<(), KindError> {
        info!(load_balancer = arn, "deleting a load balancer left by a cluster");
        gone_is_ok(
            self.elb
                .client(scope)?
                .delete_load_balancer()
                .load_balancer_arn(arn)
                .send()
                .await
                .map_err(classify),
        )
    }
    /// Target groups controllers made in the VPC: they hold nothing, but would leak.
    pub(super) async fn clear_target_groups(
        &self,
        scope: &Scope,
        vpc_id: &str,
        env: &str,
        owners: &mut ClusterOwners,
        f: &mut Findings,
    ) -> Result<(), KindError> {
        let elb = self.elb.client(scope)?;
        let groups: Vec<_> = all_pages!(elb.describe_target_groups())?;
        let groups: Vec<_> = groups
            .into_iter()
            .filter(|g| g.vpc_id() == Some(vpc_id) && g.load_balancer_arns().is_empty())
            .collect();
        let arns: Vec<String> =
            groups.iter().filter_map(|g| g.target_group_arn().map(str::to_string)).collect();
        let tags = self.elb_tags(scope, &arns).await?;
        for g in &groups {
            let arn = g.target_group_arn().unwrap_or_default();
            let Some(cluster) = tags.get(arn).and_then(k8s_cluster) else {
                continue;
            };
            if !owners.ours(self, scope, &cluster, env).await? {
                continue;
            }
            let name = g.target_group_name().unwrap_or(arn);
            if gone_is_ok(
                elb.delete_target_group().target_group_arn(arn).send().await.map_err(classify),
            )
            .is_ok()
            {
                f.deleted.push(format!("target group {name} of cluster {cluster}"));
            }
        }
        Ok(())
    }
}
pub(super) struct Lb {
    pub(super) arn: String,
    pub(super) name: String,
    pub(super) cluster: Option<String>,
}

/// The load balancer name in an ELB interface's description (`ELB app/NAME/ID`,
/// `ELB net/NAME/ID`, or `ELB NAME` for a classic one).
pub(super) fn lb_of_eni(desc: &str) -> Option<&str> {
    let rest = desc.strip_prefix("ELB ")?;
    let mut parts = rest.split('/');
    match (parts.next(), parts.next()) {
        (Some("app" | "net" | "gwy"), Some(name)) => Some(name),
        (Some(name), None) => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_balancer_of_an_interface() {
        assert_eq!(lb_of_eni("ELB app/k8s-web-abc/50dc6c495c0c9188"), Some("k8s-web-abc"));
        assert_eq!(lb_of_eni("ELB net/k8s-nlb/1a2b"), Some("k8s-nlb"));
        assert_eq!(lb_of_eni("ELB a1b2c3"), Some("a1b2c3"));
        assert_eq!(lb_of_eni("aws-K8S-i-0abc"), None);
    }
}
