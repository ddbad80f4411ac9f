//! Counts the API calls actually sent (each HTTP attempt, retries included), per
//! service and operation, through an SDK interceptor.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// A client of one SDK crate (`aws_sdk_ec2`, ...) for an `SdkConfig`, whose calls the
/// `CallStats` count: every client the crate makes is built here, so none goes uncounted.
macro_rules! counted_client {
    ($sdk:ident, $conf:expr, $stats:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($conf).interceptor($stats.clone()).build(),
        )
    };
}
pub(crate) use counted_client;

/// Shared call counts; clone it into every client's config.
#[derive(Clone, Debug, Default)]
pub struct CallStats {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallStats {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts by `service:Operation`.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().expect("stats poisoned").clone()
    }

    pub fn total(&self) -> u64 {
        self.counts.lock().expect("stats poisoned").values().sum()
    }

    pub fn reset(&self) {
        self.counts.lock().expect("stats poisoned").clear();
    }

    fn record(&self, service: &str, operation: &str) {
        *self
            .counts
            .lock()
            .expect("stats poisoned")
            .entry(format!("{service}:{operation}"))
            .or_default() += 1;
    }
}

impl Intercept for CallStats {
    fn name(&self) -> &'static str {
        "airgap-call-stats"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(m) => self.record(m.service(), m.name()),
            None => self.record("unknown", "unknown"),
        }
        Ok(())
    }
}
