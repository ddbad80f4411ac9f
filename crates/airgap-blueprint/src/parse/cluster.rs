//! The node group's readers that one field type cannot express: the image, chosen by
//! one of three keys, and `updateConfig`, one of two. The rest of `clusters` is read by
//! `#[derive(Section)]` on the model's `Cluster` and `Nodegroup`.

use miette::SourceSpan;
use serde_json::{json, Map, Value as Json};

use super::{keys, Obj, Parser};
use crate::diag::Code;
use crate::model::*;
use crate::regions;
use crate::section::{At, Field, Leaf, Schema};
use crate::yaml::Node;

/// The node image: `amiType`, `launchTemplate` or `amiId`, at most one of them (default
/// the EKS AMI type `AL2023_x86_64_STANDARD`).
pub(crate) mod ami {
    use super::*;

    pub(crate) const KEYS: &[&str] = &["amiType", "launchTemplate", "amiId"];

    pub(crate) fn read(p: &mut Parser<'_>, o: &Obj<'_>, _: &str) -> Spanned<Ami> {
        let ami_keys: Vec<(&Node, &Node)> = KEYS.iter().filter_map(|k| p.get(o, k)).collect();
        if ami_keys.len() > 1 {
            exclusive(p, ami_keys[1].0.span, ami_keys[0].0.span);
        }
        match ami_keys.first() {
            None => Spanned::new(Ami::Type("AL2023_x86_64_STANDARD".into()), o.owner()),
            Some((k, v)) => match k.scalar() {
                Some("launchTemplate") => {
                    match p.obj(v, k.span, "`launchTemplate`", keys::LAUNCH_TEMPLATE) {
                        Some(lt) => {
                            let id = p.opt_string(&lt, "id");
                            let nm = p.opt_string(&lt, "name");
                            let version = p.opt_string(&lt, "version").map(|s| s.value);
                            match (id, nm) {
                                (Some(i), None) | (None, Some(i)) => Spanned::new(
                                    Ami::LaunchTemplate { id_or_name: i.value, version },
                                    v.span,
                                ),
                                _ => {
                                    p.sink
                                            .report(
                                                Code::InvalidValue,
                                                k.span,
                                                "`launchTemplate` needs exactly one of `id` or `name`",
                                                "ambiguous launch template",
                                            )
                                            .help("write `launchTemplate: { id: lt-0123456789abcdef0 }` or `{ name: my-template }`");
                                    p.poisoned(Ami::Type(String::new()), v.span)
                                }
                            }
                        }
                        None => p.poisoned(Ami::Type(String::new()), v.span),
                    }
                }
                Some("amiId") => match p.string(v, "`amiId`") {
                    Some(s) => Spanned::new(Ami::Id(s.value), s.span),
                    None => p.poisoned(Ami::Type(String::new()), v.span),
                },
                _ => match p.string(v, "`amiType`") {
                    Some(s) => Spanned::new(Ami::Type(s.value), s.span),
                    None => p.poisoned(Ami::Type(String::new()), v.span),
                },
            },
        }
    }

    pub(crate) fn schema(
        s: &mut Schema,
        props: &mut Map<String, Json>,
        obj: &mut Map<String, Json>,
    ) {
        props.insert(
            "amiType".into(),
            json!({ "enum": regions::AMI_TYPES, "default": "AL2023_x86_64_STANDARD" }),
        );
        let lt = s.def_json(
            "launchTemplate",
            json!({
                "type": "object",
                "additionalProperties": false,
                "oneOf": [ { "required": ["id"] }, { "required": ["name"] } ],
                "properties": {
                    "id": { "type": "string" },
                    "name": { "type": "string" },
                    "version": { "type": ["string", "integer"] }
                }
            }),
        );
        props.insert("launchTemplate".into(), lt);
        props.insert(
            "amiId".into(),
            json!({ "type": "string", "pattern": "^ami-([0-9a-f]{8}|[0-9a-f]{17})$" }),
        );
        obj.insert(
            "not".into(),
            json!({ "anyOf": [
                { "required": ["amiType", "launchTemplate"] },
                { "required": ["amiType", "amiId"] },
                { "required": ["launchTemplate", "amiId"] }
            ] }),
        );
    }

    fn exclusive(p: &mut Parser<'_>, second: SourceSpan, first: SourceSpan) {
        p.sink
                .report(
                    Code::InvalidValue,
                    second,
                    "a node group takes only one of `amiType`, `launchTemplate`, `amiId`",
                    "second image choice",
                )
                .also(first, "first image choice")
                .help("keep one: `amiType` for an EKS AMI, `amiId` for a custom AMI, `launchTemplate` for your own template");
    }
}

/// `updateConfig`: exactly one of `maxUnavailable`, `maxUnavailablePercentage`, each
/// 1-100 (EKS API `NodegroupUpdateConfig`).
impl Leaf for MaxUnavailable {
    fn read(p: &mut Parser<'_>, at: &At<'_>) -> Option<Spanned<Self>> {
        let u = p.obj(at.node, at.key, "`updateConfig`", keys::UPDATE_CONFIG)?;
        match (p.get(&u, "maxUnavailable"), p.get(&u, "maxUnavailablePercentage")) {
            (Some((_, n)), None) => p
                .int(n, "`maxUnavailable`", 1, 100)
                .map(|n| Spanned::new(MaxUnavailable::Nodes(n.value as i32), n.span)),
            (None, Some((_, n))) => p
                .int(n, "`maxUnavailablePercentage`", 1, 100)
                .map(|n| Spanned::new(MaxUnavailable::Percentage(n.value as i32), n.span)),
            (Some((first, _)), Some((second, _))) => {
                p.sink
                    .report(
                        Code::InvalidValue,
                        second.span,
                        "`updateConfig` takes only one of `maxUnavailable`, `maxUnavailablePercentage`",
                        "second limit",
                    )
                    .also(first.span, "first limit")
                    .help("keep one: `maxUnavailable: 2` (nodes) or `maxUnavailablePercentage: 25`");
                None
            }
            (None, None) => {
                p.sink
                    .report(
                        Code::Missing,
                        at.key,
                        "`updateConfig` needs `maxUnavailable` or `maxUnavailablePercentage`",
                        "no limit given",
                    )
                    .help("write `updateConfig: { maxUnavailable: 1 }`, or leave `updateConfig` out for the EKS default");
                None
            }
        }
    }

    fn placeholder() -> Self {
        MaxUnavailable::Nodes(1)
    }

    fn schema(s: &mut Schema, _: &Field) -> Json {
        s.def_json(
            "updateConfig",
            json!({
                "type": "object",
                "additionalProperties": false,
                "oneOf": [ { "required": ["maxUnavailable"] }, { "required": ["maxUnavailablePercentage"] } ],
                "properties": {
                    "maxUnavailable": { "type": "integer", "minimum": 1, "maximum": 100 },
                    "maxUnavailablePercentage": { "type": "integer", "minimum": 1, "maximum": 100 }
                }
            }),
        )
    }

    fn to_json(&self) -> Json {
        match self {
            MaxUnavailable::Nodes(n) => json!({ "maxUnavailable": n }),
            MaxUnavailable::Percentage(n) => json!({ "maxUnavailablePercentage": n }),
        }
    }
}
