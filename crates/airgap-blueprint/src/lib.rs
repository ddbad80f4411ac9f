//! Blueprint parsing and validation.
//!
//! A blueprint is the YAML description of one air-gapped EKS environment.
//! [`parse`] turns it into a [`Blueprint`] whose values keep their source
//! spans, or into [`Diagnostics`] listing every problem at once, so a user
//! fixes a file in one round trip instead of one error per run.

// The JSON Schema is one large `json!` literal.
#![recursion_limit = "512"]
#![warn(missing_docs)]

pub mod artifacts;
pub mod carve;
pub mod central;
mod diag;
pub mod endpoint_policy;
pub mod examples;
pub mod expand;
pub mod layers;
pub mod lifecycle;
pub mod model;
mod parse;
pub mod regions;
mod schema;
mod section;
mod validate;
mod yaml;

use std::path::Path;

pub use artifacts::{parse_artifacts, Artifacts, ImageEntry, ImageRef, Platform, RepoChart};
pub use carve::{
    carve, carve_inspection, carve_vpc, CarveError, CarvedSubnet, CidrError, InspectionTier,
    Ipv4Net,
};
pub use diag::{line_col, Code, Diagnostics, Problem, Source, MAX_PROBLEMS};
pub use expand::{expand, expand_as};
pub use layers::{parse_layers, Layer, Layers, SET_SOURCE};
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
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            let mut sink = diag::Sink::new(name, text);
            sink.report(Code::Yaml, (0..0).into(), "the blueprint is empty", "empty file")
                .help("start from plans/single-account.yaml");
            return Err(Diagnostics::new(name, sink.problems));
        }
        Err(e) => return Err(yaml_failure(name, text, e)),
    };
    parse_root(name, text, root, &Layers::default())
}

/// The diagnostics of a source whose YAML does not parse.
fn yaml_failure(name: &str, text: &str, e: yaml::YamlError) -> Diagnostics {
    let mut sink = diag::Sink::new(name, text);
    sink.report(
        Code::Yaml,
        (e.offset..e.offset).into(),
        format!("invalid YAML: {}", e.message),
        e.label,
    )
    .help(e.help);
    Diagnostics::new(name, sink.problems)
}

/// Parses and validates a YAML tree whose spans point into `text` (the virtual text of
/// `layers`, when there are several sources).
fn parse_root(
    name: &str,
    text: &str,
    root: yaml::Node,
    layers: &Layers,
) -> Result<Blueprint, Diagnostics> {
    let mut sink = diag::Sink::new(name, text);
    let mut p = parse::Parser::new(&mut sink);
    let bp = p.blueprint(&root);
    let (poison, cut) = (std::mem::take(&mut p.poison), std::mem::take(&mut p.cut));
    if let Some(bp) = &bp {
        validate::validate(bp, &mut sink, &poison, &cut);
    }
    match bp {
        Some(mut bp) if sink.problems.is_empty() => {
            bp.layers = layers.clone();
            Ok(bp)
        }
        _ => Err(Diagnostics::from_sink(name, sink).relocated(layers)),
    }
}

/// A YAML document that does not parse (see [`yaml_to_json`]).
#[derive(Debug, thiserror::Error)]
#[error("invalid YAML at line {line}, column {column}: {message}")]
pub struct YamlSyntaxError {
    /// 1-based line of the mistake.
    pub line: usize,
    /// 1-based column (in characters) of the mistake.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// The first document of `text` as JSON, plain scalars typed by the YAML 1.2 core
/// schema; `None` for an empty stream. The blueprint's own parser, with its limits on
/// depth, size and aliases, for other YAML the CLI reads (a kubeconfig it merges into):
/// one YAML reader in the workspace.
pub fn yaml_to_json(text: &str) -> Result<Option<serde_json::Value>, YamlSyntaxError> {
    match yaml::parse(text) {
        Ok(root) => Ok(root.map(|r| r.to_json())),
        Err(e) => {
            let (line, column) = line_col(text, e.offset);
            Err(YamlSyntaxError { line, column, message: e.message })
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
    /// The file is larger than any blueprint.
    #[error("{path} is larger than {limit} bytes: not a blueprint")]
    #[diagnostic(
        code(blueprint::too_large),
        help("give the environment's YAML blueprint with -f (see plans/ for examples)")
    )]
    TooLarge {
        /// The path given.
        path: String,
        /// [`MAX_BLUEPRINT_BYTES`].
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("{path} is not UTF-8 text: {what}")]
    #[diagnostic(code(blueprint::encoding), help("{help}"))]
    Encoding {
        /// The path given.
        path: String,
        /// What was found instead, and where.
        what: String,
        /// How to convert it.
        help: String,
    },
    /// The file was read but is not a valid blueprint.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] Diagnostics),
}

/// The largest blueprint file read. A real blueprint is a few kilobytes; the bound keeps
/// a wrong path (a disk image, /dev/zero) from being read into memory whole.
pub const MAX_BLUEPRINT_BYTES: u64 = 4 * 1024 * 1024;

/// A blueprint as read from its file, with the hash of the text it was parsed from (a
/// saved plan records it, so applying the plan can tell that the file changed since).
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The validated model.
    pub blueprint: Blueprint,
    /// [`text_hash`] of the file's text.
    pub text_hash: u64,
}

/// The hash of a blueprint's text that [`Loaded::text_hash`] holds.
pub fn text_hash(text: &str) -> u64 {
    airgap_engine::fnv1a(&[text.as_bytes()])
}

/// The name diagnostics give a blueprint read from `path`: `<stdin>` for `-`.
pub fn source_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Standard input, read once: a command may load its blueprint more than once (`apply`
/// verifies it, then plans it), and the second read would find the stream at its end.
fn stdin_bytes() -> Result<Vec<u8>, std::io::Error> {
    use std::io::Read;
    static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    STDIN
        .get_or_init(|| {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_BLUEPRINT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// Reads a blueprint file's text, at most [`MAX_BLUEPRINT_BYTES`]; `-` reads standard
/// input.
pub fn read_text(path: impl AsRef<Path>) -> Result<String, LoadError> {
    use std::io::Read;
    let path = path.as_ref();
    let name = source_name(path);
    let io = |source| LoadError::Io { path: name.clone(), source };
    let bytes = if path == Path::new("-") {
        stdin_bytes().map_err(io)?
    } else {
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_BLUEPRINT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        bytes
    };
    if bytes.len() as u64 > MAX_BLUEPRINT_BYTES {
        return Err(LoadError::TooLarge { path: name, limit: MAX_BLUEPRINT_BYTES });
    }
    decode(&name, bytes)
}

/// The text of a blueprint file, or why it is not UTF-8 with the way to convert it:
/// editors on Windows (and PowerShell's `>`) save UTF-16, which the I/O error alone
/// ("stream did not contain valid UTF-8") does not explain.
fn decode(path: &str, bytes: Vec<u8>) -> Result<String, LoadError> {
    let utf16 = |what: &str| LoadError::Encoding {
        path: path.to_string(),
        what: format!("{what}; blueprints are UTF-8"),
        help: format!(
            "convert it: `iconv -f UTF-16 -t UTF-8 {path} > blueprint.yaml`, or save it as \
             UTF-8 in the editor (PowerShell: `Set-Content -Encoding utf8`)"
        ),
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(utf16("it is UTF-16 (it starts with a UTF-16 byte order mark)"));
    }
    // UTF-16 without a byte order mark: ASCII text with a NUL byte beside every character.
    let nuls = bytes.iter().take(64).filter(|b| **b == 0).count();
    if nuls > 0 && nuls * 3 >= bytes.len().min(64) {
        return Err(utf16("it looks like UTF-16 (every other byte is NUL)"));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // Line and column of the first byte that is not UTF-8, counted in what is.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        LoadError::Encoding {
            path: path.to_string(),
            what: format!("byte 0x{:02X} at line {line}, column {column} is not UTF-8", bytes[at]),
            help: format!(
                "save it as UTF-8; from Latin-1 (ISO 8859-1): `iconv -f LATIN1 -t UTF-8 {path} \
                 > blueprint.yaml`"
            ),
        }
    })
}

/// The hash [`load_all`] gives the texts of `paths` with `sets` applied: [`text_hash`] of
/// the one text when there is one file and no setting, so a plan saved from one file keeps
/// its hash.
pub fn layers_hash(texts: &[&str], sets: &[String]) -> u64 {
    if let ([text], []) = (texts, sets) {
        return text_hash(text);
    }
    // Each part ends with a NUL, which no text or setting holds where it matters: moving a
    // byte from one file to the next changes the hash.
    let mut parts: Vec<&[u8]> = vec![b"overlays\0"];
    for t in texts {
        parts.push(t.as_bytes());
        parts.push(b"\0");
    }
    parts.push(b"--set\0");
    for s in sets {
        parts.push(s.as_bytes());
        parts.push(b"\0");
    }
    airgap_engine::fnv1a(&parts)
}

/// [`layers_hash`] of the files at `paths`, read again (a saved plan checks that none
/// changed since).
pub fn read_layers_hash(paths: &[impl AsRef<Path>], sets: &[String]) -> Result<u64, LoadError> {
    let texts = paths.iter().map(read_text).collect::<Result<Vec<_>, _>>()?;
    Ok(layers_hash(&texts.iter().map(String::as_str).collect::<Vec<_>>(), sets))
}

/// Reads the files at `paths` (the first the blueprint, the others overlays merged over
/// it in order), applies `sets` (`path=value`), parses and validates the result: the one
/// way every command loads a blueprint. Diagnostics point into the file, or the `--set`,
/// that wrote the value.
pub fn load_all(paths: &[impl AsRef<Path>], sets: &[String]) -> Result<Loaded, LoadError> {
    let mut layers = Vec::with_capacity(paths.len());
    for p in paths {
        layers.push(Layer { name: source_name(p.as_ref()), text: read_text(p)? });
    }
    let texts: Vec<&str> = layers.iter().map(|l| l.text.as_str()).collect();
    let text_hash = layers_hash(&texts, sets);
    Ok(Loaded { blueprint: parse_layers(&layers, sets)?, text_hash })
}

/// Reads, parses and validates a blueprint file: the one way every command loads one.
/// Diagnostics are named after `path` (`<stdin>` for `-`).
pub fn load(path: impl AsRef<Path>) -> Result<Loaded, LoadError> {
    let path = path.as_ref();
    let text = read_text(path)?;
    Ok(Loaded { blueprint: parse(&source_name(path), &text)?, text_hash: text_hash(&text) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_to_json_reads_any_yaml_and_places_its_mistakes() {
        let v = yaml_to_json("a: [1, x, '2']\nb: {c: true}\n").unwrap().unwrap();
        assert_eq!(v, serde_json::json!({"a": [1, "x", "2"], "b": {"c": true}}));
        assert_eq!(yaml_to_json("").unwrap(), None);
        let e = yaml_to_json("ok: 1\nbad: [1, 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 6), "{e}");
    }
}
