//! What keeps a subnet, security group or VPC from being deleted, and what destroy may
//! do about it. AWS answers `DependencyViolation` without naming the dependency; the
//! usual ones in an EKS environment are network interfaces that outlive their owner:
//! those of interface endpoints still being deleted, those the VPC CNI leaves behind,
//! and load balancers (with their security groups) that in-cluster controllers made.
//!
//! The rule: something inside the environment's VPC that a Kubernetes controller
//! created for a cluster (its cluster tags) belongs to the environment unless that
//! cluster still exists and is not the environment's. Those are deleted; what is
//! already going away is waited for; anything else is reported by name and left alone.

mod elb;
mod refs;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use airgap_engine::{ErrorClass, KindError, Scope};
use aws_sdk_ec2::types::{
    AttachmentStatus, NatGatewayState, NetworkInterface, NetworkInterfaceStatus,
    NetworkInterfaceType, SecurityGroup as Ec2Group, State, VpcEndpoint,
};
use tracing::info;

use crate::clients::PerScope;
use crate::ec2::{filter, tag_map, Ec2, ID_BATCH};
use crate::errors::{classify, code_of, found, gone_is_ok};
use crate::kit::all_pages;
use crate::tags;

use elb::lb_of_eni;

/// How AWS describes the interfaces of a transit gateway VPC attachment.
const TGW_ENI_PREFIX: &str = "Network Interface for Transit Gateway Attachment ";

/// ELBv2 clients per account and region.
pub type Elb = PerScope<aws_sdk_elasticloadbalancingv2::Client>;
/// EKS clients per account and region (the owner check of a cluster tag).
pub type Eks = PerScope<aws_sdk_eks::Client>;

/// The clients the blocker search needs.
pub struct Blockers {
    pub ec2: Arc<Ec2>,
    pub elb: Elb,
    pub eks: Eks,
}

/// The resource whose delete answered `DependencyViolation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Subnet,
    SecurityGroup,
    Vpc,
}

impl Held {
    fn noun(self) -> &'static str {
        match self {
            Held::Subnet => "subnet",
            Held::SecurityGroup => "security group",
            Held::Vpc => "VPC",
        }
    }
}

/// Tags Kubernetes controllers put on what they create, naming the cluster.
const CNI_CLUSTER_TAG: &str = "cluster.k8s.amazonaws.com/name";
const ELB_CLUSTER_TAG: &str = "elbv2.k8s.aws/cluster";
const EKS_CLUSTER_TAG: &str = "aws:eks:cluster-name";
const K8S_CLUSTER_PREFIX: &str = "kubernetes.io/cluster/";

/// The cluster a controller-made resource was made for, from its tags.
pub fn k8s_cluster(tags: &HashMap<String, String>) -> Option<String> {
    [CNI_CLUSTER_TAG, ELB_CLUSTER_TAG, EKS_CLUSTER_TAG]
        .iter()
        .find_map(|k| tags.get(*k).filter(|v| !v.is_empty()).cloned())
        .or_else(|| {
            tags.keys()
                .find_map(|k| k.strip_prefix(K8S_CLUSTER_PREFIX))
                .filter(|c| !c.is_empty())
                .map(str::to_string)
        })
}

/// What was found, by what destroy does with it.
#[derive(Debug, Default)]
struct Findings {
    deleted: Vec<String>,
    waiting: Vec<String>,
    foreign: Vec<String>,
}

impl Blockers {
    /// Called after `DependencyViolation` on deleting `id`: deletes the environment's
    /// blockers and returns the error the engine should act on: `DependencyViolation`
    /// (retried) while something is going away, fatal when only things destroy must not
    /// touch are left, naming them.
    pub async fn clear(
        &self,
        scope: &Scope,
        held: Held,
        id: &str,
        original: KindError,
    ) -> KindError {
        match self.find_and_clear(scope, held, id).await {
            Ok(f) => verdict(held, id, original, f),
            // The search is a courtesy: its failure must not hide the original answer.
            Err(e) => KindError::new(
                original.class,
                original.code,
                format!("{} (looking for what holds it failed: {e})", original.message),
            ),
        }
    }

    /// A delete's answer, with a `DependencyViolation` passed through [`Self::clear`].
    pub(crate) async fn unless_held(
        &self,
        scope: &Scope,
        held: Held,
        id: &str,
        deleted: Result<(), KindError>,
    ) -> Result<(), KindError> {
        match deleted {
            Err(e) if e.class == ErrorClass::DependencyViolation => {
                Err(self.clear(scope, held, id, e).await)
            }
            r => r,
        }
    }

    async fn find_and_clear(
        &self,
        scope: &Scope,
        held: Held,
        id: &str,
    ) -> Result<Findings, KindError> {
        let ec2 = self.ec2.client(scope)?;
        let Some((vpc_id, env)) = self.vpc_and_env(ec2, held, id).await? else {
            return Ok(Findings::default());
        };
        let mut owners = ClusterOwners::default();
        let mut f = Findings::default();

        // Network interfaces in the subnet, the group, or the VPC.
        let key = match held {
            Held::Subnet => "subnet-id",
            Held::SecurityGroup => "group-id",
            Held::Vpc => "vpc-id",
        };
        let enis: Vec<NetworkInterface> =
            all_pages!(ec2.describe_network_interfaces().filters(filter(key, [id])))?;
        // Interface endpoints and NAT gateways, by the interfaces they hold: waited for
        // when they are the environment's or going away. Described only when an
        // interface is theirs: a delete retried while something holds it searches
        // again, and most searches find neither.
        let mut by_eni = HashMap::new();
        let endpoint_ids: Vec<&str> = enis
            .iter()
            // Gateway Load Balancer endpoints (a Network Firewall's among them) hold one
            // interface per subnet too, described as an interface endpoint's.
            .filter(|e| {
                matches!(
                    e.interface_type(),
                    Some(
                        NetworkInterfaceType::VpcEndpoint
                            | NetworkInterfaceType::GatewayLoadBalancerEndpoint
                    )
                )
            })
            .filter_map(|e| e.description()?.strip_prefix("VPC Endpoint Interface "))
            .map(str::trim)
            .collect();
        if !endpoint_ids.is_empty() {
            let endpoints: Vec<VpcEndpoint> = all_pages!(ec2
                .describe_vpc_endpoints()
                .filters(filter("vpc-endpoint-id", endpoint_ids.iter().take(ID_BATCH).copied())))?;
            for ep in &endpoints {
                let ours = tag_map(ep.tags()).get(tags::ENV) == Some(&env);
                // Compared in EC2's lower case: the SDK's enum only knows `Deleting`.
                let going = endpoint_going(ep.state());
                for eni in ep.network_interface_ids() {
                    by_eni.insert(
                        eni.clone(),
                        (ep.vpc_endpoint_id().unwrap_or_default().to_string(), ours || going),
                    );
                }
            }
        }

        // NAT gateways: their interface goes once they are deleted.
        let nat_eni = |e: &NetworkInterface| {
            e.interface_type() == Some(&NetworkInterfaceType::NatGateway)
                || e.description().is_some_and(|d| d.starts_with("Interface for NAT Gateway"))
        };
        if enis.iter().any(nat_eni) {
            let nats = ec2
                .describe_nat_gateways()
                .filter(filter("vpc-id", [&vpc_id]))
                .send()
                .await
                .map_err(classify)?;
            for nat in nats.nat_gateways() {
                let ours = tag_map(nat.tags()).get(tags::ENV) == Some(&env);
                let going = matches!(
                    nat.state(),
                    Some(NatGatewayState::Deleting | NatGatewayState::Deleted)
                );
                for a in nat.nat_gateway_addresses() {
                    if let Some(eni) = a.network_interface_id() {
                        by_eni.insert(
                            eni.to_string(),
                            (nat.nat_gateway_id().unwrap_or_default().to_string(), ours || going),
                        );
                    }
                }
            }
        }

        // Transit gateway attachments: one requester-managed interface per subnet, with
        // no tags, described "Network Interface for Transit Gateway Attachment
        // tgw-attach-..." (as recorded in aws-cloudformation/cloudformation-coverage-
        // roadmap#2483); it goes when the attachment is deleted. A stopped destroy can
        // leave an attachment `deleting`, which observe no longer lists, so the subnet's
        // delete meets its interfaces: waited for when the attachment is the
        // environment's or going away.
        let tgw_att_of = |e: &NetworkInterface| {
            e.description()?.strip_prefix(TGW_ENI_PREFIX).map(str::trim).map(str::to_string)
        };
        let atts: Vec<String> = enis.iter().filter_map(tgw_att_of).collect();
        if !atts.is_empty() {
            let found: Vec<_> = all_pages!(ec2.describe_transit_gateway_attachments().filters(
                filter("transit-gateway-attachment-id", atts.iter().take(ID_BATCH).cloned())
            ))?;
            for a in &found {
                let ours = tag_map(a.tags()).get(tags::ENV) == Some(&env);
                let going = a.state().is_some_and(|s| {
                    matches!(s.as_str(), "deleting" | "deleted" | "failed" | "rejected")
                });
                let id = a.transit_gateway_attachment_id().unwrap_or_default();
                for eni in enis.iter().filter(|e| tgw_att_of(e).as_deref() == Some(id)) {
                    let eni = eni.network_interface_id().unwrap_or_default().to_string();
                    by_eni.insert(eni, (format!("transit gateway attachment {id}"), ours || going));
                }
            }
            // An attachment AWS no longer lists is gone; its interfaces follow.
            for eni in enis.iter().filter(|e| tgw_att_of(e).is_some()) {
                let eni = eni.network_interface_id().unwrap_or_default().to_string();
                by_eni
                    .entry(eni)
                    .or_insert_with(|| ("a deleted transit gateway attachment".into(), true));
            }
        }

        // Load balancers in the VPC (for a subnet or group: those using it).
        let lbs = self.load_balancers(scope, &vpc_id, held, id).await?;
        let mut lb_names = HashSet::new();
        for lb in &lbs {
            let name = lb.name.clone();
            match &lb.cluster {
                Some(c) if owners.ours(self, scope, c, &env).await? => {
                    match self.delete_lb(scope, &lb.arn).await {
                        Ok(()) => f.deleted.push(format!("load balancer {name} of cluster {c}")),
                        Err(e) => f.foreign.push(format!(
                            "load balancer {name} of cluster {c}, which could not be deleted ({e})"
                        )),
                    }
                    lb_names.insert(name);
                }
                Some(c) => f.foreign.push(format!(
                    "load balancer {name} of cluster {c}, which is not environment {env}'s"
                )),
                None => f
                    .foreign
                    .push(format!("load balancer {name}, not made by a Kubernetes controller")),
            }
        }

        for eni in &enis {
            let eni_id = eni.network_interface_id().unwrap_or_default();
            let what = describe_eni(eni);
            let desc = eni.description().unwrap_or_default();
            if let Some((owner, fine)) = by_eni.get(eni_id) {
                if *fine {
                    f.waiting.push(format!("{what} of {owner}"));
                } else {
                    f.foreign.push(format!("{what} of {owner}, which is not environment {env}'s"));
                }
                continue;
            }
            if desc.starts_with("VPC Endpoint Interface") {
                // Its endpoint is gone; AWS releases the interface shortly after.
                f.waiting.push(format!("{what} (released after its endpoint)"));
                continue;
            }
            if let Some(lb) = lb_of_eni(desc) {
                if lb_names.contains(lb) {
                    f.waiting.push(format!("{what} of load balancer {lb}"));
                } else {
                    f.foreign.push(format!("{what} of load balancer {lb}"));
                }
                continue;
            }
            let cluster = k8s_cluster(&tag_map(eni.tag_set()))
                .or_else(|| desc.strip_prefix("Amazon EKS ").map(|c| c.trim().to_string()));
            let Some(cluster) = cluster else {
                f.foreign.push(what);
                continue;
            };
            if !owners.ours(self, scope, &cluster, &env).await? {
                f.foreign
                    .push(format!("{what} of cluster {cluster}, which is not environment {env}'s"));
                continue;
            }
            let detaching = eni
                .attachment()
                .and_then(|a| a.status())
                .is_some_and(|s| *s == AttachmentStatus::Detaching);
            match eni.status() {
                Some(NetworkInterfaceStatus::Available)
                    if !eni.requester_managed().unwrap_or(false) =>
                {
                    match gone_is_ok(
                        ec2.delete_network_interface()
                            .network_interface_id(eni_id)
                            .send()
                            .await
                            .map_err(classify),
                    ) {
                        Ok(()) => f.deleted.push(format!("{what} of cluster {cluster}")),
                        Err(e) if e.class != ErrorClass::Fatal => {
                            f.waiting.push(format!("{what} of cluster {cluster} ({e})"));
                        }
                        Err(e) => f.foreign.push(format!("{what}: cannot delete it ({e})")),
                    }
                }
                // EKS removes the control plane's interfaces after the cluster; the VPC
                // CNI's detach when their node is terminated.
                _ if detaching || eni.requester_managed().unwrap_or(false) => {
                    f.waiting.push(format!("{what} of cluster {cluster}"));
                }
                _ => f.foreign.push(format!(
                    "{what} of cluster {cluster}, still attached to {}",
                    eni.attachment().and_then(|a| a.instance_id()).unwrap_or("an instance")
                )),
            }
        }

        self.gateways_and_references(scope, held, id, &env, &mut f).await?;
        if held == Held::Vpc {
            self.clear_groups(scope, &vpc_id, &env, &mut owners, &mut f).await?;
            self.clear_target_groups(scope, &vpc_id, &env, &mut owners, &mut f).await?;
        }
        Ok(f)
    }

    /// The VPC of the held resource and the environment its tag names; None if it is
    /// gone or not managed (then there is nothing to decide).
    async fn vpc_and_env(
        &self,
        ec2: &aws_sdk_ec2::Client,
        held: Held,
        id: &str,
    ) -> Result<Option<(String, String)>, KindError> {
        let (vpc, tags) = match held {
            Held::Subnet => {
                let out = ec2.describe_subnets().subnet_ids(id).send().await;
                let Some(s) =
                    found(out.map_err(classify))?.and_then(|o| o.subnets().first().cloned())
                else {
                    return Ok(None);
                };
                (s.vpc_id().map(str::to_string), tag_map(s.tags()))
            }
            Held::SecurityGroup => {
                let out = ec2.describe_security_groups().group_ids(id).send().await;
                let Some(g) = found(out.map_err(classify))?
                    .and_then(|o| o.security_groups().first().cloned())
                else {
                    return Ok(None);
                };
                (g.vpc_id().map(str::to_string), tag_map(g.tags()))
            }
            Held::Vpc => {
                let out = ec2.describe_vpcs().vpc_ids(id).send().await;
                let Some(v) = found(out.map_err(classify))?.and_then(|o| o.vpcs().first().cloned())
                else {
                    return Ok(None);
                };
                (v.vpc_id().map(str::to_string), tag_map(v.tags()))
            }
        };
        Ok(vpc.zip(tags.get(tags::ENV).cloned()))
    }

    /// Security groups a VPC still has beyond its default and the environment's own.
    async fn clear_groups(
        &self,
        scope: &Scope,
        vpc_id: &str,
        env: &str,
        owners: &mut ClusterOwners,
        f: &mut Findings,
    ) -> Result<(), KindError> {
        let ec2 = self.ec2.client(scope)?;
        let groups: Vec<Ec2Group> =
            all_pages!(ec2.describe_security_groups().filters(filter("vpc-id", [vpc_id])))?;
        for g in groups {
            if g.group_name() == Some("default") {
                continue;
            }
            let gid = g.group_id().unwrap_or_default();
            let what = format!("security group {gid} ({})", g.group_name().unwrap_or("-"));
            let tags = tag_map(g.tags());
            if tags.get(tags::ENV).map(String::as_str) == Some(env) {
                f.waiting.push(what);
                continue;
            }
            let Some(cluster) = k8s_cluster(&tags) else {
                f.foreign.push(what);
                continue;
            };
            if !owners.ours(self, scope, &cluster, env).await? {
                f.foreign
                    .push(format!("{what} of cluster {cluster}, which is not environment {env}'s"));
                continue;
            }
            info!(group = gid, cluster, "deleting a security group left by a cluster");
            match gone_is_ok(
                ec2.delete_security_group().group_id(gid).send().await.map_err(classify),
            ) {
                Ok(()) => f.deleted.push(format!("{what} of cluster {cluster}")),
                // Still used by a load balancer's interfaces that are going away.
                Err(e) if e.class != ErrorClass::Fatal => f.waiting.push(what),
                Err(e) => f.foreign.push(format!("{what}: cannot delete it ({e})")),
            }
        }
        Ok(())
    }
}

/// Whether each cluster named by a tag is the environment's: it is unless it still
/// exists without the environment's tag. Asked once per cluster.
#[derive(Default)]
struct ClusterOwners(HashMap<String, bool>);

impl ClusterOwners {
    async fn ours(
        &mut self,
        b: &Blockers,
        scope: &Scope,
        cluster: &str,
        env: &str,
    ) -> Result<bool, KindError> {
        if let Some(v) = self.0.get(cluster) {
            return Ok(*v);
        }
        let r = b.eks.client(scope)?.describe_cluster().name(cluster).send().await;
        let ours = match r {
            Ok(o) => o
                .cluster()
                .and_then(|c| c.tags())
                .and_then(|t| t.get(tags::ENV))
                .is_some_and(|e| e == env),
            // Deleted: what it left inside the environment's VPC is the environment's.
            Err(e) if code_of(&e) == Some("ResourceNotFoundException") => true,
            Err(e) => return Err(classify(e)),
        };
        self.0.insert(cluster.to_string(), ours);
        Ok(ours)
    }
}

fn describe_eni(eni: &NetworkInterface) -> String {
    let mut s = format!("network interface {}", eni.network_interface_id().unwrap_or_default());
    let desc = eni.description().unwrap_or_default();
    if !desc.is_empty() {
        let _ = write!(s, " ({desc:?})");
    }
    if let Some(st) = eni.status() {
        let _ = write!(s, " [{}]", st.as_str());
    }
    s
}

/// The error the engine acts on, given what the search found and did.
fn verdict(held: Held, id: &str, original: KindError, f: Findings) -> KindError {
    let mut msg = String::new();
    if !f.deleted.is_empty() {
        let _ = write!(msg, "deleted {}; ", f.deleted.join(", "));
    }
    if !f.foreign.is_empty() {
        // Waiting longer cannot help: these stay until someone removes them.
        let _ = write!(
            msg,
            "{} {id} is held by {}, which destroy must not touch (not the environment's); \
             delete or detach them, then run destroy again",
            held.noun(),
            f.foreign.join(", ")
        );
        return KindError::fatal("ForeignDependency", msg);
    }
    if !f.waiting.is_empty() {
        let _ = write!(msg, "waiting for {}", f.waiting.join(", "));
    }
    if msg.is_empty() {
        return original;
    }
    KindError::new(
        ErrorClass::DependencyViolation,
        original.code,
        format!("{}; {msg}", original.message.trim_end_matches('.')),
    )
}

/// Whether an endpoint is being deleted or gone: its interfaces are about to go too.
fn endpoint_going(st: Option<&State>) -> bool {
    matches!(super::endpoint::state_of(st).as_str(), "deleting" | "deleted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_states_compare_as_ec2_answers_them() {
        // EC2 answers in lower case, which the SDK parses as an unknown variant.
        for st in ["deleting", "deleted", "Deleting"] {
            assert!(endpoint_going(Some(&State::from(st))), "{st}");
        }
        for st in ["available", "pending", "Available"] {
            assert!(!endpoint_going(Some(&State::from(st))), "{st}");
        }
    }

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cluster_from_controller_tags() {
        assert_eq!(k8s_cluster(&map(&[(CNI_CLUSTER_TAG, "dev")])).as_deref(), Some("dev"));
        assert_eq!(k8s_cluster(&map(&[(ELB_CLUSTER_TAG, "prod")])).as_deref(), Some("prod"));
        assert_eq!(
            k8s_cluster(&map(&[("kubernetes.io/cluster/ci-7", "owned")])).as_deref(),
            Some("ci-7")
        );
        assert_eq!(k8s_cluster(&map(&[("Name", "x"), (tags::ENV, "e")])), None);
        assert_eq!(k8s_cluster(&map(&[(ELB_CLUSTER_TAG, "")])), None);
    }

    fn dv() -> KindError {
        KindError::new(ErrorClass::DependencyViolation, "DependencyViolation", "has dependencies")
    }

    #[test]
    fn foreign_blockers_fail_naming_them() {
        let f = Findings {
            deleted: vec!["network interface eni-1 of cluster c".into()],
            waiting: vec![],
            foreign: vec!["network interface eni-9 (\"hand made\")".into()],
        };
        let e = verdict(Held::Subnet, "subnet-1", dv(), f);
        assert_eq!(e.class, ErrorClass::Fatal);
        assert!(e.message.contains("eni-9"), "{}", e.message);
        assert!(e.message.contains("subnet subnet-1"), "{}", e.message);
        assert!(e.message.contains("deleted network interface eni-1"), "{}", e.message);
    }

    #[test]
    fn own_blockers_are_retried() {
        let f = Findings {
            deleted: vec!["load balancer k8s-web of cluster c".into()],
            waiting: vec!["network interface eni-2 of endpoint vpce-1".into()],
            foreign: vec![],
        };
        let e = verdict(Held::Vpc, "vpc-1", dv(), f);
        assert_eq!(e.class, ErrorClass::DependencyViolation);
        assert!(e.message.contains("k8s-web") && e.message.contains("vpce-1"));
        let e = verdict(Held::Vpc, "vpc-1", dv(), Findings::default());
        assert_eq!(e, dv());
    }
}
