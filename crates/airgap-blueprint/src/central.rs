//! Central interface endpoints (`endpoints.mode: central`): one endpoint per service in
//! the host VPC with private DNS off, and a Route 53 private hosted zone per service that
//! answers the service's name with the endpoint, associated with every VPC that lists the
//! service. The pattern of AWS's whitepaper "Building a Scalable and Secure Multi-VPC AWS
//! Network Infrastructure", "Centralized access to VPC private endpoints".
//!
//! The endpoint is reachable from every VPC routed to it, so its policy is the union of
//! what each VPC's own endpoint would have allowed, each statement limited to the
//! principals of that VPC's account (`aws:PrincipalAccount`).

use serde_json::{json, Value};

use crate::model::{Blueprint, Vpc};
use crate::regions::private_dns_name;

/// The largest endpoint policy AWS takes: 20,480 characters, white space included
/// (PrivateLink guide, "Control access to VPC endpoints using endpoint policies").
pub const POLICY_LIMIT: usize = 20_480;

/// The zone of a central `service` in `region` and the names it answers with the
/// endpoint: the zone's apex, and a wildcard under it for services reached by
/// per-account host names (`*.dkr.ecr...`). `None` for a service no zone can serve.
pub fn zone(service: &str, region: &str) -> Option<(String, Vec<String>)> {
    let name = private_dns_name(service, region)?;
    Some(match name.strip_prefix("*.") {
        Some(apex) => (apex.to_string(), vec![apex.to_string(), name.clone()]),
        None => (name.clone(), vec![name]),
    })
}

/// The VPCs that use the central endpoint of `service` (those listing it), in file order.
pub fn users<'a>(bp: &'a Blueprint, service: &str) -> Vec<&'a Vpc> {
    bp.vpcs.iter().filter(|v| v.endpoints.interface.iter().any(|i| i.value == service)).collect()
}

/// The policy of the central endpoint of `service`, or `None` when it is not central.
/// Each VPC that lists the service contributes its own policy for it (the one it declares
/// or the one made for it, [`crate::endpoint_policy::effective`]; AWS's full-access
/// default when it has none), every statement conditioned on its account; statements
/// that VPCs in several accounts share are written once with all their accounts.
pub fn policy(bp: &Blueprint, service: &str) -> Option<String> {
    let (_, services) = bp.central()?;
    if !services.iter().any(|s| s == service) {
        return None;
    }
    let mut groups: Vec<(Value, Vec<String>)> = Vec::new();
    for v in users(bp, service) {
        let Some(account) = bp.account(&v.account.value) else { continue };
        let own = crate::endpoint_policy::effective(bp, v, service);
        let statements = match own.as_ref().map(|doc| &doc["Statement"]) {
            Some(Value::Array(items)) => items.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => vec![json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})],
        };
        for st in statements {
            match groups.iter_mut().find(|(s, _)| *s == st) {
                Some((_, accounts)) if accounts.contains(&account.id.value) => {}
                Some((_, accounts)) => accounts.push(account.id.value.clone()),
                None => groups.push((st, vec![account.id.value.clone()])),
            }
        }
    }
    let mut sids: Vec<String> = Vec::new();
    let statements: Vec<Value> = groups
        .into_iter()
        .map(|(mut st, accounts)| {
            // Statement ids must be unique in a policy; the same Sid with other contents
            // (two VPCs' "Authenticate") gets a number.
            if let Some(sid) = st.get("Sid").and_then(Value::as_str).map(str::to_string) {
                let mut unique = sid.clone();
                let mut n = 2;
                while sids.contains(&unique) {
                    unique = format!("{sid}{n}");
                    n += 1;
                }
                sids.push(unique.clone());
                st["Sid"] = Value::String(unique);
            }
            limit_to_accounts(&mut st, accounts);
            st
        })
        .collect();
    Some(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

/// Adds `StringEquals: {aws:PrincipalAccount: accounts}` to a statement's conditions,
/// unless it already conditions on the principal's account (then it is narrower already).
fn limit_to_accounts(st: &mut Value, accounts: Vec<String>) {
    let Some(obj) = st.as_object_mut() else { return };
    let cond = obj.entry("Condition").or_insert_with(|| json!({}));
    let Some(cond) = cond.as_object_mut() else { return };
    let already = cond.values().any(|ops| {
        ops.as_object()
            .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case("aws:PrincipalAccount")))
    });
    if already {
        return;
    }
    let eq = cond.entry("StringEquals").or_insert_with(|| json!({}));
    if let Some(eq) = eq.as_object_mut() {
        eq.insert("aws:PrincipalAccount".into(), json!(accounts));
    }
}

/// The node a VPC's use of the interface endpoint `service` waits for: its association
/// with the service's zone when the service is central (the zone and the endpoint come
/// before it), else its own endpoint.
pub fn reached_through(bp: &Blueprint, vpc: &str, service: &str) -> String {
    match bp.central() {
        Some((_, services)) if services.iter().any(|s| s == service) => {
            format!("dns/{service}/{vpc}")
        }
        _ => format!("vpc/{vpc}/endpoint/{service}"),
    }
}
