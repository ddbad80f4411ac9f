//! Issue 14, bug 2, against LocalStack: the shared account's ECR repositories let the node
//! roles of the environment's clusters (in another account) pull, nothing more. Without a
//! repository policy only the owning account may pull, and the nodes get 403.
//!
//! The emulator refuses a repository policy naming a role that does not exist, as AWS does
//! (400 InvalidParameterException "... 'Principal not found'", recorded in
//! hashicorp/terraform-provider-aws#39064), so the policy must follow the node role.

use std::collections::BTreeSet;

use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::{Account, LocalStack};

const SCALE: f64 = 0.01;
const REPOS: [&str; 2] = ["mirror/nginx", "mirror/busybox"];
const PULL: [&str; 3] =
    ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

fn blueprint(env: &str, net: &Account, work: &Account, shared: &Account) -> String {
    format!(
        r#"apiVersion: airgapctl.dev/v1alpha1
kind: Environment
metadata:
  name: {env}
  region: eu-central-1
accounts:
  network: {{ id: "{net}", role: airgap-deployer }}
  workload: {{ id: "{work}", role: airgap-deployer }}
  shared: {{ id: "{shared}", role: airgap-deployer }}
availabilityZones: 2
hub:
  account: network
  inspectionVpc: {{ cidr: 100.64.0.0/22 }}
vpcs:
  - name: workload
    account: workload
    cidr: 10.10.0.0/16
    subnets: {{ controlPlane: 28, dataPlane: 22, endpoints: 26, transit: 28 }}
    endpoints:
      gateway: [s3]
      interface: [ec2, ecr.api, ecr.dkr, sts]
clusters:
  - name: apps
    vpc: workload
    apiAccessCidrs: [10.10.0.0/16]
    nodegroups:
      - name: general
        instanceTypes: [m6i.large]
        scaling: {{ min: 1, desired: 1, max: 2 }}
        amiType: AL2023_x86_64_STANDARD
registries:
  account: shared
  repositories: [{repos}]
  lifecycle:
    rules:
      - rulePriority: 1
        description: keep the 50 newest release tags
        selection: {{ tagStatus: tagged, tagPatternList: ["v*"], countType: imageCountMoreThan, countNumber: 50 }}
        action: {{ type: expire }}
"#,
        net = net.id(),
        work = work.id(),
        shared = shared.id(),
        repos = REPOS.join(", ")
    )
}

/// A repository's policy as (principals, actions), with every other element of its one
/// statement; `None` without a policy.
async fn pull_grant(
    ecr: &aws_sdk_ecr::Client,
    repo: &str,
) -> Option<(BTreeSet<String>, BTreeSet<String>, serde_json::Value)> {
    let text = match ecr.get_repository_policy().repository_name(repo).send().await {
        Ok(o) => o.policy_text().unwrap_or_default().to_string(),
        Err(e) => {
            let code = aws_sdk_ecr::error::ProvideErrorMetadata::code(&e).map(str::to_string);
            assert_eq!(code.as_deref(), Some("RepositoryPolicyNotFoundException"), "{e:?}");
            return None;
        }
    };
    let doc: serde_json::Value = serde_json::from_str(&text).expect("policy JSON");
    let statements = doc["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 1, "one statement: {doc}");
    let st = statements[0].clone();
    let set = |v: &serde_json::Value| -> BTreeSet<String> {
        match v {
            serde_json::Value::String(s) => BTreeSet::from([s.clone()]),
            serde_json::Value::Array(a) => {
                a.iter().map(|x| x.as_str().unwrap().to_string()).collect()
            }
            other => panic!("not a string or list: {other}"),
        }
    };
    Some((set(&st["Principal"]["AWS"]), set(&st["Action"]), st))
}

/// LocalStack, three fresh accounts (network, workload, shared) at [`SCALE`], the
/// environment's name (`<prefix><digits>`), and a CLI directory `name`. The blueprints
/// here are minimal on purpose (no firewall): these tests are not about the egress path,
/// so apply's plan-time verification is off, as with --skip-verify.
async fn fixture(prefix: &str, name: &str) -> (LocalStack, [Account; 3], String, Cli) {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let accounts = ls.account_set().await.expect("accounts");
    for a in &accounts {
        ls.set_time_scale(a, SCALE).await.unwrap();
    }
    let env = format!("{prefix}{}", &accounts[0].id()[..6]);
    let dir = Cli::new(env!("CARGO_BIN_EXE_airgapctl"), name, ls.endpoint())
        .env("AIRGAP_TIME_SCALE", &SCALE.to_string())
        .env("AIRGAP_SKIP_VERIFY", "1");
    (ls, accounts, env, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_repositories_let_the_node_roles_pull() {
    let (ls, [net, work, shared], env, dir) = fixture("reg", "registry").await;
    dir.write("bp.yaml", &blueprint(&env, &net, &work, &shared));

    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply");

    // The node role airgapctl made for the cluster, in the workload account.
    let iam = aws_sdk_iam::Client::new(&ls.sdk_config(&work).await.unwrap());
    let roles = iam.list_roles().path_prefix(format!("/airgap/{env}/")).send().await.unwrap();
    let node_role = roles
        .roles()
        .iter()
        .find(|r| r.role_name() == format!("airgap-{env}-apps-node"))
        .unwrap_or_else(|| panic!("the node role among {:?}", roles.roles()))
        .arn()
        .to_string();

    let ecr = aws_sdk_ecr::Client::new(&ls.sdk_config(&shared).await.unwrap());
    let pull: BTreeSet<String> = PULL.iter().map(|s| s.to_string()).collect();
    for repo in REPOS {
        let (principals, actions, st) = pull_grant(&ecr, repo)
            .await
            .unwrap_or_else(|| panic!("{repo} has a repository policy"));
        assert_eq!(principals, BTreeSet::from([node_role.clone()]), "{repo}");
        assert_eq!(actions, pull, "{repo}: pull, nothing more");
        assert_eq!(st["Effect"], "Allow", "{st}");
        let keys: BTreeSet<&str> = st.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, BTreeSet::from(["Action", "Effect", "Principal", "Sid"]), "{st}");
    }

    // The workload VPC declares no endpoint policy: ECR's interface endpoints got the ones
    // made from `registries`, which let pulls reach exactly the environment's repositories
    // (as ECR itself names them) and EKS's add-on images; the S3 gateway only the layer
    // bucket.
    let described = ecr.describe_repositories().send().await.unwrap();
    let repo_arns: BTreeSet<String> = described
        .repositories()
        .iter()
        .filter_map(|r| r.repository_arn().map(str::to_string))
        .collect();
    assert_eq!(repo_arns.len(), REPOS.len(), "{repo_arns:?}");
    let ec2 = aws_sdk_ec2::Client::new(&ls.sdk_config(&work).await.unwrap());
    let endpoints = ec2.describe_vpc_endpoints().send().await.unwrap();
    let policy_of = |suffix: &str| -> serde_json::Value {
        let ep = endpoints
            .vpc_endpoints()
            .iter()
            .find(|e| e.service_name().is_some_and(|n| n.ends_with(suffix)))
            .unwrap_or_else(|| panic!("an endpoint for {suffix}"));
        serde_json::from_str(ep.policy_document().expect("a policy document")).expect("JSON")
    };
    for svc in [".ecr.api", ".ecr.dkr"] {
        let doc = policy_of(svc);
        let mut named = BTreeSet::new();
        let mut addons = BTreeSet::new();
        for st in doc["Statement"].as_array().unwrap() {
            assert_eq!(st["Effect"], "Allow", "{st}");
            let resources: Vec<String> = match &st["Resource"] {
                serde_json::Value::String(r) => vec![r.clone()],
                serde_json::Value::Array(a) => {
                    a.iter().map(|r| r.as_str().unwrap().to_string()).collect()
                }
                other => panic!("Resource {other}"),
            };
            for r in resources {
                if r == "*" {
                    assert_eq!(
                        st["Action"],
                        serde_json::json!(["ecr:GetAuthorizationToken"]),
                        "{st}"
                    );
                } else if r.contains(":602401143452:") {
                    addons.insert(r);
                } else {
                    let actions: BTreeSet<String> = st["Action"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(actions, pull, "{svc}: pull only, from the workload account");
                    named.insert(r);
                }
            }
        }
        assert_eq!(named, repo_arns, "{svc} names exactly the repositories: {doc}");
        assert_eq!(
            addons,
            BTreeSet::from(["arn:aws:ecr:eu-central-1:602401143452:repository/*".to_string()]),
            "{svc}: {doc}"
        );
    }
    assert_eq!(
        policy_of(".s3")["Statement"][0]["Resource"],
        serde_json::json!(["arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*"])
    );

    // Every repository has the blueprint's lifecycle policy.
    let lifecycle = |repo: &'static str| {
        let ecr = ecr.clone();
        async move {
            match ecr.get_lifecycle_policy().repository_name(repo).send().await {
                Ok(o) => Some(
                    serde_json::from_str::<serde_json::Value>(o.lifecycle_policy_text().unwrap())
                        .unwrap(),
                ),
                Err(e) => {
                    let code = aws_sdk_ecr::error::ProvideErrorMetadata::code(&e);
                    assert_eq!(code, Some("LifecyclePolicyNotFoundException"), "{e:?}");
                    None
                }
            }
        }
    };
    let want = serde_json::json!({"rules": [{
        "rulePriority": 1,
        "description": "keep the 50 newest release tags",
        "selection": {"tagStatus": "tagged", "tagPatternList": ["v*"],
                      "countType": "imageCountMoreThan", "countNumber": 50},
        "action": {"type": "expire"},
    }]});
    for repo in REPOS {
        assert_eq!(lifecycle(repo).await, Some(want.clone()), "{repo}");
    }

    // A plan after the apply is clean: the policy read back is not drift.
    let again = dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]);
    check(&again, 0, "plan after apply");
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);

    // Someone widens one repository's policy: the plan shows it, the apply takes it back.
    let widened = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": [node_role.clone()] },
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                       "ecr:BatchCheckLayerAvailability", "ecr:PutImage"],
        }],
    });
    ecr.set_repository_policy()
        .repository_name(REPOS[0])
        .policy_text(widened.to_string())
        .send()
        .await
        .unwrap();
    let drift = dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]);
    check(&drift, 2, "plan after a policy change");
    assert!(drift.stdout.contains(&format!("registry/{}", REPOS[0])), "{}", drift.stdout);
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply to correct the drift");
    let (principals, actions, _) = pull_grant(&ecr, REPOS[0]).await.expect("policy");
    assert_eq!(principals, BTreeSet::from([node_role.clone()]));
    assert_eq!(actions, pull);
    // A deleted policy is drift too, and so is a deleted lifecycle policy.
    ecr.delete_repository_policy().repository_name(REPOS[1]).send().await.unwrap();
    ecr.delete_lifecycle_policy().repository_name(REPOS[0]).send().await.unwrap();
    check(
        &dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]),
        2,
        "plan after the policy was deleted",
    );
    check(
        &dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]),
        0,
        "apply to restore the policy",
    );
    assert!(pull_grant(&ecr, REPOS[1]).await.is_some());
    assert_eq!(lifecycle(REPOS[0]).await, Some(want.clone()), "the lifecycle policy is back");
    check(
        &dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]),
        0,
        "plan after the corrections",
    );

    check(&dir.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    let left = ecr.describe_repositories().send().await.unwrap();
    assert!(left.repositories().is_empty(), "repositories left: {:?}", left.repositories());
}

#[track_caller]
fn check(run: &Run, code: i32, what: &str) {
    run.check(code, what);
}

/// The registry's scanning configuration as (scan type, rules of (frequency, filters)).
async fn scanning(ecr: &aws_sdk_ecr::Client) -> (String, Vec<(String, Vec<String>)>) {
    let out = ecr.get_registry_scanning_configuration().send().await.unwrap();
    let conf = out.scanning_configuration().expect("a configuration");
    let rules = conf
        .rules()
        .iter()
        .map(|r| {
            let filters = r.repository_filters().iter().map(|f| f.filter().to_string()).collect();
            (r.scan_frequency().as_str().to_string(), filters)
        })
        .collect();
    (conf.scan_type().map(|t| t.as_str().to_string()).unwrap_or_default(), rules)
}

async fn put_scanning(ecr: &aws_sdk_ecr::Client, scan_type: &str, rules: &[(&str, &[&str])]) {
    use aws_sdk_ecr::types::{
        RegistryScanningRule, ScanFrequency, ScanType, ScanningRepositoryFilter,
        ScanningRepositoryFilterType,
    };
    let rules = rules
        .iter()
        .map(|(f, filters)| {
            let filters = filters
                .iter()
                .map(|x| {
                    ScanningRepositoryFilter::builder()
                        .filter(*x)
                        .filter_type(ScanningRepositoryFilterType::Wildcard)
                        .build()
                        .unwrap()
                })
                .collect();
            RegistryScanningRule::builder()
                .scan_frequency(ScanFrequency::from(*f))
                .set_repository_filters(Some(filters))
                .build()
                .unwrap()
        })
        .collect();
    ecr.put_registry_scanning_configuration()
        .scan_type(ScanType::from(scan_type))
        .set_rules(Some(rules))
        .send()
        .await
        .unwrap();
}

fn rules(r: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    r.iter().map(|(f, fs)| (f.to_string(), fs.iter().map(|x| x.to_string()).collect())).collect()
}

/// `registries.scanning: enhanced` (issue 17): the environment's repositories join an
/// ENHANCED registry's CONTINUOUS_SCAN rule, beside a rule that is not the environment's
/// (kept through apply, drift repair and destroy); a filter taken out by hand is drift
/// that apply puts back; destroy takes out only the environment's filters.
#[tokio::test(flavor = "multi_thread")]
async fn enhanced_scanning_shares_the_registry_configuration() {
    let (ls, [net, work, shared], env, dir) = fixture("scan", "registry-scanning").await;
    let full = blueprint(&env, &net, &work, &shared);
    // No cluster: this test is about the registry.
    let (head, tail) = full.split_once("clusters:\n").unwrap();
    let tail = &tail[tail.find("registries:").unwrap()..];
    let text = format!("{head}{tail}").replace(
        &format!("  repositories: [{}]\n", REPOS.join(", ")),
        &format!("  repositories: [{}]\n  scanning: enhanced\n", REPOS.join(", ")),
    );
    assert!(text.contains("scanning: enhanced") && !text.contains("clusters:"), "{text}");
    dir.write("bp.yaml", &text);

    let ecr = aws_sdk_ecr::Client::new(&ls.sdk_config(&shared).await.unwrap());
    // Another team's repositories, scanned on push by Inspector: not the environment's.
    put_scanning(&ecr, "ENHANCED", &[("SCAN_ON_PUSH", &["team/*"])]).await;

    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply");
    let ours: &[&str] = &["mirror/busybox", "mirror/nginx"];
    assert_eq!(
        scanning(&ecr).await,
        (
            "ENHANCED".to_string(),
            rules(&[("SCAN_ON_PUSH", &["team/*"]), ("CONTINUOUS_SCAN", ours)])
        )
    );
    check(&dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]), 0, "plan after apply");

    // One filter taken out by hand: drift, put back by apply, the other rule untouched.
    put_scanning(
        &ecr,
        "ENHANCED",
        &[("SCAN_ON_PUSH", &["team/*"]), ("CONTINUOUS_SCAN", &["mirror/busybox"])],
    )
    .await;
    let drift = dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]);
    check(&drift, 2, "plan after a filter was removed");
    assert!(drift.stdout.contains("ecr/scanning"), "{}", drift.stdout);
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply to restore");
    assert_eq!(
        scanning(&ecr).await.1,
        rules(&[("SCAN_ON_PUSH", &["team/*"]), ("CONTINUOUS_SCAN", ours)])
    );

    check(&dir.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    assert_eq!(
        scanning(&ecr).await,
        ("ENHANCED".to_string(), rules(&[("SCAN_ON_PUSH", &["team/*"])])),
        "destroy keeps what is not the environment's"
    );
}
