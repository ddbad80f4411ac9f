//! SDK clients per account: the caller's credentials (the standard chain: environment,
//! profile, SSO, instance role), exchanged through `sts:AssumeRole` for accounts that
//! name a role. Each account's identity is checked before anything is planned.

use std::sync::Arc;

use airgap_engine::{Registry, Scope};
use aws_config::sts::AssumeRoleProvider;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::region::Region;
use aws_types::SdkConfig;
use thiserror::Error;

use crate::ec2::{self, Ec2};
use crate::ecr::{self, Ecr};
use crate::ram::{self, Ram};
use crate::stats::{counted_client, CallStats};
use crate::{logs, nfw};

/// Where and how to reach AWS.
#[derive(Clone, Debug, Default)]
pub struct ProviderConfig {
    pub region: String,
    /// Every call goes here (LocalStack); None for AWS.
    pub endpoint_url: Option<String>,
    /// A shared-config profile for the base credentials.
    pub profile: Option<String>,
    /// The account whose availability zone names the blueprint's are (the hub's); the
    /// other accounts' subnets are made by zone ID (`ec2::zones`). `None`: each
    /// account's own names.
    pub zone_names_of: Option<String>,
}

/// One logical account of the blueprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSpec {
    /// The blueprint's name for it (`network`, `workload`).
    pub name: String,
    /// The 12-digit id the blueprint declares.
    pub id: String,
    /// A role name or ARN to assume; None uses the caller's credentials as they are.
    pub role: Option<String>,
    pub external_id: Option<String>,
    /// The assumed role's session name (shows in CloudTrail); default `airgapctl`.
    pub session_name: Option<String>,
}

impl AccountSpec {
    /// The role's ARN: a bare name is a role in the declared account.
    pub fn role_arn(&self) -> Option<String> {
        self.role.as_ref().map(|r| {
            if r.starts_with("arn:") {
                r.clone()
            } else {
                format!("arn:aws:iam::{}:role/{r}", self.id)
            }
        })
    }
}

#[derive(Debug, Error)]
pub enum ProviderError {
    /// STS did not confirm the account's credentials. The message is one line (`reason`);
    /// the SDK's whole error, kilobytes of nested structures, is kept in `detail`.
    #[error("account {name} ({id}): cannot get credentials{via}: {reason}")]
    Credentials {
        name: String,
        id: String,
        via: String,
        /// Why, in a line: no credentials, the role refused, STS unreachable, ...
        reason: String,
        /// What to set or check.
        help: String,
        /// The SDK's error with its whole chain of causes.
        detail: String,
    },
    #[error(
        "account {name} is declared as {declared}, but the credentials{via} belong to account {actual} \
         ({arn}); fix accounts.{name}.id or the role/credentials"
    )]
    WrongAccount { name: String, declared: String, actual: String, arn: String, via: String },
}

/// The one retry boundary for transport failures, throttling and AWS's transient 5xx
/// answers: the SDK's standard mode, set here for every client of every account. The
/// engine does not retry these again (`errors::classify`); it waits only on other
/// resources, busy ones and eventual consistency. Eight attempts with backoff capped at
/// 20 s ride out about two minutes of trouble, of the order of terraform-provider-aws's
/// 25 retries at shorter backoff.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(RETRY_ATTEMPTS)
        .with_initial_backoff(Duration::from_secs(1))
        .with_max_backoff(Duration::from_secs(20))
}

/// Attempts the SDK makes per call, the first included.
pub const RETRY_ATTEMPTS: u32 = 8;

/// A connection that cannot be opened in 10 s is retried (a black-holed endpoint would
/// otherwise hang a call, and the run, for the OS's TCP timeout); an attempt gets 2
/// minutes, more than any airgapctl call needs.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_attempt_timeout(Duration::from_secs(120))
        .build()
}

/// Clients for every declared account, and the call counter they share.
pub struct Provider {
    ec2: Arc<Ec2>,
    blockers: Arc<ec2::Blockers>,
    zones: Arc<ec2::zones::Zones>,
    ram: Arc<Ram>,
    ecr: Arc<Ecr>,
    route53: Arc<crate::route53::Route53>,
    vpn: Arc<crate::vpn::VpnClients>,
    elb: Arc<ec2::Elb>,
    /// IAM, KMS and EKS clients of the cluster kinds.
    cluster: crate::eks::ClusterServices,
    // Boxed: the provider is moved around by value (the CLI's backend enum) and is
    // mostly these per-account maps.
    firewall: Box<FirewallClients>,
    scopes: Vec<Scope>,
    stats: CallStats,
    identities: Vec<(String, String)>,
    configs: Vec<(String, SdkConfig)>,
    /// Where every call goes instead of AWS (the emulator), if anywhere.
    endpoint_url: Option<String>,
}

impl Provider {
    /// Builds clients for each account and checks, with `GetCallerIdentity`, that each
    /// lands in the account the blueprint declares. Accounts are checked side by side.
    pub async fn connect(
        cfg: &ProviderConfig,
        accounts: &[AccountSpec],
    ) -> Result<Provider, ProviderError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(cfg.region.clone()))
            .retry_config(retry_config())
            .timeout_config(timeout_config());
        if let Some(url) = &cfg.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(p) = &cfg.profile {
            loader = loader.profile_name(p);
        }
        let base = loader.load().await;
        let stats = CallStats::new();
        let checks = accounts.iter().map(|a| account_config(&base, a, &stats));
        let configs = futures_join(checks).await?;
        let mut ec2 = Ec2::new();
        let mut elb = ec2::Elb::new();
        let mut eks = crate::clients::PerScope::new();
        let mut ram = Ram::new();
        let mut ecr = Ecr::new();
        let mut route53 = crate::route53::Route53::new();
        let mut vpn = crate::vpn::VpnClients {
            acm: crate::clients::PerScope::new(),
            secrets: crate::clients::PerScope::new(),
            resolver: crate::clients::PerScope::new(),
        };
        let mut cluster = crate::eks::ClusterClients::new();
        let mut firewall = FirewallClients::default();
        let mut scopes = Vec::new();
        let mut identities = Vec::new();
        let mut sdk_configs = Vec::new();
        for (a, (conf, arn)) in accounts.iter().zip(configs) {
            let scope = Scope::new(a.id.clone(), cfg.region.clone());
            ec2.insert(&scope, counted_client!(aws_sdk_ec2, &conf, stats));
            elb.insert(&scope, counted_client!(aws_sdk_elasticloadbalancingv2, &conf, stats));
            eks.insert(&scope, counted_client!(aws_sdk_eks, &conf, stats));
            ram.insert(&scope, counted_client!(aws_sdk_ram, &conf, stats));
            ecr.insert(&scope, counted_client!(aws_sdk_ecr, &conf, stats));
            // Route 53 is global: the SDK sends it to its one endpoint whatever the region.
            route53.insert(&scope, counted_client!(aws_sdk_route53, &conf, stats));
            vpn.acm.insert(&scope, counted_client!(aws_sdk_acm, &conf, stats));
            vpn.secrets.insert(&scope, counted_client!(aws_sdk_secretsmanager, &conf, stats));
            vpn.resolver.insert(&scope, counted_client!(aws_sdk_route53resolver, &conf, stats));
            cluster.insert(&scope, &conf, &stats);
            firewall.insert(&scope, &conf, &stats);
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
            identities.push((a.name.clone(), arn));
            sdk_configs.push((a.id.clone(), conf));
        }
        let ec2 = Arc::new(ec2);
        let zones = cfg.zone_names_of.as_ref().map(|a| Scope::new(a.clone(), cfg.region.clone()));
        Ok(Provider {
            blockers: Arc::new(ec2::Blockers { ec2: Arc::clone(&ec2), elb: elb.clone(), eks }),
            elb: Arc::new(elb),
            zones: Arc::new(ec2::zones::Zones::new(zones)),
            ec2,
            ram: Arc::new(ram),
            ecr: Arc::new(ecr),
            route53: Arc::new(route53),
            vpn: Arc::new(vpn),
            cluster: cluster.build(),
            firewall: Box::new(firewall),
            scopes,
            stats,
            identities,
            configs: sdk_configs,
            endpoint_url: cfg.endpoint_url.clone(),
        })
    }

    /// Every kind this provider implements.
    pub fn registry(&self) -> Registry {
        let mut r = Registry::new();
        ec2::register(&mut r, &self.ec2, &self.blockers, &self.zones);
        ram::register(&mut r, &self.ram);
        ecr::register(&mut r, &self.ecr);
        crate::route53::register(&mut r, &self.route53, &self.ec2);
        crate::vpn::register(&mut r, &self.vpn, &self.ec2);
        crate::privatelink::register(&mut r, &self.elb, &self.ec2);
        self.cluster.register(&mut r);
        self.firewall.register(&mut r);
        r
    }

    /// The hub account's zone names by zone ID (empty without a reference account).
    pub async fn zone_names(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, airgap_engine::KindError> {
        self.zones.names(&self.ec2).await
    }

    /// What is wrong with an existing transit gateway the blueprint names, for use by
    /// this environment (empty: nothing).
    pub async fn check_existing_transit_gateway(
        &self,
        scope: &Scope,
        id: &str,
        auto_accept: bool,
    ) -> Result<Vec<ec2::TgwMismatch>, airgap_engine::KindError> {
        ec2::check_existing_tgw(&self.ec2, scope, id, auto_accept).await
    }

    /// The environment's VPN in `scope`, for `airgapctl access`: client configurations
    /// and revocations.
    pub async fn vpn_access(
        &self,
        scope: &Scope,
        env: &str,
    ) -> Result<crate::vpn::access::VpnAccess<'_>, airgap_engine::KindError> {
        crate::vpn::access::VpnAccess::open(&self.vpn, &self.ec2, scope, env).await
    }

    /// The connections to the environment's endpoint services in `scope`, after the
    /// answer (endpoint id, accept?) to one of them, if any.
    pub async fn privatelink_connections(
        &self,
        scope: &Scope,
        env: &str,
        answer: Option<(&str, bool)>,
    ) -> Result<Vec<crate::privatelink::Connection>, airgap_engine::KindError> {
        crate::privatelink::connections(&self.ec2, scope, env, answer).await
    }

    /// Where every call goes instead of AWS, if set (LocalStack): ECR's registry is then
    /// served there too, by host name, as an HTTP proxy is asked.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }

    /// ECR in `scope`, for what `artifacts` does beyond the repository kind: the
    /// registry's credentials, repositories, images and their scans.
    pub fn ecr_registry(
        &self,
        scope: &Scope,
    ) -> Result<crate::artifacts::EcrRegistry<'_>, airgap_engine::KindError> {
        crate::artifacts::EcrRegistry::new(&self.ecr, scope)
    }

    /// The account and region pairs the environment spans.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// API calls made so far (identity checks included).
    pub fn stats(&self) -> &CallStats {
        &self.stats
    }

    /// The SDK config (credentials checked at connect) of a declared account id, for
    /// services beyond the kinds (the lock table, the environment record).
    pub fn sdk_config(&self, account_id: &str) -> Option<&SdkConfig> {
        self.configs.iter().find(|(id, _)| id == account_id).map(|(_, c)| c)
    }

    /// (account name, caller ARN) as checked at connect.
    pub fn identities(&self) -> &[(String, String)] {
        &self.identities
    }
}

/// Network Firewall and CloudWatch Logs clients (the inspection VPC's firewall and
/// its log groups).
#[derive(Default)]
struct FirewallClients {
    nfw: nfw::Nfw,
    logs: logs::Logs,
}

impl FirewallClients {
    fn insert(&mut self, scope: &Scope, conf: &SdkConfig, stats: &CallStats) {
        self.nfw.insert(scope, counted_client!(aws_sdk_networkfirewall, conf, stats));
        self.logs.insert(scope, counted_client!(aws_sdk_cloudwatchlogs, conf, stats));
    }

    fn register(&self, r: &mut Registry) {
        nfw::register(r, &Arc::new(self.nfw.clone()));
        logs::register(r, &Arc::new(self.logs.clone()));
    }
}

/// Runs the futures concurrently and returns their results in order, or the first error.
pub(crate) async fn futures_join<T, E>(
    futs: impl IntoIterator<Item = impl std::future::Future<Output = Result<T, E>>>,
) -> Result<Vec<T>, E> {
    let handles: Vec<_> = futs.into_iter().collect();
    let mut out = Vec::with_capacity(handles.len());
    // A handful of accounts: awaiting in order after starting all is enough.
    let pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    let results = join_all(pinned).await;
    for r in results {
        out.push(r?);
    }
    Ok(out)
}

async fn join_all<F: std::future::Future + Unpin>(futs: Vec<F>) -> Vec<F::Output> {
    let mut slots: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    let mut futs: Vec<Option<F>> = futs.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if let Some(fut) = f {
                match std::pin::Pin::new(fut).poll(cx) {
                    std::task::Poll::Ready(v) => {
                        slots[i] = Some(v);
                        *f = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    slots.into_iter().map(|s| s.expect("every future completed")).collect()
}

/// The account's SDK config (assumed role or base credentials) and the caller ARN,
/// after checking the account id.
async fn account_config(
    base: &SdkConfig,
    a: &AccountSpec,
    stats: &CallStats,
) -> Result<(SdkConfig, String), ProviderError> {
    let via = a.role_arn().map(|r| format!(" (via {r})")).unwrap_or_default();
    let conf = match a.role_arn() {
        None => base.clone(),
        Some(arn) => {
            let mut b = AssumeRoleProvider::builder(arn)
                .session_name(a.session_name.as_deref().unwrap_or("airgapctl"));
            if let Some(x) = &a.external_id {
                b = b.external_id(x);
            }
            // The provider refreshes the credentials before they expire.
            let provider = b.configure(base).build().await;
            base.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
        }
    };
    let who =
        counted_client!(aws_sdk_sts, &conf, stats).get_caller_identity().send().await.map_err(
            |e| {
                let (reason, help) = credential_failure(&e, a);
                ProviderError::Credentials {
                    name: a.name.clone(),
                    id: a.id.clone(),
                    via: via.clone(),
                    reason,
                    help,
                    detail: aws_sdk_sts::error::DisplayErrorContext(&e).to_string(),
                }
            },
        )?;
    let actual = who.account().unwrap_or_default().to_string();
    let arn = who.arn().unwrap_or_default().to_string();
    if actual != a.id {
        return Err(ProviderError::WrongAccount {
            name: a.name.clone(),
            declared: a.id.clone(),
            actual,
            arn,
            via,
        });
    }
    Ok((conf, arn))
}

impl ProviderError {
    /// What to set or check, when there is something to say.
    pub fn help(&self) -> Option<&str> {
        match self {
            ProviderError::Credentials { help, .. } => Some(help),
            ProviderError::WrongAccount { .. } => None,
        }
    }

    /// The SDK's whole error, for `-v`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ProviderError::Credentials { detail, .. } => Some(detail),
            ProviderError::WrongAccount { .. } => None,
        }
    }
}

/// Why `GetCallerIdentity` failed, in a line, and what to set: the credential chain found
/// nothing, the role could not be assumed, STS refused the credentials, or could not be
/// reached.
fn credential_failure(
    e: &aws_sdk_sts::error::SdkError<
        aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError,
    >,
    a: &AccountSpec,
) -> (String, String) {
    use aws_credential_types::provider::error::CredentialsError;
    use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
    let mut chain: Vec<&(dyn std::error::Error + 'static)> = vec![e];
    while let Some(next) = chain.last().and_then(|c| c.source()) {
        chain.push(next);
    }
    let credentials: Vec<&CredentialsError> =
        chain.iter().filter_map(|c| c.downcast_ref::<CredentialsError>()).collect();
    // The deepest says most: assuming a role fails when the base credentials are missing.
    let deepest = credentials
        .iter()
        .find(|c| matches!(c, CredentialsError::CredentialsNotLoaded(_)))
        .or(credentials.first());
    if let Some(&c) = deepest {
        match c {
            CredentialsError::CredentialsNotLoaded(_) => {
                return (
                    "no credentials found (environment, profile, SSO, web identity, container \
                     or instance role)"
                        .into(),
                    "set AWS_PROFILE (or --profile) to a configured profile, or \
                     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; after `aws sso login` for SSO"
                        .into(),
                );
            }
            c if a.role_arn().is_some() => {
                return (
                    format!("cannot assume the role: {}", innermost(c)),
                    format!(
                        "check that the role exists in account {} and that its trust policy \
                         lets the caller's credentials assume it (accounts.{}.role)",
                        a.id, a.name
                    ),
                );
            }
            c => {
                return (
                    format!("the credentials could not be loaded: {}", innermost(c)),
                    "check the profile's settings (AWS_PROFILE, --profile), or refresh them \
                     (`aws sso login`)"
                        .into(),
                );
            }
        }
    }
    let network = "check the network and the endpoint (--endpoint-url, AWS_ENDPOINT_URL)";
    match e {
        SdkError::ServiceError(_) => (
            format!(
                "STS refused them: {}{}",
                e.code().unwrap_or("error"),
                e.message().map(|m| format!(": {m}")).unwrap_or_default()
            ),
            "refresh the credentials (`aws sso login`, new access keys) or pick others \
             (AWS_PROFILE, --profile)"
                .into(),
        ),
        SdkError::TimeoutError(_) => ("STS did not answer in time".into(), network.into()),
        _ => (format!("cannot reach STS: {}", innermost(e)), network.into()),
    }
}

/// The last cause of `e`'s chain: the most specific message.
/// A service's answer in the chain reads as `Code: message` (STS's refusal of a role is
/// the useful part, and its Display is a debug dump).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    loop {
        if let Some(m) = last.downcast_ref::<aws_smithy_types::error::ErrorMetadata>() {
            if let Some(code) = m.code() {
                return match m.message() {
                    Some(msg) => format!("{code}: {msg}"),
                    None => code.to_string(),
                };
            }
        }
        match last.source() {
            Some(next) => last = next,
            None => return last.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_become_arns_in_the_declared_account() {
        let mut a = AccountSpec {
            name: "network".into(),
            id: "111111111111".into(),
            role: Some("airgap-deployer".into()),
            external_id: None,
            session_name: None,
        };
        assert_eq!(a.role_arn().as_deref(), Some("arn:aws:iam::111111111111:role/airgap-deployer"));
        a.role = Some("arn:aws:iam::222222222222:role/x".into());
        assert_eq!(a.role_arn().as_deref(), Some("arn:aws:iam::222222222222:role/x"));
        a.role = None;
        assert_eq!(a.role_arn(), None);
    }
}
