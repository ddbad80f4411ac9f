//! Cluster rules: names, versions, log types, add-ons, IAM ARNs, node groups,
//! and the VPC endpoints a private cluster's nodes need to join.

use super::names::{iam_arn, is_account_id, is_iam_name};
use super::V;
use crate::diag::Code;
use crate::model::*;
use crate::regions;
use airgap_catalog::k8s;

/// EKS: "You can have a maximum of 50 taints per node group" (EKS user guide, node
/// taints on managed node groups).
const MAX_TAINTS: usize = 50;

/// Why `v` is not a Kubernetes label value (or label key name): at most 63 letters,
/// digits, `-`, `_` and `.`, starting and ending with a letter or digit; `None` if it is
/// one (empty included).
fn k8s_value(v: &str) -> Option<String> {
    let edge = |c: Option<char>| c.is_none_or(|c| c.is_ascii_alphanumeric());
    if v.len() > 63 {
        Some(format!("is {} characters long (at most 63)", v.len()))
    } else if !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        Some("has characters other than letters, digits, '-', '_' and '.'".into())
    } else if !edge(v.chars().next()) || !edge(v.chars().last()) {
        Some("must start and end with a letter or digit".into())
    } else {
        None
    }
}

/// A DNS subdomain (RFC 1123): dot-separated lowercase labels, at most 253 in all.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

impl V<'_> {
    fn known(&mut self, s: &Spanned<String>, what: &str, known: &[&str]) {
        if known.contains(&s.value.as_str()) {
            return;
        }
        let p = self.sink.report(
            Code::InvalidValue,
            s.span,
            format!("unknown {what} `{}`", s.value),
            format!("unknown {what}"),
        );
        p.suggest(&s.value, known.iter().copied(), format!("known: {}", known.join(", ")));
    }

    fn role_arn(&mut self, s: &Spanned<String>, what: &str, kinds: &[&str]) {
        let good = iam_arn(&s.value).is_some_and(|(acct, rest)| {
            is_account_id(acct)
                && kinds.iter().any(|k| {
                    rest.strip_prefix(k)
                        .and_then(|r| r.strip_prefix('/'))
                        .is_some_and(|n| !n.is_empty() && n.split('/').all(|p| is_iam_name(p, 128)))
                })
        });
        if !good {
            let arn = format!("an IAM {} ARN", kinds.join(" or "));
            self.not_a(s.span, &s.value, &arn, format!("invalid {what}"))
                .help(format!("write arn:aws:iam::<12-digit account id>:{}/<name>", kinds[0]));
        }
    }

    /// A label or taint key as EKS and Kubernetes take it: EKS's `labelKey` and
    /// `taintKey` are 1-63 characters in all (botocore eks), and Kubernetes wants an
    /// optional DNS-subdomain prefix and `/`, then a name of letters, digits, `-`, `_`
    /// and `.` that starts and ends with a letter or digit.
    fn k8s_key(&mut self, k: &Spanned<String>, what: &str) {
        if !self.ok(k) {
            return;
        }
        let (prefix, name) =
            k.value.rsplit_once('/').map_or((None, k.value.as_str()), |(p, n)| (Some(p), n));
        let why = if k.value.len() > 63 {
            Some(format!(
                "is {} characters long; EKS takes at most 63, prefix included",
                k.value.len()
            ))
        } else if prefix.is_some_and(|p| !is_dns_subdomain(p)) {
            Some("has a prefix that is not a DNS subdomain".to_string())
        } else if name.is_empty() {
            Some("has no name after its prefix".to_string())
        } else {
            k8s_value(name)
        };
        if let Some(why) = why {
            self.sink
                .report(Code::InvalidValue, k.span, format!("{what} key `{}` {why}", k.value), format!("invalid {what} key"))
                .help(format!("{what} keys are [prefix/]name, 63 characters at most in all, e.g. example.com/team"));
        }
    }

    pub(super) fn clusters(&mut self, bp: &Blueprint, az: usize) {
        for c in &bp.clusters {
            if self.ok(&c.name) {
                let n = &c.name.value;
                let good = !n.is_empty()
                    && n.len() <= 100
                    && n.starts_with(|ch: char| ch.is_ascii_alphanumeric())
                    && n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
                if !good {
                    self.sink
                        .report(Code::InvalidValue, c.name.span, format!("cluster name `{n}` is not allowed"), "invalid cluster name")
                        .help("EKS cluster names have 1-100 letters, digits, hyphens and underscores and start with a letter or digit");
                }
                if az < 2 {
                    self.sink
                        .report(Code::AvailabilityZones, c.name.span, format!("cluster `{n}` needs at least 2 availability zones"), "needs 2 AZs")
                        .also(bp.availability_zones.span, "AZs")
                        .help("EKS requires control plane subnets in at least two AZs; set availabilityZones: 2");
                }
            }
            if let Some(v) = &c.version {
                let good = v.value.strip_prefix("1.").is_some_and(|m| {
                    !m.is_empty()
                        && m.len() <= 2
                        && m.bytes().all(|b| b.is_ascii_digit())
                        && !m.starts_with('0')
                });
                let newest = k8s::EKS_VERSIONS[k8s::EKS_VERSIONS.len() - 1].0;
                if !good {
                    self.not_a(v.span, &v.value, "a Kubernetes version", "invalid version").help(
                        format!(
                        "write the minor version as a quoted string, e.g. version: \"1.{newest}\""
                    ),
                    );
                } else if k8s::minor(&v.value).is_some_and(|m| m < k8s::oldest()) {
                    self.sink
                        .report(
                            Code::InvalidValue,
                            v.span,
                            format!("EKS does not offer Kubernetes {}", v.value),
                            "unsupported version",
                        )
                        .help(format!(
                            "the oldest version in EKS's release calendar as airgapctl knows it ({}) is 1.{}, and EKS retires each 26 months after its release; choose a current one, e.g. \"1.{newest}\"",
                            k8s::AS_OF,
                            k8s::oldest()
                        ));
                }
            }
            for l in &c.logging {
                self.known(l, "control plane log type", regions::CLUSTER_LOG_TYPES);
            }
            for a in &c.addons {
                self.known(a, "add-on", regions::ADDONS);
            }
            self.dup_names("add-on", c.addons.iter());
            for a in &c.admins {
                self.role_arn(a, "admin", &["role", "user"]);
            }
            if let Some(r) = &c.roles.cluster {
                self.role_arn(r, "cluster role", &["role"]);
            }
            if let Some(r) = &c.roles.node {
                self.role_arn(r, "node role", &["role"]);
            }
            for ng in &c.nodegroups {
                self.nodegroup(ng);
            }
            self.private_cluster(bp, c);
        }
    }

    /// Nodes of a private cluster have no way out but the VPC endpoints: without the
    /// ones below they never join (EC2 and STS for the kubelet's identity, ECR for the
    /// images, S3 for ECR's image layers), so the plan refuses such a cluster up front.
    /// A spoke VPC never routes to an internet gateway (see `spoke_egress`), and the
    /// gateway endpoints go on every private route table, the data plane's included.
    fn private_cluster(&mut self, bp: &Blueprint, c: &Cluster) {
        if !self.ok(&c.vpc) || !self.ok(&c.name) {
            return;
        }
        let Some(vpc) = bp.vpc(&c.vpc.value) else {
            return;
        };
        let e = &vpc.endpoints;
        // An unknown service name is reported already, often as a typo of one needed here.
        let known =
            e.interface.iter().all(|s| regions::INTERFACE_SERVICES.contains(&s.value.as_str()))
                && e.gateway.iter().all(|s| regions::GATEWAY_SERVICES.contains(&s.value.as_str()));
        if !known {
            return;
        }
        let has = |list: &[Spanned<String>], s: &str| list.iter().any(|x| x.value == s);
        let mut interface: Vec<(&str, String)> = vec![
            ("ec2", "nodes describe themselves and their network interfaces".into()),
            ("ecr.api", "ECR authentication and image manifests".into()),
            ("ecr.dkr", "image pulls from ECR".into()),
            ("sts", "the kubelet's and pods' IAM identities".into()),
        ];
        if !c.logging.is_empty() {
            let on: Vec<&str> = c.logging.iter().map(|l| l.value.as_str()).collect();
            interface.push(("logs", format!("logging is on: {}", on.join(", "))));
        }
        if let Some(a) = c.addons.iter().find(|a| a.value == "eks-pod-identity-agent") {
            interface.push(("eks-auth", format!("the `{}` add-on", a.value)));
        }
        let missing_if: Vec<(&str, String)> =
            interface.into_iter().filter(|(s, _)| !has(&e.interface, s)).collect();
        let missing_gw = !has(&e.gateway, "s3");
        if missing_if.is_empty() && !missing_gw {
            return;
        }
        let mut pieces: Vec<String> =
            missing_if.iter().map(|(s, why)| format!("interface endpoint `{s}` ({why})")).collect();
        if missing_gw {
            pieces.push(
                "gateway endpoint `s3` (ECR serves image layers from S3; it goes on the data-plane route tables)"
                    .into(),
            );
        }
        let mut fixes = Vec::new();
        if !missing_if.is_empty() {
            let mut all: Vec<&str> = e.interface.iter().map(|s| s.value.as_str()).collect();
            all.extend(missing_if.iter().map(|(s, _)| *s));
            fixes.push(format!("interface: [{}]", all.join(", ")));
        }
        if missing_gw {
            let mut all: Vec<&str> = e.gateway.iter().map(|s| s.value.as_str()).collect();
            all.push("s3");
            fixes.push(format!("gateway: [{}]", all.join(", ")));
        }
        self.sink
            .report(
                Code::PrivateCluster,
                c.name.span,
                format!(
                    "private cluster `{}` cannot start nodes: VPC `{}` lacks {}",
                    c.name.value,
                    vpc.name.value,
                    pieces.join("; ")
                ),
                "nodes would not join",
            )
            .also(vpc.name.span, "the cluster's VPC")
            .help(format!(
                "the nodes have no internet access, only VPC endpoints; under vpcs[{}].endpoints write {}",
                vpc.name.value,
                fixes.join(" and ")
            ));
    }

    fn nodegroup(&mut self, ng: &Nodegroup) {
        self.dns_label_name(&ng.name, "node group", 63);
        for t in &ng.instance_types {
            let good = t.value.split_once('.').is_some_and(|(f, s)| {
                !f.is_empty()
                    && !s.is_empty()
                    && f.starts_with(|c: char| c.is_ascii_lowercase())
                    && f.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
            if !good {
                self.not_a(t.span, &t.value, "an EC2 instance type", "invalid instance type")
                    .help("write family.size, e.g. m6i.large");
            }
        }
        if self.ok(&ng.ami) {
            match &ng.ami.value {
                Ami::Type(t) => {
                    let s = Spanned::new(t.clone(), ng.ami.span);
                    self.known(&s, "AMI type", regions::AMI_TYPES);
                }
                Ami::Id(id) => {
                    let good = id.strip_prefix("ami-").is_some_and(|h| {
                        (h.len() == 8 || h.len() == 17)
                            && h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                    });
                    if !good {
                        self.not_a(ng.ami.span, id, "an AMI id", "invalid AMI id")
                            .help("an AMI id looks like ami-0123456789abcdef0");
                    }
                }
                Ami::LaunchTemplate { .. } => {}
            }
        }
        for (k, v) in &ng.labels {
            self.k8s_key(k, "label");
            if self.ok(v) {
                // EKS's labelValue is 1-63 characters: an empty label value is refused.
                let why = if v.value.is_empty() {
                    Some("is empty".to_string())
                } else {
                    k8s_value(&v.value)
                };
                if let Some(why) = why {
                    self.sink
                        .report(Code::InvalidValue, v.span, format!("label value `{}` {why}", v.value), "invalid label value")
                        .help("label values have 1-63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
                }
            }
        }
        for t in &ng.taints {
            self.k8s_key(&t.key, "taint");
            if let Some(v) = t.value.as_ref().filter(|v| self.ok(v)) {
                if let Some(why) = k8s_value(&v.value) {
                    self.sink
                        .report(Code::InvalidValue, v.span, format!("taint value `{}` {why}", v.value), "invalid taint value")
                        .help("taint values have 0-63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
                }
            }
        }
        if ng.taints.len() > MAX_TAINTS {
            self.sink
                .report(
                    Code::InvalidValue,
                    ng.name.span,
                    format!(
                        "node group `{}` has {} taints; EKS takes at most {MAX_TAINTS}",
                        ng.name.value,
                        ng.taints.len()
                    ),
                    "too many taints",
                )
                .help("merge taints or move workloads to another node group");
        }
        let s = &ng.scaling;
        if self.ok(&s.min)
            && self.ok(&s.desired)
            && self.ok(&s.max)
            && (s.min.value > s.desired.value || s.desired.value > s.max.value)
        {
            {
                let (span, label) = if s.min.value > s.desired.value {
                    (s.min.span, "min is above desired")
                } else {
                    (s.desired.span, "desired is above max")
                };
                self.sink
                    .report(
                        Code::Scaling,
                        span,
                        format!(
                            "node group `{}` scaling needs min <= desired <= max, got min {}, desired {}, max {}",
                            ng.name.value, s.min.value, s.desired.value, s.max.value
                        ),
                        label,
                    )
                    .help("set min <= desired <= max (defaults: min 1, desired 2, max 3)");
            }
        }
        // EKS refuses CreateNodegroup and UpdateNodegroupConfig with a node count above
        // the group's maximum: "max-unavailable must be within the range 1 and max size of
        // the node group" (AWS's answer recorded in hashicorp/terraform-provider-aws#26551).
        if let Some(u) = &ng.update_config {
            if let MaxUnavailable::Nodes(n) = u.value {
                if self.ok(&s.max) && n as u32 > s.max.value {
                    self.sink
                        .report(
                            Code::Scaling,
                            u.span,
                            format!(
                                "node group `{}` may have at most its max size ({}) unavailable during an update, got maxUnavailable {n}",
                                ng.name.value, s.max.value
                            ),
                            "above scaling.max",
                        )
                        .help(format!(
                            "set `maxUnavailable` to at most {}, use `maxUnavailablePercentage`, or raise `scaling.max`",
                            s.max.value
                        ));
                }
            }
        }
    }
}
