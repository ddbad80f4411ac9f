//! `airgapctl graph`: the resource graph as Graphviz dot or JSON, or as a picture (SVG,
//! HTML) drawn without Graphviz.

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
        (Some(f @ (GraphFormat::Dot | GraphFormat::Svg | GraphFormat::Html)), Output::Json) => {
            let name = format!("{f:?}").to_lowercase();
            return Err(Failure::invalid(miette!(
                help = format!("drop --output json for {name}, or --format {name} for JSON"),
                "--format {name} and --output json ask for two formats"
            )));
        }
        (None | Some(GraphFormat::Dot), Output::Text) => GraphFormat::Dot,
        (Some(f), Output::Text) => f,
    };
    if args.focus.is_some() && !matches!(format, GraphFormat::Svg | GraphFormat::Html) {
        return Err(Failure::invalid(miette!(
            "--focus draws a picture: give --format svg or html"
        )));
    }
    // The graph needs no provider: `graph -f FILE` works without --simulate.
    let d = declared(&args.source, false)?;
    let g = &d.graph;
    let names = d.blueprint.as_ref().map(super::account_names).unwrap_or_else(|| {
        airgap_blueprint::examples::blueprint("hub-spoke.yaml")
            .filter(|_| args.source.file.is_empty())
            .as_ref()
            .map(super::account_names)
            .unwrap_or_default()
    });
    if let Some(f) = args.focus.as_deref().filter(|f| !crate::graphview::focus_found(g, f)) {
        let ids = g.nodes().map(|n| n.id.as_str());
        return Err(super::plan::unknown_address("--focus", f, ids));
    }
    match format {
        GraphFormat::Dot => out(&g.to_dot()),
        GraphFormat::Svg => out(&crate::graphview::svg(g, &names, args.focus.as_deref())),
        GraphFormat::Html => out(&crate::graphview::html(g, &names, args.focus.as_deref(), &d.env)),
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
