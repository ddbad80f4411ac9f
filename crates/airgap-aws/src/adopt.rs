//! `airgapctl adopt`: an existing EC2 resource made a node's by giving it the node's
//! standard tags, so the next plan manages it (Terraform's `import`). Only kinds whose
//! resource is found by those tags alone and carries its own EC2 id: what AWS cannot tag,
//! and resources of other services (clusters, keys, roles, firewalls), are refused, as
//! are resources another environment or node already owns.

use aws_sdk_ec2::types::{Filter, Tag};
use aws_types::region::Region;
pub use aws_types::SdkConfig;

use crate::tags;

/// Kinds `adopt` takes, with the prefix of their EC2 ids.
pub const ADOPTABLE: &[(&str, &str)] = &[
    ("vpc", "vpc-"),
    ("subnet", "subnet-"),
    ("route-table", "rtb-"),
    ("internet-gateway", "igw-"),
    ("elastic-ip", "eipalloc-"),
    ("nat-gateway", "nat-"),
    ("security-group", "sg-"),
    ("transit-gateway", "tgw-"),
    ("tgw-route-table", "tgw-rtb-"),
    ("tgw-attachment", "tgw-attach-"),
    ("vpc-endpoint-interface", "vpce-"),
    ("vpc-endpoint-gateway", "vpce-"),
];

/// Why a resource was not adopted.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error(
        "a {kind} cannot be adopted: adopt takes EC2 resources found by their tags ({})",
        kinds()
    )]
    Kind { kind: String },
    #[error("{physical} is not the id of a {kind} (those start with {prefix})")]
    Id { kind: String, physical: String, prefix: &'static str },
    #[error("{physical} already belongs to environment {env} as {id}")]
    Owned { physical: String, env: String, id: String },
    #[error("{physical}: {detail}")]
    Aws { physical: String, detail: String },
}

fn kinds() -> String {
    ADOPTABLE.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
}

/// An SDK error in full (code, message and cause), for the adoption's error.
fn sdk(e: &(impl std::error::Error + 'static)) -> String {
    aws_sdk_ec2::error::DisplayErrorContext(e).to_string()
}

/// EC2 of the account `conf` reaches, in the node's region.
fn client(conf: &SdkConfig, region: &str) -> aws_sdk_ec2::Client {
    let c = aws_sdk_ec2::config::Builder::from(conf).region(Region::new(region.to_string()));
    aws_sdk_ec2::Client::from_conf(c.build())
}

/// Checks that `physical` can be a `kind`'s resource.
pub fn check(kind: &str, physical: &str) -> Result<(), AdoptError> {
    let Some((_, prefix)) = ADOPTABLE.iter().find(|(k, _)| *k == kind) else {
        return Err(AdoptError::Kind { kind: kind.to_string() });
    };
    // A transit gateway's id prefix is the start of its route tables' and attachments'.
    let other = ADOPTABLE.iter().any(|(k, p)| {
        *k != kind && p.len() > prefix.len() && p.starts_with(prefix) && physical.starts_with(p)
    });
    if !physical.starts_with(prefix) || other || physical.len() <= prefix.len() {
        return Err(AdoptError::Id { kind: kind.to_string(), physical: physical.into(), prefix });
    }
    Ok(())
}

/// What `tag` found on the resource before: the standard tags it already had (so
/// [`untag`] removes only what `tag` added).
#[derive(Debug, Default)]
pub struct Tagged {
    /// Keys it did not have.
    pub added: Vec<String>,
    /// Keys it had with another value, and that value.
    pub replaced: Vec<(String, String)>,
}

/// Gives `physical` (in `conf`'s account and region) the standard tags of node `id` of
/// `env`. Refused when it carries another environment's or node's; a resource that does
/// not exist is EC2's `*.NotFound`, reported.
pub async fn tag(
    conf: &SdkConfig,
    region: &str,
    physical: &str,
    env: &str,
    id: &str,
) -> Result<Tagged, AdoptError> {
    let ec2 = client(conf, region);
    let aws = |e: String| AdoptError::Aws { physical: physical.into(), detail: e };
    let found = ec2
        .describe_tags()
        .filters(Filter::builder().name("resource-id").values(physical).build())
        .send()
        .await
        .map_err(|e| aws(sdk(&e)))?;
    let have = tags::to_map(found.tags().iter().map(|t| (t.key(), t.value())));
    if let (Some(e), Some(i)) = (have.get(tags::ENV), have.get(tags::ID)) {
        if e != env || i != id {
            return Err(AdoptError::Owned {
                physical: physical.into(),
                env: e.clone(),
                id: i.clone(),
            });
        }
    }
    let standard = tags::standard(env, id);
    let mut tagged = Tagged::default();
    for (k, v) in &standard {
        match have.get(k) {
            None => tagged.added.push(k.clone()),
            Some(old) if old != v => tagged.replaced.push((k.clone(), old.clone())),
            Some(_) => {}
        }
    }
    // The tagging every EC2 kind's adoption by tag does.
    crate::ec2::tag_standard(&ec2, physical, env, id).await.map_err(|e| aws(e.to_string()))?;
    Ok(tagged)
}

/// Takes back what [`tag`] added (an adoption refused after it).
pub async fn untag(
    conf: &SdkConfig,
    region: &str,
    physical: &str,
    tagged: &Tagged,
) -> Result<(), AdoptError> {
    let ec2 = client(conf, region);
    let aws = |e: String| AdoptError::Aws { physical: physical.into(), detail: e };
    if !tagged.added.is_empty() {
        let mut req = ec2.delete_tags().resources(physical);
        for k in &tagged.added {
            req = req.tags(Tag::builder().key(k).build());
        }
        req.send().await.map_err(|e| aws(sdk(&e)))?;
    }
    if !tagged.replaced.is_empty() {
        let mut req = ec2.create_tags().resources(physical);
        for (k, v) in &tagged.replaced {
            req = req.tags(Tag::builder().key(k).value(v).build());
        }
        req.send().await.map_err(|e| aws(sdk(&e)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_of_the_kind() {
        assert!(check("vpc", "vpc-0abc").is_ok());
        assert!(check("transit-gateway", "tgw-0abc").is_ok());
        assert!(matches!(check("transit-gateway", "tgw-rtb-0abc"), Err(AdoptError::Id { .. })));
        assert!(matches!(check("transit-gateway", "tgw-attach-0abc"), Err(AdoptError::Id { .. })));
        assert!(check("tgw-route-table", "tgw-rtb-0abc").is_ok());
        assert!(matches!(check("vpc", "subnet-1"), Err(AdoptError::Id { .. })));
        assert!(matches!(check("vpc", "vpc-"), Err(AdoptError::Id { .. })));
        assert!(matches!(check("eks-cluster", "x"), Err(AdoptError::Kind { .. })));
        assert!(matches!(check("route", "rtb-1_10.0.0.0/16"), Err(AdoptError::Kind { .. })));
    }
}
