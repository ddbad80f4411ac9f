//! The monthly cost change of a plan: what is billed before it (every observed resource,
//! read from its observed attributes, which have its spec's shape) against what is billed
//! after it (every declared node the plan does not delete), both priced by [`estimate`]
//! so the NAT gateways' waiver applies alike. Traffic is left aside (no usage file).

use airgap_engine::{Action, Node, Plan};
use serde::Serialize;

use crate::estimate::{estimate, Context};
use crate::inventory::{billable, Resource};
use crate::prices::Prices;
use crate::usage::Usage;

/// A plan's monthly cost, before and after, traffic aside.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PlanCost {
    pub before: f64,
    pub after: f64,
    /// Resources whose attributes could not be read as their spec (not priced).
    pub unread: usize,
}

impl PlanCost {
    /// `after - before`: creates add, deletes subtract.
    pub fn change(&self) -> f64 {
        self.after - self.before
    }
}

/// Prices the resources a plan finds and those it leaves.
pub fn plan_cost(plan: &Plan, prices: &Prices) -> PlanCost {
    let mut before: Vec<Resource> = Vec::new();
    let mut after: Vec<Resource> = Vec::new();
    let mut unread = 0;
    let mut take = |node: &Node, into: &mut Vec<Resource>| match billable(node) {
        Ok(Some(r)) => into.push(r),
        Ok(None) => {}
        Err(_) => unread += 1,
    };
    for n in &plan.nodes {
        if let Some(c) = &n.current {
            let observed = Node {
                id: n.id.clone(),
                kind: n.kind.clone(),
                scope: n.scope.clone(),
                attrs: c.attrs.clone(),
                depends_on: Vec::new(),
            };
            take(&observed, &mut before);
        }
        if n.action != Action::Delete {
            if let Some(d) = &n.declared {
                take(d, &mut after);
            }
        }
    }
    let ctx = Context::default();
    let none = Usage::default();
    PlanCost {
        before: estimate(&before, prices, &none, &ctx).monthly_total,
        after: estimate(&after, prices, &none, &ctx).monthly_total,
        unread,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airgap_engine::kind::Observed;
    use airgap_engine::{PlanMode, PlannedNode};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// A plan of hub-spoke.yaml's nodes, each with `action` and, where `exists`, an
    /// observed resource with its declared attributes.
    fn plan(action: impl Fn(&Node) -> (Action, bool)) -> Plan {
        let graph = airgap_blueprint::examples::hub_spoke().seal().unwrap();
        let nodes = graph
            .nodes()
            .map(|n| {
                let (action, exists) = action(n);
                PlannedNode {
                    id: n.id.clone(),
                    kind: n.kind.clone(),
                    scope: n.scope.clone(),
                    action,
                    desired: None,
                    declared: Some(n.clone()),
                    current: exists.then(|| Observed {
                        id: n.id.clone(),
                        physical_id: format!("p-{}", n.id),
                        attrs: n.attrs.clone(),
                        outputs: Default::default(),
                        parents: Vec::new(),
                    }),
                    deps: Vec::new(),
                    current_deps: Vec::new(),
                }
            })
            .collect();
        Plan {
            env: "hub-spoke".into(),
            mode: PlanMode::Apply,
            nodes,
            observations: 0,
            refused: Vec::new(),
        }
    }

    fn prices() -> Prices {
        Prices::shipped("eu-central-1").unwrap()
    }

    /// 1782.60: hub-spoke's month, computed by hand in tests/estimate.rs (the Client
    /// VPN's association, its CA's secret, the Resolver endpoint's two addresses and the
    /// PrivateLink service's NLB included).
    #[test]
    fn creating_everything_adds_the_whole_month_and_deleting_it_subtracts_it() {
        let c = plan_cost(&plan(|_| (Action::Create, false)), &prices());
        assert_eq!((c.before, c.unread), (0.0, 0));
        assert!(close(c.change(), 1782.60), "{c:?}");

        let c = plan_cost(&plan(|_| (Action::Delete, true)), &prices());
        assert!(close(c.change(), -1782.60), "{c:?}");

        let c = plan_cost(&plan(|_| (Action::NoOp, true)), &prices());
        assert!(close(c.change(), 0.0), "{c:?}");
    }

    /// The general node group observed with 1 node, declared with 3: 2 x 0.115 x 730.
    /// Deleting the firewall's two endpoints also ends the NAT gateways' waiver:
    /// -2 x 0.395 x 730 + 2 x 0.052 x 730.
    #[test]
    fn updates_and_deletes_change_what_they_change() {
        let mut p = plan(|_| (Action::NoOp, true));
        for n in &mut p.nodes {
            if n.id.as_str() == "cluster/apps/nodegroup/general" {
                n.action = Action::Update { changes: Vec::new() };
                let c = n.current.as_mut().unwrap();
                c.attrs.insert("desired".into(), airgap_engine::Value::from(1_i64));
            }
        }
        assert!(close(plan_cost(&p, &prices()).change(), 167.90), "{:?}", plan_cost(&p, &prices()));

        let p = plan(|n| (if n.kind == "firewall" { Action::Delete } else { Action::NoOp }, true));
        let want = -2.0 * 0.395 * 730.0 + 2.0 * 0.052 * 730.0;
        assert!(close(plan_cost(&p, &prices()).change(), want), "{:?}", plan_cost(&p, &prices()));
    }

    /// The VPN observed associated with two subnets (`highAvailability` was on), declared
    /// with one: one association hour less, -0.10 x 730. Deleting the VPN's CA ends its
    /// secret's month, -0.40.
    #[test]
    fn fewer_vpn_associations_and_a_deleted_ca_subtract_theirs() {
        let mut p = plan(|_| (Action::NoOp, true));
        for n in &mut p.nodes {
            if n.id.as_str() == "access/vpn" {
                n.action = Action::Update { changes: Vec::new() };
                let c = n.current.as_mut().unwrap();
                let Some(airgap_engine::Value::List(subnets)) = c.attrs.get_mut("subnets") else {
                    panic!("access/vpn has subnets: {:?}", c.attrs)
                };
                assert_eq!(subnets.len(), 1);
                subnets.push(airgap_engine::Value::from("subnet-b"));
            }
        }
        assert!(close(plan_cost(&p, &prices()).change(), -73.0), "{:?}", plan_cost(&p, &prices()));

        let p = plan(|n| (if n.kind == "vpn-pki" { Action::Delete } else { Action::NoOp }, true));
        assert!(close(plan_cost(&p, &prices()).change(), -0.40), "{:?}", plan_cost(&p, &prices()));
    }

    /// The Resolver endpoint observed with three addresses (its observed spec names the
    /// subnets by id), declared with two: one network interface less, -0.125 x 730.
    /// Deleting it ends both addresses' hours, -2 x 0.125 x 730.
    #[test]
    fn fewer_resolver_addresses_and_a_deleted_endpoint_subtract_theirs() {
        let mut p = plan(|_| (Action::NoOp, true));
        for n in &mut p.nodes {
            if n.id.as_str() == "access/dns" {
                n.action = Action::Update { changes: Vec::new() };
                let c = n.current.as_mut().unwrap();
                let ids = ["subnet-a", "subnet-b", "subnet-b"].map(airgap_engine::Value::from);
                c.attrs.insert("subnets".into(), airgap_engine::Value::List(ids.to_vec()));
            }
        }
        let c = plan_cost(&p, &prices());
        assert_eq!(c.unread, 0, "{c:?}");
        assert!(close(c.change(), -91.25), "{c:?}");

        let p = plan(|n| {
            (if n.kind == "resolver-endpoint" { Action::Delete } else { Action::NoOp }, true)
        });
        assert!(close(plan_cost(&p, &prices()).change(), -182.5), "{:?}", plan_cost(&p, &prices()));
    }
}
