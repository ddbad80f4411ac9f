//! `graph --format svg|html`: the environment as a picture, without Graphviz. Accounts are
//! columns of boxes, one per VPC and one for what belongs to no VPC, each listing its
//! resources; only dependencies that cross boxes are drawn, one arrow per pair of boxes
//! with their count, so hub-spoke's 360 edges read as a dozen.
//!
//! The layout is computed here (a fixed grid: a column per account, boxes stacked by
//! size), so no layout engine or external tool is needed; every resource has a tooltip
//! with its address and kind.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use airgap_engine::Graph;

use crate::planview::vpc_of;

const COLUMN: usize = 380;
const GAP: usize = 120;
const LINE: usize = 17;
const HEAD: usize = 26;
const PAD: usize = 10;

/// A box: its column (account name, account id) and its VPC ("" for none).
type BoxKey = ((String, String), String);

/// One box: an account's VPC, or the account's resources outside VPCs.
#[derive(Default)]
struct Group {
    title: String,
    /// (address shown, kind, full address).
    items: Vec<(String, String, String)>,
    x: usize,
    y: usize,
    h: usize,
}

/// The addresses `focus` keeps: those it names (as `--target` does) and their direct
/// dependencies and dependents. `None` keeps everything.
fn kept(g: &Graph, focus: Option<&str>) -> Option<BTreeSet<usize>> {
    let focus = focus?;
    let named = |i: usize| g.node(i).id.is_under(focus);
    let mut keep = BTreeSet::new();
    for &i in g.topo_order() {
        if named(i) {
            keep.insert(i);
            keep.extend(g.dependencies(i));
        }
    }
    for &i in g.topo_order() {
        if g.dependencies(i).any(named) {
            keep.insert(i);
        }
    }
    Some(keep)
}

/// True when `focus` names at least one node of `g`.
pub fn focus_found(g: &Graph, focus: &str) -> bool {
    kept(g, Some(focus)).is_some_and(|k| !k.is_empty())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The SVG picture of `g`; account names label the columns where known.
pub fn svg(g: &Graph, names: &BTreeMap<String, String>, focus: Option<&str>) -> String {
    let keep = kept(g, focus);
    let shown = |i: usize| keep.as_ref().is_none_or(|k| k.contains(&i));
    // Box of each node: (account column key, VPC or "").
    let mut columns: BTreeMap<(String, String), BTreeMap<String, Group>> = BTreeMap::new();
    let mut box_of: BTreeMap<usize, BoxKey> = BTreeMap::new();
    for &i in g.topo_order() {
        if !shown(i) {
            continue;
        }
        let n = g.node(i);
        let col = (
            names.get(&n.scope.account).cloned().unwrap_or_else(|| n.scope.account.clone()),
            n.scope.account.clone(),
        );
        let vpc = vpc_of(n.id.as_str()).unwrap_or("").to_string();
        let group = columns.entry(col.clone()).or_default().entry(vpc.clone()).or_default();
        if group.title.is_empty() {
            group.title =
                if vpc.is_empty() { "outside VPCs".to_string() } else { format!("VPC {vpc}") };
        }
        let short = match vpc.as_str() {
            "" => n.id.as_str().to_string(),
            v => n.id.as_str().strip_prefix(&format!("vpc/{v}")).unwrap_or("").to_string(),
        };
        let short = if short.is_empty() { "(the VPC)".to_string() } else { short };
        group.items.push((short, n.kind.clone(), n.id.as_str().to_string()));
        box_of.insert(i, (col, vpc));
    }
    // Layout: a column per account; its boxes stacked, VPCs first.
    let mut height = 0;
    let mut heads = Vec::new();
    for (c, ((name, account), groups)) in columns.iter_mut().enumerate() {
        let x = 20 + c * (COLUMN + GAP);
        let mut y = 20 + HEAD + PAD;
        let mut order: Vec<&String> = groups.keys().collect();
        order.sort_by_key(|v| (v.is_empty(), v.to_string()));
        let order: Vec<String> = order.into_iter().cloned().collect();
        for v in order {
            let grp = groups.get_mut(&v).expect("listed");
            grp.items.sort();
            grp.x = x + PAD;
            grp.y = y;
            grp.h = HEAD + grp.items.len() * LINE + PAD;
            y += grp.h + PAD * 2;
        }
        heads.push((x, y, format!("account {name} ({account})")));
        height = height.max(y);
    }
    let width = 40 + columns.len() * (COLUMN + GAP);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}" viewBox="0 0 {width} {}" font-family="sans-serif" font-size="12">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>
"##,
        height + 20,
        height + 20
    );
    for (x, bottom, title) in &heads {
        let _ = writeln!(
            s,
            r##"<rect x="{x}" y="20" width="{COLUMN}" height="{}" rx="8" fill="#f4f6fa" stroke="#8a94a6"/><text x="{}" y="38" font-weight="bold">{}</text>"##,
            bottom - 20,
            x + PAD,
            esc(title)
        );
    }
    for groups in columns.values() {
        for grp in groups.values() {
            let w = COLUMN - 2 * PAD;
            let _ = writeln!(
                s,
                r##"<g><rect x="{}" y="{}" width="{w}" height="{}" rx="6" fill="#ffffff" stroke="#4a6fa5"/><text x="{}" y="{}" font-weight="bold" fill="#26446e">{}</text>"##,
                grp.x,
                grp.y,
                grp.h,
                grp.x + PAD,
                grp.y + 18,
                esc(&grp.title)
            );
            for (k, (short, kind, full)) in grp.items.iter().enumerate() {
                let y = grp.y + HEAD + k * LINE + 12;
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{y}"><title>{} ({})</title>{} <tspan fill="#7a8599">{}</tspan></text>"##,
                    grp.x + PAD,
                    esc(full),
                    esc(kind),
                    esc(short),
                    esc(kind)
                );
            }
            s.push_str("</g>\n");
        }
    }
    // Edges between boxes, counted: dependency -> dependent.
    let mut edges: BTreeMap<(&BoxKey, &BoxKey), usize> = BTreeMap::new();
    for &i in g.topo_order() {
        let Some(to) = box_of.get(&i) else { continue };
        for d in g.dependencies(i) {
            let Some(from) = box_of.get(&d) else { continue };
            if from != to {
                *edges.entry((from, to)).or_default() += 1;
            }
        }
    }
    let at = |b: &BoxKey| {
        let grp = &columns[&b.0][&b.1];
        (grp.x, grp.y + grp.h / 2)
    };
    for ((from, to), count) in &edges {
        let ((fx, fy), (tx, ty)) = (at(from), at(to));
        let w = COLUMN - 2 * PAD;
        let path = if fx == tx {
            // The same column: out of the right side and back in.
            let r = fx + w;
            format!("M {r} {fy} C {} {fy}, {} {ty}, {r} {ty}", r + 70, r + 70)
        } else if fx < tx {
            let (a, b) = (fx + w, tx);
            format!("M {a} {fy} C {} {fy}, {} {ty}, {b} {ty}", a + GAP / 2, b - GAP / 2)
        } else {
            let (a, b) = (fx, tx + w);
            format!("M {a} {fy} C {} {fy}, {} {ty}, {b} {ty}", a - GAP / 2, b + GAP / 2)
        };
        let (mx, my) = ((fx + tx + w) / 2 + if fx == tx { 60 } else { 0 }, (fy + ty) / 2);
        let _ = writeln!(
            s,
            r##"<path d="{path}" fill="none" stroke="#555" stroke-opacity="0.6" marker-end="url(#arrow)"><title>{} -> {}: {count}</title></path><text x="{mx}" y="{my}" fill="#555" font-size="10">{count}</text>"##,
            esc(&from.1),
            esc(&to.1),
        );
    }
    s.push_str("</svg>\n");
    s
}

/// [`svg`] in a page of its own, with a title and a legend.
pub fn html(g: &Graph, names: &BTreeMap<String, String>, focus: Option<&str>, env: &str) -> String {
    let what = focus.map(|f| format!(" around {}", esc(f))).unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>airgapctl graph: {env}</title>\n\
         <style>body{{font-family:sans-serif;margin:16px}} p{{color:#444}}</style></head>\n<body>\n\
         <h1>Environment {env}{what}</h1>\n\
         <p>Columns are accounts; boxes are VPCs and what belongs to no VPC. Arrows go from a \
         box to a box that depends on it, with the number of dependencies. Hover a resource \
         for its address and kind.</p>\n{}</body></html>\n",
        svg(g, names, focus),
        env = esc(env),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub_spoke() -> Graph {
        airgap_blueprint::examples::hub_spoke().seal().unwrap()
    }

    #[test]
    fn boxes_list_every_resource_and_arrows_only_cross_boxes() {
        let g = hub_spoke();
        let s = svg(&g, &BTreeMap::new(), None);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>\n"));
        for n in g.nodes() {
            assert!(s.contains(&format!("<title>{} (", esc(n.id.as_str()))), "{} missing", n.id);
        }
        let arrows = s.matches("<path d=").count();
        assert!(arrows > 0 && arrows < 40, "{arrows} arrows");
        assert!(s.contains("VPC workload") && s.contains("outside VPCs"));
    }

    #[test]
    fn focus_keeps_the_node_and_its_neighbours() {
        let g = hub_spoke();
        let s = svg(&g, &BTreeMap::new(), Some("cluster/apps/nodegroup/general"));
        assert!(s.contains("<title>cluster/apps/nodegroup/general ("));
        assert!(s.contains("<title>cluster/apps ("), "its dependency");
        assert!(!s.contains("<title>vpc/tooling ("), "unrelated");
        assert!(!focus_found(&g, "cluster/nothing"));
        let page = html(&g, &BTreeMap::new(), None, "hub-spoke");
        assert!(page.starts_with("<!doctype html>") && page.contains("<svg"));
    }
}
