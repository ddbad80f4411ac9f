//! `airgapctl iam-policy` and `airgapctl bootstrap`: the deployer role's least-privilege
//! policy derived from the blueprint (the catalogue's IAM declarations of the kinds it
//! uses, `airgap_catalog::iam_policy`), printed, or put on each account's role.

use airgap_aws::bootstrap::{self, RoleSpec};
use airgap_aws::provider::AccountSpec;
use airgap_catalog::iam_policy::{self, AccountPolicy, Options, Purpose, ATTACHED_DEFAULT_MAX};
use airgap_engine::Scope;
use miette::miette;
use serde_json::{json, Value};

use super::{declared, out};
use crate::cli::{BootstrapArgs, Global, IamPolicyArgs, Output, Source};
use crate::exit::{CmdResult, ExitStatus, Failure};

/// The version of the JSON documents; a change that removes or renames a field bumps it.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// The role airgapctl assumes when an account names none.
const DEFAULT_ROLE: &str = "airgap-deployer";

/// One account of the blueprint with its derived policy.
struct Derived {
    name: String,
    role: String,
    policy: AccountPolicy,
}

struct Blueprint {
    env: String,
    region: String,
    accounts: Vec<Derived>,
}

fn derive(args: &IamPolicyArgs) -> Result<Blueprint, Failure> {
    let source =
        Source::aws(args.blueprint.file.clone(), args.blueprint.set.clone(), args.env.clone(), 1.0);
    let d = declared(&source, false)?;
    let bp = d.blueprint.as_ref().expect("-f gives a blueprint");
    let region = bp.metadata.region.value.clone();
    if let Some(name) = &args.account {
        if bp.account(name).is_none() {
            let known: Vec<_> = bp.accounts.iter().map(|a| a.name.value.as_str()).collect();
            return Err(Failure::invalid(miette!(
                help = format!("the blueprint's accounts: {}", known.join(", ")),
                "--account {name}: no such account in the blueprint"
            )));
        }
    }
    let chosen: Vec<_> = bp
        .accounts
        .iter()
        .filter(|a| args.account.as_ref().is_none_or(|n| *n == a.name.value))
        .collect();
    let hub_id = bp.account(&bp.hub.account.value).map(|a| a.id.value.clone()).unwrap_or_default();
    let hub = Scope::new(hub_id, region.clone());
    let scopes: Vec<Scope> =
        chosen.iter().map(|a| Scope::new(a.id.value.clone(), region.clone())).collect();
    let purpose = if args.read_only { Purpose::ReadOnly } else { Purpose::Deploy };
    let policies =
        iam_policy::build(&d.graph, &d.env, &hub, &scopes, Options { purpose, adopt: args.adopt })
            .map_err(|e| Failure::failed(miette!("cannot derive the policy: {e}")))?;
    let accounts = chosen
        .iter()
        .zip(policies)
        .map(|(a, policy)| Derived {
            name: a.name.value.clone(),
            // A role ARN's name is its last segment (a path may precede it).
            role: a
                .role
                .as_ref()
                .map(|r| r.value.rsplit('/').next().unwrap_or(&r.value).to_string())
                .unwrap_or_else(|| DEFAULT_ROLE.to_string()),
            policy,
        })
        .collect();
    Ok(Blueprint { env: d.env, region, accounts })
}

fn sizes(p: &AccountPolicy) -> String {
    p.sizes().iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" + ")
}

/// `airgapctl iam-policy`.
pub fn policy(args: &IamPolicyArgs, output: Output) -> CmdResult {
    let bp = derive(args)?;
    match output {
        Output::Text => {
            let mut text = String::new();
            for a in &bp.accounts {
                let p = &a.policy;
                text.push_str(&format!(
                    "# {} ({}{}): {} managed {} ({} characters of 6144 each), {} actions\n",
                    a.name,
                    p.scope.account,
                    if p.hub { ", hub" } else { "" },
                    p.documents.len(),
                    if p.documents.len() == 1 { "policy" } else { "policies" },
                    sizes(p),
                    p.actions.len()
                ));
                if p.documents.len() > ATTACHED_DEFAULT_MAX {
                    text.push_str(&format!(
                        "# more than the {ATTACHED_DEFAULT_MAX} managed policies a role may attach by default: ask for a higher quota\n"
                    ));
                }
                for (i, doc) in p.documents.iter().enumerate() {
                    text.push_str(&format!("## airgap-{}-deployer-{}\n", bp.env, i + 1));
                    text.push_str(&serde_json::to_string_pretty(doc).expect("JSON"));
                    text.push('\n');
                }
            }
            out(&text);
        }
        Output::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "format_version": JSON_FORMAT_VERSION,
                "env": bp.env,
                "region": bp.region,
                "purpose": if args.read_only { "read-only" } else { "deploy" },
                "accounts": bp.accounts.iter().map(|a| account_json(&bp.env, a)).collect::<Vec<_>>(),
            }))
            .expect("JSON")
        )),
    }
    Ok(ExitStatus::Success)
}

fn account_json(env: &str, a: &Derived) -> Value {
    let p = &a.policy;
    json!({
        "name": a.name,
        "id": p.scope.account,
        "hub": p.hub,
        "role": a.role,
        "kinds": p.kinds,
        "actions": p.actions.len(),
        "reasons": p.reasons,
        "policies": p.documents.iter().zip(p.sizes()).enumerate().map(|(i, (d, n))| json!({
            "name": format!("airgap-{env}-deployer-{}", i + 1),
            "size": n,
            "document": d,
        })).collect::<Vec<_>>(),
    })
}

fn spec(bp: &Blueprint, a: &Derived, args: &BootstrapArgs) -> RoleSpec {
    RoleSpec {
        account: a.policy.scope.account.clone(),
        partition: airgap_catalog::names::partition(&bp.region).to_string(),
        env: bp.env.clone(),
        role_name: a.role.clone(),
        trust: bootstrap::trust_policy(&args.trust, args.external_id.as_deref()),
        permissions_boundary: args.permissions_boundary.clone(),
        documents: a.policy.documents.clone(),
    }
}

/// `airgapctl bootstrap`.
pub async fn bootstrap(args: &BootstrapArgs, global: &Global) -> CmdResult {
    if !args.trust.starts_with("arn:") || !args.trust.contains(":iam::") {
        return Err(Failure::invalid(miette!(
            help = "e.g. --trust arn:aws:iam::999999999999:role/ci or --trust arn:aws:iam::999999999999:root",
            "--trust {}: not an IAM principal ARN",
            args.trust
        )));
    }
    let bp = derive(&args.policy)?;
    if args.print {
        let doc = json!({
            "format_version": JSON_FORMAT_VERSION,
            "env": bp.env,
            "region": bp.region,
            "accounts": bp.accounts.iter().map(|a| {
                let s = spec(&bp, a, args);
                let mut j = account_json(&bp.env, a);
                j["role"] = json!({
                    "name": s.role_name,
                    "arn": s.role_arn(),
                    "trust": s.trust,
                    "permissions_boundary": s.permissions_boundary,
                });
                j["lock_table"] = json!(a.policy.hub);
                j
            }).collect::<Vec<_>>(),
        });
        out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("JSON")));
        return Ok(ExitStatus::Success);
    }
    let accounts: Vec<AccountSpec> = bp
        .accounts
        .iter()
        .map(|a| AccountSpec {
            name: a.name.clone(),
            id: a.policy.scope.account.clone(),
            role: args.via_role.clone(),
            external_id: None,
            session_name: Some(format!("airgapctl-bootstrap-{}", bp.env)),
        })
        .collect();
    let provider = super::connect(global, &bp.region, &accounts, None).await?;
    let mut text = String::new();
    for a in &bp.accounts {
        let s = spec(&bp, a, args);
        let conf = provider.sdk_config(&s.account).expect("connected above");
        let done = bootstrap::ensure(conf, &s)
            .await
            .map_err(|e| Failure::failed(miette!("bootstrap of {}: {e}", a.name)))?;
        text.push_str(&format!(
            "{} ({}): role {} {}; policies: {} created, {} updated, {} unchanged, {} removed\n",
            a.name,
            s.account,
            s.role_name,
            if done.role_created { "created" } else { "updated" },
            done.policies_created,
            done.policies_updated,
            done.policies_unchanged,
            done.policies_removed
        ));
        if a.policy.hub {
            airgap_aws::lock::LockTable::new(conf).ensure().await.map_err(|e| {
                Failure::failed(miette!("bootstrap of {}: the lock table: {e}", a.name))
            })?;
            text.push_str(&format!(
                "{} ({}): lock table {} ready\n",
                a.name,
                s.account,
                airgap_aws::lock::TABLE
            ));
        }
    }
    text.push_str(
        "The blueprint's accounts name these roles (`role:`); IAM may take a few seconds before a new role can be assumed.\n",
    );
    out(&text);
    Ok(ExitStatus::Success)
}
