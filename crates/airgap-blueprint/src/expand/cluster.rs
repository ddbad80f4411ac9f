//! One EKS cluster: its IAM roles (unless given), API security group, KMS key,
//! access entries, add-ons and node groups, ordered so nodes join without internet.

use airgap_catalog::spec::{node, IamRolePolicySpec, IamRoleSpec, Id, KmsAliasSpec, KmsKeySpec};
use airgap_engine::{GraphBuilder, Node, Scope, Value};

use super::{az_suffix, list, r};
use crate::model::{Ami, Blueprint, TaintEffect};

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
    let subnets = |tier: &str| {
        list(
            azs.iter()
                .map(|az| r(&format!("{v}/subnet/{tier}/{}", az_suffix(az)), "id")),
        )
    };

    let cluster_role = match &c.roles.cluster {
        Some(arn) => Value::str(arn.value.as_str()),
        None => {
            b.add(node(
                format!("{id}/role").as_str(),
                s.clone(),
                &IamRoleSpec {
                    name: format!("airgap-{}-{name}-cluster", env),
                    service: "eks.amazonaws.com".into(),
                },
            ));
            b.add(node(
                format!("{id}/role/AmazonEKSClusterPolicy").as_str(),
                s.clone(),
                &IamRolePolicySpec {
                    role: Id::of(format!("{id}/role"), "id"),
                    policy: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy".into(),
                },
            ));
            r(&format!("{id}/role"), "arn")
        }
    };
    const NODE_POLICIES: [&str; 3] = [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKS_CNI_Policy",
    ];
    let node_role = match &c.roles.node {
        Some(arn) => Value::str(arn.value.as_str()),
        None => {
            b.add(node(
                format!("{id}/node-role").as_str(),
                s.clone(),
                &IamRoleSpec {
                    name: format!("airgap-{}-{name}-node", env),
                    service: "ec2.amazonaws.com".into(),
                },
            ));
            for p in NODE_POLICIES {
                b.add(node(
                    format!("{id}/node-role/{p}").as_str(),
                    s.clone(),
                    &IamRolePolicySpec {
                        role: Id::of(format!("{id}/node-role"), "id"),
                        policy: format!("arn:aws:iam::aws:policy/{p}"),
                    },
                ));
            }
            r(&format!("{id}/node-role"), "arn")
        }
    };
    b.add(
        Node::new(format!("{id}/sg").as_str(), "security-group", s.clone())
            .attr("vpc", r(&v, "id"))
            .attr("description", "EKS API from trusted networks"),
    );
    for (i, cidr) in c.api_access_cidrs.iter().enumerate() {
        b.add(
            Node::new(
                format!("{id}/sg/api/{i}").as_str(),
                "security-group-rule",
                s.clone(),
            )
            .attr("group", r(&format!("{id}/sg"), "id"))
            .attr("protocol", "tcp")
            .attr("port", 443i64)
            .attr("cidr", cidr.value.to_string()),
        );
    }
    let mut cluster = Node::new(id.as_str(), "eks-cluster", s.clone())
        .attr("name", format!("{}-{name}", env))
        .attr("role", cluster_role)
        .attr("subnets", subnets("controlPlane"))
        .attr("securityGroups", list([r(&format!("{id}/sg"), "id")]))
        .attr("endpointPrivateAccess", true)
        .attr("endpointPublicAccess", false)
        .attr("authenticationMode", "API")
        .attr(
            "logging",
            list(c.logging.iter().map(|l| Value::str(l.value.as_str()))),
        );
    if let Some(ver) = &c.version {
        cluster = cluster.attr("version", ver.value.as_str());
    }
    if c.roles.cluster.is_none() {
        cluster = cluster.after(format!("{id}/role/AmazonEKSClusterPolicy").as_str());
    }
    if c.secrets_encryption.value {
        b.add(node(
            format!("{id}/kms").as_str(),
            s.clone(),
            &KmsKeySpec {
                description: format!("EKS secrets of {name}"),
                rotation: true,
            },
        ));
        b.add(node(
            format!("{id}/kms/alias").as_str(),
            s.clone(),
            &KmsAliasSpec {
                name: format!("alias/airgap/{}/{name}", env),
                key: Id::of(format!("{id}/kms"), "id"),
            },
        ));
        cluster = cluster.attr("secretsKey", r(&format!("{id}/kms"), "arn"));
    }
    b.add(cluster);
    for (i, admin) in c.admins.iter().enumerate() {
        b.add(
            Node::new(
                format!("{id}/access/{i}").as_str(),
                "eks-access-entry",
                s.clone(),
            )
            .attr("cluster", r(&id, "id"))
            .attr("principal", admin.value.as_str())
            .attr(
                "policy",
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            ),
        );
    }
    // vpc-cni and kube-proxy before nodes (so they join networked); the rest after.
    // Add-ons and node groups carry the cluster's version, so a version bump updates
    // them too, each after what it depends on: the control plane, then these add-ons,
    // then the node groups, then the add-ons that need nodes (coredns).
    let early = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"];
    let addon_node = |name: &str| {
        let n = Node::new(
            format!("{id}/addon/{name}").as_str(),
            "eks-addon",
            s.clone(),
        )
        .attr("cluster", r(&id, "id"))
        .attr("name", name);
        match &c.version {
            Some(v) => n.attr("kubernetesVersion", v.value.as_str()),
            None => n,
        }
    };
    for addon in c
        .addons
        .iter()
        .filter(|a| early.contains(&a.value.as_str()))
    {
        b.add(addon_node(&addon.value));
    }
    let mut ng_ids = Vec::new();
    for ng in &c.nodegroups {
        let ngid = format!("{id}/nodegroup/{}", ng.name.value);
        let mut n = Node::new(ngid.as_str(), "eks-nodegroup", s.clone())
            .attr("cluster", r(&id, "id"))
            .attr("name", ng.name.value.as_str())
            .attr("role", node_role.clone())
            .attr("subnets", subnets("dataPlane"))
            .attr(
                "instanceTypes",
                list(
                    ng.instance_types
                        .iter()
                        .map(|t| Value::str(t.value.as_str())),
                ),
            )
            .attr("min", i64::from(ng.scaling.min.value))
            .attr("desired", i64::from(ng.scaling.desired.value))
            .attr("max", i64::from(ng.scaling.max.value))
            .attr(
                "labels",
                Value::Map(
                    ng.labels
                        .iter()
                        .map(|(k, v)| (k.value.clone(), Value::str(v.value.as_str())))
                        .collect(),
                ),
            )
            .attr(
                "taints",
                list(ng.taints.iter().map(|t| {
                    let effect = match t.effect.value {
                        TaintEffect::NoSchedule => "NO_SCHEDULE",
                        TaintEffect::NoExecute => "NO_EXECUTE",
                        TaintEffect::PreferNoSchedule => "PREFER_NO_SCHEDULE",
                    };
                    Value::Map(
                        [
                            ("key".to_string(), Value::str(t.key.value.as_str())),
                            (
                                "value".to_string(),
                                t.value
                                    .as_ref()
                                    .map_or(Value::Null, |v| Value::str(v.value.as_str())),
                            ),
                            ("effect".to_string(), Value::str(effect)),
                        ]
                        .into(),
                    )
                })),
            );
        if let Some(v) = &c.version {
            n = n.attr("version", v.value.as_str());
        }
        n = match &ng.ami.value {
            Ami::Type(t) => n.attr("amiType", t.as_str()),
            Ami::LaunchTemplate {
                id_or_name,
                version,
            } => n.attr("launchTemplate", id_or_name.as_str()).attr(
                "launchTemplateVersion",
                version.clone().map_or(Value::Null, Value::Str),
            ),
            Ami::Id(ami) => {
                // A custom AMI gets no bootstrap from EKS: a template of ours joins
                // its nodes (nodeadm), and each new version rolls the node group.
                let lt = format!("{ngid}/launch-template");
                b.add(
                    Node::new(lt.as_str(), "launch-template", s.clone())
                        .attr("name", format!("airgap-{env}-{name}-{}", ng.name.value))
                        .attr("imageId", ami.as_str())
                        .attr("cluster", r(&id, "id"))
                        .attr("endpoint", r(&id, "endpoint"))
                        .attr("ca", r(&id, "ca"))
                        .attr("serviceCidr", r(&id, "serviceCidr")),
                );
                n.attr("launchTemplate", r(&lt, "id"))
                    .attr("launchTemplateVersion", r(&lt, "version"))
            }
        };
        // Nodes join without internet: through the endpoints, with the routes in place.
        for svc in vpc.endpoints.interface.iter().chain(&vpc.endpoints.gateway) {
            n = n.after(format!("{v}/endpoint/{}", svc.value).as_str());
        }
        for addon in c
            .addons
            .iter()
            .filter(|a| early.contains(&a.value.as_str()))
        {
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
    for addon in c
        .addons
        .iter()
        .filter(|a| !early.contains(&a.value.as_str()))
    {
        let mut n = addon_node(&addon.value);
        for ng in &ng_ids {
            n = n.after(ng.as_str());
        }
        b.add(n);
    }
}
