//! One EKS cluster: its IAM roles (unless given), API security group, KMS key,
//! access entries, add-ons and node groups, ordered so nodes join without internet.

use airgap_catalog::names::{fit, EKS_CLUSTER_NAME, IAM_ROLE_NAME, LAUNCH_TEMPLATE_NAME};
use airgap_catalog::spec::{
    node, EksAccessEntrySpec, EksAddonSpec, EksClusterSpec, IamRolePolicySpec, IamRoleSpec, Id,
    KmsAliasSpec, KmsKeySpec, LaunchTemplateSpec, Policies, SecurityGroupRuleSpec,
    SecurityGroupSpec,
};
use airgap_engine::{GraphBuilder, Scope, Value};

use super::{az_suffix, r};
use crate::model::{Ami, Blueprint, Spanned};

/// A role given as an ARN, or a reference to the role node's ARN.
fn role_id(v: Value) -> Id {
    match v {
        Value::Ref(r) => Id::Ref(r),
        Value::Str(s) => Id::Known(s),
        other => unreachable!("a role is an ARN or a reference, not {other}"),
    }
}

/// The role given in the blueprint (its ARN), or one made at node `at` for `service`
/// to assume, with these AWS managed policies attached: a reference to its ARN.
fn role(
    b: &mut GraphBuilder,
    given: Option<&Spanned<String>>,
    s: &Scope,
    at: &str,
    name: &str,
    service: &str,
    policies: &[&str],
) -> Value {
    if let Some(arn) = given {
        return Value::str(arn.value.as_str());
    }
    b.add(node(
        at,
        s.clone(),
        &IamRoleSpec { name: fit(name, IAM_ROLE_NAME), service: service.into() },
    ));
    for p in policies {
        b.add(node(
            format!("{at}/{p}").as_str(),
            s.clone(),
            &IamRolePolicySpec {
                role: Id::of(at, "id"),
                policy: format!("arn:aws:iam::aws:policy/{p}"),
            },
        ));
    }
    r(at, "arn")
}

pub(super) fn cluster_nodes(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    env: &str,
    c: &crate::model::Cluster,
    s: &Scope,
    azs: &[String],
) {
    let name = &c.name.value;
    let id = format!("cluster/{name}");
    let v = format!("vpc/{}", c.vpc.value);
    let vpc = bp.vpc(&c.vpc.value).expect("validated");
    let subnets = |tier: &str| -> Vec<Id> {
        azs.iter().map(|az| Id::of(format!("{v}/subnet/{tier}/{}", az_suffix(az)), "id")).collect()
    };

    let cluster_role = role(
        b,
        c.roles.cluster.as_ref(),
        s,
        &format!("{id}/role"),
        &format!("airgap-{env}-{name}-cluster"),
        "eks.amazonaws.com",
        &["AmazonEKSClusterPolicy"],
    );
    const NODE_POLICIES: [&str; 3] =
        ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"];
    let node_role = role(
        b,
        c.roles.node.as_ref(),
        s,
        &format!("{id}/node-role"),
        &format!("airgap-{env}-{name}-node"),
        "ec2.amazonaws.com",
        &NODE_POLICIES,
    );
    b.add(node(
        format!("{id}/sg"),
        s.clone(),
        &SecurityGroupSpec {
            vpc: Id::of(v.as_str(), "id"),
            description: "EKS API from trusted networks".into(),
        },
    ));
    for (i, cidr) in bp.api_access(c).iter().enumerate() {
        b.add(node(
            format!("{id}/sg/api/{i}"),
            s.clone(),
            &SecurityGroupRuleSpec {
                group: Id::of(format!("{id}/sg"), "id"),
                protocol: "tcp".into(),
                port: 443,
                cidr: cidr.value.to_string(),
            },
        ));
    }
    let mut cluster_spec = EksClusterSpec::private(
        fit(&format!("{env}-{name}"), EKS_CLUSTER_NAME),
        role_id(cluster_role),
        subnets("controlPlane"),
        vec![Id::of(format!("{id}/sg"), "id")],
    );
    cluster_spec.logging = c.logging.iter().map(|l| l.value.clone()).collect();
    cluster_spec.version = c.version.as_ref().map(|v| v.value.clone());
    if c.secrets_encryption.value {
        b.add(node(
            format!("{id}/kms").as_str(),
            s.clone(),
            &KmsKeySpec { description: format!("EKS secrets of {name}"), rotation: true },
        ));
        b.add(node(
            format!("{id}/kms/alias").as_str(),
            s.clone(),
            &KmsAliasSpec {
                name: format!("alias/airgap/{}/{name}", env),
                key: Id::of(format!("{id}/kms"), "id"),
            },
        ));
        cluster_spec.secrets_key = Some(Id::of(format!("{id}/kms"), "arn"));
    }
    let mut cluster = node(id.as_str(), s.clone(), &cluster_spec);
    if c.roles.cluster.is_none() {
        cluster = cluster.after(format!("{id}/role/AmazonEKSClusterPolicy").as_str());
    }
    b.add(cluster);
    for (i, admin) in c.admins.iter().enumerate() {
        b.add(node(
            format!("{id}/access/{i}"),
            s.clone(),
            &EksAccessEntrySpec {
                cluster: Id::of(id.as_str(), "id"),
                principal: admin.value.clone(),
                policy: Some(Policies::One(
                    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy".into(),
                )),
            },
        ));
    }
    // vpc-cni and kube-proxy before nodes (so they join networked); the rest after.
    // Add-ons and node groups carry the cluster's version, so a version bump updates
    // them too, each after what it depends on: the control plane, then these add-ons,
    // then the node groups, then the add-ons that need nodes (coredns).
    let early = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"];
    let addon_node = |name: &str| {
        node(
            format!("{id}/addon/{name}"),
            s.clone(),
            &EksAddonSpec {
                cluster: Id::of(id.as_str(), "id"),
                name: name.to_string(),
                kubernetes_version: c.version.as_ref().map(|v| v.value.clone()),
            },
        )
    };
    for addon in c.addons.iter().filter(|a| early.contains(&a.value.as_str())) {
        b.add(addon_node(&addon.value));
    }
    let mut ng_ids = Vec::new();
    for ng in &c.nodegroups {
        let ngid = format!("{id}/nodegroup/{}", ng.name.value);
        let mut spec = ng.spec(
            Id::of(id.as_str(), "id"),
            role_id(node_role.clone()),
            subnets("dataPlane"),
            c.version.as_ref().map(|v| v.value.clone()),
        );
        match &ng.ami.value {
            Ami::Type(t) => spec.ami_type = Some(t.clone()),
            Ami::LaunchTemplate { id_or_name, version } => {
                spec.launch_template = Some(Id::Known(id_or_name.clone()));
                spec.launch_template_version = version.clone().map(Id::Known);
            }
            Ami::Id(ami) => {
                // A custom AMI gets no bootstrap from EKS: a template of ours joins
                // its nodes (nodeadm), and each new version rolls the node group.
                let lt = format!("{ngid}/launch-template");
                b.add(node(
                    lt.as_str(),
                    s.clone(),
                    &LaunchTemplateSpec {
                        name: fit(
                            &format!("airgap-{env}-{name}-{}", ng.name.value),
                            LAUNCH_TEMPLATE_NAME,
                        ),
                        image_id: ami.clone(),
                        cluster: Id::of(id.as_str(), "id"),
                        endpoint: Id::of(id.as_str(), "endpoint"),
                        ca: Id::of(id.as_str(), "ca"),
                        service_cidr: Id::of(id.as_str(), "serviceCidr"),
                    },
                ));
                spec.launch_template = Some(Id::of(lt.as_str(), "id"));
                spec.launch_template_version = Some(Id::of(lt.as_str(), "version"));
                // The image is the Kubernetes version: EKS refuses a `version` beside a
                // launch template with a custom AMI, in CreateNodegroup and in
                // UpdateNodegroupVersion alike ("don't specify version, or the node group
                // update will fail", EKS API reference). A new `amiId` rolls the nodes.
                spec.version = None;
            }
        }
        let mut n = node(ngid.as_str(), s.clone(), &spec);
        // Nodes join without internet: through the endpoints, with the routes in place.
        for svc in &vpc.endpoints.interface {
            n = n.after(crate::central::reached_through(bp, &vpc.name.value, &svc.value).as_str());
        }
        for svc in &vpc.endpoints.gateway {
            n = n.after(format!("{v}/endpoint/{}", svc.value).as_str());
        }
        // Central endpoints are in another VPC: the way there crosses the transit gateway
        // and the firewall, whose policy must pass it.
        if let Some((host, _)) = bp.central().filter(|(h, _)| h.name.value != vpc.name.value) {
            n = n.after(format!("tgw/attachment/{}/assoc", vpc.name.value).as_str());
            n = n.after(format!("tgw/attachment/{}/propagation", host.name.value).as_str());
            if bp.hub.firewall.is_some() {
                n = n.after("firewall");
            }
        }
        for addon in c.addons.iter().filter(|a| early.contains(&a.value.as_str())) {
            n = n.after(format!("{id}/addon/{}", addon.value).as_str());
        }
        if c.roles.node.is_none() {
            for p in NODE_POLICIES {
                n = n.after(format!("{id}/node-role/{p}").as_str());
            }
        }
        b.add(n);
        ng_ids.push(ngid);
    }
    for addon in c.addons.iter().filter(|a| !early.contains(&a.value.as_str())) {
        let mut n = addon_node(&addon.value);
        for ng in &ng_ids {
            n = n.after(ng.as_str());
        }
        b.add(n);
    }
}
