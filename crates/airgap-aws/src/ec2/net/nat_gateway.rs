//! The NAT gateway kind (`nat-gateway`).

use std::sync::Arc;

use airgap_engine::{Attrs, Created, Kind, KindError, Observed, Op, Readiness, Resolved, Scope};
use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGatewayState, ResourceType};

use crate::ec2::{env_filter, kind_meta, missing, tag_map, tag_spec, Ec2};
use crate::errors::{classify, found};
use crate::kit::{all_pages, created, delete_call, id_out, update_keeps_outputs};
use crate::tags;
use airgap_catalog::spec::{NatGatewaySpec, Spec};

pub struct NatGateway(pub Arc<Ec2>);

#[async_trait]
impl Kind for NatGateway {
    kind_meta!(NAT_GATEWAY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let nats = all_pages!(self
            .0
            .client(scope)?
            .describe_nat_gateways()
            .filter(env_filter(env)))?;
        Ok(nats
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
            .filter_map(|n| {
                let id = tags::owned_id(&tag_map(n.tags()), env)?;
                let nat_id = n.nat_gateway_id()?.to_string();
                let subnet = n.subnet_id().unwrap_or_default().to_string();
                let eip = n
                    .nat_gateway_addresses()
                    .iter()
                    .find_map(|a| a.allocation_id())
                    .unwrap_or_default()
                    .to_string();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: NatGatewaySpec {
                        subnet: subnet.as_str().into(),
                        eip: eip.as_str().into(),
                    }
                    .to_attrs(),
                    outputs: id_out(&nat_id),
                    physical_id: nat_id,
                    parents: vec![subnet, eip],
                })
            })
            .collect())
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
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .ok_or_else(|| KindError::fatal("NoId", "CreateNatGateway returned no id"))?;
        Ok(created(id))
    }

    update_keeps_outputs!();

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_nat_gateway()
                .nat_gateway_id(&current.physical_id)
                .send(),
        )
        .await
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let r = self
            .0
            .client(scope)?
            .describe_nat_gateways()
            .nat_gateway_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let nat = found(r)?.and_then(|o| o.nat_gateways().first().cloned());
        let Some(n) = nat else {
            return missing(op, physical_id);
        };
        let state = n.state().cloned().unwrap_or(NatGatewayState::Pending);
        match (op, state) {
            (Op::Delete, NatGatewayState::Deleted) => Ok(Readiness::Gone),
            (Op::Delete, st) => Ok(Readiness::Pending(st.as_str().to_string())),
            (_, NatGatewayState::Available) => Ok(Readiness::Ready(id_out(physical_id))),
            (_, NatGatewayState::Failed) => Err(KindError::fatal(
                n.failure_code().unwrap_or("NatGatewayFailed"),
                n.failure_message().unwrap_or("the NAT gateway failed"),
            )),
            (_, st) => Ok(Readiness::Pending(st.as_str().to_string())),
        }
    }
}
