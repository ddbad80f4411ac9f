//! Test kit for running airgapctl code against LocalStack with the real AWS SDK.
//!
//! * [`LocalStack::connect`] finds LocalStack (`AWS_ENDPOINT_URL`, else
//!   `http://127.0.0.1:${AIRGAP_LS_PORT:-4566}`) and starts it with `localstack/start` when it
//!   does not answer (once per process, serialised across processes with a file lock).
//! * [`LocalStack::fresh_account`] hands out a new random 12-digit account id per call, so tests
//!   running in parallel never see each other's resources.
//! * [`LocalStack::sdk_config`] assumes `arn:aws:iam::<account>:role/airgap-deployer` and returns an
//!   [`SdkConfig`] whose calls land in that account.
//! * [`LocalStack::set_time_scale`], [`LocalStack::inject_fault`] and friends drive the airgap
//!   extension's `/_airgap/config` and `/_airgap/faults` endpoints.

pub mod cli;
mod http;
pub mod oci;
pub mod serve;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_types::region::Region;
use aws_types::SdkConfig;
use rand::Rng;
use serde_json::Value;

/// Default region of the SDK configs handed out by the kit.
pub const DEFAULT_REGION: &str = "eu-central-1";
/// Role assumed in every fresh account.
pub const DEPLOYER_ROLE: &str = "airgap-deployer";
/// The administrator role AWS Organizations creates in the accounts it makes.
pub const ORGANIZATION_ROLE: &str = "OrganizationAccountAccessRole";
/// Session name of the assumed role.
pub const SESSION_NAME: &str = "airgap-testkit";
/// The account LocalStack puts the base credentials (`test`/`test`) in: the deployer roles
/// trust it, as an account's deployer role trusts the CI account.
pub const BASE_ACCOUNT: &str = "000000000000";

/// Errors of the test kit.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// The endpoint URL is not of the form `http://host[:port][/]`.
    #[error("invalid LocalStack endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },
    /// LocalStack does not answer and the endpoint is not on this machine, so it cannot be started.
    #[error("LocalStack at {endpoint} does not answer /_localstack/health ({detail}); it is not on this machine, so the test kit does not start it")]
    Unreachable { endpoint: String, detail: String },
    /// `localstack/start` failed, or LocalStack did not become healthy after it.
    #[error(transparent)]
    Start(#[from] StartError),
    /// An HTTP call to LocalStack failed at the transport level.
    #[error("{method} {url}: {source}")]
    Http {
        method: &'static str,
        url: String,
        #[source]
        source: std::io::Error,
    },
    /// LocalStack answered with a non-2xx status.
    #[error("{method} {url} answered HTTP {status}: {body}")]
    Status { method: &'static str, url: String, status: u16, body: String },
    /// LocalStack answered 2xx with a body the kit does not understand.
    #[error("unexpected answer from {url}: {reason}")]
    BadResponse { url: String, reason: String },
    /// An account id that is not 12 digits.
    #[error("invalid account id {0:?}: expected 12 digits")]
    InvalidAccount(String),
    /// `sts:AssumeRole` failed.
    #[error("sts:AssumeRole into {role_arn} failed: {detail}")]
    AssumeRole {
        role_arn: String,
        detail: String,
        #[source]
        source:
            Box<aws_sdk_sts::error::SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>>,
    },
    /// `sts:AssumeRole` succeeded but returned no credentials.
    #[error("sts:AssumeRole into {role_arn} returned no credentials")]
    NoCredentials { role_arn: String },
    /// `iam:CreateRole` of an account's deployer role failed.
    #[error("iam:CreateRole {role} in account {account} failed: {detail}")]
    CreateRole { account: String, role: String, detail: String },
}

/// `localstack/start` could not bring LocalStack up.
#[derive(Debug, Clone, thiserror::Error)]
#[error("could not start LocalStack with `{}`: {detail}; see its log {}", command.display(), log.display())]
pub struct StartError {
    /// The command that was run (`<workspace>/localstack/start`).
    pub command: PathBuf,
    /// LocalStack's log file (`<workspace>/localstack/.state/localstack.log`).
    pub log: PathBuf,
    /// What went wrong (exit status and the command's stderr tail, or a timeout).
    pub detail: String,
}

/// An AWS account id (12 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account {
    id: String,
}

impl Account {
    /// Wraps an existing account id; it must be 12 ASCII digits.
    pub fn new(id: impl Into<String>) -> Result<Self, TestkitError> {
        let id = id.into();
        if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self { id })
        } else {
            Err(TestkitError::InvalidAccount(id))
        }
    }

    /// The 12-digit account id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `arn:aws:iam::<id>:role/airgap-deployer`, the role [`LocalStack::sdk_config`] assumes.
    pub fn deployer_role_arn(&self) -> String {
        format!("arn:aws:iam::{}:role/{DEPLOYER_ROLE}", self.id)
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A fault rule added with [`LocalStack::inject_fault`].
#[derive(Debug, Clone, PartialEq)]
pub struct InjectedFault {
    /// The rule id (for [`LocalStack::remove_fault`]).
    pub id: String,
    /// The rule as the extension stored it (with defaults filled in).
    pub rule: Value,
}

/// A LocalStack that answered its health check.
#[derive(Debug, Clone)]
pub struct LocalStack {
    endpoint: String,
    addr: http::Addr,
    region: String,
}

/// One start attempt per port and process; its outcome is shared by every later `connect`.
type StartOnce = Arc<tokio::sync::OnceCell<Result<(), StartError>>>;
static STARTED: OnceLock<Mutex<HashMap<u16, StartOnce>>> = OnceLock::new();
static ISSUED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

const HEALTH_PATH: &str = "/_localstack/health";

impl LocalStack {
    /// Connects to LocalStack at `AWS_ENDPOINT_URL`, else `http://127.0.0.1:${AIRGAP_LS_PORT:-4566}`,
    /// starting it with `localstack/start` when it does not answer and the endpoint is local.
    pub async fn connect() -> Result<Self, TestkitError> {
        let endpoint = match std::env::var("AWS_ENDPOINT_URL") {
            Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => {
                let port = std::env::var("AIRGAP_LS_PORT").unwrap_or_else(|_| "4566".into());
                format!("http://127.0.0.1:{}", port.trim())
            }
        };
        Self::connect_to(&endpoint).await
    }

    /// Like [`LocalStack::connect`] with an explicit endpoint (`http://host[:port]`).
    pub async fn connect_to(endpoint: &str) -> Result<Self, TestkitError> {
        let addr = http::Addr::parse(endpoint)?;
        let ls = LocalStack { endpoint: addr.base_url(), addr, region: DEFAULT_REGION.to_string() };
        let detail = match ls.health().await {
            Ok(()) => return Ok(ls),
            Err(e) => e.to_string(),
        };
        if !ls.addr.is_local() {
            return Err(TestkitError::Unreachable { endpoint: ls.endpoint, detail });
        }
        let once = STARTED
            .get_or_init(Default::default)
            .lock()
            .expect("start registry poisoned")
            .entry(ls.addr.port)
            .or_default()
            .clone();
        once.get_or_init(|| start_localstack(ls.clone())).await.clone()?;
        // `start` waited for health already; allow a short grace period all the same.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match ls.health().await {
                Ok(()) => return Ok(ls),
                Err(e) if Instant::now() >= deadline => {
                    return Err(StartError {
                        command: start_command(),
                        log: start_log(),
                        detail: format!("LocalStack is still not healthy after start: {e}"),
                    }
                    .into())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    /// The endpoint URL (`http://127.0.0.1:4566`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The region of the SDK configs (default `eu-central-1`).
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The same LocalStack with SDK configs for another region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// A new random 12-digit account id, never `000000000000` and unique within the process.
    pub fn fresh_account(&self) -> Account {
        let issued = ISSUED.get_or_init(Default::default);
        let mut rng = rand::thread_rng();
        loop {
            let id = format!("{:012}", rng.gen_range(100_000_000_000u64..1_000_000_000_000));
            if issued.lock().expect("account set poisoned").insert(id.clone()) {
                return Account { id };
            }
        }
    }

    /// A fresh account (as [`LocalStack::fresh_account`]) that holds the role
    /// `airgap-deployer`, trusting the base credentials' account: the emulator refuses
    /// `sts:AssumeRole` into a role that does not exist or does not trust the caller, as AWS
    /// does, so every account airgapctl deploys into needs it first.
    pub async fn account(&self) -> Result<Account, TestkitError> {
        let account = self.fresh_account();
        self.create_deployer_role(&account, &format!("arn:aws:iam::{BASE_ACCOUNT}:root")).await?;
        Ok(account)
    }

    /// [`LocalStack::account`], `n` times, created concurrently.
    pub async fn accounts(&self, n: usize) -> Result<Vec<Account>, TestkitError> {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..n {
            let ls = self.clone();
            set.spawn(async move { ls.account().await });
        }
        let mut out = Vec::with_capacity(n);
        while let Some(joined) = set.join_next().await {
            out.push(joined.expect("account setup panicked")?);
        }
        Ok(out)
    }

    /// SDK config of `account`'s own administrator, no role assumed: LocalStack puts calls
    /// made with an access key id of 12 digits in that account. For setting an account up
    /// and for looking into one whose deployer role is missing on purpose.
    pub async fn admin_config(&self, account: &Account) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(account.id(), "test", None, None, "admin"))
            .load()
            .await
    }

    /// [`LocalStack::accounts`] as an array: `let [net, work] = ls.account_set().await?;`.
    pub async fn account_set<const N: usize>(&self) -> Result<[Account; N], TestkitError> {
        let v = self.accounts(N).await?;
        Ok(v.try_into().unwrap_or_else(|_| unreachable!("accounts(N) returns N accounts")))
    }

    /// Creates `airgap-deployer` in `account` with a trust policy that lets `trusted` (an
    /// account id or principal ARN) assume it, as the account's administrator would.
    pub async fn create_deployer_role(
        &self,
        account: &Account,
        trusted: &str,
    ) -> Result<(), TestkitError> {
        self.create_role(account, DEPLOYER_ROLE, trusted, None).await
    }

    /// Role `name` in `account`, trusting `trusted`, with the managed policy `attach` if
    /// given.
    pub async fn create_role(
        &self,
        account: &Account,
        name: &str,
        trusted: &str,
        attach: Option<&str>,
    ) -> Result<(), TestkitError> {
        let admin = self.admin_config(account).await;
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": trusted},
                "Action": "sts:AssumeRole",
            }],
        });
        let iam = aws_sdk_iam::Client::new(&admin);
        let fail = |e: String| TestkitError::CreateRole {
            account: account.id().to_string(),
            role: name.into(),
            detail: e,
        };
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .map_err(|e| fail(aws_sdk_iam::error::DisplayErrorContext(&e).to_string()))?;
        if let Some(arn) = attach {
            iam.attach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| fail(aws_sdk_iam::error::DisplayErrorContext(&e).to_string()))?;
        }
        Ok(())
    }

    /// A fresh account as AWS Organizations makes a member account: no deployer role, and
    /// [`ORGANIZATION_ROLE`] with `AdministratorAccess`, trusting the base credentials'
    /// account ("Accessing member accounts", AWS Organizations user guide).
    pub async fn organization_account(&self) -> Result<Account, TestkitError> {
        let account = self.fresh_account();
        self.create_role(
            &account,
            ORGANIZATION_ROLE,
            &format!("arn:aws:iam::{BASE_ACCOUNT}:root"),
            Some("arn:aws:iam::aws:policy/AdministratorAccess"),
        )
        .await?;
        Ok(account)
    }

    /// Has the emulator enforce the IAM policies of assumed-role sessions in `account`
    /// (`POST /_airgap/config {"iam_enforce": true}`) and forget its recorded calls.
    pub async fn enforce_iam(&self, account: &Account) -> Result<(), TestkitError> {
        let body = serde_json::json!({"iam_enforce": true, "account": account.id()});
        self.json("POST", "/_airgap/config", Some(&body)).await?;
        self.json("DELETE", &format!("/_airgap/calls?account={}", account.id()), None).await?;
        Ok(())
    }

    /// The calls recorded in `account` that `policies` do not allow, by the emulator's
    /// evaluator (`POST /_airgap/iam/check`): its whole answer.
    pub async fn iam_check(
        &self,
        account: &Account,
        policies: &[Value],
    ) -> Result<Value, TestkitError> {
        let body = serde_json::json!({"account": account.id(), "policies": policies});
        self.json("POST", "/_airgap/iam/check", Some(&body)).await
    }

    /// The emulator's lint of `policies` against the IAM reference (`POST /_airgap/iam/lint`).
    pub async fn iam_lint(&self, policies: &[Value]) -> Result<Value, TestkitError> {
        let body = serde_json::json!({"policies": policies});
        self.json("POST", "/_airgap/iam/lint", Some(&body)).await
    }

    /// SDK config with the base credentials `test`/`test` (account `000000000000`), the kit's
    /// region and the LocalStack endpoint; no role is assumed.
    pub async fn base_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "airgap-testkit"))
            .load()
            .await
    }

    /// SDK config whose calls land in `account`: the base config's credentials are exchanged
    /// through `sts:AssumeRole` for `arn:aws:iam::<account>:role/airgap-deployer`
    /// (session name `airgap-testkit`).
    pub async fn sdk_config(&self, account: &Account) -> Result<SdkConfig, TestkitError> {
        let base = self.base_config().await;
        let role_arn = account.deployer_role_arn();
        let out = aws_sdk_sts::Client::new(&base)
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name(SESSION_NAME)
            .send()
            .await
            .map_err(|e| TestkitError::AssumeRole {
                role_arn: role_arn.clone(),
                detail: aws_sdk_sts::error::DisplayErrorContext(&e).to_string(),
                source: Box::new(e),
            })?;
        let c = out.credentials.ok_or(TestkitError::NoCredentials { role_arn })?;
        let creds = Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            None,
            "airgap-testkit-assume-role",
        );
        Ok(base.into_builder().credentials_provider(SharedCredentialsProvider::new(creds)).build())
    }

    /// Sets the extension's time scale for one account (`POST /_airgap/config`).
    pub async fn set_time_scale(&self, account: &Account, scale: f64) -> Result<(), TestkitError> {
        let body = serde_json::json!({"time_scale": scale, "account": account.id()});
        self.json("POST", "/_airgap/config", Some(&body)).await?;
        Ok(())
    }

    /// Runs the EC2 rate limits of `account` at a time scale of their own (`1.0`: AWS's
    /// real buckets), whatever the time model's scale (`POST /_airgap/config`).
    pub async fn set_rate_scale(&self, account: &Account, scale: f64) -> Result<(), TestkitError> {
        let body = serde_json::json!({"rate_scale": scale, "account": account.id()});
        self.json("POST", "/_airgap/config", Some(&body)).await?;
        Ok(())
    }

    /// EC2 calls of `account` the server-side rate limits refused, by operation.
    pub async fn rate_limited(
        &self,
        account: &Account,
    ) -> Result<std::collections::BTreeMap<String, u64>, TestkitError> {
        let config = self.airgap_config().await?;
        let found = config["rate_limits"]["throttled"][account.id()].as_object().cloned();
        Ok(found
            .unwrap_or_default()
            .into_iter()
            .map(|(op, n)| (op, n.as_u64().unwrap_or(0)))
            .collect())
    }

    /// The time scale in effect for `account`: its own scale when one was set, else the global one
    /// (`GET /_airgap/config`).
    pub async fn time_scale(&self, account: &Account) -> Result<f64, TestkitError> {
        let config = self.airgap_config().await?;
        let url = self.url("/_airgap/config");
        let scale = config
            .get("account_time_scales")
            .and_then(|m| m.get(account.id()))
            .or_else(|| config.get("time_scale"))
            .and_then(Value::as_f64);
        scale.ok_or(TestkitError::BadResponse { url, reason: format!("no time scale in {config}") })
    }

    /// The extension's configuration (`GET /_airgap/config`): `time_scale`,
    /// `account_time_scales` and the `durations` table.
    pub async fn airgap_config(&self) -> Result<Value, TestkitError> {
        self.json("GET", "/_airgap/config", None).await
    }

    /// Adds a fault rule (`POST /_airgap/faults`), e.g.
    /// `{"service":"ec2","operation":"DescribeVpcs","fault":"throttling","account":"…"}`.
    /// Give rules an `account` so parallel tests do not hit each other's faults.
    pub async fn inject_fault(&self, rule: Value) -> Result<InjectedFault, TestkitError> {
        let stored = self.json("POST", "/_airgap/faults", Some(&rule)).await?;
        let id = match stored.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(TestkitError::BadResponse {
                    url: self.url("/_airgap/faults"),
                    reason: format!("no rule id in {stored}"),
                })
            }
        };
        Ok(InjectedFault { id, rule: stored })
    }

    /// The fault rules with their `hits` and `remaining` counts (`GET /_airgap/faults`).
    pub async fn faults(&self) -> Result<Vec<Value>, TestkitError> {
        let v = self.json("GET", "/_airgap/faults", None).await?;
        match v.get("rules") {
            Some(Value::Array(rules)) => Ok(rules.clone()),
            _ => Err(TestkitError::BadResponse {
                url: self.url("/_airgap/faults"),
                reason: format!("no rules array in {v}"),
            }),
        }
    }

    /// Removes one fault rule (`DELETE /_airgap/faults/<id>`).
    pub async fn remove_fault(&self, id: &str) -> Result<(), TestkitError> {
        self.json("DELETE", &format!("/_airgap/faults/{id}"), None).await?;
        Ok(())
    }

    /// Removes one fault rule and returns it as it stood (its `hits` and `remaining`), so a
    /// test can assert that the faults it injected were met.
    pub async fn lift_fault(&self, fault: &InjectedFault) -> Result<Value, TestkitError> {
        // The id as `inject_fault` read it: a string, or a number written out.
        let rule = self.faults().await?.into_iter().find(|r| match &r["id"] {
            Value::String(s) => *s == fault.id,
            Value::Number(n) => fault.id.parse::<u64>().is_ok_and(|id| Some(id) == n.as_u64()),
            _ => false,
        });
        self.remove_fault(&fault.id).await?;
        rule.ok_or_else(|| TestkitError::BadResponse {
            url: self.url("/_airgap/faults"),
            reason: format!("fault rule {} is not listed", fault.id),
        })
    }

    /// Removes every fault rule of every account (`DELETE /_airgap/faults`) and returns how many
    /// there were. This affects tests running in parallel; prefer [`LocalStack::remove_fault`].
    pub async fn clear_faults(&self) -> Result<u64, TestkitError> {
        let v = self.json("DELETE", "/_airgap/faults", None).await?;
        v.get("deleted").and_then(Value::as_u64).ok_or(TestkitError::BadResponse {
            url: self.url("/_airgap/faults"),
            reason: format!("no deleted count in {v}"),
        })
    }

    /// What a scan of `digest` finds in the emulator's ECR (its findings fixture): a list
    /// of `{name, severity, uri?}`.
    pub async fn set_scan_findings(
        &self,
        digest: &str,
        findings: Value,
    ) -> Result<(), TestkitError> {
        let body = serde_json::json!({"digest": digest, "findings": findings});
        self.json("POST", "/_airgap/ecr/findings", Some(&body)).await.map(|_| ())
    }

    /// Moves `account`'s ECR clock `seconds` ahead (token expiry, the one-scan-a-day quota).
    pub async fn ecr_clock(&self, account: &Account, seconds: f64) -> Result<(), TestkitError> {
        let body = serde_json::json!({"account": account.id(), "offset_seconds": seconds});
        self.json("POST", "/_airgap/ecr/clock", Some(&body)).await.map(|_| ())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    async fn health(&self) -> Result<(), TestkitError> {
        let v = self.json("GET", HEALTH_PATH, None).await?;
        let services = v.get("services").and_then(Value::as_object);
        match services {
            Some(s) if s.contains_key("network-firewall") => Ok(()),
            _ => Err(TestkitError::BadResponse {
                url: self.url(HEALTH_PATH),
                reason: "health does not list network-firewall (not the airgap LocalStack?)".into(),
            }),
        }
    }

    async fn json(
        &self,
        method: &'static str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, TestkitError> {
        let url = self.url(path);
        let body = body.map(|b| b.to_string().into_bytes());
        let resp = self
            .addr
            .request(method, path, body.as_deref())
            .await
            .map_err(|source| TestkitError::Http { method, url: url.clone(), source })?;
        let text = String::from_utf8_lossy(&resp.body).into_owned();
        if !(200..300).contains(&resp.status) {
            return Err(TestkitError::Status { method, url, status: resp.status, body: text });
        }
        serde_json::from_str(&text).map_err(|e| TestkitError::BadResponse {
            url,
            reason: format!("invalid JSON ({e}): {text}"),
        })
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn start_command() -> PathBuf {
    workspace_root().join("localstack/start")
}

fn start_log() -> PathBuf {
    workspace_root().join("localstack/.state/localstack.log")
}

/// Runs `localstack/start` under an exclusive file lock, so that parallel test binaries start
/// LocalStack only once; whoever gets the lock second finds it healthy and returns.
async fn start_localstack(ls: LocalStack) -> Result<(), StartError> {
    let command = start_command();
    let log = start_log();
    let err = |detail: String| StartError { command: command.clone(), log: log.clone(), detail };
    let lock_path = workspace_root().join("localstack/.state/testkit-start.lock");
    let _lock = tokio::task::spawn_blocking(move || lock_file(&lock_path))
        .await
        .map_err(|e| err(format!("lock task failed: {e}")))?
        .map_err(|e| err(format!("cannot lock localstack/.state/testkit-start.lock: {e}")))?;
    if ls.health().await.is_ok() {
        return Ok(());
    }
    let child = tokio::process::Command::new(&command)
        .env("AIRGAP_LS_PORT", ls.addr.port.to_string())
        .current_dir(workspace_root())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(Duration::from_secs(300), child).await {
        Err(_) => return Err(err("it did not finish within 300 s".into())),
        Ok(Err(e)) => return Err(err(format!("cannot run it: {e}"))),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(err(format!("it exited with {}: {}", out.status, tail.join("\n"))));
    }
    Ok(())
}

/// Opens `path` and takes an exclusive `flock` on it; the lock is released when the file closes.
fn lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        loop {
            // SAFETY: flock on a file descriptor we own; no memory is shared with the kernel.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_validated() {
        assert_eq!(Account::new("123456789012").unwrap().id(), "123456789012");
        assert!(matches!(Account::new("12345678901"), Err(TestkitError::InvalidAccount(_))));
        assert!(Account::new("12345678901a").is_err());
        assert_eq!(
            Account::new("222222222222").unwrap().deployer_role_arn(),
            "arn:aws:iam::222222222222:role/airgap-deployer"
        );
    }
}
