//! The `client-vpn-endpoint` kind: an AWS Client VPN endpoint with mutual TLS, and its
//! target network associations, authorization rules and routes, which are no resources
//! of their own (no tags, no ids but the endpoint's): the endpoint's spec lists them and
//! observe reads them back, so drift in any is planned as an update.
//!
//! API rules followed (EC2 API Reference for each action; Client VPN Administrator
//! Guide, "Rules and best practices"):
//! - DescribeClientVpnEndpoints filters only by endpoint id and transport protocol: the
//!   environment's endpoints are told apart by their tags, read from the answer.
//! - An endpoint is `pending-associate` until a subnet is associated; an association is
//!   `associating` for minutes. A route names a target network of the endpoint
//!   (CreateClientVpnRoute, TargetVpcSubnetId: "must be an existing target network"): it
//!   is made right after the association; an answer that the association is not there
//!   (yet) is a conflict, and the retried create (same client tokens) goes on from there.
//! - An endpoint with target networks cannot be deleted: they are disassociated first,
//!   and the delete waits (a conflict) until none is left.
//! - Only the create sends a client token, the run's (`Resolved::client_token`), after a
//!   lookup by tag that adopts what a killed run made: a token fixed across runs would be
//!   answered, after a destroy, with the endpoint it made then, deleted since (found by
//!   the kill tests). Associate, authorize and route take one too,
//!   but a token names one result for as long as AWS keeps it: the same subnet associated
//!   again after its association was removed (a destroy killed half-way, then an apply)
//!   would get the removed association back, and its routes with it. They are made
//!   idempotent by reading what exists first and taking "already there" answers
//!   (InvalidClientVpnDuplicate...) as done.

use std::sync::Arc;

use airgap_catalog::spec::{ClientVpnEndpointSpec, Spec};
use airgap_engine::{
    Change, Check, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    CertificateAuthenticationRequest, ClientVpnAuthenticationRequest, ClientVpnAuthenticationType,
    ConnectionLogOptions, DnsServersOptionsModifyStructure, ResourceType, TransportProtocol,
};

use crate::ec2::{kind_meta, tag_map, tag_spec, Ec2};
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, changes, id_out, ids, removals_first, set_of, unless_done};
use crate::tags;

pub struct ClientVpnEndpoint(pub Arc<Ec2>);

/// What exists of one endpoint: its associations (subnet, association id, state),
/// authorized CIDRs and the CIDRs of the routes airgapctl adds, with their subnet.
#[derive(Default)]
struct Children {
    associations: Vec<(String, String, String)>,
    authorized: Vec<String>,
    routes: Vec<(String, String)>,
}

async fn children(c: &aws_sdk_ec2::Client, id: &str) -> Result<Children, KindError> {
    let nets = c.describe_client_vpn_target_networks().client_vpn_endpoint_id(id).send().await;
    let nets = nets.map_err(classify)?;
    let rules = c
        .describe_client_vpn_authorization_rules()
        .client_vpn_endpoint_id(id)
        .send()
        .await
        .map_err(classify)?;
    let routes =
        c.describe_client_vpn_routes().client_vpn_endpoint_id(id).send().await.map_err(classify)?;
    Ok(Children {
        associations: nets
            .client_vpn_target_networks()
            .iter()
            .filter_map(|n| {
                let state = n.status().and_then(|s| s.code()).map(|c| c.as_str().to_string())?;
                (state != "disassociated").then(|| {
                    (
                        n.target_network_id().unwrap_or_default().to_string(),
                        n.association_id().unwrap_or_default().to_string(),
                        state,
                    )
                })
            })
            .collect(),
        authorized: rules
            .authorization_rules()
            .iter()
            .filter(|r| r.status().and_then(|s| s.code()).map(|c| c.as_str()) != Some("revoking"))
            .filter_map(|r| r.destination_cidr().map(str::to_string))
            .collect(),
        // Routes an association adds (its VPC's range) are the association's, not ours.
        routes: routes
            .routes()
            .iter()
            .filter(|r| r.origin() == Some("add-route"))
            .filter(|r| r.status().and_then(|s| s.code()).map(|c| c.as_str()) != Some("deleting"))
            .filter_map(|r| {
                Some((r.destination_cidr()?.to_string(), r.target_subnet()?.to_string()))
            })
            .collect(),
    })
}

impl Children {
    /// Subnets associated or being associated: what the endpoint has. One being
    /// disassociated is on its way out (a killed destroy may have started it) and counts
    /// as gone.
    fn active(&self) -> Vec<String> {
        self.associations
            .iter()
            .filter(|a| a.2 == "associating" || a.2 == "associated")
            .map(|a| a.0.clone())
            .collect()
    }
}

/// Every element of `want` that `have` lacks.
fn missing<'a>(want: &'a [String], have: &[String]) -> Vec<&'a String> {
    want.iter().filter(|w| !have.contains(w)).collect()
}

/// This node's endpoint, if one exists that is not being deleted (nor the one a
/// replacement replaces).
async fn earlier(c: &aws_sdk_ec2::Client, node: &Resolved) -> Result<Option<String>, KindError> {
    let all: Vec<aws_sdk_ec2::types::ClientVpnEndpoint> =
        all_pages!(c.describe_client_vpn_endpoints())?;
    Ok(all
        .iter()
        .filter(|e| {
            let state = e.status().and_then(|s| s.code()).map(|c| c.as_str());
            !matches!(state, Some("deleting" | "deleted"))
        })
        .filter(|e| tags::owned_id(&tag_map(e.tags()), &node.env).as_deref() == Some(&node.id.0))
        .filter_map(|e| e.client_vpn_endpoint_id())
        .find(|id| node.replaces.as_deref() != Some(*id))
        .map(str::to_string))
}

/// Brings associations, authorizations and routes to the spec.
async fn reconcile(
    c: &aws_sdk_ec2::Client,
    node: &Resolved,
    id: &str,
    spec: &ClientVpnEndpointSpec,
) -> Result<(), KindError> {
    let have = children(c, id).await?;
    let subnets = ids(&spec.subnets)?;
    let associated = have.active();
    let adds: Vec<String> = missing(&subnets, &associated).into_iter().cloned().collect();
    // An association still being removed holds its subnet, and maybe its zone ("You can
    // associate only one subnet in each Availability Zone"): associating now would race
    // the removal, which takes the subnet's routes with it, or be refused as a second
    // subnet of the zone. Wait it out.
    if let Some((s, ..)) = have.associations.iter().find(|a| a.2 == "disassociating") {
        if !adds.is_empty() {
            return Err(KindError::new(
                ErrorClass::Conflict,
                "TargetNetworkDisassociating",
                format!("{id}: subnet {s} is still being disassociated"),
            ));
        }
    }
    // Associations leave before others come: a subnet of the zone of one that leaves is
    // refused while it is there (InvalidClientVpnSubnetId.DuplicateAz), as when a subnet
    // was moved by hand within its zone. The new ones are associated on the retry, once
    // the old ones are gone.
    let leaving: Vec<&(String, String, String)> = have
        .associations
        .iter()
        .filter(|(subnet, _, state)| !subnets.contains(subnet) && state != "disassociating")
        .collect();
    for (_, assoc, _) in &leaving {
        let r = c
            .disassociate_client_vpn_target_network()
            .client_vpn_endpoint_id(id)
            .association_id(assoc)
            .send()
            .await;
        unless_done(r, &["InvalidClientVpnAssociationIdNotFound"])?;
    }
    let left: Vec<String> = leaving.iter().map(|(subnet, ..)| subnet.clone()).collect();
    let (adds, later) = removals_first(adds, &left, id);
    if let Some(e) = later {
        return Err(e);
    }
    for s in &adds {
        let r = c
            .associate_client_vpn_target_network()
            .client_vpn_endpoint_id(id)
            .subnet_id(s)
            .send()
            .await;
        // Associated by the first try of a retried call.
        unless_done(r, &["InvalidClientVpnDuplicateAssociationException"])?;
    }
    for cidr in missing(&spec.authorize, &have.authorized) {
        let r = c
            .authorize_client_vpn_ingress()
            .client_vpn_endpoint_id(id)
            .target_network_cidr(cidr)
            .authorize_all_groups(true)
            .description(format!("airgap {}", node.env))
            .send()
            .await;
        unless_done(r, &["InvalidClientVpnDuplicateAuthorizationRule"])?;
    }
    for cidr in have.authorized.iter().filter(|a| !spec.authorize.contains(a)) {
        let r = c
            .revoke_client_vpn_ingress()
            .client_vpn_endpoint_id(id)
            .target_network_cidr(cidr)
            .revoke_all_groups(true)
            .send()
            .await;
        unless_done(r, &["InvalidClientVpnEndpointAuthorizationRuleNotFound"])?;
    }
    for cidr in &spec.routes {
        for subnet in &subnets {
            if have.routes.iter().any(|(c, s)| c == cidr && s == subnet) {
                continue;
            }
            let r = c
                .create_client_vpn_route()
                .client_vpn_endpoint_id(id)
                .destination_cidr_block(cidr)
                .target_vpc_subnet_id(subnet)
                .description(format!("airgap {}", node.env))
                .send()
                .await;
            match r {
                Ok(_) => {}
                Err(e) if code_of(&e) == Some("InvalidClientVpnDuplicateRoute") => {}
                Err(e) if code_of(&e) == Some("InvalidClientVpnActiveAssociationNotFound") => {
                    let e = classify(e);
                    return Err(KindError::new(ErrorClass::Conflict, e.code, e.message));
                }
                Err(e) => return Err(classify(e)),
            }
        }
    }
    for (cidr, subnet) in &have.routes {
        if !spec.routes.contains(cidr) || !subnets.contains(subnet) {
            let r = c
                .delete_client_vpn_route()
                .client_vpn_endpoint_id(id)
                .destination_cidr_block(cidr)
                .target_vpc_subnet_id(subnet)
                .send()
                .await;
            unless_done(r, &["InvalidClientVpnRouteNotFound"])?;
        }
    }
    Ok(())
}

#[async_trait]
impl Kind for ClientVpnEndpoint {
    kind_meta!(CLIENT_VPN_ENDPOINT);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let all: Vec<aws_sdk_ec2::types::ClientVpnEndpoint> =
            all_pages!(c.describe_client_vpn_endpoints())?;
        let mut out = Vec::new();
        for e in all {
            let state = e.status().and_then(|s| s.code()).map(|c| c.as_str().to_string());
            if state.as_deref() == Some("deleted") {
                continue;
            }
            let Some(id) = tags::owned_id(&tag_map(e.tags()), env) else { continue };
            let Some(ep) = e.client_vpn_endpoint_id() else { continue };
            let ch = children(c, ep).await?;
            let spec = ClientVpnEndpointSpec {
                description: e.description().unwrap_or_default().to_string(),
                client_cidr: e.client_cidr_block().unwrap_or_default().to_string(),
                server_certificate: e.server_certificate_arn().unwrap_or_default().into(),
                vpc: e.vpc_id().unwrap_or_default().into(),
                security_groups: e.security_group_ids().iter().map(|s| s.as_str().into()).collect(),
                split_tunnel: e.split_tunnel().unwrap_or(false),
                transport: e
                    .transport_protocol()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                dns_servers: set_of(e.dns_servers().iter().cloned())
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                subnets: set_of(ch.active()).into_iter().map(Into::into).collect(),
                authorize: set_of(ch.authorized),
                routes: set_of(ch.routes.into_iter().map(|r| r.0)),
            };
            out.push(Observed {
                id: id.as_str().into(),
                attrs: spec.to_attrs(),
                outputs: id_out(ep),
                physical_id: ep.to_string(),
                parents: e.vpc_id().into_iter().map(str::to_string).collect(),
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = ClientVpnEndpointSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        // What a killed run made is adopted: found by its tags (the client token is the
        // run's, so a later run's create is never answered with an endpoint deleted since).
        if let Some(id) = earlier(c, node).await? {
            reconcile(c, node, &id, &spec).await?;
            return Ok(Created { physical_id: id.clone(), outputs: id_out(&id) });
        }
        let cert = spec.server_certificate.get()?.to_string();
        let transport = TransportProtocol::from(spec.transport.as_str());
        let out = c
            .create_client_vpn_endpoint()
            .client_cidr_block(&spec.client_cidr)
            .server_certificate_arn(&cert)
            .authentication_options(
                ClientVpnAuthenticationRequest::builder()
                    .r#type(ClientVpnAuthenticationType::CertificateAuthentication)
                    .mutual_authentication(
                        CertificateAuthenticationRequest::builder()
                            .client_root_certificate_chain_arn(&cert)
                            .build(),
                    )
                    .build(),
            )
            // Connection logging is a choice the API makes required; off until the
            // blueprint can name a log group for it.
            .connection_log_options(ConnectionLogOptions::builder().enabled(false).build())
            .set_dns_servers(Some(ids(&spec.dns_servers)?))
            .transport_protocol(transport)
            .split_tunnel(spec.split_tunnel)
            .vpc_id(spec.vpc.get()?)
            .set_security_group_ids(Some(ids(&spec.security_groups)?))
            .description(&spec.description)
            .tag_specifications(tag_spec(ResourceType::ClientVpnEndpoint, &node.env, &node.id.0))
            .client_token(node.client_token())
            .send()
            .await
            .map_err(classify)?;
        let id = out.client_vpn_endpoint_id().unwrap_or_default().to_string();
        reconcile(c, node, &id, &spec).await?;
        Ok(Created { physical_id: id.clone(), outputs: id_out(&id) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let (node, id) = (change.node, change.current.physical_id.as_str());
        let spec = ClientVpnEndpointSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        if changes(
            change.diff,
            &["description", "serverCertificate", "dnsServers", "securityGroups"],
        ) {
            c.modify_client_vpn_endpoint()
                .client_vpn_endpoint_id(id)
                .description(&spec.description)
                .server_certificate_arn(spec.server_certificate.get()?)
                .dns_servers(
                    DnsServersOptionsModifyStructure::builder()
                        .set_custom_dns_servers(Some(ids(&spec.dns_servers)?))
                        .enabled(!spec.dns_servers.is_empty())
                        .build(),
                )
                .vpc_id(spec.vpc.get()?)
                .set_security_group_ids(Some(ids(&spec.security_groups)?))
                .send()
                .await
                .map_err(classify)?;
        }
        reconcile(c, node, id, &spec).await?;
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let id = current.physical_id.as_str();
        let have = match children(c, id).await {
            Ok(h) => h,
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for (_, assoc, state) in &have.associations {
            if state != "disassociating" {
                let r = c
                    .disassociate_client_vpn_target_network()
                    .client_vpn_endpoint_id(id)
                    .association_id(assoc)
                    .send()
                    .await
                    .map_err(classify);
                // Gone already (a retried call whose first try went through): not the
                // endpoint's NotFound, which would count the whole endpoint as deleted.
                match r {
                    Ok(_) => {}
                    Err(e) if e.class == ErrorClass::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if !have.associations.is_empty() {
            return Err(KindError::new(
                ErrorClass::Conflict,
                "TargetNetworksAssociated",
                format!(
                    "{id}: waiting for {} target networks to disassociate",
                    have.associations.len()
                ),
            ));
        }
        match c.delete_client_vpn_endpoint().client_vpn_endpoint_id(id).send().await {
            Ok(_) => Ok(()),
            Err(e) if code_of(&e) == Some("InvalidClientVpnEndpointId.NotFound") => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let found = c
            .describe_client_vpn_endpoints()
            .client_vpn_endpoint_ids(check.physical_id)
            .send()
            .await
            .map_err(classify);
        let found = match found {
            Ok(f) => f.client_vpn_endpoints().first().cloned(),
            Err(e) if e.class == ErrorClass::NotFound => None,
            Err(e) => return Err(e),
        };
        let state = found
            .as_ref()
            .and_then(|e| e.status().and_then(|s| s.code()).map(|c| c.as_str().to_string()));
        if check.op == Op::Delete {
            return Ok(match state.as_deref() {
                None | Some("deleted") => Readiness::Gone,
                Some(s) => Readiness::Pending(s.to_string()),
            });
        }
        let Some(_) = found else {
            return Err(KindError::new(
                ErrorClass::NotFound,
                "InvalidClientVpnEndpointId.NotFound",
                format!("{} not visible yet", check.physical_id),
            ));
        };
        // Usable when every association is done.
        let have = children(c, check.physical_id).await?;
        if let Some((_, _, s)) = have.associations.iter().find(|a| a.2 != "associated") {
            return Ok(Readiness::Pending(format!("target network {s}")));
        }
        Ok(Readiness::Ready(check.outputs.clone()))
    }
}
