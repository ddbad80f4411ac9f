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

/// A create's failure. ELBv2 names are unique per account and region, and a create with
/// a name in use and other settings fails with `duplicate` (CreateLoadBalancer:
/// DuplicateLoadBalancerName, CreateTargetGroup: DuplicateTargetGroupName; the same
/// settings answer the existing one): not the environment's to take ([`crate::kit::not_ours`]).
fn create_failed<E>(
    e: aws_sdk_elasticloadbalancingv2::error::SdkError<E>,
    duplicate: &str,
    what: &str,
    name: &str,
    node: &airgap_engine::Resolved,
) -> KindError
where
    E: aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    if crate::errors::code_of(&e) != Some(duplicate) {
        return classify(e);
    }
    let what = format!("{what} named {name}");
    crate::kit::not_ours(duplicate, &what, node, "one with other settings")
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

#[cfg(test)]
mod tests {
    use super::*;
    use airgap_engine::{ErrorClass, Resolved};
    use aws_sdk_elasticloadbalancingv2::error::{ErrorMetadata, SdkError};
    use aws_sdk_elasticloadbalancingv2::operation::create_target_group::CreateTargetGroupError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;

    fn refused(code: &str) -> SdkError<CreateTargetGroupError> {
        let meta = ErrorMetadata::builder().code(code).message("refused").build();
        let status = StatusCode::try_from(400).expect("a status");
        SdkError::service_error(
            CreateTargetGroupError::generic(meta),
            Response::new(status, SdkBody::empty()),
        )
    }

    #[test]
    fn a_name_taken_by_something_else_is_the_users_to_resolve() {
        let node = Resolved {
            env: "demo".into(),
            id: "access/privatelink/partners/tg".into(),
            scope: airgap_engine::Scope::new("111111111111", "eu-central-1"),
            attrs: Default::default(),
            replaces: None,
        };
        let e = create_failed(
            refused("DuplicateTargetGroupName"),
            "DuplicateTargetGroupName",
            "a target group",
            "partners-tg",
            &node,
        );
        assert_eq!((e.class, e.code.as_str()), (ErrorClass::Fatal, "DuplicateTargetGroupName"));
        assert!(e.message.contains("a target group named partners-tg"), "{}", e.message);
        assert!(e.message.contains("access/privatelink/partners/tg"), "{}", e.message);
        // Any other refusal keeps its own class and code.
        let other = create_failed(
            refused("TooManyTargetGroups"),
            "DuplicateTargetGroupName",
            "a target group",
            "partners-tg",
            &node,
        );
        assert_eq!(other.code, "TooManyTargetGroups");
    }
}
