//! Cross-field and format rules on the parsed model. Every rule runs; a
//! value whose span is poisoned (it already produced a parse problem) is
//! skipped so one mistake is reported once.
//!
//! The rules are grouped by section: `document` (apiVersion, kind, metadata,
//! accounts, AZs), `names` (name formats, references to accounts and VPCs,
//! duplicate names), `network` (CIDRs and subnet fit, endpoints, hub),
//! `cluster` (clusters, node groups, what a private cluster needs) and
//! `registry` (ECR repository names).

use std::collections::HashSet;

use miette::SourceSpan;

use crate::diag::{Code, Problem, Sink};
use crate::model::*;

mod access;
mod cluster;
mod document;
mod names;
mod network;
mod registry;

pub use names::check_env_name;
pub(crate) use registry::is_repository_name;

struct V<'a> {
    sink: &'a mut Sink,
    poison: &'a HashSet<(usize, usize)>,
    /// Lists the parser read only in part: see `Parser::cut`.
    cut: &'a HashSet<&'static str>,
}

impl V<'_> {
    fn ok<T>(&self, s: &Spanned<T>) -> bool {
        !self.poison.contains(&(s.span.offset(), s.span.len()))
    }

    /// True if the value was not written but defaulted (its span holds other text).
    fn defaulted<T: ToString>(&self, s: &Spanned<T>) -> bool {
        let text = self.sink.source.inner();
        let (a, b) = (s.span.offset(), s.span.offset() + s.span.len());
        text.get(a..b) != Some(s.value.to_string().as_str())
    }

    /// A value that is not what its field takes (`what`: "a Kubernetes version").
    fn not_a(
        &mut self,
        span: SourceSpan,
        value: &str,
        what: &str,
        label: impl Into<String>,
    ) -> &mut Problem {
        self.sink.report(Code::InvalidValue, span, format!("`{value}` is not {what}"), label)
    }

    /// Whether `item` is the first of its value in a list that names each thing once
    /// (AZs, endpoint services): a repeat is reported as `message`, pointing at the first
    /// listing, and `seen` collects the first ones.
    fn first_listing<'a>(
        &mut self,
        seen: &mut Vec<&'a Spanned<String>>,
        item: &'a Spanned<String>,
        code: Code,
        noun: &str,
        message: String,
    ) -> bool {
        if let Some(first) = seen.iter().find(|s| s.value == item.value) {
            let first = first.span;
            self.sink
                .report(code, item.span, message, format!("duplicate {noun}"))
                .also(first, "first listed here")
                .help(format!("list each {noun} once"));
            return false;
        }
        seen.push(item);
        true
    }
}

pub(crate) fn validate(
    bp: &Blueprint,
    sink: &mut Sink,
    poison: &HashSet<(usize, usize)>,
    cut: &HashSet<&'static str>,
) {
    let mut v = V { sink, poison, cut };
    v.header(bp);
    v.metadata(bp);
    v.accounts(bp);
    let az_count = v.azs(bp);
    v.references(bp);
    v.duplicates(bp);
    v.networks(bp, az_count);
    v.endpoints(bp);
    v.endpoint_layout(bp);
    v.hub(bp);
    v.clusters(bp, az_count);
    v.registries(bp);
    v.access(bp);
}
