//! Issue 5 against LocalStack: one environment over a network account and several
//! spoke accounts (assumed roles, the transit gateway shared through RAM, invitations
//! accepted, cross-account attachments accepted by the owner), checked from each
//! account with SDK calls.

use std::collections::BTreeSet;
use std::time::Instant;

use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::{Account, LocalStack, BASE_ACCOUNT};
use aws_sdk_ec2::types::Filter;
use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType};

const SCALE: f64 = 0.01;

/// A runner in its own scratch directory, with the time scale of these tests. Apply's plan-time
/// verification is off: these blueprints are minimal on purpose (no firewall, no endpoint
/// policies), and the air gap is not what they test.
fn cli(ls: &LocalStack, tag: &str) -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_airgapctl"), &format!("accounts-{tag}"), ls.endpoint())
        .env("AIRGAP_TIME_SCALE", &SCALE.to_string())
        .env("AIRGAP_SKIP_VERIFY", "1")
}

/// A spoke VPC of the blueprint: name, account key, CIDR.
struct Spoke<'a>(&'a str, &'a str, &'a str);

fn blueprint(env: &str, accounts: &[(&str, &Account)], spokes: &[Spoke]) -> String {
    let mut s = format!(
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: {env}\n  \
         region: eu-central-1\naccounts:\n"
    );
    for (name, a) in accounts {
        s.push_str(&format!("  {name}: {{ id: \"{}\", role: airgap-deployer }}\n", a.id()));
    }
    s.push_str(
        "availabilityZones: 2\nhub:\n  account: network\n  transitGateway: { asn: 64512 }\n  \
         inspectionVpc: { cidr: 100.64.0.0/22 }\nvpcs:\n",
    );
    for Spoke(name, account, cidr) in spokes {
        s.push_str(&format!(
            "  - name: {name}\n    account: {account}\n    cidr: {cidr}\n    \
             subnets: {{ controlPlane: 28, dataPlane: 22, endpoints: 26, transit: 28 }}\n    \
             endpoints:\n      gateway: [s3]\n      interface: [ecr.api, ecr.dkr, sts]\n"
        ));
    }
    s
}

/// API calls `plan --stats` reports.
fn plan_calls(dir: &Cli) -> u64 {
    let run = dir.run(&["plan", "-f", "bp.yaml", "--stats"]);
    check(&run, 0, "plan --stats");
    run.observe_calls()
}

/// The plan as JSON: (action, node id, account) of every node that changes.
fn changes(dir: &Cli) -> Vec<(String, String, String)> {
    actions(dir).into_iter().filter(|(action, _, _)| action != "no-op").collect()
}

async fn ec2(ls: &LocalStack, a: &Account) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&ls.sdk_config(a).await.expect("assume role"))
}

async fn ram(ls: &LocalStack, a: &Account) -> aws_sdk_ram::Client {
    aws_sdk_ram::Client::new(&ls.sdk_config(a).await.expect("assume role"))
}

fn env_tag(tags: &[aws_sdk_ec2::types::Tag], env: &str) -> bool {
    tags.iter().any(|t| t.key() == Some("airgap:env") && t.value() == Some(env))
}

/// Every resource of `env` that `account` owns, by kind, found with Describe calls
/// (LocalStack's DescribeTags keeps tags of deleted resources, so not that).
async fn sweep(ls: &LocalStack, a: &Account, env: &str) -> Vec<String> {
    // As the account's administrator: some accounts here have no deployer role on purpose.
    let c = aws_sdk_ec2::Client::new(&ls.admin_config(a).await);
    let mut left = Vec::new();
    for v in c.describe_vpcs().send().await.unwrap().vpcs() {
        if env_tag(v.tags(), env) {
            left.push(format!("vpc {}", v.vpc_id().unwrap_or_default()));
        }
    }
    for s in c.describe_subnets().send().await.unwrap().subnets() {
        if env_tag(s.tags(), env) {
            left.push(format!("subnet {}", s.subnet_id().unwrap_or_default()));
        }
    }
    for r in c.describe_route_tables().send().await.unwrap().route_tables() {
        if env_tag(r.tags(), env) {
            left.push(format!("route table {}", r.route_table_id().unwrap_or_default()));
        }
    }
    for g in c.describe_internet_gateways().send().await.unwrap().internet_gateways() {
        if env_tag(g.tags(), env) {
            left.push("internet gateway".into());
        }
    }
    for e in c.describe_addresses().send().await.unwrap().addresses() {
        if env_tag(e.tags(), env) {
            left.push("elastic ip".into());
        }
    }
    for n in c.describe_nat_gateways().send().await.unwrap().nat_gateways() {
        if env_tag(n.tags(), env) && n.state().map(|s| s.as_str()) != Some("deleted") {
            left.push("nat gateway".into());
        }
    }
    for g in c.describe_security_groups().send().await.unwrap().security_groups() {
        if env_tag(g.tags(), env) {
            left.push(format!("security group {}", g.group_id().unwrap_or_default()));
        }
    }
    for t in c.describe_transit_gateways().send().await.unwrap().transit_gateways() {
        if env_tag(t.tags(), env)
            && t.owner_id() == Some(a.id())
            && t.state().map(|s| s.as_str()) != Some("deleted")
        {
            left.push("transit gateway".into());
        }
    }
    for t in c
        .describe_transit_gateway_vpc_attachments()
        .send()
        .await
        .unwrap()
        .transit_gateway_vpc_attachments()
    {
        if env_tag(t.tags(), env)
            && t.vpc_owner_id() == Some(a.id())
            && t.state().map(|s| s.as_str()) != Some("deleted")
        {
            left.push("tgw attachment".into());
        }
    }
    for e in c.describe_vpc_endpoints().send().await.unwrap().vpc_endpoints() {
        let st = e.state().map(|s| s.as_str().to_lowercase());
        if env_tag(e.tags(), env) && st.as_deref() != Some("deleted") {
            left.push("vpc endpoint".into());
        }
    }
    let shares = aws_sdk_ram::Client::new(&ls.admin_config(a).await)
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .send()
        .await
        .unwrap();
    for s in shares.resource_shares() {
        let tagged =
            s.tags().iter().any(|t| t.key() == Some("airgap:env") && t.value() == Some(env));
        if tagged && s.status().map(|s| s.as_str()) != Some("DELETED") {
            left.push("resource share".into());
        }
    }
    left
}

/// Asserts that nothing carrying the env tag is left in `accounts` (after a destroy).
async fn nothing_left(ls: &LocalStack, accounts: &[&Account], env: &str) {
    for a in accounts {
        let left = sweep(ls, a, env).await;
        assert!(left.is_empty(), "left in {}: {left:?}", a.id());
    }
}

fn f(name: &str, v: &str) -> Filter {
    Filter::builder().name(name).values(v).build()
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_and_spokes_across_accounts() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let [net, work, shared, extra] = ls.account_set().await.expect("accounts");
    for a in [&net, &work, &shared, &extra] {
        ls.set_time_scale(a, SCALE).await.unwrap();
    }
    let env = format!("acct{}", &net.id()[..6]);
    let dir = cli(&ls, "hub");
    let accounts = [("network", &net), ("workload", &work), ("shared", &shared), ("extra", &extra)];
    let one = [Spoke("workload", "workload", "10.10.0.0/16")];
    // Only the accounts in use are declared: each declared account is observed.
    dir.write("bp.yaml", &blueprint(&env, &accounts[..2], &one));

    // One spoke account.
    let t = Instant::now();
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply");
    let apply_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let calls_1 = plan_calls(&dir);
    let plan_s = t.elapsed().as_secs_f64();
    let again = dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]);
    check(&again, 0, "second plan");
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);

    // From the network account: the share names the spoke account as principal.
    let net_ram = ram(&ls, &net).await;
    let shares = net_ram
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .name(format!("airgap-{env}-tgw"))
        .send()
        .await
        .unwrap();
    let share = shares.resource_shares().first().expect("the TGW share");
    let share_arn = share.resource_share_arn().unwrap().to_string();
    assert_eq!(share.allow_external_principals(), Some(true));
    let principals = |ram: aws_sdk_ram::Client, arn: String| async move {
        ram.get_resource_share_associations()
            .association_type(ResourceShareAssociationType::Principal)
            .resource_share_arns(arn)
            .send()
            .await
            .unwrap()
            .resource_share_associations()
            .iter()
            .filter(|a| a.status().map(|s| s.as_str()) == Some("ASSOCIATED"))
            .filter_map(|a| a.associated_entity().map(str::to_string))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        principals(net_ram.clone(), share_arn.clone()).await,
        BTreeSet::from([work.id().to_string()])
    );
    // From the spoke: the invitation was accepted.
    let invs = ram(&ls, &work)
        .await
        .get_resource_share_invitations()
        .resource_share_arns(&share_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(invs.resource_share_invitations()[0].status().map(|s| s.as_str()), Some("ACCEPTED"));
    // The attachment is available from both sides.
    let net_ec2 = ec2(&ls, &net).await;
    let work_ec2 = ec2(&ls, &work).await;
    let atts = work_ec2.describe_transit_gateway_vpc_attachments().send().await.unwrap();
    let att = atts
        .transit_gateway_vpc_attachments()
        .iter()
        .find(|a| env_tag(a.tags(), &env) && a.vpc_owner_id() == Some(work.id()))
        .expect("the spoke's attachment");
    let att_id = att.transit_gateway_attachment_id().unwrap().to_string();
    let tgw_id = att.transit_gateway_id().unwrap().to_string();
    assert_eq!(att.state().map(|s| s.as_str()), Some("available"));
    let seen = net_ec2
        .describe_transit_gateway_attachments()
        .transit_gateway_attachment_ids(&att_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.transit_gateway_attachments()[0].state().map(|s| s.as_str()),
        Some("available")
    );
    // Associated with the spoke TGW route table; propagated to the inspection one.
    let rts = net_ec2
        .describe_transit_gateway_route_tables()
        .filters(f("transit-gateway-id", &tgw_id))
        .send()
        .await
        .unwrap();
    let rt_named = |id: &str| {
        rts.transit_gateway_route_tables()
            .iter()
            .find(|t| {
                t.tags().iter().any(|tag| tag.key() == Some("airgap:id") && tag.value() == Some(id))
            })
            .and_then(|t| t.transit_gateway_route_table_id())
            .unwrap_or_else(|| panic!("TGW route table {id}"))
            .to_string()
    };
    let (spoke_rt, insp_rt) = (rt_named("tgw/rt/spoke"), rt_named("tgw/rt/inspection"));
    let assocs = net_ec2
        .get_transit_gateway_route_table_associations()
        .transit_gateway_route_table_id(&spoke_rt)
        .send()
        .await
        .unwrap();
    assert!(assocs
        .associations()
        .iter()
        .any(|a| a.transit_gateway_attachment_id() == Some(att_id.as_str())));
    let props = net_ec2
        .get_transit_gateway_route_table_propagations()
        .transit_gateway_route_table_id(&insp_rt)
        .send()
        .await
        .unwrap();
    assert!(props
        .transit_gateway_route_table_propagations()
        .iter()
        .any(|p| p.transit_gateway_attachment_id() == Some(att_id.as_str())));
    // Spoke route tables (all tiers but transit) send 0.0.0.0/0 to the TGW; no way
    // out of the spoke account other than that.
    let spoke_rts = work_ec2.describe_route_tables().send().await.unwrap();
    let mut defaults = 0;
    for rt in spoke_rts.route_tables() {
        if !env_tag(rt.tags(), &env) {
            continue;
        }
        for r in rt.routes() {
            if r.destination_cidr_block() == Some("0.0.0.0/0") {
                assert_eq!(r.transit_gateway_id(), Some(tgw_id.as_str()));
                defaults += 1;
            }
        }
    }
    assert_eq!(defaults, 6, "3 private tiers x 2 AZs route to the TGW");
    assert!(work_ec2
        .describe_internet_gateways()
        .send()
        .await
        .unwrap()
        .internet_gateways()
        .iter()
        .all(|g| !env_tag(g.tags(), &env)));
    assert!(work_ec2.describe_nat_gateways().send().await.unwrap().nat_gateways().is_empty());

    // Two more spoke accounts: only their resources, shares and acceptances are new.
    let three = [
        Spoke("workload", "workload", "10.10.0.0/16"),
        Spoke("tooling", "shared", "10.20.0.0/20"),
        Spoke("extra", "extra", "10.30.0.0/16"),
    ];
    dir.write("bp.yaml", &blueprint(&env, &accounts, &three));
    let plan = changes(&dir);
    assert!(!plan.is_empty());
    for (action, id, account) in &plan {
        assert_eq!(action, "create", "{id} in {account}");
        let new_account = account == shared.id() || account == extra.id();
        let about_new = ["tooling", "extra", "shared"].iter().any(|n| id.contains(n));
        assert!(new_account || about_new, "{action} {id} in {account}");
    }
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply 3");
    let calls_3 = plan_calls(&dir);
    assert_eq!(
        principals(net_ram.clone(), share_arn.clone()).await,
        BTreeSet::from([work.id().to_string(), shared.id().to_string(), extra.id().to_string()])
    );

    // Removing one detaches and unshares only it.
    let two =
        [Spoke("workload", "workload", "10.10.0.0/16"), Spoke("tooling", "shared", "10.20.0.0/20")];
    dir.write("bp.yaml", &blueprint(&env, &accounts, &two));
    let described =
        ec2(&ls, &extra).await.describe_transit_gateway_attachments().send().await.unwrap();
    let extra_attachments: Vec<&str> = described
        .transit_gateway_attachments()
        .iter()
        .filter(|a| a.resource_owner_id() == Some(extra.id()))
        .filter_map(|a| a.transit_gateway_attachment_id())
        .collect();
    assert!(!extra_attachments.is_empty());
    let plan = changes(&dir);
    assert!(!plan.is_empty());
    for (action, id, account) in &plan {
        assert_eq!(action, "delete", "{id} in {account}");
        // Undeclared routes, links and associations are named after their parent and key
        // (the account, CIDR or attachment), as nothing records their node.
        let about_extra = ["extra", extra.id(), "10.30.0.0/16"]
            .iter()
            .chain(extra_attachments.iter())
            .any(|k| id.contains(k));
        assert!(account == extra.id() || about_extra, "{action} {id} in {account}");
    }
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply 2");
    assert_eq!(
        principals(net_ram.clone(), share_arn.clone()).await,
        BTreeSet::from([work.id().to_string(), shared.id().to_string()])
    );
    assert!(sweep(&ls, &extra, &env).await.is_empty());
    assert!(!sweep(&ls, &shared, &env).await.is_empty());
    check(&dir.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]), 0, "plan after removal");

    // Destroy: nothing tagged is left in any account.
    let t = Instant::now();
    check(&dir.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    let destroy_s = t.elapsed().as_secs_f64();
    nothing_left(&ls, &[&net, &work, &shared, &extra], &env).await;
    eprintln!(
        "hub-spoke at time scale {SCALE}: apply (1 spoke account) {apply_s:.1}s, plan {plan_s:.1}s, \
         destroy (3 accounts) {destroy_s:.1}s; plan API calls: 1 spoke account {calls_1}, \
         3 spoke accounts {calls_3}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_of_another_account_fail_before_any_change() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let declared = ls.fresh_account();
    let dir = cli(&ls, "wrong");
    let env = format!("wrong{}", &declared.id()[..6]);
    // No role: the caller's own credentials are used, and they land in LocalStack's
    // default account, not the declared one. (A role ARN naming another account is
    // refused by validation already, before any call.)
    let text = blueprint(&env, &[("network", &declared)], &[])
        .replace(", role: airgap-deployer", "")
        .replace("vpcs:\n", "vpcs: []\n");
    dir.write("bp.yaml", &text);
    let run = dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]);
    check(&run, 1, "apply with credentials of another account");
    assert!(
        run.stderr.contains(declared.id()) && run.stderr.contains("000000000000"),
        "the error names both accounts: {}",
        run.stderr
    );
    assert!(!run.stdout.contains("Apply complete"), "{}", run.stdout);
    assert!(sweep(&ls, &declared, &env).await.is_empty());
}

/// A declared role that the account does not have, or that does not trust the caller, is
/// refused by STS (403 AccessDenied, as AWS answers both) and airgapctl stops before any
/// change, saying which account's role to check.
#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_is_missing_or_untrusting_fails_before_any_change() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let missing = ls.fresh_account();
    let untrusting = ls.fresh_account();
    ls.create_deployer_role(&untrusting, "arn:aws:iam::123456789012:root")
        .await
        .expect("a role trusting another account");
    for (name, account) in [("missing", &missing), ("untrust", &untrusting)] {
        let dir = cli(&ls, name);
        let env = format!("{name}{}", &account.id()[..6]);
        let text = blueprint(&env, &[("network", account)], &[]).replace("vpcs:\n", "vpcs: []\n");
        dir.write("bp.yaml", &text);
        let run = dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]);
        check(&run, 1, "apply with a role that cannot be assumed");
        let role = account.deployer_role_arn();
        for needle in [
            "cannot assume the role",
            "AccessDenied: User: arn:aws:iam::000000000000:root is not authorized to perform: \
             sts:AssumeRole on resource",
            role.as_str(),
            "check that the role exists in account",
            "accounts.network.role",
        ] {
            assert!(run.stderr.contains(needle), "{needle:?} missing from: {}", run.stderr);
        }
        assert!(!run.stdout.contains("Apply complete"), "{}", run.stdout);
        assert!(sweep(&ls, account, &env).await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dependency_violation_while_deleting_is_waited_out() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let net = ls.account().await.expect("an account");
    ls.set_time_scale(&net, SCALE).await.unwrap();
    let dir = cli(&ls, "depviol");
    let env = format!("dv{}", &net.id()[..6]);
    let text = blueprint(&env, &[("network", &net)], &[]).replace("vpcs:\n", "vpcs: []\n");
    dir.write("bp.yaml", &text);
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply");
    // The first three subnet deletes answer DependencyViolation, as while the ENIs of
    // an endpoint or a NAT are still going away.
    let fault = ls
        .inject_fault(serde_json::json!({
            "service": "ec2",
            "operation": "DeleteSubnet",
            "fault": "dependency_violation",
            "count": 3,
            "account": net.id(),
        }))
        .await
        .expect("fault rule");
    let run = dir.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]);
    check(&run, 0, "destroy through DependencyViolation");
    let rule = ls.lift_fault(&fault).await.expect("the rule is listed");
    assert_eq!(rule["hits"], 3, "every injected failure was met: {rule}");
    assert_eq!(rule["remaining"], 0, "{rule}");
    assert!(sweep(&ls, &net, &env).await.is_empty());
}

/// Every node of the plan as JSON: (action, node id, account), no-ops included.
fn actions(dir: &Cli) -> Vec<(String, String, String)> {
    let run = dir.run(&["plan", "-f", "bp.yaml", "--output", "json"]);
    check(&run, 0, "plan --output json");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    v["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (s(&n["action"]["action"]), s(&n["id"]), s(&n["scope"]["account"]))
        })
        .collect()
}

/// Issue 14, bug 1: the principal account observes its acceptance of the invitation
/// without `GetResourceShares(resourceOwner=OTHER-ACCOUNTS, tagFilters=...)`, which AWS
/// refuses (400 InvalidParameterException, recorded in terraform-provider-aws#40970; the
/// emulator refuses it the same way).
#[tokio::test(flavor = "multi_thread")]
async fn invitation_acceptance_is_observed_in_the_principal_account() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let [net, work] = ls.account_set().await.expect("accounts");
    for a in [&net, &work] {
        ls.set_time_scale(a, SCALE).await.unwrap();
    }
    let env = format!("inv{}", &net.id()[..6]);
    let dir = cli(&ls, "accept");
    dir.write(
        "bp.yaml",
        &blueprint(
            &env,
            &[("network", &net), ("workload", &work)],
            &[Spoke("workload", "workload", "10.10.0.0/16")],
        ),
    );
    // Before anything exists, the principal account is observed too (nothing found).
    let before = actions(&dir);
    assert!(before
        .iter()
        .any(|(a, id, acct)| a == "create" && id == "ram/accept/workload" && acct == work.id()));
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply");
    // After the apply, the acceptance is found again in the workload account: no-op.
    let after = actions(&dir);
    let accept: Vec<_> = after.iter().filter(|(_, id, _)| id == "ram/accept/workload").collect();
    assert_eq!(
        accept,
        [&("no-op".to_string(), "ram/accept/workload".to_string(), work.id().to_string())],
        "{after:?}"
    );
    let changed: Vec<_> = after.iter().filter(|(a, _, _)| a != "no-op").collect();
    assert!(changed.is_empty(), "a plan after apply changes {changed:?}");
    check(&dir.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    nothing_left(&ls, &[&net, &work], &env).await;
}

/// Issue 14, point 12: `ram.organization: true`. The network account manages an AWS
/// Organization with sharing through RAM enabled, and the workload account is one of its
/// accounts: the share is closed to outside principals (`allowExternalPrincipals: false`),
/// the workload account is associated without an invitation and nothing accepts one; the
/// environment applies, plans empty, and destroys.
#[tokio::test(flavor = "multi_thread")]
async fn organization_mode_shares_without_invitations() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let net = ls.account().await.expect("an account");
    let net_config = ls.sdk_config(&net).await.expect("assume role");
    let org = aws_sdk_organizations::Client::new(&net_config);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("an organization");
    let made = org
        .create_account()
        .email("workload@example.com")
        .account_name("workload")
        .send()
        .await
        .expect("an account in it");
    let request = made.create_account_status().and_then(|s| s.id()).unwrap_or_default();
    let status = org
        .describe_create_account_status()
        .create_account_request_id(request)
        .send()
        .await
        .expect("its status");
    let work_id = status.create_account_status().and_then(|s| s.account_id()).unwrap_or_default();
    let work = Account::new(work_id).expect("a 12-digit account id");
    // The organization's new account gets its deployer role as a platform team would add it
    // (Organizations itself only creates OrganizationAccountAccessRole there).
    ls.create_deployer_role(&work, &format!("arn:aws:iam::{BASE_ACCOUNT}:root"))
        .await
        .expect("the deployer role");
    let net_ram = aws_sdk_ram::Client::new(&net_config);
    net_ram.enable_sharing_with_aws_organization().send().await.expect("sharing enabled");
    for a in [&net, &work] {
        ls.set_time_scale(a, SCALE).await.unwrap();
    }
    let env = format!("org{}", &net.id()[..6]);
    let dir = cli(&ls, "org");
    let text = blueprint(
        &env,
        &[("network", &net), ("workload", &work)],
        &[Spoke("workload", "workload", "10.10.0.0/16")],
    )
    .replace(
        "hub:\n  account: network\n",
        "hub:\n  account: network\n  ram: { organization: true }\n",
    );
    assert!(text.contains("organization: true"));
    dir.write("bp.yaml", &text);
    let planned = actions(&dir);
    assert!(!planned.iter().any(|(_, id, _)| id.starts_with("ram/accept/")), "{planned:?}");
    check(&dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]), 0, "apply");

    let shares = net_ram
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .send()
        .await
        .unwrap();
    let share = shares
        .resource_shares()
        .iter()
        .find(|s| s.tags().iter().any(|t| t.key() == Some("airgap:env") && t.value() == Some(&env)))
        .expect("the environment's share");
    assert_eq!(share.allow_external_principals(), Some(false));
    let links = net_ram
        .get_resource_share_associations()
        .association_type(ResourceShareAssociationType::Principal)
        .resource_share_arns(share.resource_share_arn().unwrap_or_default())
        .send()
        .await
        .unwrap();
    let links: Vec<_> = links
        .resource_share_associations()
        .iter()
        .map(|a| {
            (
                a.associated_entity().unwrap_or_default(),
                a.status().map(|s| s.as_str()),
                a.external(),
            )
        })
        .collect();
    assert_eq!(links, [(work.id(), Some("ASSOCIATED"), Some(false))]);
    let work_ram = aws_sdk_ram::Client::new(&ls.sdk_config(&work).await.expect("assume role"));
    let invitations = work_ram.get_resource_share_invitations().send().await.unwrap();
    assert!(invitations.resource_share_invitations().is_empty(), "no invitation");

    let changed = changes(&dir);
    assert!(changed.is_empty(), "a plan after apply changes {changed:?}");
    check(&dir.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
    nothing_left(&ls, &[&net, &work], &env).await;
}

/// Asserts a run's exit code, with its output when it differs.
#[track_caller]
fn check(run: &Run, code: i32, what: &str) {
    run.check(code, what);
}
