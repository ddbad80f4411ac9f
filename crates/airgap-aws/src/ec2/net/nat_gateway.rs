//! The NAT gateway kind (`nat-gateway`).

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, ErrorClass, Kind, KindError, Observed, Readiness, Resolved, Scope,
    Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGatewayState, ResourceType};

use crate::ec2::{
    answer_each, describe_by_ids, env_pages, kind_meta, made, observe_tagged, tag_spec, Ec2,
    TagDrift, ID_BATCH,
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
        let (c, eip) = (self.0.client(&node.scope)?, spec.eip.get()?);
        // An address still associated, typically with the NAT gateway a stopped destroy
        // left deleting (observe skips those), does not make AWS refuse the create: the
        // new NAT gateway goes `failed` with Resource.AlreadyAssociated (botocore ec2
        // NatGateway.FailureCode; hashicorp/terraform#13836). So wait for the address:
        // the old NAT gateway releases it when it is deleted.
        let held = c.describe_addresses().allocation_ids(eip).send().await.map_err(classify)?;
        if let Some(a) = held.addresses().iter().find(|a| a.association_id().is_some()) {
            return Err(KindError::new(
                ErrorClass::Conflict,
                "Resource.AlreadyAssociated",
                format!(
                    "Elastic IP address {eip} is still associated with {}; waiting for it \
                     to be released (a NAT gateway being deleted releases it when it is gone)",
                    a.network_interface_id().or(a.instance_id()).unwrap_or("another resource")
                ),
            ));
        }
        let out = c
            .create_nat_gateway()
            .client_token(node.client_token())
            .subnet_id(spec.subnet.get()?)
            .allocation_id(eip)
            .tag_specifications(tag_spec(ResourceType::Natgateway, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let nat = out.nat_gateway().and_then(|n| n.nat_gateway_id());
        Ok(created(made(nat, "CreateNatGateway")?))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (c, id) = (self.0.client(scope)?, current.physical_id.as_str());
        crate::kit::delete_call(c.delete_nat_gateway().nat_gateway_id(id).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let mut answer = self.ready_many(&[check]).await;
        answer.pop().expect("one answer per check")
    }

    fn ready_batch(&self) -> usize {
        ID_BATCH
    }

    /// NAT gateways of one scope in one DescribeNatGateways per [`ID_BATCH`], by the
    /// `nat-gateway-id` filter.
    async fn ready_many(&self, checks: &[Check<'_>]) -> Vec<Result<Readiness, KindError>> {
        let found =
            describe_by_ids!(self.0, checks, describe_nat_gateways, filter, "nat-gateway-id");
        answer_each(checks, found, readiness)
    }
}

/// Readiness of a NAT gateway from what a Describe found of it (`None`: not found).
fn readiness(
    check: &Check<'_>,
    nat: Option<&aws_sdk_ec2::types::NatGateway>,
) -> Result<Readiness, KindError> {
    by_state(
        check.op,
        check.physical_id,
        nat.map(|n| n.state().map_or("pending", NatGatewayState::as_str)),
        &["available"],
        || id_out(check.physical_id),
        |st| {
            let n = nat.filter(|_| st == "failed")?;
            Some(KindError::fatal(
                n.failure_code().unwrap_or("NatGatewayFailed"),
                n.failure_message().unwrap_or("the NAT gateway failed"),
            ))
        },
    )
}
