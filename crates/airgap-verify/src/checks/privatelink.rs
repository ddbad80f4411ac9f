//! The PrivateLink check: an endpoint service as a way in for third parties. A consumer
//! whose account an allowed principal names creates an interface endpoint to the service,
//! and its traffic reaches the service's load balancers once the connection is accepted,
//! or at once when the service does not require acceptance ("Configure an endpoint
//! service", "Manage permissions", PrivateLink guide). `*` allows every AWS account.
//! What a consumer reaches behind the load balancer is its listeners' business; what this
//! check proves is who may come in, how, and that the way in is not from the internet.

use super::*;
use crate::intent::PrivateLinkIntent;
use crate::topology::EndpointService;

const ID: &str = "privatelink.exposure";

pub(super) fn private_link_check(t: &Topology, intent: &Intent) -> CheckResult {
    let Some(services) = &t.endpoint_services else {
        let why = "VPC endpoint services not read";
        return result(ID, vec![why.into()], vec![], false);
    };
    let (mut evidence, mut findings) = (Vec::new(), Vec::new());
    for s in services {
        evidence.push(path_line(s));
        let meant = intent.private_links.iter().find(|p| p.id == s.id);
        findings.extend(service_findings(s, meant));
    }
    for p in &intent.private_links {
        if !services.iter().any(|s| s.id == p.id) {
            findings.push(Finding::new(
                &p.id,
                "access.privateLink declares this endpoint service, which does not exist",
            ));
        }
    }
    let applicable = !services.is_empty() || !intent.private_links.is_empty();
    result(ID, evidence, findings, applicable)
}

/// Who comes in, how, to what.
fn path_line(s: &EndpointService) -> String {
    let lbs = s.load_balancers.iter().map(|lb| {
        let scheme = lb.scheme.as_deref().unwrap_or("scheme not read");
        match &lb.vpc {
            Some(vpc) => format!("{} ({scheme}, in {vpc})", lb.id),
            None => format!("{} ({scheme})", lb.id),
        }
    });
    format!(
        "endpoint service {}: principals {} -> {}, {}",
        s.id,
        join(&s.allowed_principals),
        join(lbs),
        if s.acceptance_required {
            "each connection accepted by hand"
        } else {
            "connections accepted automatically"
        }
    )
}

fn service_findings(s: &EndpointService, meant: Option<&PrivateLinkIntent>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(meant) = meant else {
        out.push(Finding::new(
            &s.id,
            "an endpoint service in front of the environment that access.privateLink does \
             not declare: whoever it allows can reach its load balancers",
        ));
        return out;
    };
    if s.allowed_principals.iter().any(|p| p == "*") {
        out.push(Finding::new(
            &s.id,
            "allows principal `*`: every AWS account may create an endpoint to it",
        ));
    }
    for p in s.allowed_principals.iter().filter(|p| *p != "*") {
        if !meant.allowed_principals.contains(p) {
            out.push(Finding::new(
                &s.id,
                format!("allows {p}, which access.privateLink does not name for it"),
            ));
        }
    }
    if meant.acceptance_required && !s.acceptance_required {
        out.push(Finding::new(
            &s.id,
            "accepts connections without asking: an allowed principal's endpoint is connected \
             as soon as it is made, not after `airgapctl access connections --accept`",
        ));
    }
    for lb in &s.load_balancers {
        if let Some(scheme) = lb.scheme.as_deref().filter(|s| *s != "internal") {
            out.push(Finding::new(
                &lb.id,
                format!(
                    "load balancer behind the service is {scheme}: it has addresses the \
                     internet reaches, besides the service's endpoints"
                ),
            ));
        }
    }
    out
}
