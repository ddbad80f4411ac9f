//! An existing transit gateway the blueprint names (`hub.transitGateway.id`) instead of
//! one airgapctl creates. It is no node of the graph: nothing tags, changes or deletes
//! it. Before a plan, [`check_existing`] reads it once and says what would make the
//! environment's own route tables and attachments misbehave on it, so the user learns it
//! before anything is created.

use airgap_engine::{KindError, Scope};
use aws_sdk_ec2::types::TransitGatewayState;

use crate::ec2::Ec2;
use crate::errors::classify;

/// Something about the existing gateway the environment cannot work with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What is wrong, in a sentence.
    pub what: String,
    /// How to fix it.
    pub fix: String,
}

fn mismatch(what: impl Into<String>, fix: impl Into<String>) -> Mismatch {
    Mismatch { what: what.into(), fix: fix.into() }
}

/// Reads transit gateway `id` in `scope` (the hub account) and lists what is wrong with
/// it for this environment: missing or not available; owned by another account (a RAM
/// share can only share what its account owns: RAM "Shareable AWS resources"); default
/// route table association or propagation enabled (AWS associates each new attachment
/// with the default route table, and an attachment has at most one association, so the
/// environment's own association would fail; propagation would announce the spokes into
/// a route table the environment does not control); automatic acceptance of shared
/// attachments unlike the blueprint says (the accepter steps are planned from it).
/// An empty list: the gateway can be used.
pub async fn check_existing(
    ec2: &Ec2,
    scope: &Scope,
    id: &str,
    auto_accept: bool,
) -> Result<Vec<Mismatch>, KindError> {
    let c = ec2.client(scope)?;
    let out = match c.describe_transit_gateways().transit_gateway_ids(id).send().await {
        Ok(out) => out,
        Err(e) => {
            let e = classify(e);
            if e.code == "InvalidTransitGatewayID.NotFound" {
                return Ok(vec![not_found(id, scope)]);
            }
            return Err(e);
        }
    };
    let Some(t) = out.transit_gateways().iter().find(|t| t.transit_gateway_id() == Some(id)) else {
        return Ok(vec![not_found(id, scope)]);
    };
    let mut found = Vec::new();
    if let Some(owner) = t.owner_id().filter(|o| *o != scope.account) {
        found.push(mismatch(
            format!("it is owned by account {owner}, not the hub account {}", scope.account),
            "set `hub.account` to the owner's account, or create the environment's own \
             gateway by removing `hub.transitGateway.id`",
        ));
    }
    match t.state() {
        Some(TransitGatewayState::Available) | None => {}
        Some(state) => found.push(mismatch(
            format!("it is {}, not available", state.as_str()),
            "wait until `aws ec2 describe-transit-gateways` shows it available",
        )),
    }
    let spec = super::transit_gateway::spec_of(t);
    if spec.default_route_table_association {
        found.push(mismatch(
            "it associates new attachments with its default route table, and an attachment \
             can have only one association: the environment's would fail",
            format!(
                "disable it: aws ec2 modify-transit-gateway --transit-gateway-id {id} \
                 --options DefaultRouteTableAssociation=disable"
            ),
        ));
    }
    if spec.default_route_table_propagation {
        found.push(mismatch(
            "it propagates every new attachment's routes into its default route table, \
             which would make the spokes reachable from attachments outside the environment",
            format!(
                "disable it: aws ec2 modify-transit-gateway --transit-gateway-id {id} \
                 --options DefaultRouteTablePropagation=disable"
            ),
        ));
    }
    let accepts = spec.auto_accept_shared_attachments;
    if accepts != auto_accept {
        found.push(mismatch(
            format!(
                "it {} attachments from other accounts automatically, and the blueprint says \
                 the opposite",
                if accepts { "accepts" } else { "does not accept" }
            ),
            format!("set `hub.transitGateway.autoAcceptSharedAttachments: {accepts}`"),
        ));
    }
    Ok(found)
}

fn not_found(id: &str, scope: &Scope) -> Mismatch {
    mismatch(
        format!("no transit gateway {id} in account {} ({})", scope.account, scope.region),
        "check the id with `aws ec2 describe-transit-gateways` in the hub account and region",
    )
}
