//! `airgapctl validate`: every problem of a blueprint at once.

use std::path::Path;

use airgap_blueprint::{Blueprint, LoadError};
use serde_json::json;

use super::out;
use crate::cli::Output;
use crate::exit::{CmdResult, ExitStatus, Failure};

/// Loads a blueprint; diagnostics become an input error (exit 3). Also returns the
/// hash of the text it was parsed from, which saved plans record.
pub fn load(path: &Path) -> Result<(Blueprint, u64), Failure> {
    let text = read_text(path)?;
    let bp = airgap_blueprint::parse(&path.display().to_string(), &text)
        .map_err(|d| Failure::invalid(LoadError::Invalid(d)))?;
    Ok((bp, text_hash(&text)))
}

/// The blueprint's text; unreadable is an input error (exit 3).
fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|source| {
        Failure::invalid(LoadError::Io {
            path: path.display().to_string(),
            source,
        })
    })
}

/// The hash of a blueprint's text a saved plan records.
pub fn text_hash(text: &str) -> u64 {
    airgap_engine::fnv1a(&[text.as_bytes()])
}

pub fn run(file: &Path, output: Output) -> CmdResult {
    let result = airgap_blueprint::load(file);
    if output == Output::Text {
        let bp = result.map_err(Failure::invalid)?;
        out(&format!(
            "{}: valid (environment {}, region {}, {} accounts, {} VPCs, {} clusters)\n",
            file.display(),
            bp.metadata.name.value,
            bp.metadata.region.value,
            bp.accounts.len(),
            bp.vpcs.len(),
            bp.clusters.len()
        ));
        return Ok(ExitStatus::Success);
    }
    match result {
        Ok(_) => {
            out(&format!(
                "{}\n",
                json!({ "file": file.display().to_string(), "valid": true, "problems": [] })
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
                json!({ "file": file.display().to_string(), "valid": false, "problems": problems })
            ));
            Ok(ExitStatus::Invalid)
        }
        Err(e) => Err(Failure::invalid(e)),
    }
}
