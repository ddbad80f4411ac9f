//! Holds that are not network interfaces or load balancers: an internet gateway still
//! attached to the VPC, and other security groups whose rules refer to the group. AWS
//! answers `DependencyViolation` for both without naming them: DeleteVpc "The vpc '...'
//! has dependencies and cannot be deleted" with a gateway attached (recorded in
//! hashicorp/terraform-provider-aws#23488), DeleteSecurityGroup "resource sg-... has a
//! dependent object" while another group's rule references it (botocore DeleteSecurityGroup:
//! "If you attempt to delete a security group that is ... referenced by another security
//! group in the same VPC, the operation fails with DependencyViolation"). The
//! environment's own go in the graph's order and are waited for; anyone else's are named,
//! so destroy stops with what to remove instead of retrying until its deadline.

use std::collections::HashSet;

use airgap_engine::{KindError, Scope};
use aws_sdk_ec2::types::{InternetGateway, SecurityGroup};

use super::{k8s_cluster, Blockers, Findings, Held};
use crate::ec2::{filter, tag_map};
use crate::kit::all_pages;
use crate::tags;

impl Blockers {
    pub(super) async fn gateways_and_references(
        &self,
        scope: &Scope,
        held: Held,
        id: &str,
        env: &str,
        f: &mut Findings,
    ) -> Result<(), KindError> {
        let ec2 = self.ec2.client(scope)?;
        match held {
            Held::Vpc => {
                let gateways: Vec<InternetGateway> = all_pages!(ec2
                    .describe_internet_gateways()
                    .filters(filter("attachment.vpc-id", [id])))?;
                for g in gateways {
                    let what =
                        format!("internet gateway {}", g.internet_gateway_id().unwrap_or_default());
                    if tag_map(g.tags()).get(tags::ENV).map(String::as_str) == Some(env) {
                        f.waiting.push(format!("{what} (detached before the VPC goes)"));
                    } else {
                        f.foreign.push(format!("{what}, attached to it"));
                    }
                }
            }
            Held::SecurityGroup => {
                let mut seen = HashSet::new();
                for key in ["ip-permission.group-id", "egress.ip-permission.group-id"] {
                    let groups: Vec<SecurityGroup> =
                        all_pages!(ec2.describe_security_groups().filters(filter(key, [id])))?;
                    for g in groups {
                        let gid = g.group_id().unwrap_or_default().to_string();
                        if gid == id || !seen.insert(gid.clone()) {
                            continue;
                        }
                        let tags = tag_map(g.tags());
                        // The environment's groups go in the graph's order; a group a
                        // cluster's controller made is the load balancer search's to judge.
                        if tags.get(tags::ENV).map(String::as_str) == Some(env)
                            || k8s_cluster(&tags).is_some()
                        {
                            continue;
                        }
                        f.foreign.push(format!(
                            "security group {gid} ({}), whose rules refer to it",
                            g.group_name().unwrap_or("-")
                        ));
                    }
                }
            }
            Held::Subnet => {}
        }
        Ok(())
    }
}
