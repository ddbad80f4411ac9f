//! The declared resource graph: built, then sealed. Sealing rejects cycles and
//! references to nodes that do not exist, so nothing downstream has to.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::value::Attrs;

/// A node's logical address, e.g. `vpc/workload/subnet/dataPlane/a`. It is stored
/// in the `airgap:id` tag, which is how observe maps AWS resources back to nodes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub String);

impl NodeId {
    /// True when `addr` names this node: its own id, or an address above it (`vpc/workload`
    /// names `vpc/workload/subnet/...`, and the children named `<parent>~<key>` or
    /// `<id>#<physical>`). One rule for `--target`, `graph --focus` and the like.
    pub fn is_under(&self, addr: &str) -> bool {
        let addr = addr.trim_end_matches('/');
        let id = self.as_str();
        id == addr || id.strip_prefix(addr).is_some_and(|rest| rest.starts_with(['/', '~', '#']))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for NodeId {
    fn from(s: &str) -> Self {
        NodeId(s.to_string())
    }
}

impl From<String> for NodeId {
    fn from(s: String) -> Self {
        NodeId(s)
    }
}

/// Where a resource lives: rate limits, observation batches and clients are per scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Scope { account: account.into(), region: region.into() }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.region)
    }
}

/// A declared resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub kind: String,
    pub scope: Scope,
    /// Desired attributes; may contain references to other nodes' outputs.
    pub attrs: Attrs,
    /// Ordering-only dependencies, for a need no attribute expresses (a nodegroup
    /// needs the VPC endpoints to exist so its nodes can join).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<NodeId>,
}

impl Node {
    pub fn new(id: impl Into<NodeId>, kind: &str, scope: Scope) -> Self {
        Node {
            id: id.into(),
            kind: kind.to_string(),
            scope,
            attrs: Attrs::new(),
            depends_on: Vec::new(),
        }
    }

    pub fn attr(mut self, key: &str, value: impl Into<crate::Value>) -> Self {
        self.attrs.insert(key.to_string(), value.into());
        self
    }

    pub fn after(mut self, dep: impl Into<NodeId>) -> Self {
        self.depends_on.push(dep.into());
        self
    }

    /// Every node this one depends on: referenced by an attribute or named in `depends_on`.
    pub fn dependencies(&self) -> BTreeSet<&NodeId> {
        let mut deps: BTreeSet<&NodeId> = self.depends_on.iter().collect();
        for v in self.attrs.values() {
            deps.extend(v.refs().into_iter().map(|r| &r.node));
        }
        deps
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum GraphError {
    #[error("node {0} is declared twice")]
    Duplicate(NodeId),
    #[error("node {from} refers to {missing}, which is not declared")]
    MissingReference { from: NodeId, missing: NodeId },
    #[error("dependency cycle: {}", .0.iter().map(|n| n.0.as_str()).collect::<Vec<_>>().join(" -> "))]
    Cycle(Vec<NodeId>),
}

/// Collects nodes; [`GraphBuilder::seal`] checks them and produces a [`Graph`].
#[derive(Default)]
pub struct GraphBuilder {
    nodes: Vec<Node>,
}

impl GraphBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, node: Node) -> &mut Self {
        self.nodes.push(node);
        self
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Checks the graph and freezes it. Reports every missing reference and duplicate,
    /// or, when there are none, every cycle.
    pub fn seal(self) -> Result<Graph, Vec<GraphError>> {
        let mut errors = Vec::new();
        let mut index: HashMap<NodeId, NodeIndex> = HashMap::with_capacity(self.nodes.len());
        let mut g: DiGraph<Node, ()> = DiGraph::with_capacity(self.nodes.len(), self.nodes.len());
        for node in self.nodes {
            if index.contains_key(&node.id) {
                errors.push(GraphError::Duplicate(node.id.clone()));
                continue;
            }
            let id = node.id.clone();
            index.insert(id, g.add_node(node));
        }
        let mut edges = Vec::new();
        for ix in g.node_indices() {
            let node = &g[ix];
            for dep in node.dependencies() {
                match index.get(dep) {
                    // Edge dep -> node: the dependency comes first.
                    Some(&d) => edges.push((d, ix)),
                    None => errors.push(GraphError::MissingReference {
                        from: node.id.clone(),
                        missing: dep.clone(),
                    }),
                }
            }
        }
        for (a, b) in edges {
            g.update_edge(a, b, ());
        }
        if errors.is_empty() {
            for scc in tarjan_scc(&g) {
                let self_loop = scc.len() == 1 && g.contains_edge(scc[0], scc[0]);
                if scc.len() > 1 || self_loop {
                    let mut ids: Vec<NodeId> = scc.iter().map(|&i| g[i].id.clone()).collect();
                    ids.sort();
                    ids.push(ids[0].clone());
                    errors.push(GraphError::Cycle(ids));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let order = petgraph::algo::toposort(&g, None)
            .expect("cycles were rejected above")
            .into_iter()
            .map(|ix| ix.index())
            .collect();
        Ok(Graph { g, index, order })
    }
}

/// A sealed, acyclic graph of declared nodes.
pub struct Graph {
    g: DiGraph<Node, ()>,
    index: HashMap<NodeId, NodeIndex>,
    order: Vec<usize>,
}

impl Graph {
    pub fn len(&self) -> usize {
        self.g.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.g.node_count() == 0
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.g[NodeIndex::new(i)]
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.g.node_weights()
    }

    pub fn index_of(&self, id: &NodeId) -> Option<usize> {
        self.index.get(id).map(|ix| ix.index())
    }

    pub fn get(&self, id: &NodeId) -> Option<&Node> {
        self.index.get(id).map(|&ix| &self.g[ix])
    }

    /// Node indices, dependencies before dependents.
    pub fn topo_order(&self) -> &[usize] {
        &self.order
    }

    /// The nodes `i` depends on.
    pub fn dependencies(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.g.neighbors_directed(NodeIndex::new(i), Direction::Incoming).map(|ix| ix.index())
    }

    /// The nodes that depend on `i`.
    pub fn dependents(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.g.neighbors_directed(NodeIndex::new(i), Direction::Outgoing).map(|ix| ix.index())
    }

    /// The scopes the graph spans, sorted.
    pub fn scopes(&self) -> Vec<Scope> {
        let set: BTreeSet<&Scope> = self.nodes().map(|n| &n.scope).collect();
        set.into_iter().cloned().collect()
    }

    /// Graphviz rendering, dependencies pointing at what needs them.
    pub fn to_dot(&self) -> String {
        let mut out =
            String::from("digraph airgap {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
        for &i in &self.order {
            let n = self.node(i);
            out.push_str(&format!("  \"{}\" [label=\"{}\\n{}\"];\n", n.id, n.id, n.kind));
        }
        for e in self.g.edge_indices() {
            let (a, b) = self.g.edge_endpoints(e).expect("edge exists");
            out.push_str(&format!("  \"{}\" -> \"{}\";\n", self.g[a].id, self.g[b].id));
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn scope() -> Scope {
        Scope::new("111111111111", "eu-central-1")
    }

    #[test]
    fn seal_orders_dependencies_first() {
        let mut b = GraphBuilder::new();
        b.add(Node::new("subnet", "subnet", scope()).attr("vpcId", Value::reference("vpc", "id")));
        b.add(Node::new("vpc", "vpc", scope()));
        let g = b.seal().unwrap();
        let order: Vec<&str> = g.topo_order().iter().map(|&i| g.node(i).id.as_str()).collect();
        assert_eq!(order, ["vpc", "subnet"]);
    }

    #[test]
    fn seal_names_missing_references_and_duplicates() {
        let mut b = GraphBuilder::new();
        b.add(Node::new("a", "k", scope()).attr("x", Value::reference("nope", "id")));
        b.add(Node::new("a", "k", scope()));
        let errs = b.seal().err().unwrap();
        assert!(errs.contains(&GraphError::Duplicate("a".into())));
        assert!(errs
            .contains(&GraphError::MissingReference { from: "a".into(), missing: "nope".into() }));
    }

    #[test]
    fn seal_names_the_nodes_of_a_cycle() {
        let mut b = GraphBuilder::new();
        b.add(Node::new("a", "k", scope()).after("b"));
        b.add(Node::new("b", "k", scope()).after("c"));
        b.add(Node::new("c", "k", scope()).after("a"));
        b.add(Node::new("d", "k", scope()).after("a"));
        let errs = b.seal().err().unwrap();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].to_string(), "dependency cycle: a -> b -> c -> a");
    }
}
