//! The `endpoint-service` kind: a VPC endpoint service in front of Network Load Balancers,
//! its acceptance setting and allowed principals; and the connection requests consumers'
//! endpoints make to it (`airgapctl access connections`).
//!
//! API rules followed (EC2 API Reference; PrivateLink guide, "Configure an endpoint
//! service", "Accept and reject endpoint connection requests"):
//! - CreateVpcEndpointServiceConfiguration takes `TagSpecifications` (resource type
//!   `vpc-endpoint-service`) and a `ClientToken`; the create looks the service up by its
//!   tags first, so a later run adopts what a killed one made.
//! - No principal may connect until ModifyVpcEndpointServicePermissions allows it ("By
//!   default, consumers can't connect"), made right after the create.
//! - DeleteVpcEndpointServiceConfigurations answers per service in `Unsuccessful`, not
//!   with an error: a service with connections is refused there until every
//!   `pendingAcceptance` or `available` connection is rejected, which delete does first.

use std::sync::Arc;

use airgap_catalog::spec::{EndpointServiceSpec, Id, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Readiness, Resolved,
    Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, ServiceConfiguration, ServiceState};

use crate::ec2::{env_filter, kind_meta, tag_map, tag_spec, Ec2};
use crate::errors::classify;
use crate::kit::{all_pages, by_state, changes, delta, ids, lookup, some_if};
use crate::tags;

pub struct EndpointService(pub Arc<Ec2>);

type Client = aws_sdk_ec2::Client;

fn outputs(s: &ServiceConfiguration) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(s.service_id().unwrap_or_default())),
        ("serviceName".to_string(), Value::str(s.service_name().unwrap_or_default())),
    ])
}

/// The environment's services that are not on their way out, with their node ids.
async fn owned(c: &Client, env: &str) -> Result<Vec<(String, ServiceConfiguration)>, KindError> {
    let all: Vec<ServiceConfiguration> =
        all_pages!(c.describe_vpc_endpoint_service_configurations().filters(env_filter(env)))?;
    Ok(all
        .into_iter()
        .filter(|s| {
            !matches!(s.service_state(), Some(ServiceState::Deleting | ServiceState::Deleted))
        })
        // Filtered again here: the tag filter is not honoured everywhere.
        .filter_map(|s| Some((tags::owned_id(&tag_map(s.tags()), env)?, s)))
        .collect())
}

/// The principals allowed to connect (DescribeVpcEndpointServicePermissions), sorted.
pub(crate) async fn principals(c: &Client, service: &str) -> Result<Vec<String>, KindError> {
    let r = c.describe_vpc_endpoint_service_permissions().service_id(service).send().await;
    let mut out: Vec<String> = r
        .map_err(classify)?
        .allowed_principals()
        .iter()
        .filter_map(|p| p.principal().map(str::to_string))
        .collect();
    out.sort();
    Ok(out)
}

async fn allow(
    c: &Client,
    service: &str,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<(), KindError> {
    if add.is_empty() && remove.is_empty() {
        return Ok(());
    }
    c.modify_vpc_endpoint_service_permissions()
        .service_id(service)
        .set_add_allowed_principals(some_if(add))
        .set_remove_allowed_principals(some_if(remove))
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl Kind for EndpointService {
    kind_meta!(ENDPOINT_SERVICE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for (id, s) in owned(c, env).await? {
            let Some(sid) = s.service_id() else { continue };
            let allowed = match principals(c, sid).await {
                Ok(p) => p,
                Err(e) if e.class == ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            let mut lbs: Vec<String> = s.network_load_balancer_arns().to_vec();
            lbs.sort();
            let spec = EndpointServiceSpec {
                load_balancers: lbs.into_iter().map(Id::from).collect(),
                acceptance_required: s.acceptance_required().unwrap_or(false),
                allowed_principals: allowed,
            };
            out.push(Observed {
                id: id.as_str().into(),
                attrs: spec.to_attrs(),
                outputs: outputs(&s),
                physical_id: sid.to_string(),
                parents: Vec::new(),
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = EndpointServiceSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let earlier = owned(c, &node.env).await?.into_iter().find(|(id, s)| {
            *id == node.id.0
                && s.service_id().is_some()
                && s.service_id() != node.replaces.as_deref()
        });
        let service = match earlier {
            Some((_, s)) => s,
            None => c
                .create_vpc_endpoint_service_configuration()
                .set_network_load_balancer_arns(Some(ids(&spec.load_balancers)?))
                .acceptance_required(spec.acceptance_required)
                .tag_specifications(tag_spec(
                    ResourceType::VpcEndpointService,
                    &node.env,
                    &node.id.0,
                ))
                .client_token(node.client_token())
                .send()
                .await
                .map_err(classify)?
                .service_configuration()
                .cloned()
                .ok_or_else(|| {
                    KindError::fatal(
                        "NoService",
                        "CreateVpcEndpointServiceConfiguration returned none",
                    )
                })?,
        };
        let sid = service.service_id().unwrap_or_default().to_string();
        let have = crate::kit::on_fresh(|| principals(c, &sid)).await?;
        let (add, remove) = delta(&spec.allowed_principals, &have);
        allow(c, &sid, add, remove).await?;
        Ok(Created { physical_id: sid, outputs: outputs(&service) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = EndpointServiceSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let sid = change.current.physical_id.as_str();
        if changes(change.diff, &["acceptanceRequired", "loadBalancers"]) {
            let have = EndpointServiceSpec::from_attrs(&change.current.attrs)?;
            let (add, remove) = delta(&ids(&spec.load_balancers)?, &ids(&have.load_balancers)?);
            c.modify_vpc_endpoint_service_configuration()
                .service_id(sid)
                .acceptance_required(spec.acceptance_required)
                .set_add_network_load_balancer_arns(some_if(add))
                .set_remove_network_load_balancer_arns(some_if(remove))
                .send()
                .await
                .map_err(classify)?;
        }
        if changes(change.diff, &["allowedPrincipals"]) {
            let (add, remove) = delta(&spec.allowed_principals, &principals(c, sid).await?);
            allow(c, sid, add, remove).await?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let sid = current.physical_id.as_str();
        let attached: Vec<String> = service_connections(c, sid)
            .await?
            .into_iter()
            .filter(|(_, _, state)| state == "pendingAcceptance" || state == "available")
            .map(|(endpoint, ..)| endpoint)
            .collect();
        if !attached.is_empty() {
            answer_all(c, sid, attached, false).await?;
        }
        let r = c
            .delete_vpc_endpoint_service_configurations()
            .service_ids(sid)
            .send()
            .await
            .map_err(classify)?;
        match r.unsuccessful().first().and_then(|u| u.error()) {
            None => Ok(()),
            Some(e) if e.code().is_some_and(|c| c.contains("NotFound")) => Ok(()),
            // Connections still attached (rejected just now, or new): waited out.
            Some(e) => Err(KindError::new(
                ErrorClass::Conflict,
                e.code().unwrap_or("Unsuccessful"),
                e.message().unwrap_or_default(),
            )),
        }
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let describe =
            c.describe_vpc_endpoint_service_configurations().service_ids(check.physical_id).send();
        let found =
            lookup(describe).await?.and_then(|o| o.service_configurations().first().cloned());
        // ServiceState is capitalized (`Available`, `Deleted`).
        let state = found
            .as_ref()
            .map(|s| s.service_state().map_or("pending", |st| st.as_str()).to_ascii_lowercase());
        let failed = |s: &str| {
            (s == "failed").then(|| {
                KindError::fatal(
                    "EndpointServiceFailed",
                    format!("{}: the endpoint service failed", check.physical_id),
                )
            })
        };
        let outputs = || found.as_ref().map(outputs).unwrap_or_default();
        by_state(check.op, check.physical_id, state.as_deref(), &["available"], outputs, failed)
    }
}

/// The connections of one service: (endpoint id, owner account, state).
async fn service_connections(
    c: &Client,
    service: &str,
) -> Result<Vec<(String, String, String)>, KindError> {
    let filter = aws_sdk_ec2::types::Filter::builder().name("service-id").values(service).build();
    let all: Vec<aws_sdk_ec2::types::VpcEndpointConnection> =
        all_pages!(c.describe_vpc_endpoint_connections().filters(filter))?;
    Ok(all
        .iter()
        // Filtered again: the answer is the caller's connections of every service.
        .filter(|x| x.service_id() == Some(service))
        .map(|x| {
            (
                x.vpc_endpoint_id().unwrap_or_default().to_string(),
                x.vpc_endpoint_owner().unwrap_or_default().to_string(),
                x.vpc_endpoint_state().map(|s| s.as_str().to_string()).unwrap_or_default(),
            )
        })
        .collect())
}

async fn answer_all(
    c: &Client,
    service: &str,
    endpoints: Vec<String>,
    accept: bool,
) -> Result<(), KindError> {
    let unsuccessful = if accept {
        let r = c.accept_vpc_endpoint_connections().service_id(service);
        r.set_vpc_endpoint_ids(Some(endpoints)).send().await.map_err(classify)?.unsuccessful
    } else {
        let r = c.reject_vpc_endpoint_connections().service_id(service);
        r.set_vpc_endpoint_ids(Some(endpoints)).send().await.map_err(classify)?.unsuccessful
    };
    match unsuccessful.unwrap_or_default().first() {
        None => Ok(()),
        Some(u) => {
            let e = u.error();
            Err(KindError::new(
                ErrorClass::Fatal,
                e.and_then(|e| e.code()).unwrap_or("Unsuccessful"),
                format!(
                    "{}: {}",
                    u.resource_id().unwrap_or_default(),
                    e.and_then(|e| e.message()).unwrap_or_default()
                ),
            ))
        }
    }
}

/// A consumer's endpoint connected (or asking to connect) to a service of the
/// environment.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// The service's node id (`access/privatelink/<name>`).
    pub service: String,
    pub service_id: String,
    pub endpoint_id: String,
    /// The consumer's account.
    pub owner: String,
    /// `pendingAcceptance`, `available`, `rejected`, ...
    pub state: String,
}

/// `airgapctl access connections`: the environment's services' connections in `scope`,
/// and, with `answer` = (endpoint id, accept?), the answer to one of them first.
pub async fn connections(
    ec2: &Ec2,
    scope: &Scope,
    env: &str,
    answer: Option<(&str, bool)>,
) -> Result<Vec<Connection>, KindError> {
    let c = ec2.client(scope)?;
    let mut out = Vec::new();
    for (id, s) in owned(c, env).await? {
        let Some(sid) = s.service_id() else { continue };
        let mut conns = service_connections(c, sid).await?;
        if let Some((endpoint, accept)) = answer {
            if conns.iter().any(|(e, ..)| e == endpoint) {
                answer_all(c, sid, vec![endpoint.to_string()], accept).await?;
                conns = service_connections(c, sid).await?;
            }
        }
        out.extend(conns.into_iter().map(|(endpoint_id, owner, state)| Connection {
            service: id.clone(),
            service_id: sid.to_string(),
            endpoint_id,
            owner,
            state,
        }));
    }
    Ok(out)
}
