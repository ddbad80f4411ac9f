//! PrivateLink (`access.privateLink`, issue 21): the internal Network Load Balancer with
//! its listeners (`load-balancer`), the IP target group behind it (`target-group`), the
//! VPC endpoint service in front of it (`endpoint-service`), and what `airgapctl access
//! connections` does: list the connection requests and accept or reject them.

mod endpoint_service;
mod load_balancer;
mod target_group;

use std::collections::HashMap;
use std::sync::Arc;

use airgap_engine::{KindError, Registry};

use crate::ec2::{Ec2, Elb};
use crate::errors::classify;
use crate::tags;

pub(crate) use endpoint_service::principals;
pub use endpoint_service::{connections, Connection};

pub fn register(registry: &mut Registry, elb: &Arc<Elb>, ec2: &Arc<Ec2>) {
    registry
        .register(Arc::new(target_group::TargetGroup(Arc::clone(elb))))
        .register(Arc::new(load_balancer::LoadBalancer(Arc::clone(elb))))
        .register(Arc::new(endpoint_service::EndpointService(Arc::clone(ec2))));
}

/// Tags of ELBv2 resources by ARN (DescribeTags takes 20 ARNs a call).
pub(crate) async fn elb_tags(
    c: &aws_sdk_elasticloadbalancingv2::Client,
    arns: &[String],
) -> Result<HashMap<String, HashMap<String, String>>, KindError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(20) {
        let r = c.describe_tags().set_resource_arns(Some(chunk.to_vec())).send().await;
        for d in r.map_err(classify)?.tag_descriptions() {
            let map = tags::to_map(d.tags().iter().map(|t| (t.key(), t.value())));
            out.insert(d.resource_arn().unwrap_or_default().to_string(), map);
        }
    }
    Ok(out)
}

/// The standard tags, as ELBv2 takes them in a create.
fn elb_tag_list(env: &str, id: &str) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
    tags::standard(env, id)
        .into_iter()
        .map(|(k, v)| aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// The ARNs among `arns` whose tags make them node ids of `env`.
async fn owned_arns(
    c: &aws_sdk_elasticloadbalancingv2::Client,
    env: &str,
    arns: Vec<String>,
) -> Result<Vec<(String, String)>, KindError> {
    let tags = elb_tags(c, &arns).await?;
    Ok(arns
        .into_iter()
        .filter_map(|arn| Some((tags::owned_id(tags.get(&arn)?, env)?, arn)))
        .collect())
}
