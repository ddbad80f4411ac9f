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
//! in `why`.
//!
//! Placeholders in resources and condition values, filled per account by the policy
//! builder: `{partition}`, `{region}`, `{account}` (the account the role lives in),
//! `{env}` (the environment's name).

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

const EC2_DESCRIBE_WHY: &str = "EC2's Describe actions support no resource-level permissions";

pub const VPC: Permissions = Permissions {
    name: "vpc",
    observe: &[Grant::any(&["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"], EC2_DESCRIBE_WHY)],
    create: &[
        Grant {
            actions: &["ec2:CreateVpc"],
            resources: &["arn:{partition}:ec2:{region}:{account}:vpc/*"],
            conditions: &[REQUEST_TAG],
            why: "",
        },
        Grant {
            actions: &["ec2:CreateTags"],
            resources: &["arn:{partition}:ec2:{region}:{account}:vpc/*"],
            conditions: &[Cond {
                op: "StringEquals",
                key: "ec2:CreateAction",
                values: &["CreateVpc"],
            }],
            why: "",
        },
    ],
    update: &[Grant {
        actions: &["ec2:ModifyVpcAttribute"],
        resources: &["arn:{partition}:ec2:{region}:{account}:vpc/*"],
        conditions: &[RESOURCE_TAG],
        why: "",
    }],
    delete: &[Grant {
        actions: &["ec2:DeleteVpc"],
        resources: &["arn:{partition}:ec2:{region}:{account}:vpc/*"],
        conditions: &[RESOURCE_TAG],
        why: "",
    }],
};

/// Every kind's permissions, one per catalogue entry.
pub const KINDS: &[&Permissions] = &[&VPC];

/// The permissions of a kind.
pub fn of(kind: &str) -> Option<&'static Permissions> {
    KINDS.iter().copied().find(|p| p.name == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_grants() -> impl Iterator<Item = (&'static str, &'static Grant)> {
        KINDS.iter().flat_map(|p| {
            [Phase::Observe, Phase::Create, Phase::Update, Phase::Delete]
                .into_iter()
                .flat_map(move |ph| p.phase(ph).iter().map(move |g| (p.name, g)))
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
    }

    #[test]
    fn actions_and_resources_are_well_formed() {
        for (name, g) in all_grants() {
            assert!(!g.actions.is_empty() && !g.resources.is_empty(), "{name}: empty grant");
            for a in g.actions {
                let (svc, act) = a.split_once(':').unwrap_or_default();
                assert!(
                    !svc.is_empty() && act.chars().next().is_some_and(|c| c.is_ascii_uppercase()),
                    "{name}: {a} is not service:Action"
                );
            }
            for r in g.resources {
                assert!(*r == "*" || r.starts_with("arn:{partition}:"), "{name}: resource {r}");
                if *r == "*" {
                    assert!(!g.why.is_empty(), "{name}: {:?} on * without a reason", g.actions);
                }
            }
        }
    }
}
