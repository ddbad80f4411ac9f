//! The NAT gateway kind (`nat-gateway`).

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGatewayState, ResourceType};

use crate::ec2::{
    describe_one, env_pages, kind_meta, made, observe_tagged, tag_spec, Ec2, TagDrift,
};
use crate::errors::classify;
use crate::kit::{by_state, created, id_out};
use airgap_catalog::spec::{NatGatewaySpec, Spec};

pub struct NatGateway(pub Arc<Ec2>);

#[async_trait]
impl Kind for NatGateway {
    kind_meta!(NAT_GATEWAY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let nats = env_pages!(self.0, scope, env, describe_nat_gateways, filter)?;
        let live = nats
            .into_iter()
            .filter(|n| {
                // Deleted ones linger in Describe for about an hour.
                !matches!(
                    n.state(),
                    Some(
                        NatGatewayState::Deleted
                            | NatGatewayState::Deleting
                            | NatGatewayState::Failed
                    )
                )
            })
            .collect::<Vec<_>>();
        Ok(observe_tagged(live, env, TagDrift::Ignored, |n, o| {
            let subnet = n.subnet_id().unwrap_or_default().to_string();
            let eip = n
                .nat_gateway_addresses()
                .iter()
                .find_map(|a| a.allocation_id())
                .unwrap_or_default()
                .to_string();
            Observed {
                attrs: NatGatewaySpec { subnet: subnet.as_str().into(), eip: eip.as_str().into() }
                    .to_attrs(),
                parents: vec![subnet, eip],
                ..o
            }
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = NatGatewaySpec::from_attrs(&node.attrs)?;
        let out = self
            .0
            .client(&node.scope)?
            .create_nat_gateway()
            .client_token(node.client_token())
            .subnet_id(spec.subnet.get()?)
            .allocation_id(spec.eip.get()?)
            .tag_specifications(tag_spec(ResourceType::Natgateway, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let nat = out.nat_gateway().and_then(|n| n.nat_gateway_id());
        Ok(created(made(nat, "CreateNatGateway")?))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(Updated::done(change.current.outputs.clone()))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (c, id) = (self.0.client(scope)?, current.physical_id.as_str());
        crate::kit::delete_call(c.delete_nat_gateway().nat_gateway_id(id).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let nat = describe_one!(
            c.describe_nat_gateways().nat_gateway_ids(check.physical_id),
            nat_gateways
        );
        by_state(
            check.op,
            check.physical_id,
            nat.as_ref().map(|n| n.state().map_or("pending", NatGatewayState::as_str)),
            &["available"],
            || id_out(check.physical_id),
            |st| {
                let n = nat.as_ref().filter(|_| st == "failed")?;
                Some(KindError::fatal(
                    n.failure_code().unwrap_or("NatGatewayFailed"),
                    n.failure_message().unwrap_or("the NAT gateway failed"),
                ))
            },
        )
    }
}
