//! Issue 8 against LocalStack: the environment lock (concurrent applies, heartbeat,
//! takeover of an expired lease, unlock, a lease lost during a run), the environment
//! record (`destroy --env` without the blueprint, `envs`, `gc`), `destroy --dry-run`,
//! and applies and destroys killed with SIGKILL at random points. Each test has its own
//! fresh account; the real CLI runs with `--endpoint-url`.

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::kill::{KillAt, Rng};
use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::{Account, LocalStack};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};

const SCALE: f64 = 0.01;
const TABLE: &str = "airgapctl-locks";

/// A run started in the background, its output captured.
fn spawn(f: &Fixture, args: &[&str], envs: &[(&str, &str)]) -> Child {
    let mut cmd = f.cli.command_env(args, envs);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    airgap_testkit::cli::busy_retry(|| cmd.spawn()).expect("airgapctl starts")
}

fn finish(child: Child) -> Run {
    Run::of(&[], child.wait_with_output().expect("airgapctl ends"), Duration::ZERO)
}

#[track_caller]
fn expect(run: &Run, code: i32, what: &str) {
    run.check(code, what);
}

/// `out` (a run's stdout or stderr) says each of `phrases`.
#[track_caller]
fn says(out: &str, phrases: &[&str]) {
    for p in phrases {
        assert!(out.contains(p), "{p:?} not said in:\n{out}");
    }
}

/// One account: the hub (transit gateway, inspection VPC) and a small workload VPC.
fn blueprint(env: &str, a: &Account, extra_metadata: &str) -> String {
    format!(
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: {env}\n  \
         region: eu-central-1\n{extra_metadata}accounts:\n  main: {{ id: \"{}\", role: airgap-deployer }}\n\
         availabilityZones: 2\nhub:\n  account: main\n  inspectionVpc: {{ cidr: 100.64.0.0/22 }}\n\
         vpcs:\n  - name: workload\n    account: main\n    cidr: 10.10.0.0/16\n    \
         subnets: {{ controlPlane: 28, dataPlane: 22, endpoints: 26, transit: 28 }}\n    \
         endpoints:\n      gateway: [s3]\n      interface: [sts]\n",
        a.id()
    )
}

/// A fresh account at time scale [`SCALE`], an env name of its own and a directory
/// holding `bp.yaml`.
struct Fixture {
    ls: LocalStack,
    account: Account,
    env: String,
    cli: Cli,
}

async fn fixture(tag: &str) -> Fixture {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let account = ls.account().await.expect("an account");
    ls.set_time_scale(&account, SCALE).await.unwrap();
    let env = format!("{tag}{}", &account.id()[..6]);
    // Minimal blueprints on purpose (no firewall, no endpoint policies): these tests are not
    // about the air gap, so apply's plan-time verification is off, as with --skip-verify.
    let cli = Cli::new(env!("CARGO_BIN_EXE_airgapctl"), &format!("lifecycle-{tag}"), ls.endpoint())
        .env("AIRGAP_TIME_SCALE", &SCALE.to_string())
        .env("AIRGAP_SKIP_VERIFY", "1");
    cli.write("bp.yaml", &blueprint(&env, &account, ""));
    let f = Fixture { ls, account, env, cli };
    // LocalStack's own DynamoDB needs a Java download; ours is served by moto.
    let ddb = f.ddb().await;
    if let Err(e) = ddb.list_tables().send().await {
        panic!(
            "DynamoDB does not work on this LocalStack ({}); restart it with localstack/stop \
             and localstack/start so it serves DynamoDB from the airgap extension",
            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
        );
    }
    f
}

impl Fixture {
    fn ctl(&self, args: &[&str]) -> Run {
        self.cli.run(args)
    }

    async fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.ls.sdk_config(&self.account).await.unwrap())
    }

    /// The lock item of the env, if any.
    async fn lock_item(&self) -> Option<BTreeMap<String, AttributeValue>> {
        let out = self
            .ddb()
            .await
            .get_item()
            .table_name(TABLE)
            .key("env", AttributeValue::S(self.env.clone()))
            .consistent_read(true)
            .send()
            .await;
        match out {
            Ok(o) => o.item.map(|i| i.into_iter().collect()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {
                None
            }
            Err(e) => panic!("GetItem: {e:?}"),
        }
    }

    /// Waits (up to 60 s) for the lock item to appear and returns it.
    async fn wait_for_lock(&self) -> BTreeMap<String, AttributeValue> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(item) = self.lock_item().await {
                return item;
            }
            assert!(Instant::now() < deadline, "no lock item appeared");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates the lock table as airgapctl would (an existing table is fine for it).
    async fn create_table(&self) {
        self.ddb()
            .await
            .create_table()
            .table_name(TABLE)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("env")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("env")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .unwrap();
        // CreateTable answers while the table is CREATING, and item calls on it answer
        // ResourceNotFoundException until it is ACTIVE (botocore CreateTable): wait, as
        // airgapctl's LockTable::ensure does.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let t = self.ddb().await.describe_table().table_name(TABLE).send().await.unwrap();
            if t.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return;
            }
            assert!(Instant::now() < deadline, "the lock table never became ACTIVE");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Writes a lease of another process, expiring `expires_in_ms` from now.
    async fn put_foreign_lock(&self, holder: &str, token: &str, expires_in_ms: i64) {
        let now = now_ms();
        self.ddb()
            .await
            .put_item()
            .table_name(TABLE)
            .item("env", AttributeValue::S(self.env.clone()))
            .item("item", AttributeValue::S("lock".into()))
            .item("holder", AttributeValue::S(holder.into()))
            .item("token", AttributeValue::S(token.into()))
            .item("operation", AttributeValue::S("apply".into()))
            .item("acquired_at", AttributeValue::N((now - 3_600_000).to_string()))
            .item("expires_at", AttributeValue::N((now + expires_in_ms).to_string()))
            .send()
            .await
            .unwrap();
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn attr_s(item: &BTreeMap<String, AttributeValue>, key: &str) -> String {
    match item.get(key) {
        Some(AttributeValue::S(s)) => s.clone(),
        other => panic!("{key}: {other:?}"),
    }
}

fn attr_n(item: &BTreeMap<String, AttributeValue>, key: &str) -> i64 {
    match item.get(key) {
        Some(AttributeValue::N(n)) => n.parse().unwrap(),
        other => panic!("{key}: {other:?}"),
    }
}

/// The kinds [`census`] compares with what a blueprint declares: the network's (the
/// blueprints here make no cluster). Interface and gateway endpoints are one kind in the
/// shared census, as in the graph's [`declared`] form below.
const COUNTED: [&str; 11] = [
    "vpc",
    "subnet",
    "route-table",
    "internet-gateway",
    "elastic-ip",
    "nat-gateway",
    "security-group",
    "transit-gateway",
    "tgw-route-table",
    "tgw-attachment",
    "vpc-endpoint",
];

/// The env's tagged resources of the [`COUNTED`] kinds in the account, as
/// (kind, airgap:id) with their number: the shared census (the one the chaos suite
/// checks), read with each service's own Describe calls.
async fn census(ls: &LocalStack, a: &Account, env: &str) -> BTreeMap<(String, String), usize> {
    let conf = ls.sdk_config(a).await.unwrap();
    let all = crate::support::census::census(&conf, env).await.unwrap();
    all.into_iter().filter(|((kind, _), _)| COUNTED.contains(&kind.as_str())).collect()
}

/// Each tagged resource exists exactly once; returns how many there are.
fn assert_no_duplicates(counts: &BTreeMap<(String, String), usize>, what: &str) -> usize {
    let dups: Vec<_> = counts.iter().filter(|(_, &n)| n != 1).collect();
    assert!(dups.is_empty(), "{what}: duplicates {dups:?}");
    counts.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_applies_one_runs_the_other_fails_or_waits() {
    let f = fixture("lock").await;
    // The first apply must outlast several heartbeats whatever the machine's speed: at this
    // account's scale its transit gateway stays pending for 150 s x 0.15 = 22 s
    // (timings.json), and the run's own time scale matches, so its waits do not time out.
    f.ls.set_time_scale(&f.account, 0.15).await.unwrap();
    // A lease shorter than the run, so without its heartbeat it would expire during it.
    // Leases of 2 s and then 4 s proved too short on loaded CI machines: one renewal
    // (every third of the lease) stalled past the expiry and the second apply took the
    // lock over. 10 s leaves 6 s for a stalled renewal.
    let lease = [("AIRGAP_LOCK_LEASE", "10s"), ("AIRGAP_TIME_SCALE", "0.15")];
    let first = spawn(&f, &["apply", "-f", "bp.yaml", "--auto-approve"], &lease);
    let first_pid = first.id();
    let item = f.wait_for_lock().await;
    assert!(attr_s(&item, "holder").ends_with(&format!(" pid {first_pid}")), "{item:?}");
    assert_eq!(attr_s(&item, "operation"), "apply");
    // Two more at once: one fails at once, the other waits for the lock.
    let waiter =
        spawn(&f, &["apply", "-f", "bp.yaml", "--auto-approve", "--lock-timeout", "5m"], &[]);
    let refused = f.ctl(&["apply", "-f", "bp.yaml", "--auto-approve"]);
    expect(&refused, 1, "second apply while the first runs");
    assert!(
        refused.stderr.contains(&format!("environment {} is locked by", f.env))
            && refused.stderr.contains(&format!(" pid {first_pid} (apply since ")),
        "names the holder: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains(&format!("airgapctl unlock --env {} -f bp.yaml", f.env)),
        "says how to unlock: {}",
        refused.stderr
    );
    assert!(!refused.stdout.contains("Apply complete"), "{}", refused.stdout);
    // A destroy meanwhile is refused the same way, before deleting anything.
    let destroy = f.ctl(&["destroy", "-f", "bp.yaml", "--auto-approve"]);
    expect(&destroy, 1, "destroy while the first apply runs");
    assert!(
        destroy.stderr.contains(&format!(" pid {first_pid} (apply since ")),
        "names the holder: {}",
        destroy.stderr
    );
    assert!(!destroy.stdout.contains("Destroy complete"), "{}", destroy.stdout);
    // The heartbeat extends the lease while the first apply runs.
    let first_expiry = attr_n(&item, "expires_at");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match f.lock_item().await {
            Some(i) if attr_s(&i, "token") == attr_s(&item, "token") => {
                if attr_n(&i, "expires_at") > first_expiry {
                    break;
                }
            }
            other => panic!("the first apply's lease is gone before a heartbeat: {other:?}"),
        }
        assert!(Instant::now() < deadline, "no heartbeat in 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = finish(first);
    expect(&first, 0, "first apply");
    assert!(first.stdout.contains("Apply complete"), "{}", first.stdout);
    let waiter = finish(waiter);
    expect(&waiter, 0, "apply with --lock-timeout");
    assert!(waiter.stderr.contains("waiting up to 300 s"), "{}", waiter.stderr);
    assert!(
        waiter.stdout.contains("No changes"),
        "the waiter found the work done: {}",
        waiter.stdout
    );
    // Released at the end; the resources exist once each.
    assert!(f.lock_item().await.is_none(), "the lock was released");
    let n = assert_no_duplicates(&census(&f.ls, &f.account, &f.env).await, "after the applies");
    assert!(n > 20, "{n} resources");
    f.ls.set_time_scale(&f.account, SCALE).await.unwrap();
    expect(&f.ctl(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    assert!(census(&f.ls, &f.account, &f.env).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn held_locks_refuse_expired_ones_are_taken_over_and_unlock_removes_them() {
    let f = fixture("stale").await;
    // Nothing to unlock yet (and no table: unlock does not create it).
    let run = f.ctl(&["unlock", "--env", &f.env, "-f", "bp.yaml", "--auto-approve"]);
    expect(&run, 0, "unlock without a lock");
    assert!(run.stdout.contains("is not locked"), "{}", run.stdout);
    // An existing table is used as it is.
    f.create_table().await;
    f.put_foreign_lock("ci@runner-7 pid 4242", "t-live", 600_000).await;
    let run = f.ctl(&["apply", "-f", "bp.yaml", "--auto-approve"]);
    expect(&run, 1, "apply against a live lease");
    assert!(run.stderr.contains("locked by ci@runner-7 pid 4242 (apply since "), "{}", run.stderr);
    assert!(census(&f.ls, &f.account, &f.env).await.is_empty());
    let run = f.ctl(&["destroy", "-f", "bp.yaml", "--auto-approve"]);
    expect(&run, 1, "destroy against a live lease");
    // Unlock asks: refused without a terminal.
    let run = f.ctl(&["unlock", "--env", &f.env, "-f", "bp.yaml"]);
    expect(&run, 3, "unlock without --auto-approve or a terminal");
    assert!(f.lock_item().await.is_some());
    let run = f.ctl(&["unlock", "--env", &f.env, "-f", "bp.yaml", "--auto-approve"]);
    expect(&run, 0, "unlock");
    says(&run.stdout, &["locked by ci@runner-7 pid 4242", "Removed the lock"]);
    assert!(f.lock_item().await.is_none());
    // Without the blueprint, by hub account.
    f.put_foreign_lock("ci@runner-8 pid 1", "t-other", 600_000).await;
    let hub = f.account.id().to_string();
    let run = f.ctl(&[
        "unlock",
        "--env",
        &f.env,
        "--hub-account",
        &hub,
        "--role",
        "airgap-deployer",
        "--region",
        "eu-central-1",
        "--auto-approve",
    ]);
    expect(&run, 0, "unlock --hub-account");
    assert!(f.lock_item().await.is_none());
    // An expired lease is taken over.
    f.put_foreign_lock("ci@runner-9 pid 99", "t-dead", -1_000).await;
    let run = f.ctl(&["apply", "-f", "bp.yaml", "--auto-approve"]);
    expect(&run, 0, "apply over an expired lease");
    assert!(run.stdout.contains("Apply complete"), "{}", run.stdout);
    assert!(f.lock_item().await.is_none(), "released after the run");
    assert_no_duplicates(&census(&f.ls, &f.account, &f.env).await, "apply");
    expect(&f.ctl(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    assert!(census(&f.ls, &f.account, &f.env).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_loses_its_lease_stops() {
    let f = fixture("lost").await;
    let run =
        spawn(&f, &["apply", "-f", "bp.yaml", "--auto-approve"], &[("AIRGAP_LOCK_LEASE", "2s")]);
    f.wait_for_lock().await;
    // Someone else takes the lock over (as after an unlock): the next heartbeat fails.
    f.put_foreign_lock("ci@runner-2 pid 7", "t-thief", 600_000).await;
    let run = finish(run);
    expect(&run, 1, "apply that lost its lease");
    says(&run.stderr, &["lost the lock", "taken over by ci@runner-2 pid 7"]);
    assert!(!run.stdout.contains("Apply complete"), "{}", run.stdout);
    // The other holder's lease is left alone.
    let item = f.lock_item().await.expect("the other lease");
    assert_eq!(attr_s(&item, "token"), "t-thief");
    f.ctl(&["unlock", "--env", &f.env, "-f", "bp.yaml", "--auto-approve"]);
    expect(&f.ctl(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    assert!(census(&f.ls, &f.account, &f.env).await.is_empty());
}

/// `--hub-account ID --role airgap-deployer --region eu-central-1`.
fn hub_flags(a: &Account) -> Vec<String> {
    ["--hub-account", a.id(), "--role", "airgap-deployer", "--region", "eu-central-1"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn with<'a>(args: &[&'a str], extra: &'a [String]) -> Vec<&'a str> {
    args.iter().copied().chain(extra.iter().map(String::as_str)).collect()
}

/// `envs --output json`, by env name.
fn envs(f: &Fixture) -> BTreeMap<String, serde_json::Value> {
    let hub = hub_flags(&f.account);
    let run = f.ctl(&with(&["envs", "--output", "json"], &hub));
    expect(&run, 0, "envs");
    let list: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("envs JSON");
    list.into_iter().map(|v| (v["env"].as_str().unwrap().to_string(), v)).collect()
}

/// The expiry tag of the env's transit gateway, if it has one.
async fn tgw_expiry(f: &Fixture, env: &str) -> Option<String> {
    let c = aws_sdk_ec2::Client::new(&f.ls.sdk_config(&f.account).await.unwrap());
    let out = c.describe_transit_gateways().send().await.unwrap();
    out.transit_gateways()
        .iter()
        .filter(|t| {
            t.tags().iter().any(|tag| tag.key() == Some("airgap:env") && tag.value() == Some(env))
        })
        .find_map(|t| {
            t.tags()
                .iter()
                .find(|tag| tag.key() == Some("airgap:expires-at"))
                .and_then(|tag| tag.value().map(str::to_string))
        })
}

/// What the blueprint declares, as (kind, id) with the graph's kind names, for the kinds
/// [`census`] counts.
fn declared_nodes(f: &Fixture, file: &str) -> BTreeMap<(String, String), usize> {
    let run = f.ctl(&["graph", "-f", file, "--format", "json"]);
    expect(&run, 0, "graph");
    let g: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap().to_string(), n["id"].as_str().unwrap().to_string()))
        .filter(|(k, _)| COUNTED.contains(&census_kind(k)))
        .map(|key| (key, 1))
        .collect()
}

/// A graph kind as the census names it: both endpoint kinds are `vpc-endpoint`.
fn census_kind(kind: &str) -> &str {
    if kind.starts_with("vpc-endpoint-") {
        "vpc-endpoint"
    } else {
        kind
    }
}

/// What the blueprint declares, in the census's form.
fn declared(f: &Fixture, file: &str) -> BTreeMap<(String, String), usize> {
    declared_nodes(f, file)
        .into_iter()
        .map(|((kind, id), n)| ((census_kind(&kind).to_string(), id), n))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_by_env_name_needs_no_blueprint() {
    let f = fixture("byenv").await;
    // The record keeps the ExternalId too, for the destroy without the blueprint.
    let bp = f.cli.dir().join("bp.yaml");
    let text = std::fs::read_to_string(&bp)
        .unwrap()
        .replace("role: airgap-deployer }", "role: airgap-deployer, externalId: ci-7f3a }");
    std::fs::write(&bp, text).unwrap();
    let want = declared(&f, "bp.yaml");
    let t0 = now_ms();
    let run = f.ctl(&["apply", "-f", "bp.yaml", "--auto-approve", "--ttl", "4h"]);
    expect(&run, 0, "apply --ttl 4h");
    assert_eq!(census(&f.ls, &f.account, &f.env).await, want);

    // The record: accounts with their names and roles, region, owner, expiry.
    let rec = envs(&f).remove(&f.env).expect("the env is recorded");
    assert_eq!(rec["region"], "eu-central-1");
    assert_eq!(rec["hub_account"], f.account.id());
    assert_eq!(
        rec["accounts"],
        serde_json::json!([{
            "id": f.account.id(), "name": "main", "role": "airgap-deployer",
            "external_id": "ci-7f3a",
        }])
    );
    // Counted by observing the account, as destroy would.
    assert_eq!(rec["resources"]["total"], 74, "{rec}");
    assert_eq!(rec["resources"]["by_account"][f.account.id()]["transit-gateway"], 1, "{rec}");
    let by_kind = rec["resources"]["by_account"][f.account.id()].as_object().unwrap();
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for ((kind, _), n) in &declared_nodes(&f, "bp.yaml") {
        *counted.entry(kind.clone()).or_default() += n;
    }
    for (kind, n) in &counted {
        assert_eq!(by_kind[kind.as_str()], *n, "{kind}: {rec}");
    }
    let owner = rec["owner"].as_str().unwrap();
    assert!(
        owner
            .starts_with(&format!("arn:aws:sts::{}:assumed-role/airgap-deployer/", f.account.id())),
        "{owner}"
    );
    assert_eq!(rec["expired"], false);
    let expires = rec["expires_at"].as_str().unwrap().to_string();
    // 4 h from the apply, to the second.
    let want_expiry = rfc3339((t0 + 4 * 3_600_000) / 1000);
    assert!(
        expires.as_str() >= want_expiry.as_str()
            && expires.as_str() <= rfc3339((now_ms() + 4 * 3_600_000) / 1000).as_str(),
        "{expires} vs {want_expiry}"
    );
    assert_eq!(tgw_expiry(&f, &f.env).await.as_deref(), Some(expires.as_str()));
    let text = f.ctl(&with(&["envs"], &hub_flags(&f.account)));
    expect(&text, 0, "envs");
    assert!(
        text.stdout.contains(&f.env)
            && text.stdout.contains("in 3h59m")
            && text.stdout.contains("RESOURCES")
            && text.stdout.contains("  74  "),
        "{}",
        text.stdout
    );

    // Without the blueprint.
    std::fs::remove_file(f.cli.dir().join("bp.yaml")).unwrap();
    let hub = hub_flags(&f.account);
    let dry = f.ctl(&with(&["destroy", "--env", &f.env, "--dry-run"], &hub));
    expect(&dry, 0, "destroy --dry-run");
    assert!(
        dry.stdout.contains(&format!("Account {}: {} resources", f.account.id(), 74))
            && dry.stdout.contains("  - transit-gateway            1")
            && dry.stdout.contains("74 to destroy")
            && dry.stdout.contains("Dry run: nothing was changed."),
        "{}",
        dry.stdout
    );
    assert_eq!(census(&f.ls, &f.account, &f.env).await, want, "dry run changed nothing");
    let run = f.ctl(&with(&["destroy", "--env", &f.env], &hub));
    expect(&run, 3, "destroy --env without --auto-approve or a terminal");
    let t = Instant::now();
    let run = f.ctl(&with(&["destroy", "--env", &f.env, "--auto-approve"], &hub));
    let destroy_s = t.elapsed().as_secs_f64();
    expect(&run, 0, "destroy --env");
    assert!(run.stdout.contains("74 deleted"), "{}", run.stdout);
    assert!(census(&f.ls, &f.account, &f.env).await.is_empty());
    assert!(!envs(&f).contains_key(&f.env), "the record is deleted");
    assert!(f.lock_item().await.is_none(), "the lock is released");
    let run = f.ctl(&with(&["destroy", "--env", &f.env, "--auto-approve"], &hub));
    expect(&run, 1, "destroy --env of an unknown env");
    assert!(run.stderr.contains(&format!("no record of environment {}", f.env)), "{}", run.stderr);
    eprintln!("destroy --env (74 resources, one account) at time scale {SCALE}: {destroy_s:.1}s");
}

/// RFC 3339 of seconds since the epoch, as airgapctl prints them (the SDK's format).
fn rfc3339(secs: i64) -> String {
    let t = aws_smithy_types::DateTime::from_secs(secs);
    t.fmt(aws_smithy_types::date_time::Format::DateTime).expect("a time of this century")
}

#[tokio::test(flavor = "multi_thread")]
async fn gc_destroys_only_the_expired_environment() {
    let f = fixture("gc").await;
    // Two environments with the same hub account: one expires, one does not.
    let old = format!("{}-old", f.env);
    let old2 = format!("{}-old2", f.env);
    let young = format!("{}-young", f.env);
    std::fs::write(f.cli.dir().join("old.yaml"), blueprint(&old, &f.account, "  ttl: 1m\n"))
        .unwrap();
    std::fs::write(f.cli.dir().join("old2.yaml"), blueprint(&old2, &f.account, "  ttl: 1m\n"))
        .unwrap();
    std::fs::write(f.cli.dir().join("young.yaml"), blueprint(&young, &f.account, "")).unwrap();
    expect(
        &f.ctl(&["apply", "-f", "old.yaml", "--auto-approve"]),
        0,
        "apply old (metadata.ttl 1m)",
    );
    expect(
        &f.ctl(&["apply", "-f", "old2.yaml", "--auto-approve"]),
        0,
        "apply old2 (metadata.ttl 1m)",
    );
    expect(
        &f.ctl(&["apply", "-f", "young.yaml", "--auto-approve", "--ttl", "8h"]),
        0,
        "apply young (--ttl 8h)",
    );
    let want_old = declared(&f, "old.yaml");
    let want_young = declared(&f, "young.yaml");
    assert_eq!(census(&f.ls, &f.account, &old).await, want_old);
    assert_eq!(census(&f.ls, &f.account, &young).await, want_young);
    let hub = hub_flags(&f.account);
    // Nothing expired yet.
    let run = f.ctl(&with(&["gc", "--auto-approve"], &hub));
    expect(&run, 0, "gc before expiry");
    assert!(run.stdout.contains("No expired environments."), "{}", run.stdout);
    assert!(tgw_expiry(&f, &old).await.is_some());
    // A minute passes for the old ones: their records' expiry is moved to the past.
    for env in [&old, &old2] {
        f.ddb()
            .await
            .update_item()
            .table_name(TABLE)
            .key("env", AttributeValue::S(format!("record:{env}")))
            .update_expression("SET expires_at = :e")
            .expression_attribute_values(":e", AttributeValue::N((now_ms() - 1000).to_string()))
            .send()
            .await
            .unwrap();
    }
    let listed = envs(&f);
    assert_eq!(listed[&old]["expired"], true);
    assert_eq!(listed[&young]["expired"], false);

    let run = f.ctl(&with(&["gc", "--dry-run"], &hub));
    expect(&run, 0, "gc --dry-run");
    assert!(
        run.stdout.contains("2 expired environment(s):")
            && run.stdout.contains(&format!("  {old} (owner arn:aws:sts::"))
            && !run.stdout.contains(&format!("  {young} "))
            && run.stdout.contains("74 to destroy")
            && run.stdout.contains("nothing was changed"),
        "{}",
        run.stdout
    );
    assert_eq!(census(&f.ls, &f.account, &old).await, want_old);
    let run = f.ctl(&with(&["gc"], &hub));
    expect(&run, 3, "gc without --auto-approve or a terminal");

    let run = f.ctl(&with(&["gc", "--auto-approve"], &hub));
    expect(&run, 0, "gc");
    // Side by side, each line marked with its environment.
    for env in [&old, &old2] {
        assert!(run.stdout.contains(&format!("[{env}] Destroy complete in ")), "{}", run.stdout);
    }
    assert!(run.stdout.contains("2 of 2 expired environment(s) destroyed"), "{}", run.stdout);
    assert!(census(&f.ls, &f.account, &old).await.is_empty());
    assert!(census(&f.ls, &f.account, &old2).await.is_empty());
    assert_eq!(census(&f.ls, &f.account, &young).await, want_young);
    let listed = envs(&f);
    assert!(!listed.contains_key(&old) && listed.contains_key(&young), "{listed:?}");

    expect(&f.ctl(&["destroy", "-f", "young.yaml", "--auto-approve"]), 0, "destroy young");
    assert!(census(&f.ls, &f.account, &young).await.is_empty());
    assert!(envs(&f).is_empty(), "destroy -f deletes the record too");
}

/// Starts `args` and kills it with SIGKILL at `at`; returns the operations it had
/// reported done then, or None if it ended first.
fn kill_at(f: &Fixture, args: &[&str], at: &KillAt) -> Option<usize> {
    crate::support::kill::kill_at(f.cli.command_env(args, &[("AIRGAP_LOCK_LEASE", "2s")]), at)
        .map(|k| k.done)
}

/// Runs `args` (an apply or a destroy) killed at `at`, and notes in `points` how far it
/// got and how many resources the census finds after it. Returns whether the kill came
/// before the run ended, and that census.
async fn run_killed(
    f: &Fixture,
    args: &[&str],
    at: &KillAt,
    points: &mut Vec<String>,
) -> (bool, BTreeMap<(String, String), usize>) {
    let killed = tokio::task::block_in_place(|| kill_at(f, args, at));
    let found = census(&f.ls, &f.account, &f.env).await;
    points.push(format!(
        "{} {at:?}: {} ({} resources after it)",
        args[0],
        killed.map_or("had ended".into(), |d| format!("killed after {d} done")),
        found.len()
    ));
    (killed.is_some(), found)
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_applies_and_destroys_leave_nothing_behind() {
    let f = fixture("kill").await;
    let want = declared(&f, "bp.yaml");
    let apply = ["apply", "-f", "bp.yaml", "--auto-approve"];
    let destroy = ["destroy", "-f", "bp.yaml", "--auto-approve"];
    // A killed run's lease expires after 2 s; the next run waits for it and takes over.
    let wait = ["--lock-timeout".to_string(), "60s".to_string()];
    let lease = [("AIRGAP_LOCK_LEASE", "2s")];
    let ops = 74;
    let mut points = Vec::new();
    let mut partial = 0;
    // Two kills before the operations start (connecting, locking, observing), then
    // kills after a random number of completed operations, with creates in flight.
    let seeds = [3u64, 5, 11, 23, 37, 41, 53, 67];
    for (i, seed) in seeds.into_iter().enumerate() {
        let mut rng = Rng::new(seed);
        let at = if i < 2 {
            KillAt::Delay(rng.millis(100, 900))
        } else {
            KillAt::Done(rng.next() as usize % ops)
        };
        let (killed, found) = run_killed(&f, &apply, &at, &mut points).await;
        if killed && !found.is_empty() && found.len() < want.len() {
            partial += 1;
        }
        let run = f.cli.run_env(&with(&apply, &wait), &lease);
        expect(&run, 0, &format!("apply after a kill at {at:?} (seed {seed})"));
        let found = census(&f.ls, &f.account, &f.env).await;
        assert_no_duplicates(&found, &format!("seed {seed}"));
        assert_eq!(found, want, "seed {seed}: every declared resource exactly once");
        let plan = f.ctl(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]);
        expect(&plan, 0, &format!("plan after the re-apply (seed {seed})"));
        // Every other destroy is killed too.
        if i % 2 == 1 {
            let at = KillAt::Done(rng.next() as usize % ops);
            run_killed(&f, &destroy, &at, &mut points).await;
        }
        let run = f.cli.run_env(&with(&destroy, &wait), &lease);
        expect(&run, 0, &format!("destroy (seed {seed})"));
        let left = census(&f.ls, &f.account, &f.env).await;
        assert!(left.is_empty(), "seed {seed}: left {left:?}");
    }
    eprintln!("kill points ({}):\n  {}", points.len(), points.join("\n  "));
    assert!(partial >= 3, "kills must hit applies half-way: {points:?}");
}
