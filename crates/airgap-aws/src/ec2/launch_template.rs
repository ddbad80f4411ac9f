//! Launch templates for node groups with a custom AMI (`amiId`). EKS gives such nodes
//! no bootstrap of its own, so the template carries the AL2023 `nodeadm` NodeConfig
//! that joins them to the cluster (name, API endpoint, CA, service CIDR) and requires
//! IMDSv2. A change of image or cluster endpoint makes a new template version, which
//! the node group then rolls to.
//!
//! The image and a hash of the join configuration are recorded as tags on the template
//! (`airgap:prop:image`, `airgap:prop:config`), so observe is one call for all of them.

use std::sync::Arc;

use airgap_catalog::spec::{Id, LaunchTemplateSpec, LaunchTemplateState, Spec};
use airgap_engine::{
    fnv1a, Attrs, Change, Check, Created, Diff, Kind, KindError, Observed, Readiness, Resolved,
    Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    LaunchTemplateHttpTokensState, RequestLaunchTemplateData, ResourceType, Tag, TagSpecification,
};

use super::{env_filter, is_node, kind_meta, owned_filters, tag_map, tag_spec, Ec2};
use crate::errors::classify;
use crate::kit::{all_pages, delete_call, usable_until_deleted};
use crate::tags;

const IMAGE_TAG: &str = "airgap:prop:image";
const CONFIG_TAG: &str = "airgap:prop:config";

pub struct LaunchTemplate(pub Arc<Ec2>);

/// A hash of the join configuration (cluster, endpoint, CA, service CIDR); unknown
/// while any input is.
fn config_hash(spec: &LaunchTemplateSpec) -> Id {
    let join = [&spec.cluster, &spec.endpoint, &spec.ca, &spec.service_cidr];
    let mut parts = Vec::new();
    for input in join {
        match input {
            Id::Known(v) => parts.push(v.as_bytes()),
            _ => return Id::Unknown(airgap_engine::value::UnknownMarker { unknown: true }),
        }
    }
    Id::Known(format!("{:016x}", fnv1a(&parts)))
}

/// The MIME multi-part user data with the NodeConfig nodeadm reads at boot.
fn user_data(spec: &LaunchTemplateSpec) -> Result<String, KindError> {
    let (cluster, endpoint, ca, cidr) =
        (spec.cluster.get()?, spec.endpoint.get()?, spec.ca.get()?, spec.service_cidr.get()?);
    Ok(format!(
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"AIRGAP\"\r\n\r\n\
         --AIRGAP\r\nContent-Type: application/node.eks.aws\r\n\r\n\
         ---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    \
         name: {cluster}\n    apiServerEndpoint: {endpoint}\n    certificateAuthority: {ca}\n    \
         cidr: {cidr}\n\r\n--AIRGAP--\r\n"
    ))
}

fn data(spec: &LaunchTemplateSpec) -> Result<RequestLaunchTemplateData, KindError> {
    Ok(RequestLaunchTemplateData::builder()
        .image_id(&spec.image_id)
        .user_data(aws_smithy_types::base64::encode(user_data(spec)?))
        // Nodes of a private cluster reach IMDS with tokens only; the hop limit of 2
        // lets pods that need it (the VPC CNI) reach it too.
        .metadata_options(
            aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_put_response_hop_limit(2)
                .build(),
        )
        .build())
}

fn prop_tags(spec: &LaunchTemplateSpec) -> Result<Vec<Tag>, KindError> {
    let hash = config_hash(spec).get()?.to_string();
    Ok(vec![
        Tag::builder().key(IMAGE_TAG).value(&spec.image_id).build(),
        Tag::builder().key(CONFIG_TAG).value(hash).build(),
    ])
}

fn outputs(id: &str, version: Option<i64>) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(id)),
        ("version".to_string(), Value::str(version.unwrap_or(1).to_string())),
    ])
}

#[async_trait]
impl Kind for LaunchTemplate {
    kind_meta!(LAUNCH_TEMPLATE);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        // What the template shows of its spec: the image and the join configuration's hash.
        let want = match LaunchTemplateSpec::from_attrs(desired) {
            Ok(d) => LaunchTemplateState {
                config: Some(config_hash(&d)),
                image_id: Some(d.image_id),
                name: d.name,
            }
            .to_attrs(),
            Err(_) => desired.clone(),
        };
        self.facts().diff(&want, &observed.attrs)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let templates: Vec<_> =
            all_pages!(self.0.client(scope)?.describe_launch_templates().filters(env_filter(env)))?;
        Ok(templates
            .into_iter()
            .filter_map(|t| {
                let tags = tag_map(t.tags());
                let id = tags::owned_id(&tags, env)?;
                let lt_id = t.launch_template_id()?.to_string();
                let state = LaunchTemplateState {
                    name: t.launch_template_name().unwrap_or_default().to_string(),
                    image_id: tags.get(IMAGE_TAG).cloned(),
                    config: tags.get(CONFIG_TAG).cloned().map(Id::Known),
                };
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: state.to_attrs(),
                    outputs: outputs(&lt_id, t.latest_version_number()),
                    physical_id: lt_id,
                    parents: vec![],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = LaunchTemplateSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_launch_templates()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(t) = existing.launch_templates().iter().find(|t| is_node(t.tags(), node)) {
            let id = t.launch_template_id().unwrap_or_default();
            return Ok(Created {
                physical_id: id.to_string(),
                outputs: outputs(id, t.latest_version_number()),
            });
        }
        let mut tags = tag_spec(ResourceType::LaunchTemplate, &node.env, &node.id.0);
        let mut all = tags.tags().to_vec();
        all.extend(prop_tags(&spec)?);
        tags = TagSpecification::builder()
            .resource_type(ResourceType::LaunchTemplate)
            .set_tags(Some(all))
            .build();
        let t = c
            .create_launch_template()
            .launch_template_name(&spec.name)
            .version_description("airgapctl")
            .launch_template_data(data(&spec)?)
            .tag_specifications(tags)
            .client_token(node.client_token())
            .send()
            .await
            .map_err(classify)?
            .launch_template
            .ok_or_else(|| KindError::fatal("NoId", "CreateLaunchTemplate returned nothing"))?;
        let id = t.launch_template_id().unwrap_or_default().to_string();
        Ok(Created { outputs: outputs(&id, t.latest_version_number()), physical_id: id })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        // The name replaces; a new image or join configuration is a new version.
        if !change.diff.changes.iter().any(|c| c.field == "imageId" || c.field == "config") {
            return Ok(change.done());
        }
        let spec = LaunchTemplateSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let id = &change.current.physical_id;
        let v = c
            .create_launch_template_version()
            .launch_template_id(id)
            .version_description("airgapctl")
            .launch_template_data(data(&spec)?)
            .client_token(change.node.client_token())
            .send()
            .await
            .map_err(classify)?
            .launch_template_version
            .and_then(|v| v.version_number)
            .ok_or_else(|| KindError::fatal("NoVersion", "no version number returned"))?;
        c.modify_launch_template()
            .launch_template_id(id)
            .default_version(v.to_string())
            .send()
            .await
            .map_err(classify)?;
        // Recorded after the version exists: an interrupted update is redone.
        c.create_tags()
            .resources(id)
            .set_tags(Some(prop_tags(&spec)?))
            .send()
            .await
            .map_err(classify)?;
        Ok(Updated::done(outputs(id, Some(v))))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_launch_template()
                .launch_template_id(&current.physical_id)
                .send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let describe = c.describe_launch_templates().launch_template_ids(check.physical_id).send();
        usable_until_deleted(&check, describe, |o| !o.launch_templates().is_empty(), "deleting")
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LaunchTemplateSpec {
        LaunchTemplateSpec {
            name: "airgap-demo-apps-general".into(),
            image_id: "ami-0123456789abcdef0".into(),
            cluster: "demo-apps".into(),
            endpoint: "https://ABC.gr7.eu-central-1.eks.amazonaws.com".into(),
            ca: "LS0tLS1CRUdJTg==".into(),
            service_cidr: "172.20.0.0/16".into(),
        }
    }

    #[test]
    fn user_data_is_a_node_config_for_nodeadm() {
        let u = user_data(&spec()).unwrap();
        assert!(u.contains("Content-Type: application/node.eks.aws"));
        assert!(u.contains("kind: NodeConfig"));
        assert!(u.contains("name: demo-apps"));
        assert!(u.contains("apiServerEndpoint: https://ABC.gr7.eu-central-1.eks.amazonaws.com"));
        assert!(u.contains("certificateAuthority: LS0tLS1CRUdJTg=="));
        assert!(u.contains("cidr: 172.20.0.0/16"));
        assert!(u.ends_with("--AIRGAP--\r\n"));
    }

    #[test]
    fn the_config_hash_follows_the_join_inputs() {
        let a = spec();
        let h = config_hash(&a);
        assert!(matches!(h, Id::Known(_)));
        let mut b = a.clone();
        b.endpoint = "https://other".into();
        assert_ne!(config_hash(&b), h);
        let mut c = a.clone();
        c.image_id = "ami-0fedcba9876543210".into();
        assert_eq!(config_hash(&c), h, "the image is compared on its own");
        c.ca = Id::Unknown(airgap_engine::value::UnknownMarker { unknown: true });
        assert!(matches!(config_hash(&c), Id::Unknown(_)));
    }
}
