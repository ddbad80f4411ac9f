//! `airgapctl validate`: every problem of a blueprint at once.

use std::path::PathBuf;

use airgap_blueprint::{Blueprint, LoadError};
use serde_json::json;

use super::out;
use crate::cli::Output;
use crate::exit::{CmdResult, ExitStatus, Failure};
use crate::render::count_of;

/// Loads a blueprint (the blueprint crate's one loader); any problem is an input error
/// (exit 3). Also returns the hash of the text it was parsed from, which saved plans
/// record.
pub fn load(paths: &[PathBuf], sets: &[String]) -> Result<(Blueprint, u64), Failure> {
    let loaded = airgap_blueprint::load_all(paths, sets).map_err(Failure::invalid)?;
    Ok((loaded.blueprint, loaded.text_hash))
}

/// How diagnostics and reports name the blueprint of `paths`: `base.yaml + pr.yaml`.
pub fn sources_name(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| airgap_blueprint::source_name(p)).collect();
    names.join(" + ")
}

pub fn run(file: &[PathBuf], set: &[String], output: Output) -> CmdResult {
    let result = airgap_blueprint::load_all(file, set).map(|l| l.blueprint);
    if output == Output::Text {
        let bp = result.map_err(Failure::invalid)?;
        out(&format!(
            "{}: valid (environment {}, region {}, {}, {}, {})\n",
            sources_name(file),
            bp.metadata.name.value,
            bp.metadata.region.value,
            count_of(bp.accounts.len(), "account", "accounts"),
            count_of(bp.vpcs.len(), "VPC", "VPCs"),
            count_of(bp.clusters.len(), "cluster", "clusters")
        ));
        return Ok(ExitStatus::Success);
    }
    match result {
        Ok(_) => {
            out(&format!(
                "{}\n",
                json!({
                    "file": sources_name(file),
                    "valid": true,
                    "problems": [],
                    "omitted": 0
                })
            ));
            Ok(ExitStatus::Success)
        }
        Err(LoadError::Invalid(d)) => {
            let problems: Vec<_> = d
                .problems()
                .iter()
                .map(|p| {
                    let (line, column) = p.line_col();
                    json!({
                        "file": p.file(),
                        "code": p.code().as_str(),
                        "message": p.message(),
                        "line": line,
                        "column": column,
                        "help": p.help_text(),
                    })
                })
                .collect();
            out(&format!(
                "{}\n",
                // Problems beyond the first 100 are counted, not listed (a hostile file
                // can hold millions).
                json!({
                    "file": sources_name(file),
                    "valid": false,
                    "problems": problems,
                    "omitted": d.omitted()
                })
            ));
            Ok(ExitStatus::Invalid)
        }
        // Unreadable, too large or not UTF-8: still one document, with the one problem
        // and no position (there is no text to point into).
        Err(e) => {
            use miette::Diagnostic;
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            out(&format!(
                "{}\n",
                json!({
                    "file": sources_name(file),
                    "valid": false,
                    "problems": [{
                        "code": e.code().map(|c| c.to_string()),
                        "message": message,
                        "line": null,
                        "column": null,
                        "help": e.help().map(|h| h.to_string()),
                    }],
                    "omitted": 0
                })
            ));
            Ok(ExitStatus::Invalid)
        }
    }
}
