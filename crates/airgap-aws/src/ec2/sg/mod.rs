//! Security groups and their ingress rules. Rules are recorded on their group as
//! `airgap:rule:<protocol>:<port>:<cidr>` tags, observed with the group.

mod group;
mod rule;

pub use group::SecurityGroup;
pub use rule::SecurityGroupRule;
