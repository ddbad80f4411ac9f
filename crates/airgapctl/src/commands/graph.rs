//! `airgapctl graph`: the resource graph as Graphviz dot or JSON.

use miette::miette;
use serde_json::json;

use super::{declared, out};
use crate::cli::{GraphArgs, GraphFormat, Output};
use crate::exit::{CmdResult, ExitStatus, Failure};

pub fn run(args: &GraphArgs, output: Output) -> CmdResult {
    // `--output json` asks for JSON like on every other command; dot on stdout would
    // break the JSON consumer, so dot and `--output json` together are refused.
    let format = match (args.format, output) {
        (None, Output::Json) | (Some(GraphFormat::Json), _) => GraphFormat::Json,
        (Some(GraphFormat::Dot), Output::Json) => {
            return Err(Failure::invalid(miette!(
                help = "drop --output json for dot, or --format dot for JSON",
                "--format dot and --output json ask for two formats"
            )))
        }
        (None | Some(GraphFormat::Dot), Output::Text) => GraphFormat::Dot,
    };
    // The graph needs no provider: `graph -f FILE` works without --simulate.
    let g = &declared(&args.source, false)?.graph;
    match format {
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
