//! The `clusters` section: each cluster and its node groups (scaling, AMI
//! choice, labels, taints).

use miette::SourceSpan;

use super::{keys, Parser};
use crate::diag::Code;
use crate::model::*;
use crate::yaml::{Kind, Node};

impl Parser<'_> {
    pub(super) fn cluster(&mut self, item: &Node) -> Option<Cluster> {
        let (o, name, what) = self.named_item(item, "cluster", keys::CLUSTER)?;
        let vpc = self.req_string(&o, "vpc", &what);
        let version = self.opt_string(&o, "version");
        let mut api_access_cidrs = Vec::new();
        if let Some((_, v)) = self.get(&o, "apiAccessCidrs") {
            for n in self.list(v, "`apiAccessCidrs`") {
                if let Some(c) = self.cidr(n, "an `apiAccessCidrs` entry") {
                    api_access_cidrs.push(c);
                }
            }
        }
        let secrets_encryption = self.bool_or(&o, "secretsEncryption", true);
        let logging = self.string_list(&o, "logging");
        let admins = self.string_list(&o, "admins");
        let addons = self.string_list(&o, "addons");
        let r = self.sub_or_empty(&o, "roles", "`roles`", keys::CLUSTER_ROLES);
        let roles = ClusterRoles {
            cluster: self.opt_string(&r, "cluster"),
            node: self.opt_string(&r, "node"),
        };
        let mut nodegroups = Vec::new();
        if let Some((_, v)) = self.get(&o, "nodegroups") {
            for item in self.list(v, "`nodegroups`") {
                if let Some(ng) = self.nodegroup(item) {
                    nodegroups.push(ng);
                }
            }
        }
        Some(Cluster {
            name,
            vpc,
            version,
            api_access_cidrs,
            secrets_encryption,
            logging,
            admins,
            addons,
            roles,
            nodegroups,
        })
    }

    fn nodegroup(&mut self, item: &Node) -> Option<Nodegroup> {
        let owner = Self::item_owner(item);
        let o = self.obj(item, owner, "node group", keys::NODEGROUP)?;
        let name = self.req_string(&o, "name", "a node group");
        let mut instance_types = self.string_list(&o, "instanceTypes");
        if self.get(&o, "instanceTypes").is_none() {
            instance_types.push(Spanned::new("m6i.large".into(), owner));
        }
        let s = self.sub_or_empty(&o, "scaling", "`scaling`", keys::SCALING);
        let scaling = Scaling {
            min: self.int_or(&s, "min", 0, 1000, 1u32),
            desired: self.int_or(&s, "desired", 0, 1000, 2u32),
            max: self.int_or(&s, "max", 1, 1000, 3u32),
        };
        let ami_keys: Vec<(&Node, &Node)> =
            ["amiType", "launchTemplate", "amiId"].iter().filter_map(|k| self.get(&o, k)).collect();
        if ami_keys.len() > 1 {
            self.exclusive_ami(ami_keys[1].0.span, ami_keys[0].0.span);
        }
        let ami = match ami_keys.first() {
            None => Spanned::new(Ami::Type("AL2023_x86_64_STANDARD".into()), owner),
            Some((k, v)) => match k.scalar() {
                Some("launchTemplate") => {
                    match self.obj(v, k.span, "`launchTemplate`", keys::LAUNCH_TEMPLATE) {
                        Some(lt) => {
                            let id = self.opt_string(&lt, "id");
                            let nm = self.opt_string(&lt, "name");
                            let version = self.opt_string(&lt, "version").map(|s| s.value);
                            match (id, nm) {
                                (Some(i), None) | (None, Some(i)) => Spanned::new(
                                    Ami::LaunchTemplate { id_or_name: i.value, version },
                                    v.span,
                                ),
                                _ => {
                                    self.sink
                                        .report(
                                            Code::InvalidValue,
                                            k.span,
                                            "`launchTemplate` needs exactly one of `id` or `name`",
                                            "ambiguous launch template",
                                        )
                                        .help("write `launchTemplate: { id: lt-0123456789abcdef0 }` or `{ name: my-template }`");
                                    self.poisoned(Ami::Type(String::new()), v.span)
                                }
                            }
                        }
                        None => self.poisoned(Ami::Type(String::new()), v.span),
                    }
                }
                Some("amiId") => match self.string(v, "`amiId`") {
                    Some(s) => Spanned::new(Ami::Id(s.value), s.span),
                    None => self.poisoned(Ami::Type(String::new()), v.span),
                },
                _ => match self.string(v, "`amiType`") {
                    Some(s) => Spanned::new(Ami::Type(s.value), s.span),
                    None => self.poisoned(Ami::Type(String::new()), v.span),
                },
            },
        };
        let mut labels = Vec::new();
        if let Some((_, v)) = self.get(&o, "labels") {
            match &v.kind {
                Kind::Map(pairs) => {
                    for (k, val) in pairs {
                        if let (Some(k), Some(val)) =
                            (self.string(k, "a label key"), self.string(val, "a label value"))
                        {
                            labels.push((k, val));
                        }
                    }
                }
                _ => self.wrong_type(v, "`labels`", "a mapping"),
            }
        }
        let mut taints = Vec::new();
        if let Some((_, v)) = self.get(&o, "taints") {
            for item in self.list(v, "`taints`") {
                let owner = Self::item_owner(item);
                let Some(t) = self.obj(item, owner, "a taint", keys::TAINT) else {
                    continue;
                };
                let key = self.req_string(&t, "key", "a taint");
                let value = self.opt_string(&t, "value");
                let effect = self.req(&t, "effect", "a taint").and_then(|(_, v)| {
                    self.choice(v, "`effect`", &TaintEffect::ALL.map(|e| (e.as_str(), e)))
                });
                if let Some(effect) = effect {
                    taints.push(Taint { key, value, effect });
                }
            }
        }
        let update_config =
            self.get(&o, "updateConfig").and_then(|(k, v)| self.update_config(k, v));
        Some(Nodegroup { name, instance_types, scaling, ami, labels, taints, update_config })
    }

    /// `updateConfig`: exactly one of `maxUnavailable`, `maxUnavailablePercentage`, each
    /// 1-100 (EKS API `NodegroupUpdateConfig`).
    fn update_config(&mut self, key: &Node, v: &Node) -> Option<Spanned<MaxUnavailable>> {
        let u = self.obj(v, key.span, "`updateConfig`", keys::UPDATE_CONFIG)?;
        match (self.get(&u, "maxUnavailable"), self.get(&u, "maxUnavailablePercentage")) {
            (Some((_, n)), None) => self
                .int(n, "`maxUnavailable`", 1, 100)
                .map(|n| Spanned::new(MaxUnavailable::Nodes(n.value as i32), n.span)),
            (None, Some((_, p))) => self
                .int(p, "`maxUnavailablePercentage`", 1, 100)
                .map(|p| Spanned::new(MaxUnavailable::Percentage(p.value as i32), p.span)),
            (Some((first, _)), Some((second, _))) => {
                self.sink
                    .report(
                        Code::InvalidValue,
                        second.span,
                        "`updateConfig` takes only one of `maxUnavailable`, `maxUnavailablePercentage`",
                        "second limit",
                    )
                    .also(first.span, "first limit")
                    .help("keep one: `maxUnavailable: 2` (nodes) or `maxUnavailablePercentage: 25`");
                None
            }
            (None, None) => {
                self.sink
                    .report(
                        Code::Missing,
                        key.span,
                        "`updateConfig` needs `maxUnavailable` or `maxUnavailablePercentage`",
                        "no limit given",
                    )
                    .help("write `updateConfig: { maxUnavailable: 1 }`, or leave `updateConfig` out for the EKS default");
                None
            }
        }
    }

    fn exclusive_ami(&mut self, second: SourceSpan, first: SourceSpan) {
        self.sink
            .report(
                Code::InvalidValue,
                second,
                "a node group takes only one of `amiType`, `launchTemplate`, `amiId`",
                "second image choice",
            )
            .also(first, "first image choice")
            .help("keep one: `amiType` for an EKS AMI, `amiId` for a custom AMI, `launchTemplate` for your own template");
    }
}
