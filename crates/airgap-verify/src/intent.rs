//! What the blueprint declares that the checks compare the topology with: the API
//! access CIDRs of each cluster, the environment's repositories, the firewall's
//! allowlist. At plan time the topology comes from the same blueprint; on observed
//! state (later) it is what AWS says, and the intent is still the blueprint.

use airgap_blueprint::Blueprint;

use crate::prefix::Prefix;

#[derive(Clone, Debug, Default)]
pub struct ClusterIntent {
    /// The cluster's node in the topology (`cluster/<name>`).
    pub id: String,
    pub api_access_cidrs: Vec<Prefix>,
}

#[derive(Clone, Debug, Default)]
pub struct Intent {
    pub env: String,
    pub region: String,
    pub clusters: Vec<ClusterIntent>,
    /// The ARNs of the environment's ECR repositories.
    pub repositories: Vec<String>,
    /// S3 buckets the S3 gateway endpoints may reach besides ECR's layer bucket. The
    /// blueprint declares none yet: this is where such a list would come in.
    pub buckets: Vec<String>,
    /// `hub.firewall.allowDomains`; `None` without a firewall.
    pub allow_domains: Option<Vec<String>>,
}

impl Intent {
    pub fn from_blueprint(bp: &Blueprint, env: &str) -> Intent {
        let region = bp.metadata.region.value.clone();
        let repositories = match &bp.registries {
            Some(reg) => {
                let account = bp
                    .account(&reg.account.value)
                    .map_or(reg.account.value.as_str(), |a| &a.id.value);
                reg.repositories
                    .iter()
                    .map(|r| format!("arn:aws:ecr:{region}:{account}:repository/{}", r.value))
                    .collect()
            }
            None => Vec::new(),
        };
        Intent {
            env: env.to_string(),
            clusters: bp
                .clusters
                .iter()
                .map(|c| ClusterIntent {
                    id: format!("cluster/{}", c.name.value),
                    api_access_cidrs: c
                        .api_access_cidrs
                        .iter()
                        .map(|n| Prefix::new(n.value.first(), n.value.prefix()))
                        .collect(),
                })
                .collect(),
            repositories,
            buckets: Vec::new(),
            allow_domains: bp
                .hub
                .firewall
                .as_ref()
                .map(|f| f.allow_domains.iter().map(|d| d.value.clone()).collect()),
            region,
        }
    }

    /// ECR's bucket of image layers in the region: what pulls through an S3 gateway
    /// endpoint fetch (ECR user guide, "Amazon ECR interface VPC endpoints").
    pub fn layer_bucket(&self) -> String {
        format!("prod-{}-starport-layer-bucket", self.region)
    }
}
