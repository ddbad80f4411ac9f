//! Blueprint parsing and validation.
//!
//! A blueprint is the YAML description of one air-gapped EKS environment.
//! [`parse`] turns it into a [`Blueprint`] whose values keep their source
//! spans, or into [`Diagnostics`] listing every problem at once, so a user
//! fixes a file in one round trip instead of one error per run.

// The JSON Schema is one large `json!` literal.
#![recursion_limit = "512"]
#![warn(missing_docs)]

pub mod carve;
mod diag;
pub mod examples;
pub mod expand;
pub mod model;
mod parse;
pub mod regions;
mod schema;
mod validate;
mod yaml;

use std::path::Path;

pub use carve::{
    carve, carve_inspection, carve_vpc, CarveError, CarvedSubnet, CidrError, InspectionTier,
    Ipv4Net,
};
pub use diag::{line_col, Code, Diagnostics, Problem, Source};
pub use expand::{expand, expand_as};
pub use model::*;
pub use parse::parse_ttl;
pub use schema::json_schema;
pub use validate::check_env_name;

/// The only `apiVersion` this crate understands.
pub const API_VERSION: &str = "airgapctl.dev/v1alpha1";
/// The only `kind` this crate understands.
pub const KIND: &str = "Environment";

/// Parses and fully validates a blueprint. `name` is shown in diagnostics
/// (usually the file path). All problems are reported together.
pub fn parse(name: &str, text: &str) -> Result<Blueprint, Diagnostics> {
    let mut sink = diag::Sink::new(name, text);
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            sink.report(
                Code::Yaml,
                (0..0).into(),
                "the blueprint is empty",
                "empty file",
            )
            .help("start from plans/single-account.yaml");
            return Err(Diagnostics::new(name, sink.problems));
        }
        Err(e) => {
            sink.report(
                Code::Yaml,
                (e.offset..e.offset).into(),
                format!("invalid YAML: {}", e.message),
                "here",
            )
            .help("fix the YAML syntax first; validation runs once the file parses");
            return Err(Diagnostics::new(name, sink.problems));
        }
    };
    let mut p = parse::Parser {
        sink: &mut sink,
        poison: Default::default(),
    };
    let bp = p.blueprint(&root);
    let poison = std::mem::take(&mut p.poison);
    if let Some(bp) = &bp {
        validate::validate(bp, &mut sink, &poison);
    }
    match bp {
        Some(bp) if sink.problems.is_empty() => Ok(bp),
        _ => {
            let mut problems = sink.problems;
            problems.sort_by_key(|p| p.span().offset());
            Err(Diagnostics::new(name, problems))
        }
    }
}

/// Why [`load`] failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read blueprint {path}")]
    #[diagnostic(code(blueprint::io))]
    Io {
        /// The path given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid blueprint.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] Diagnostics),
}

/// Reads and parses a blueprint file; diagnostics are named after `path`.
pub fn load(path: impl AsRef<Path>) -> Result<Blueprint, LoadError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(parse(&path.display().to_string(), &text)?)
}
