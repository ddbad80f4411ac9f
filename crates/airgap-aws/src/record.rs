//! The environment record: what an environment spans (accounts, region), who owns it
//! and when it expires, kept as an item of the lock table (`airgapctl-locks` in the hub
//! account) under the key `record:<env>`. `apply` writes it before it changes anything,
//! so a destroy without the blueprint (`destroy --env`), `envs` and `gc` find every
//! account even of a half-built environment; a complete destroy deletes it.
//!
//! The transit gateway, the environment's anchor in the hub account, also carries the
//! expiry as the tag `airgap:expires-at`, for people looking at the console.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_ec2::types::{Filter, Tag, TransitGatewayState};

use crate::lock::{n, num, rfc3339, s, str_val, Item, LockError, LockTable};
use crate::tags;

/// The tag on the transit gateway that says when the environment expires (RFC 3339).
pub const EXPIRES_TAG: &str = "airgap:expires-at";

/// One account of a recorded environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedAccount {
    pub id: String,
    /// The blueprint's logical name (`network`, `workload`).
    pub name: String,
    /// The role the apply assumed there (a name or an ARN), if any.
    pub role: Option<String>,
    /// The ExternalId the role's trust policy asks for, if any. Not a secret (AWS:
    /// it guards against the confused deputy, not against someone who reads it).
    pub external_id: Option<String>,
}

/// What an environment spans, as the last apply recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvRecord {
    pub env: String,
    pub region: String,
    pub hub_account: String,
    pub accounts: Vec<RecordedAccount>,
    /// The caller ARN of the last apply in the hub account.
    pub owner: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// None: the environment does not expire.
    pub expires_at_ms: Option<i64>,
}

impl EnvRecord {
    /// Whether the environment expired at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|e| e <= now_ms)
    }

    fn from_item(item: &Item) -> Option<EnvRecord> {
        let accounts = match item.get("accounts") {
            Some(AttributeValue::L(list)) => list
                .iter()
                .filter_map(|v| match v {
                    AttributeValue::M(m) => Some(RecordedAccount {
                        id: s(m, "id")?,
                        name: s(m, "name").unwrap_or_default(),
                        role: s(m, "role"),
                        external_id: s(m, "external_id"),
                    }),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(EnvRecord {
            env: s(item, "name")?,
            region: s(item, "region").unwrap_or_default(),
            hub_account: s(item, "hub_account").unwrap_or_default(),
            accounts,
            owner: s(item, "owner").unwrap_or_default(),
            created_at_ms: n(item, "created_at").unwrap_or_default(),
            updated_at_ms: n(item, "updated_at").unwrap_or_default(),
            expires_at_ms: n(item, "expires_at"),
        })
    }
}

fn account_value(a: &RecordedAccount) -> AttributeValue {
    let mut m =
        Item::from([("id".to_string(), str_val(&a.id)), ("name".to_string(), str_val(&a.name))]);
    if let Some(r) = &a.role {
        m.insert("role".to_string(), str_val(r));
    }
    if let Some(x) = &a.external_id {
        m.insert("external_id".to_string(), str_val(x));
    }
    AttributeValue::M(m)
}

fn key(env: &str) -> String {
    format!("record:{env}")
}

impl LockTable {
    /// Writes the record of `rec.env` (the table is created if needed). The creation
    /// time of an existing record is kept; everything else is replaced.
    pub async fn put_record(&self, rec: &EnvRecord) -> Result<(), LockError> {
        self.ensure().await?;
        let accounts = rec.accounts.iter().map(account_value).collect();
        let mut set = vec![
            "#item = :item",
            "#name = :name",
            "#region = :region",
            "#hub = :hub",
            "#accounts = :accounts",
            "#owner = :owner",
            "#updated = :updated",
            "#created = if_not_exists(#created, :updated)",
        ];
        let mut update = self
            .client()
            .update_item()
            .table_name(self.name())
            .key("env", str_val(key(&rec.env)))
            .expression_attribute_names("#item", "item")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#region", "region")
            .expression_attribute_names("#hub", "hub_account")
            .expression_attribute_names("#accounts", "accounts")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#updated", "updated_at")
            .expression_attribute_names("#created", "created_at")
            .expression_attribute_names("#expires", "expires_at")
            .expression_attribute_values(":item", str_val("record"))
            .expression_attribute_values(":name", str_val(&rec.env))
            .expression_attribute_values(":region", str_val(&rec.region))
            .expression_attribute_values(":hub", str_val(&rec.hub_account))
            .expression_attribute_values(":accounts", AttributeValue::L(accounts))
            .expression_attribute_values(":owner", str_val(&rec.owner))
            .expression_attribute_values(":updated", num(rec.updated_at_ms));
        let expression = match rec.expires_at_ms {
            Some(e) => {
                set.push("#expires = :expires");
                update = update.expression_attribute_values(":expires", num(e));
                format!("SET {}", set.join(", "))
            }
            None => format!("SET {} REMOVE #expires", set.join(", ")),
        };
        update
            .update_expression(expression)
            .send()
            .await
            .map_err(|e| self.aws_err("UpdateItem", e))?;
        Ok(())
    }

    /// The record of `env`; None if there is none (or no table).
    pub async fn get_record(&self, env: &str) -> Result<Option<EnvRecord>, LockError> {
        Ok(self.get_item(&key(env)).await?.as_ref().and_then(EnvRecord::from_item))
    }

    /// Deletes the record of `env` (fine if there is none).
    pub async fn delete_record(&self, env: &str) -> Result<(), LockError> {
        match self
            .client()
            .delete_item()
            .table_name(self.name())
            .key("env", str_val(key(env)))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.aws_err("DeleteItem", e)),
        }
    }

    /// Every record in the table, by name; none without a table.
    pub async fn list_records(&self) -> Result<Vec<EnvRecord>, LockError> {
        if !self.exists().await? {
            return Ok(Vec::new());
        }
        let items: Vec<Item> = self
            .client()
            .scan()
            .table_name(self.name())
            .filter_expression("#item = :record")
            .expression_attribute_names("#item", "item")
            .expression_attribute_values(":record", str_val("record"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.aws_err("Scan", e))?;
        let mut records: Vec<EnvRecord> = items.iter().filter_map(EnvRecord::from_item).collect();
        records.sort_by(|a, b| a.env.cmp(&b.env));
        Ok(records)
    }
}

/// Tags the environment's transit gateways in the hub account with
/// `airgap:expires-at` (or removes the tag when the environment does not expire).
/// Returns how many were tagged; none exists before the apply created it.
pub async fn tag_expiry(
    hub_config: &aws_types::SdkConfig,
    env: &str,
    hub_account: &str,
    expires_at_ms: Option<i64>,
) -> Result<usize, LockError> {
    let err = |op: &'static str, detail: String| LockError::Aws {
        table: format!("(transit gateway of {env})"),
        operation: op,
        detail,
    };
    let ec2 = aws_sdk_ec2::Client::new(hub_config);
    let tgws = ec2
        .describe_transit_gateways()
        .filters(Filter::builder().name(format!("tag:{}", tags::ENV)).values(env).build())
        .send()
        .await
        .map_err(|e| {
            err("DescribeTransitGateways", aws_sdk_ec2::error::DisplayErrorContext(&e).to_string())
        })?;
    let ids: Vec<String> = tgws
        .transit_gateways()
        .iter()
        .filter(|t| {
            t.owner_id().is_none_or(|o| o == hub_account)
                && !matches!(
                    t.state(),
                    Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting)
                )
                && t.tags()
                    .iter()
                    .any(|tag| tag.key() == Some(tags::ENV) && tag.value() == Some(env))
        })
        .filter_map(|t| t.transit_gateway_id().map(str::to_string))
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let tag = |with_value: bool| {
        let b = Tag::builder().key(EXPIRES_TAG);
        match (with_value, expires_at_ms) {
            (true, Some(e)) => b.value(rfc3339(e)).build(),
            _ => b.build(),
        }
    };
    let result = match expires_at_ms {
        Some(_) => ec2
            .create_tags()
            .set_resources(Some(ids.clone()))
            .tags(tag(true))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                err("CreateTags", aws_sdk_ec2::error::DisplayErrorContext(&e).to_string())
            }),
        None => ec2
            .delete_tags()
            .set_resources(Some(ids.clone()))
            .tags(tag(false))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                err("DeleteTags", aws_sdk_ec2::error::DisplayErrorContext(&e).to_string())
            }),
    };
    result.map(|()| ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_items() {
        let rec = EnvRecord {
            env: "demo".into(),
            region: "eu-central-1".into(),
            hub_account: "111111111111".into(),
            accounts: vec![
                RecordedAccount {
                    id: "111111111111".into(),
                    name: "network".into(),
                    role: Some("airgap-deployer".into()),
                    external_id: Some("ci-7f3a".into()),
                },
                RecordedAccount {
                    id: "222222222222".into(),
                    name: "workload".into(),
                    role: None,
                    external_id: None,
                },
            ],
            owner: "arn:aws:sts::111111111111:assumed-role/x/y".into(),
            created_at_ms: 1,
            updated_at_ms: 2,
            expires_at_ms: Some(3),
        };
        let accounts = rec.accounts.iter().map(account_value).collect();
        let item = Item::from([
            ("env".to_string(), str_val(key("demo"))),
            ("name".to_string(), str_val("demo")),
            ("region".to_string(), str_val("eu-central-1")),
            ("hub_account".to_string(), str_val("111111111111")),
            ("accounts".to_string(), AttributeValue::L(accounts)),
            ("owner".to_string(), str_val(&rec.owner)),
            ("created_at".to_string(), num(1)),
            ("updated_at".to_string(), num(2)),
            ("expires_at".to_string(), num(3)),
        ]);
        assert_eq!(EnvRecord::from_item(&item), Some(rec.clone()));
        assert!(rec.expired(3));
        assert!(!rec.expired(2));
        let forever = EnvRecord { expires_at_ms: None, ..rec };
        assert!(!forever.expired(i64::MAX));
    }

    #[test]
    fn record_keys_cannot_be_env_names() {
        // Env names are letters, digits, '-' and '_': a lock key never has a ':'.
        assert_eq!(key("demo"), "record:demo");
    }
}
