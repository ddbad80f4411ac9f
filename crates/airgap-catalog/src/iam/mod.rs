//! The IAM actions each kind's operations call, with the resources and condition keys
//! that scope them where AWS supports it. `airgapctl iam-policy` and `bootstrap` build a
//! deployer role's policy from these declarations for the kinds a blueprint uses, so the
//! role may do what airgapctl calls and little else.
//!
//! Sources: the Service Authorization Reference
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/>), one page per
//! service ("Actions, resources, and condition keys for Amazon EC2", ...), which says for
//! every action which resource types it authorizes against and which condition keys
//! apply. An action whose row lists no resource type takes only `"*"`; the grant says so
//! in `why`. Every resource type an action authorizes against gets a grant: the required
//! ones (`ec2:CreateSubnet` needs the new `subnet` and the `vpc`), and the optional ones
//! the request names (the subnet and address of `ec2:CreateNatGateway`). Where the
//! reference lists dependent actions (`ec2:CreateTags` for a create that tags,
//! `ecr:TagResource`, `kms:TagResource`, `iam:CreateServiceLinkedRole`), they are granted
//! too.
//!
//! Each phase lists every call it makes, reads included: a create's lookup by tag and its
//! readiness polls are create's, a delete's wait until gone is delete's. Placeholders in
//! resources and condition values, filled per account by the policy builder:
//! `{partition}`, `{region}`, `{account}` (the account the role lives in), `{env}` (the
//! environment's name).
//!
//! How grants are scoped:
//! - Writes on what the environment made carry a tag condition: [`REQUEST_TAG`] where the
//!   call creates (every create sends the standard tags), [`RESOURCE_TAG`] where it acts
//!   on something that carries them. Names that airgapctl derives from the environment
//!   narrow the ARN as well (`/airgap/{env}/` roles, `airgap-{env}-` firewall resources,
//!   `{env}-` clusters, `alias/airgap/{env}/`, log groups under the env's prefix).
//! - Reads carry no tag condition: observe and the lookups before a create read
//!   resources before anyone knows whose they are (other environments', hand-made ones,
//!   or nothing yet), and a denial would fail the plan.
//! - A call on what the same step created moments earlier (the VPC's DNS attributes after
//!   CreateVpc, the key rotation after CreateKey, retried while the new id is not visible:
//!   `kit/fresh.rs`) is scoped by ARN only: whether authorization already sees the new
//!   resource's tags then is not documented, and a denial would fail the create.
//! - What another account owns or tagged (the transit gateway shared through RAM, a
//!   spoke's attachment as the hub sees it, a RAM invitation) has `*` as the account of
//!   its ARN and no tag condition: its tags are the owner's and not visible here.
//!
//! A few kinds call with the credentials of another account of the environment (the
//! RAM invitation accepter reads the owner's share associations; a Route 53 association
//! has the zone's owner authorize it): their grants are written for whichever account
//! makes the call, so the builder grants such a kind in the accounts on both sides.

/// When a kind's grants are needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Reading what exists: `plan`, and the lookups before every change.
    Observe,
    /// Creating, waiting until ready, tagging.
    Create,
    /// Changing in place.
    Update,
    /// Deleting and waiting until gone (`destroy`, and `apply` of a removed or replaced node).
    Delete,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Observe, Phase::Create, Phase::Update, Phase::Delete];
}

/// One condition of a grant: `{"<op>": {"<key>": [values]}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cond {
    pub op: &'static str,
    pub key: &'static str,
    pub values: &'static [&'static str],
}

/// Only requests that tag what they create with the environment's tag.
pub const REQUEST_TAG: Cond =
    Cond { op: "StringEquals", key: "aws:RequestTag/airgap:env", values: &["{env}"] };
/// Only resources that carry the environment's tag.
pub const RESOURCE_TAG: Cond =
    Cond { op: "StringEquals", key: "aws:ResourceTag/airgap:env", values: &["{env}"] };

/// Only resources that carry no environment's tag yet (IAM's `Null` operator: the key is
/// absent), so tagging one cannot take another environment's.
pub const NOT_TAGGED: Cond =
    Cond { op: "Null", key: "aws:ResourceTag/airgap:env", values: &["true"] };

/// EC2's tag-on-create: `ec2:CreateTags` only as part of these create actions
/// ("Grant permission to tag Amazon EC2 resources during creation", EC2 user guide).
const fn created_by(actions: &'static [&'static str]) -> Cond {
    Cond { op: "StringEquals", key: "ec2:CreateAction", values: actions }
}

/// Only requests whose tag keys are all among `keys` (patterns).
const fn only_tag_keys(keys: &'static [&'static str]) -> Cond {
    Cond { op: "ForAllValues:StringLike", key: "aws:TagKeys", values: keys }
}

/// `iam:CreateServiceLinkedRole` for this service's role only.
const fn service_linked(service: &'static [&'static str]) -> Cond {
    Cond { op: "StringEquals", key: "iam:AWSServiceName", values: service }
}

/// Actions allowed on resources, under conditions (all of which must hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub actions: &'static [&'static str],
    /// ARN patterns with placeholders, or `"*"`.
    pub resources: &'static [&'static str],
    pub conditions: &'static [Cond],
    /// Why the grant is no narrower (empty when it is as narrow as AWS allows).
    pub why: &'static str,
}

impl Grant {
    /// Actions that authorize against no resource type: only `"*"` is possible.
    pub const fn any(actions: &'static [&'static str], why: &'static str) -> Grant {
        Grant { actions, resources: &["*"], conditions: &[], why }
    }

    /// Actions on resources (ARN patterns), without conditions yet.
    pub const fn on(actions: &'static [&'static str], resources: &'static [&'static str]) -> Grant {
        Grant { actions, resources, conditions: &[], why: "" }
    }

    /// The grant under `conditions`.
    pub const fn when(self, conditions: &'static [Cond]) -> Grant {
        Grant { actions: self.actions, resources: self.resources, conditions, why: self.why }
    }

    /// The grant with the reason it is no narrower.
    pub const fn because(self, why: &'static str) -> Grant {
        Grant { actions: self.actions, resources: self.resources, conditions: self.conditions, why }
    }
}

/// The grants of one kind (a catalogue name) or of one piece of airgapctl that is not a
/// kind (the lock table, the environment record, ...), per phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permissions {
    pub name: &'static str,
    pub observe: &'static [Grant],
    pub create: &'static [Grant],
    pub update: &'static [Grant],
    pub delete: &'static [Grant],
}

impl Permissions {
    pub fn phase(&self, phase: Phase) -> &'static [Grant] {
        match phase {
            Phase::Observe => self.observe,
            Phase::Create => self.create,
            Phase::Update => self.update,
            Phase::Delete => self.delete,
        }
    }
}

// --- Reasons shared by many grants ------------------------------------------------------

const EC2_DESCRIBE_WHY: &str = "EC2's Describe actions support no resource-level permissions";
const NO_RESOURCE_WHY: &str =
    "the action authorizes against no resource type (Service Authorization Reference)";
const READ_WHY: &str = "a read: observe and the lookups before a create read resources \
     before anyone knows whose they are, so no tag condition";
const FRESH_WHY: &str = "called on what this step created moments earlier (retried while \
     its id is not visible, kit/fresh.rs): whether authorization already sees its tags is \
     not documented, so scoped by ARN only";
const SHARED_TGW_WHY: &str = "a spoke attaches to the hub's transit gateway, shared through \
     RAM: its ARN names the owner's account and its tags are the owner's, not visible here";
const FOREIGN_ATTACHMENT_WHY: &str = "in the hub, a spoke's attachment is the spoke's: its ARN \
     may name the spoke's account, and the tags the spoke wrote are not visible to the hub";
const REFERENCED_WHY: &str = "what the change detaches or removes is whatever observe found \
     attached, possibly not the environment's (a hand-made change): scoped by ARN only";
/// The marks earlier versions wrote on a parent (`tags::legacy_marks`), which an update
/// removes.
const LEGACY_MARKS: Cond = only_tag_keys(&[
    "airgap:route:*",
    "airgap:assoc:*",
    "airgap:prop:*",
    "airgap:rule:*",
    "airgap:accept:*",
]);

mod access;
mod ec2;
mod services;
mod support;

pub use access::*;
pub use ec2::*;
pub use services::*;
pub use support::*;

use crate::refs;

/// Every kind's permissions, one per catalogue entry.
pub const KINDS: &[&Permissions] = crate::every_kind!(refs);

/// The permissions of a kind.
pub fn of(kind: &str) -> Option<&'static Permissions> {
    KINDS.iter().copied().find(|p| p.name == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> impl Iterator<Item = &'static Permissions> {
        KINDS.iter().chain(HUB_SUPPORT).chain(EVERY_SUPPORT).copied()
    }

    fn all_grants() -> impl Iterator<Item = (&'static str, Phase, &'static Grant)> {
        entries().flat_map(|p| {
            Phase::ALL
                .into_iter()
                .flat_map(move |ph| p.phase(ph).iter().map(move |g| (p.name, ph, g)))
        })
    }

    #[test]
    fn every_kind_of_the_catalogue_has_its_permissions() {
        let missing: Vec<_> =
            crate::ALL.iter().map(|k| k.name).filter(|n| of(n).is_none()).collect();
        assert!(missing.is_empty(), "kinds without IAM permissions: {missing:?}");
        for p in KINDS {
            assert!(crate::get(p.name).is_some(), "{} is not a catalogue kind", p.name);
        }
        let mut names: Vec<_> = entries().map(|p| p.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "an entry name twice: {names:?}");
    }

    #[test]
    fn actions_and_resources_are_well_formed() {
        const SERVICES: &[&str] = &[
            "ec2",
            "eks",
            "network-firewall",
            "ram",
            "iam",
            "kms",
            "logs",
            "ecr",
            "route53",
            "dynamodb",
            "sts",
            "elasticloadbalancing",
            "acm",
            "secretsmanager",
            "route53resolver",
            "inspector2",
        ];
        for (name, _, g) in all_grants() {
            assert!(!g.actions.is_empty() && !g.resources.is_empty(), "{name}: empty grant");
            for a in g.actions {
                let (svc, act) = a.split_once(':').unwrap_or_default();
                assert!(
                    SERVICES.contains(&svc)
                        && act.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                        && act.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{name}: {a} is not service:Action"
                );
            }
            for r in g.resources {
                assert!(*r == "*" || r.starts_with("arn:{partition}:"), "{name}: resource {r}");
                if *r == "*" {
                    assert!(!g.why.is_empty(), "{name}: {:?} on * without a reason", g.actions);
                }
                // Only the placeholders the policy builder fills.
                let mut rest = *r;
                while let Some(i) = rest.find('{') {
                    let end = rest[i..].find('}').map(|j| i + j + 1).unwrap_or(rest.len());
                    let p = &rest[i..end];
                    assert!(
                        ["{partition}", "{region}", "{account}", "{env}"].contains(&p),
                        "{name}: placeholder {p} in {r}"
                    );
                    rest = &rest[end..];
                }
                // IAM and Route 53 are global: no region in their ARNs.
                for (svc, global) in
                    [("iam", "arn:{partition}:iam::"), ("route53", "arn:{partition}:route53:::")]
                {
                    if r.split(':').nth(2) == Some(svc) {
                        assert!(r.starts_with(global), "{name}: {r} names a region");
                    }
                }
            }
            // A grant without conditions says why it is no narrower.
            if g.conditions.is_empty() {
                assert!(
                    !g.why.is_empty(),
                    "{name}: {:?} unconditioned without a reason",
                    g.actions
                );
            }
            for c in g.conditions {
                assert!(!c.values.is_empty(), "{name}: condition {} without values", c.key);
            }
        }
    }

    #[test]
    fn no_action_is_both_on_star_and_on_an_arn_in_one_phase() {
        // "*" beside an ARN for the same action: either the ARN grant is useless or the
        // action authorizes against a resource type and "*" gives it every one.
        for p in entries() {
            for ph in Phase::ALL {
                let grants = p.phase(ph);
                for g in grants.iter().filter(|g| g.resources.contains(&"*")) {
                    for a in g.actions {
                        let on_arn = grants.iter().any(|o| {
                            o.actions.contains(a) && o.resources.iter().any(|r| *r != "*")
                        });
                        assert!(!on_arn, "{} {ph:?}: {a} both on * and on an ARN", p.name);
                    }
                }
            }
        }
    }

    #[test]
    fn tags_on_create_name_creates_the_same_phase_grants() {
        // ec2:CreateTags under ec2:CreateAction is useless unless the create is granted.
        for p in entries() {
            for ph in Phase::ALL {
                let grants = p.phase(ph);
                let granted = |a: &str| grants.iter().any(|g| g.actions.contains(&a));
                for c in grants.iter().flat_map(|g| g.conditions) {
                    if c.key == "ec2:CreateAction" {
                        for v in c.values {
                            assert!(
                                granted(&format!("ec2:{v}")),
                                "{} {ph:?}: tags on {v}, which is not granted",
                                p.name
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn iam_roles_stay_under_the_environments_path() {
        for (name, _, g) in all_grants() {
            for r in g.resources.iter().filter(|r| r.starts_with("arn:{partition}:iam::")) {
                assert!(
                    r.starts_with("arn:{partition}:iam::{account}:role/airgap/{env}/")
                        || r.starts_with("arn:{partition}:iam::{account}:role/aws-service-role/"),
                    "{name}: IAM resource {r}"
                );
            }
            if g.actions.contains(&"iam:CreateServiceLinkedRole") {
                assert!(
                    g.conditions.iter().any(|c| c.key == "iam:AWSServiceName"),
                    "{name}: a service-linked role for any service"
                );
            }
            if g.actions.contains(&"iam:PassRole") {
                assert!(
                    g.conditions.iter().any(|c| c.key == "iam:PassedToService"),
                    "{name}: a role passed to any service"
                );
            }
        }
    }
}
