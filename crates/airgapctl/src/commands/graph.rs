//! `airgapctl graph`: the resource graph as Graphviz dot or JSON.

use serde_json::json;

use super::{declared, out};
use crate::cli::{GraphArgs, GraphFormat};
use crate::exit::{CmdResult, ExitStatus};

pub fn run(args: &GraphArgs) -> CmdResult {
    // The graph needs no provider: `graph -f FILE` works without --simulate.
    let g = &declared(&args.source, false)?.graph;
    match args.format {
        GraphFormat::Dot => out(&g.to_dot()),
        GraphFormat::Json => {
            // Topological order, so consumers can create in file order.
            let nodes: Vec<_> = g.topo_order().iter().map(|&i| g.node(i)).collect();
            let edges: Vec<_> = g
                .topo_order()
                .iter()
                .flat_map(|&i| {
                    g.dependencies(i)
                        .map(move |d| json!({ "from": g.node(d).id, "to": g.node(i).id }))
                })
                .collect();
            let doc = json!({ "nodes": nodes, "edges": edges });
            out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("graph serializes")));
        }
    }
    Ok(ExitStatus::Success)
}
