//! The AWS Price List Query API (`pricing:GetProducts`), for `airgapctl cost
//! refresh-prices`. Its endpoints are in us-east-1, eu-central-1 and ap-south-1 only (AWS
//! Billing User Guide, "Using the AWS Price List Query API"); the prices it answers are the
//! same from each, for every region. The caller's credentials are used as they are: prices
//! are public, any identity with `pricing:GetProducts` may read them.

use aws_config::BehaviorVersion;
use aws_sdk_pricing::error::DisplayErrorContext;
use aws_sdk_pricing::types::{Filter, FilterType};
use aws_types::region::Region;

use crate::provider::{retry_config, timeout_config};

/// The regions the Price List Query API answers in.
pub const API_REGIONS: [&str; 3] = ["us-east-1", "eu-central-1", "ap-south-1"];

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("the Price List Query API answers in us-east-1, eu-central-1 and ap-south-1, not {0}")]
    ApiRegion(String),
    #[error("GetProducts {service_code}: {message}")]
    Call { service_code: String, message: String },
    #[error("a filter cannot be built: {0}")]
    Filter(String),
}

/// A client of the Price List Query API.
pub struct PriceList {
    client: aws_sdk_pricing::Client,
}

impl PriceList {
    /// A client in `api_region`, with the caller's credentials (or `profile`'s), every
    /// call to `endpoint_url` when given (LocalStack).
    pub async fn connect(
        api_region: &str,
        endpoint_url: Option<&str>,
        profile: Option<&str>,
    ) -> Result<PriceList, PricingError> {
        if !API_REGIONS.contains(&api_region) {
            return Err(PricingError::ApiRegion(api_region.to_string()));
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(api_region.to_string()))
            .retry_config(retry_config())
            .timeout_config(timeout_config());
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        Ok(PriceList { client: aws_sdk_pricing::Client::new(&loader.load().await) })
    }

    /// Every product of `service_code` matching all `TERM_MATCH` filters (field, value),
    /// as the JSON documents the API answers, page after page.
    pub async fn get_products(
        &self,
        service_code: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<String>, PricingError> {
        let filters = filters
            .iter()
            .map(|(field, value)| {
                Filter::builder()
                    .r#type(FilterType::TermMatch)
                    .field(field)
                    .value(value)
                    .build()
                    .map_err(|e| PricingError::Filter(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let answer = self
                .client
                .get_products()
                .service_code(service_code)
                .set_filters(Some(filters.clone()))
                .format_version("aws_v1")
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| PricingError::Call {
                    service_code: service_code.to_string(),
                    message: DisplayErrorContext(&e).to_string(),
                })?;
            out.extend(answer.price_list.unwrap_or_default());
            match answer.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(out),
            }
        }
    }
}
