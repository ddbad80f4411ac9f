use super::*;
use crate::graph::GraphBuilder;
use crate::sim::{self, SimCloud};
use crate::{KindFacts, RateLimits};

fn scope() -> Scope {
    Scope::new("111111111111", "eu-central-1")
}

fn vpc(id: &str, physical: &str, cidr: &str) -> (String, Scope, Observed) {
    let observed = Observed {
        id: id.into(),
        physical_id: physical.into(),
        attrs: Attrs::from([("cidr".to_string(), Value::str(cidr))]),
        outputs: Attrs::from([("id".to_string(), Value::str(physical))]),
        parents: Vec::new(),
    };
    ("vpc".to_string(), scope(), observed)
}

/// The engine knows no provider's facts: a minimal one for the kind used here.
const VPC: KindFacts = KindFacts {
    name: "vpc",
    timing: crate::Timing::secs(3, 2, 2, 300),
    bucket: "mutate",
    read_bucket: "describe",
    replace_fields: &["cidr"],
    replace_mode: crate::ReplaceMode::DeleteBeforeCreate,
    outputs_changed_by_update: &[],
    identity: &[],
    unordered: &[],
    holds: &[],
};

fn plan_of(observed: Vec<(String, Scope, Observed)>) -> Plan {
    let mut b = GraphBuilder::new();
    b.add(Node::new("vpc/a", "vpc", scope()).attr("cidr", "10.0.0.0/16"));
    b.add(Node::new("vpc/b", "vpc", scope()).attr("cidr", "10.1.0.0/16"));
    let graph = b.seal().unwrap();
    let registry = sim::registry(&SimCloud::new(1.0, RateLimits::none()), &[&VPC]);
    decide("t", &graph, &registry, PlanMode::Apply, observed, 1, &HashSet::new())
}

/// vpc/a, vpc/a/inner (after vpc/a), vpc/b; all existing.
fn nested(mode: PlanMode, replace: &[&str], extra: &[(String, Scope, Observed)]) -> Plan {
    let mut b = GraphBuilder::new();
    b.add(Node::new("vpc/a", "vpc", scope()).attr("cidr", "10.0.0.0/16"));
    b.add(Node::new("vpc/a/inner", "vpc", scope()).attr("cidr", "10.2.0.0/16").after("vpc/a"));
    b.add(Node::new("vpc/b", "vpc", scope()).attr("cidr", "10.1.0.0/16"));
    let graph = b.seal().unwrap();
    let registry = sim::registry(&SimCloud::new(1.0, RateLimits::none()), &[&VPC]);
    let mut observed = vec![
        vpc("vpc/a", "vpc-1", "10.0.0.0/16"),
        vpc("vpc/a/inner", "vpc-2", "10.2.0.0/16"),
        vpc("vpc/b", "vpc-3", "10.1.0.0/16"),
    ];
    observed.extend(extra.iter().cloned());
    let replace: HashSet<NodeId> = replace.iter().map(|&r| NodeId::from(r)).collect();
    decide("t", &graph, &registry, mode, observed, 1, &replace)
}

fn ids(plan: &Plan) -> Vec<&str> {
    plan.nodes.iter().map(|n| n.id.as_str()).collect()
}

#[test]
fn an_address_names_its_node_and_those_under_it() {
    let plan = nested(PlanMode::Apply, &[], &[]);
    let named = |a: &str| {
        let mut v: Vec<&str> =
            plan.addressed(a).iter().map(|&i| plan.nodes[i].id.as_str()).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(named("vpc/a"), ["vpc/a", "vpc/a/inner"]);
    assert_eq!(named("vpc/a/"), ["vpc/a", "vpc/a/inner"]);
    assert_eq!(named("vpc/a/inner"), ["vpc/a/inner"]);
    assert_eq!(named("vpc"), ["vpc/a", "vpc/a/inner", "vpc/b"]);
    assert!(named("vp").is_empty() && named("vpc/c").is_empty());
}

#[test]
fn a_target_keeps_what_it_needs_and_nothing_else() {
    // An apply: the node and its dependencies; the undeclared leftover stays.
    let gone = vpc("vpc/gone", "vpc-9", "10.9.0.0/16");
    let mut plan = nested(PlanMode::Apply, &[], std::slice::from_ref(&gone));
    assert!(ids(&plan).contains(&"vpc/gone"));
    let keep = plan.addressed("vpc/a/inner");
    plan.restrict(&keep);
    assert_eq!(ids(&plan), ["vpc/a", "vpc/a/inner"]);
    assert_eq!(plan.nodes[1].deps, [0], "indices follow the nodes kept");
    // A destroy: the node and what depends on it, deleted first.
    let mut plan = nested(PlanMode::Destroy, &[], &[]);
    let keep = plan.addressed("vpc/a");
    plan.restrict(&keep[..1]);
    assert_eq!(ids(&plan), ["vpc/a", "vpc/a/inner"]);
    let mut plan = nested(PlanMode::Destroy, &[], &[]);
    let keep = plan.addressed("vpc/a/inner");
    plan.restrict(&keep);
    assert_eq!(ids(&plan), ["vpc/a/inner"]);
}

#[test]
fn a_forced_replacement_replaces_an_unchanged_resource() {
    let plan = nested(PlanMode::Apply, &["vpc/a"], &[]);
    let action = |id: &str| &plan.nodes.iter().find(|n| n.id.as_str() == id).unwrap().action;
    assert!(
        matches!(action("vpc/a"), Action::Replace { changes, mode: ReplaceMode::DeleteBeforeCreate } if changes.is_empty()),
        "{:?}",
        action("vpc/a")
    );
    assert_eq!(action("vpc/b"), &Action::NoOp);
    assert_eq!(nested(PlanMode::Apply, &[], &[]).summary().replace, 0);
}

#[test]
fn fingerprint_is_stable_and_order_independent() {
    let a = vpc("vpc/a", "vpc-1", "10.0.0.0/16");
    let b = vpc("vpc/b", "vpc-2", "10.1.0.0/16");
    let one = plan_of(vec![a.clone(), b.clone()]);
    let two = plan_of(vec![b, a]);
    assert_eq!(one.fingerprint(), two.fingerprint());
    assert_eq!(one.fingerprint(), one.clone().fingerprint());
    assert!(!one.has_changes());
    // Nothing observed is a state of its own.
    assert_ne!(plan_of(Vec::new()).fingerprint(), one.fingerprint());
}

#[test]
fn fingerprint_covers_every_observed_resource() {
    let a = || vpc("vpc/a", "vpc-1", "10.0.0.0/16");
    let base = plan_of(vec![a()]).fingerprint();
    // A changed attribute, a changed physical id, another node's resource, an
    // undeclared leftover and a duplicate each change it.
    let variants = [
        vec![vpc("vpc/a", "vpc-1", "10.9.0.0/16")],
        vec![vpc("vpc/a", "vpc-9", "10.0.0.0/16")],
        vec![a(), vpc("vpc/b", "vpc-2", "10.1.0.0/16")],
        vec![a(), vpc("vpc/gone", "vpc-3", "10.2.0.0/16")],
        vec![a(), vpc("vpc/a", "vpc-4", "10.0.0.0/16")],
    ];
    for observed in variants {
        let plan = plan_of(observed.clone());
        assert_ne!(plan.fingerprint(), base, "{observed:?}");
    }
    let mut outputs = a();
    outputs.2.outputs.insert("arn".into(), Value::str("arn:x"));
    assert_ne!(plan_of(vec![outputs]).fingerprint(), base);
    let mut parents = a();
    parents.2.parents.push("tgw-1".into());
    assert_ne!(plan_of(vec![parents]).fingerprint(), base);
}

/// A route as observe finds it in its table: named after the table, not its node.
fn route(table: &str, physical_table: &str, cidr: &str) -> (String, Scope, Observed) {
    let observed = Observed {
        id: format!("{table}~{cidr}").as_str().into(),
        physical_id: format!("{physical_table}_{cidr}"),
        attrs: Attrs::from([
            ("routeTable".to_string(), Value::str(physical_table)),
            ("cidr".to_string(), Value::str(cidr)),
        ]),
        outputs: Attrs::new(),
        parents: vec![physical_table.to_string()],
    };
    ("route".to_string(), scope(), observed)
}

#[test]
fn untaggable_resources_are_paired_with_their_nodes_by_identity() {
    const ROUTE: KindFacts = KindFacts {
        name: "route",
        replace_fields: &["routeTable", "cidr"],
        identity: &["routeTable", "cidr"],
        ..VPC
    };
    let registry = sim::registry(&SimCloud::new(1.0, RateLimits::none()), &[&VPC, &ROUTE]);
    let mut b = GraphBuilder::new();
    b.add(Node::new("vpc/a", "vpc", scope()).attr("cidr", "10.0.0.0/16"));
    b.add(
        Node::new("vpc/a/default", "route", scope())
            .attr("routeTable", Value::reference("vpc/a", "id"))
            .attr("cidr", "0.0.0.0/0"),
    );
    let graph = b.seal().unwrap();
    let actions = |observed| {
        let plan = decide("t", &graph, &registry, PlanMode::Apply, observed, 1, &HashSet::new());
        let mut v: Vec<(String, Action)> =
            plan.nodes.into_iter().map(|n| (n.id.0, n.action)).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };

    // The route in the existing table is the declared one; another is not declared.
    let found = actions(vec![
        vpc("vpc/a", "vpc-1", "10.0.0.0/16"),
        route("vpc/a", "vpc-1", "0.0.0.0/0"),
        route("vpc/a", "vpc-1", "10.9.0.0/16"),
    ]);
    assert_eq!(
        found,
        [
            ("vpc/a".to_string(), Action::NoOp),
            ("vpc/a/default".to_string(), Action::NoOp),
            ("vpc/a~10.9.0.0/16".to_string(), Action::Delete),
        ]
    );
    // The same CIDR in another table is another route.
    let other =
        actions(vec![vpc("vpc/a", "vpc-1", "10.0.0.0/16"), route("vpc/old", "vpc-2", "0.0.0.0/0")]);
    assert_eq!(other[1], ("vpc/a/default".to_string(), Action::Create));
    assert_eq!(other[2], ("vpc/old~0.0.0.0/0".to_string(), Action::Delete));
    // A table to be replaced has its routes replaced with it.
    let replaced =
        actions(vec![vpc("vpc/a", "vpc-1", "10.7.0.0/16"), route("vpc/a", "vpc-1", "0.0.0.0/0")]);
    assert_eq!(replaced.len(), 2, "{replaced:?}");
    assert!(matches!(replaced[0].1, Action::Replace { .. }), "{replaced:?}");
    assert!(matches!(replaced[1].1, Action::Replace { .. }), "{replaced:?}");
    // A destroy pairs them too, so the graph orders their deletes.
    let plan = decide(
        "t",
        &graph,
        &registry,
        PlanMode::Destroy,
        vec![vpc("vpc/a", "vpc-1", "10.0.0.0/16"), route("vpc/a", "vpc-1", "0.0.0.0/0")],
        1,
        &HashSet::new(),
    );
    let deleted: Vec<_> =
        plan.nodes.iter().filter(|n| n.action == Action::Delete).map(|n| n.id.0.as_str()).collect();
    assert_eq!(deleted, ["vpc/a", "vpc/a/default"]);

    // Two tables under one airgap:id (an interrupted create): each has its route under
    // the same name. The kept table's route is the node's, whichever is listed first;
    // the duplicate goes with its route.
    let twice = actions(vec![
        vpc("vpc/a", "vpc-1", "10.0.0.0/16"),
        vpc("vpc/a", "vpc-9", "10.0.0.0/16"),
        route("vpc/a", "vpc-9", "0.0.0.0/0"),
        route("vpc/a", "vpc-1", "0.0.0.0/0"),
    ]);
    assert_eq!(
        twice,
        [
            ("vpc/a".to_string(), Action::NoOp),
            ("vpc/a#vpc-9".to_string(), Action::Delete),
            ("vpc/a/default".to_string(), Action::NoOp),
            ("vpc/a~0.0.0.0/0".to_string(), Action::Delete),
        ]
    );
}

#[test]
fn one_resource_listed_twice_is_not_a_duplicate_to_delete() {
    let a = || vpc("vpc/a", "vpc-1", "10.0.0.0/16");
    let b = vpc("vpc/b", "vpc-2", "10.1.0.0/16");
    let twice = plan_of(vec![a(), a(), b.clone()]);
    assert!(!twice.has_changes(), "{:?}", twice.nodes);
    // Two resources under one id still are: the second is deleted.
    let two = plan_of(vec![a(), vpc("vpc/a", "vpc-4", "10.0.0.0/16"), b]);
    let deleted: Vec<_> =
        two.nodes.iter().filter(|n| n.action == Action::Delete).map(|n| n.id.0.as_str()).collect();
    assert_eq!(deleted, ["vpc/a#vpc-4"]);
}

#[test]
fn an_update_that_would_let_go_of_a_deleted_dependency_too_late_is_refused() {
    // A subnet replaced delete-before-create (its CIDR), and an attachment whose network
    // interfaces sit in it. Updated in place, the attachment would move to the new subnet
    // only once it exists, after the old one's delete, which AWS refuses while the
    // interfaces are there.
    const SUBNET: KindFacts = KindFacts { name: "subnet", ..VPC };
    const ATTACHMENT: KindFacts =
        KindFacts { name: "attachment", replace_fields: &[], holds: &["subnets"], ..VPC };
    const ROUTE: KindFacts = KindFacts { name: "route", replace_fields: &[], ..VPC };
    let registry =
        sim::registry(&SimCloud::new(1.0, RateLimits::none()), &[&SUBNET, &ATTACHMENT, &ROUTE]);
    let mut b = GraphBuilder::new();
    b.add(Node::new("subnet/a", "subnet", scope()).attr("cidr", "10.0.1.0/25"));
    b.add(
        Node::new("attachment", "attachment", scope())
            .attr("subnets", Value::List(vec![Value::reference("subnet/a", "id")])),
    );
    // A kind that holds nothing: its update after the new subnet is fine.
    b.add(Node::new("route", "route", scope()).attr("target", Value::reference("subnet/a", "id")));
    let graph = b.seal().unwrap();
    let existing = |id: &str, kind: &str, physical: &str, attrs: Attrs| {
        let outputs = Attrs::from([("id".to_string(), Value::str(physical))]);
        let o = Observed {
            id: id.into(),
            physical_id: physical.into(),
            attrs,
            outputs,
            parents: vec![],
        };
        (kind.to_string(), scope(), o)
    };
    let observed = || {
        vec![
            existing(
                "subnet/a",
                "subnet",
                "subnet-1",
                Attrs::from([("cidr".to_string(), Value::str("10.0.1.0/24"))]),
            ),
            existing(
                "attachment",
                "attachment",
                "att-1",
                Attrs::from([("subnets".to_string(), Value::List(vec![Value::str("subnet-1")]))]),
            ),
            existing(
                "route",
                "route",
                "r-1",
                Attrs::from([("target".to_string(), Value::str("subnet-1"))]),
            ),
        ]
    };
    let plan = decide("t", &graph, &registry, PlanMode::Apply, observed(), 1, &HashSet::new());
    let refused: Vec<&str> = plan.refused.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(refused, ["attachment"], "{:?}", plan.refused);
    let why = &plan.refused[0].1;
    assert!(why.contains("subnet/a (subnet-1)") && why.contains("--replace attachment"), "{why}");

    // Replaced too, its delete comes first: nothing is refused.
    let replace = HashSet::from([NodeId::from("attachment")]);
    let plan = decide("t", &graph, &registry, PlanMode::Apply, observed(), 1, &replace);
    assert!(plan.refused.is_empty(), "{:?}", plan.refused);
    let action = |id: &str| &plan.nodes.iter().find(|n| n.id.as_str() == id).unwrap().action;
    assert!(matches!(
        action("attachment"),
        Action::Replace { mode: ReplaceMode::DeleteBeforeCreate, .. }
    ));
    assert!(matches!(action("route"), Action::Update { .. }), "{:?}", action("route"));
}
