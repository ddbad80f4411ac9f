//! The workload checks: the private cluster and what its nodes need, endpoint DNS and
//! policies, the registry.

use super::*;

/// Interface endpoints private nodes need (EKS user guide, "Deploy private clusters
/// with limited internet access"): EC2 (node bootstrap and the VPC CNI), ECR's API and
/// registry (images), STS (IAM roles for service accounts). S3 is a gateway endpoint.
pub(super) const NODE_INTERFACE_ENDPOINTS: [&str; 4] = ["ec2", "ecr.api", "ecr.dkr", "sts"];

pub(super) fn eks_checks(t: &Topology, intent: &Intent) -> Vec<CheckResult> {
    let applicable = !t.clusters.is_empty();
    let (mut pe, mut pf) = (Vec::new(), Vec::new());
    let (mut ae, mut af) = (Vec::new(), Vec::new());
    let (mut ne, mut nf) = (Vec::new(), Vec::new());
    for c in &t.clusters {
        if c.public_access {
            pf.push(Finding::new(&c.id, "public endpoint access is on"));
        }
        if !c.private_access {
            pf.push(Finding::new(
                &c.id,
                "private endpoint access is off: nodes cannot reach the API inside the VPC",
            ));
        }
        pe.push(format!(
            "{}: public access {}, private access {}",
            c.id,
            on(c.public_access),
            on(c.private_access)
        ));

        let allowed =
            intent.clusters.iter().find(|i| i.id == c.id).map(|i| i.api_access_cidrs.clone());
        let rules: Vec<_> = t.api_rules(c).collect();
        match &allowed {
            None => af.push(Finding::new(
                &c.id,
                "the blueprint declares no such cluster: its apiAccessCidrs are unknown",
            )),
            Some(allowed) => {
                let set = AddrSet::of_prefixes(allowed);
                for r in &rules {
                    if !AddrSet::of_prefixes(&[r.cidr]).minus(&set).is_empty() {
                        af.push(Finding::new(
                            &r.id,
                            format!(
                                "{} port {} open to {}, outside apiAccessCidrs {}",
                                r.protocol,
                                r.port,
                                r.cidr,
                                join(allowed)
                            ),
                        ));
                    }
                }
                ae.push(format!(
                    "{}: 443 open to {} (apiAccessCidrs {})",
                    c.id,
                    join(rules.iter().map(|r| r.cidr)),
                    join(allowed)
                ));
            }
        }

        let vpc = c.subnets.iter().find_map(|s| t.subnets.get(s)).map(|s| s.vpc.clone());
        let Some(vpc) = vpc else {
            nf.push(Finding::new(&c.id, "the cluster's subnets are not part of the environment"));
            continue;
        };
        let eps: Vec<_> = t.endpoints.iter().filter(|e| e.vpc == vpc).collect();
        let mut central = Vec::new();
        for svc in NODE_INTERFACE_ENDPOINTS {
            match eps.iter().find(|e| !e.gateway && e.service == svc) {
                None => match central_endpoint(t, &vpc, svc) {
                    Ok(ep) => central.push(format!("{svc} via {ep}")),
                    Err(why) => nf.push(Finding::new(&vpc, why)),
                },
                Some(e) if !e.private_dns => nf.push(Finding::new(&e.id, "private DNS is off")),
                Some(_) => {}
            }
        }
        if !eps.iter().any(|e| e.gateway && e.service == "s3") {
            nf.push(Finding::new(&vpc, "no S3 gateway endpoint (image layers are pulled from S3)"));
        }
        ne.push(format!(
            "{vpc}: interface {}; gateway {}",
            join(eps.iter().filter(|e| !e.gateway).map(|e| format!(
                "{}{}",
                e.service,
                if e.private_dns { "" } else { " (no private DNS)" }
            ))),
            join(eps.iter().filter(|e| e.gateway).map(|e| e.service.as_str()))
        ));
        if !central.is_empty() {
            ne.push(format!("{vpc}: central {}", join(central)));
        }
    }
    vec![
        result("eks.private-endpoint", pe, pf, applicable),
        endpoint_dns(t),
        result("eks.api-access", ae, af, applicable),
        result("eks.node-endpoints", ne, nf, applicable),
    ]
}

/// The central interface endpoint of `svc` that `vpc` resolves through a private hosted
/// zone associated with it, or why there is none usable: no zone, a zone aliasing to no
/// endpoint of the service, or to one whose own private DNS is on (AWS would then answer
/// the name twice; the zone is there because it is off).
pub(super) fn central_endpoint(t: &Topology, vpc: &str, svc: &str) -> Result<String, String> {
    let zone = t
        .zones
        .iter()
        .find(|z| z.service.as_deref() == Some(svc) && z.vpcs.iter().any(|v| v == vpc))
        .ok_or_else(|| format!("no {svc} interface endpoint"))?;
    let ep = zone
        .targets
        .iter()
        .find_map(|target| {
            t.endpoints.iter().find(|e| &e.id == target && !e.gateway && e.service == svc)
        })
        .ok_or_else(|| {
            format!("{}: the {svc} zone points at no {svc} interface endpoint", zone.id)
        })?;
    if ep.private_dns {
        return Err(format!("{}: a central endpoint has private DNS on", ep.id));
    }
    Ok(format!("{} ({})", ep.id, zone.id))
}

/// The cluster endpoints' names, as `--dns` resolved them, against their VPCs' CIDRs.
pub(super) fn endpoint_dns(t: &Topology) -> CheckResult {
    let (mut e, mut f) = (Vec::new(), Vec::new());
    for c in &t.clusters {
        let Some(res) = t.dns.get(&c.id) else { continue };
        let host = c.endpoint.as_deref().unwrap_or("(no endpoint)");
        let vpc = c.subnets.iter().find_map(|s| t.subnets.get(s)).and_then(|s| t.vpcs.get(&s.vpc));
        match (res, vpc) {
            (Err(why), _) => f.push(Finding::new(&c.id, format!("{host} does not resolve: {why}"))),
            (Ok(addrs), _) if addrs.is_empty() => {
                f.push(Finding::new(&c.id, format!("{host} resolves to no IPv4 address")))
            }
            (Ok(_), None) => {
                f.push(Finding::new(&c.id, "the cluster's subnets are not part of the environment"))
            }
            (Ok(addrs), Some(v)) => {
                let outside: Vec<_> =
                    addrs.iter().filter(|a| !v.cidr.contains_addr(u32::from(**a))).collect();
                if outside.is_empty() {
                    e.push(format!("{}: {host} -> {} (in {} {})", c.id, join(addrs), v.id, v.cidr));
                } else {
                    f.push(Finding::new(
                        &c.id,
                        format!(
                            "{host} resolves to {} outside the VPC {} ({}): clients would reach a public endpoint",
                            join(outside),
                            v.id,
                            v.cidr
                        ),
                    ));
                }
            }
        }
    }
    if t.dns.is_empty() {
        e.push("not looked up: `verify --live --dns` resolves the endpoints that exist".into());
    }
    result("eks.endpoint-dns", e, f, !t.dns.is_empty())
}

pub(super) fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// A policy's statements (one object or a list).
pub(super) fn statements(p: &Json) -> Vec<&Json> {
    match p.get("Statement") {
        Some(Json::Array(v)) => v.iter().collect(),
        Some(s @ Json::Object(_)) => vec![s],
        _ => Vec::new(),
    }
}

/// A string-or-list field.
pub(super) fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The findings of one endpoint's policy: every Allow statement's resources must pass
/// `ok(resource, actions)`.
pub(super) fn policy_findings(
    id: &str,
    policy: Option<&Json>,
    ok: &dyn Fn(&str, &[String]) -> bool,
) -> Vec<Finding> {
    let Some(p) = policy else {
        return vec![Finding::new(
            id,
            "no policy: AWS's default allows every action on every resource",
        )];
    };
    if !p.is_object() {
        return vec![Finding::new(id, "the policy is not a JSON document")];
    }
    let mut out = Vec::new();
    for st in statements(p) {
        if st.get("Effect").and_then(Json::as_str) != Some("Allow") {
            continue;
        }
        for not in ["NotAction", "NotResource", "NotPrincipal"] {
            if st.get(not).is_some() {
                out.push(Finding::new(
                    id,
                    format!("an Allow statement with {not} allows everything it does not name"),
                ));
            }
        }
        let actions = strings(st.get("Action"));
        for r in strings(st.get("Resource")) {
            if !ok(&r, &actions) {
                out.push(Finding::new(id, format!("allows {} on {r}", join(&actions))));
            }
        }
    }
    out
}

/// What nodes need of EKS's add-on registry: pulling images.
pub(super) const EKS_PULL: [&str; 3] =
    ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

pub(super) fn ecr_policy(t: &Topology, intent: &Intent) -> CheckResult {
    let eps: Vec<_> = t
        .endpoints
        .iter()
        .filter(|e| !e.gateway && matches!(e.service.as_str(), "ecr.api" | "ecr.dkr"))
        .collect();
    let eks = intent.eks_addon_repositories();
    let only = |actions: &[String], allowed: &[&str]| {
        !actions.is_empty()
            && actions.iter().all(|a| allowed.iter().any(|x| a.eq_ignore_ascii_case(x)))
    };
    let ok = |r: &str, actions: &[String]| {
        intent.repositories.iter().any(|x| x == r)
            // GetAuthorizationToken has no resource but `*` (ECR user guide, IAM actions).
            || (r == "*" && only(actions, &["ecr:GetAuthorizationToken"]))
            // EKS's own add-on images, pulled only (AmazonEC2ContainerRegistryReadOnly's
            // image actions): without them the nodes' vpc-cni, coredns and kube-proxy
            // cannot start.
            || (r.starts_with(&eks) && only(actions, &EKS_PULL))
    };
    let mut findings = Vec::new();
    for e in &eps {
        findings.extend(policy_findings(&e.id, e.policy.as_ref(), &ok));
    }
    let evidence = vec![
        format!("endpoints: {}", join(eps.iter().map(|e| e.id.as_str()))),
        format!("environment repositories: {}", join(&intent.repositories)),
        format!("EKS add-on images (pull only): {eks}*"),
    ];
    result("endpoints.ecr-policy", evidence, findings, !eps.is_empty())
}

pub(super) fn s3_policy(t: &Topology, intent: &Intent) -> CheckResult {
    let eps: Vec<_> = t.endpoints.iter().filter(|e| e.gateway && e.service == "s3").collect();
    let mut buckets = vec![intent.layer_bucket()];
    buckets.extend(intent.buckets.iter().cloned());
    let ok = |r: &str, _: &[String]| {
        let Some(rest) = r.strip_prefix("arn:aws:s3:::") else { return false };
        let bucket = rest.split('/').next().unwrap_or("");
        !bucket.contains(['*', '?']) && buckets.iter().any(|b| b == bucket)
    };
    let mut findings = Vec::new();
    for e in &eps {
        findings.extend(policy_findings(&e.id, e.policy.as_ref(), &ok));
    }
    let evidence = vec![
        format!("endpoints: {}", join(eps.iter().map(|e| e.id.as_str()))),
        format!("allowed buckets: {}", join(&buckets)),
    ];
    result("endpoints.s3-policy", evidence, findings, !eps.is_empty())
}

pub(super) fn registry_checks(t: &Topology) -> Vec<CheckResult> {
    let applicable = !t.repositories.is_empty();
    let roles: BTreeSet<&str> =
        t.clusters.iter().flat_map(|c| c.node_roles.iter().map(String::as_str)).collect();
    let (mut se, mut sf, mut ie, mut imf, mut pe, mut pf) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in &t.repositories {
        if r.scan_on_push {
            se.push(format!("{}: scan on push", r.name))
        } else {
            sf.push(Finding::new(&r.id, "scan on push is off"))
        }
        if r.immutable_tags {
            ie.push(format!("{}: immutable tags", r.name))
        } else {
            imf.push(Finding::new(&r.id, "tags are mutable"))
        }
        match &r.pull {
            Pull::Principals(p) => {
                for x in p.iter().filter(|x| !roles.contains(x.as_str())) {
                    pf.push(Finding::new(
                        &r.id,
                        format!("{x} may pull but is not a node role of the environment"),
                    ));
                }
                pe.push(format!("{}: pull by {}", r.name, join(p)));
            }
            Pull::Other(text) => pf.push(Finding::new(
                &r.id,
                format!("repository policy is not a pull grant to the node roles: {text}"),
            )),
        }
    }
    pe.push(format!("node roles: {}", join(&roles)));
    vec![
        result("registry.scan-on-push", se, sf, applicable),
        result("registry.immutable-tags", ie, imf, applicable),
        result("registry.pull-principals", pe, pf, applicable),
    ]
}
