//! The `resolver-endpoint` kind: a Route 53 Resolver inbound endpoint, through which
//! resolvers outside a VPC (on-premises ones, the VPN's clients) ask the VPC's resolver.
//!
//! API rules followed (Route 53 API Reference, Route 53 Resolver actions):
//! - CreateResolverEndpoint takes a required `CreatorRequestId` ("allows failed requests
//!   to be retried without the risk of running the operation twice"), which
//!   ListResolverEndpoints answers with every endpoint. airgapctl writes
//!   `airgap/<env>/<id>/<run token>` into it, as it does a hosted zone's caller
//!   reference: observe finds the environment's endpoints by it, with no tag read per
//!   endpoint, and a create whose answer was lost is found by it before another is made.
//!   A request id seen before is refused (ResourceExistsException, "Resolver Endpoint
//!   with creator request id ... already exists": aws/aws-cdk#5012), never answered with
//!   the endpoint: the refusal is a conflict, and the retry finds the endpoint by its id.
//!   The standard tags go in the same create (`Tags`).
//! - `IpAddresses` takes 2 to 6 entries; with only a `SubnetId`, Resolver picks a free
//!   address of the subnet. The addresses are listed by ListResolverEndpointIpAddresses
//!   and become outputs `ip0`, `ip1`, ... in ascending order (the VPN hands them to its
//!   clients).
//! - The endpoint is `CREATING` until its network interfaces are up, then `OPERATIONAL`;
//!   `ACTION_NEEDED` means it cannot recover by itself (its subnets or groups are wrong),
//!   which is an error here, not a wait. DeleteResolverEndpoint takes it to `DELETING`;
//!   GetResolverEndpoint answers ResourceNotFoundException once it is gone.
//! - UpdateResolverEndpoint changes the name; the security groups are fixed at creation
//!   and the addresses move one at a time (Associate/DisassociateResolverEndpointIpAddress):
//!   both are replacements here (catalogue `replace_fields`).

use std::sync::Arc;

use airgap_catalog::spec::{Id, ResolverEndpointSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_route53resolver::types::{
    IpAddressRequest, ResolverEndpoint as Endpoint, ResolverEndpointDirection,
    ResolverEndpointStatus, Tag,
};

use super::VpnClients;
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of, found};
use crate::kit::{all_pages, by_state, changes, delete_call, ids, sort_refs};
use crate::tags;

pub struct ResolverEndpoint(pub Arc<VpnClients>);

type Client = aws_sdk_route53resolver::Client;

fn request_prefix(env: &str, id: &str) -> String {
    format!("airgap/{env}/{id}/")
}

/// The node id an endpoint's creator request id names, if it is one of `env`'s.
fn owner_id(e: &Endpoint, env: &str) -> Option<String> {
    let rest = e.creator_request_id()?.strip_prefix(&format!("airgap/{env}/"))?;
    let (id, _token) = rest.rsplit_once('/')?;
    Some(id.to_string())
}

fn bad(e: impl std::fmt::Display) -> KindError {
    KindError::fatal("BadRequest", e.to_string())
}

/// The endpoint's addresses: (subnet, address), sorted by address.
async fn addresses(c: &Client, id: &str) -> Result<Vec<(String, String)>, KindError> {
    let all: Vec<aws_sdk_route53resolver::types::IpAddressResponse> =
        all_pages!(c.list_resolver_endpoint_ip_addresses().resolver_endpoint_id(id))?;
    let mut out: Vec<(String, String)> = all
        .iter()
        .filter_map(|a| Some((a.subnet_id()?.to_string(), a.ip()?.to_string())))
        .collect();
    out.sort_by(|a, b| {
        let key = |s: &str| s.parse::<std::net::Ipv4Addr>().ok();
        key(&a.1).cmp(&key(&b.1)).then_with(|| a.1.cmp(&b.1))
    });
    Ok(out)
}

fn outputs(e: &Endpoint, addrs: &[(String, String)]) -> Attrs {
    let mut out = Attrs::from([
        ("id".to_string(), Value::str(e.id().unwrap_or_default())),
        ("arn".to_string(), Value::str(e.arn().unwrap_or_default())),
    ]);
    for (i, (_, ip)) in addrs.iter().enumerate() {
        out.insert(format!("ip{i}"), Value::str(ip));
    }
    out
}

/// The environment's endpoints that are not on their way out, with their node ids.
async fn owned(c: &Client, env: &str) -> Result<Vec<(String, Endpoint)>, KindError> {
    let all: Vec<Endpoint> = all_pages!(c.list_resolver_endpoints())?;
    Ok(all
        .into_iter()
        .filter(|e| e.status() != Some(&ResolverEndpointStatus::Deleting))
        .filter_map(|e| Some((owner_id(&e, env)?, e)))
        .collect())
}

fn sorted_ids(mut v: Vec<String>) -> Vec<Id> {
    v.sort();
    v.into_iter().map(Id::from).collect()
}

async fn get(c: &Client, id: &str) -> Result<Option<Endpoint>, KindError> {
    let r = c.get_resolver_endpoint().resolver_endpoint_id(id).send().await.map_err(classify);
    Ok(found(r)?.and_then(|o| o.resolver_endpoint().cloned()))
}

#[async_trait]
impl Kind for ResolverEndpoint {
    kind_meta!(RESOLVER_ENDPOINT);

    /// Subnets and groups compare as sorted lists (a subnet listed twice stays twice:
    /// two addresses in it).
    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let d = match ResolverEndpointSpec::from_attrs(desired) {
            Ok(mut spec) => {
                sort_refs(&mut spec.subnets);
                sort_refs(&mut spec.security_groups);
                spec.to_attrs()
            }
            Err(_) => desired.clone(),
        };
        self.facts().diff(&d, &observed.attrs)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.resolver.client(scope)?;
        let mut out = Vec::new();
        for (id, e) in owned(c, env).await? {
            let Some(ep) = e.id() else { continue };
            let addrs = match addresses(c, ep).await {
                Ok(a) => a,
                // Deleted between the calls.
                Err(err) if err.class == ErrorClass::NotFound => continue,
                Err(err) => return Err(err),
            };
            let spec = ResolverEndpointSpec {
                name: e.name().unwrap_or_default().to_string(),
                direction: e.direction().map(|d| d.as_str().to_string()).unwrap_or_default(),
                security_groups: sorted_ids(e.security_group_ids().to_vec()),
                subnets: sorted_ids(addrs.iter().map(|a| a.0.clone()).collect()),
            };
            out.push(Observed {
                id: id.as_str().into(),
                attrs: spec.to_attrs(),
                outputs: outputs(&e, &addrs),
                physical_id: ep.to_string(),
                parents: e.host_vpc_id().into_iter().map(str::to_string).collect(),
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = ResolverEndpointSpec::from_attrs(&node.attrs)?;
        let c = self.0.resolver.client(&node.scope)?;
        let (env, id): (&str, &str) = (&node.env, &node.id.0);
        // What an attempt whose answer was lost made (never the endpoint a replacement
        // replaces).
        let earlier = owned(c, env)
            .await?
            .into_iter()
            .find(|(n, e)| n == id && e.id().is_some() && e.id() != node.replaces.as_deref());
        let endpoint = match earlier {
            Some((_, e)) => e,
            None => {
                let mut ips = Vec::new();
                for s in &spec.subnets {
                    ips.push(IpAddressRequest::builder().subnet_id(s.get()?).build().map_err(bad)?);
                }
                let mut tag_list = Vec::new();
                for (k, v) in tags::standard(env, id) {
                    tag_list.push(Tag::builder().key(k).value(v).build().map_err(bad)?);
                }
                c.create_resolver_endpoint()
                    .creator_request_id(format!(
                        "{}{}",
                        request_prefix(env, id),
                        node.client_token()
                    ))
                    .name(&spec.name)
                    .direction(ResolverEndpointDirection::from(spec.direction.as_str()))
                    .set_security_group_ids(Some(ids(&spec.security_groups)?))
                    .set_ip_addresses(Some(ips))
                    .set_tags(Some(tag_list))
                    .send()
                    .await
                    .map_err(|e| match code_of(&e) {
                        // A request id Resolver has seen (an SDK retry of a create whose
                        // answer was lost): refused, not answered with the endpoint
                        // (AWS's answer recorded in aws/aws-cdk#5012). The engine's retry
                        // finds the endpoint by the id in the list.
                        Some("ResourceExistsException") => {
                            let e = classify(e);
                            KindError::new(ErrorClass::Conflict, e.code, e.message)
                        }
                        _ => classify(e),
                    })?
                    .resolver_endpoint()
                    .cloned()
                    .ok_or_else(|| {
                        KindError::fatal("NoEndpoint", "CreateResolverEndpoint returned none")
                    })?
            }
        };
        let ep = endpoint.id().unwrap_or_default().to_string();
        // The addresses are outputs once the endpoint is up (`ready`).
        Ok(Created { physical_id: ep, outputs: outputs(&endpoint, &[]) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = ResolverEndpointSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.resolver.client(&change.node.scope)?;
        if changes(change.diff, &["name"]) {
            c.update_resolver_endpoint()
                .resolver_endpoint_id(&change.current.physical_id)
                .name(&spec.name)
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.resolver.client(scope)?;
        let id = current.physical_id.as_str();
        match get(c, id).await?.and_then(|e| e.status().cloned()) {
            None | Some(ResolverEndpointStatus::Deleting) => return Ok(()),
            // A change in progress is waited out (InvalidRequestException otherwise).
            Some(s @ (ResolverEndpointStatus::Creating | ResolverEndpointStatus::Updating)) => {
                return Err(KindError::new(
                    ErrorClass::Conflict,
                    "ResolverEndpointBusy",
                    format!("{id} is {}", s.as_str()),
                ))
            }
            Some(_) => {}
        }
        delete_call(c.delete_resolver_endpoint().resolver_endpoint_id(id).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.resolver.client(check.scope)?;
        let id = check.physical_id;
        let endpoint = get(c, id).await?;
        let state = endpoint
            .as_ref()
            .map(|e| e.status().map_or("CREATING", |s| s.as_str()).to_ascii_lowercase());
        // The addresses are read once it is up: they are its outputs.
        let addrs = match state.as_deref() {
            Some("operational") if check.op != Op::Delete => addresses(c, id).await?,
            _ => Vec::new(),
        };
        // ACTION_NEEDED: it cannot recover by itself (its subnets or groups are wrong).
        let failed = |s: &str| {
            (s == "action_needed").then(|| {
                let why = endpoint.as_ref().and_then(|e| e.status_message());
                KindError::fatal(
                    "ResolverEndpointActionNeeded",
                    format!("{id}: {} (check its subnets and security group)", why.unwrap_or(s)),
                )
            })
        };
        let outputs = || endpoint.as_ref().map(|e| outputs(e, &addrs)).unwrap_or_default();
        by_state(check.op, id, state.as_deref(), &["operational"], outputs, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(request: &str) -> Endpoint {
        Endpoint::builder().id("rslvr-in-1").creator_request_id(request).build()
    }

    #[test]
    fn the_creator_request_id_names_the_environment_and_node() {
        let e = endpoint("airgap/demo/access/dns/airgap-0123456789abcdef");
        assert_eq!(owner_id(&e, "demo").as_deref(), Some("access/dns"));
        assert_eq!(owner_id(&e, "other"), None);
        assert_eq!(owner_id(&endpoint("terraform-20240101"), "demo"), None);
    }
}
