//! The simulated cloud with AWS's facts: the catalogue's durations and replacement
//! rules, and a server that throttles with AWS's rate limits.

use std::path::Path;
use std::sync::Arc;

use airgap_engine::sim::{self, SimCloud};
use airgap_engine::Registry;

/// A simulated cloud at `time_scale` of AWS time, throttling as AWS does.
pub fn cloud(time_scale: f64) -> Arc<SimCloud> {
    SimCloud::new(time_scale, crate::rate_limits())
}

/// A saved simulated cloud (`airgapctl --simulate` keeps one per environment).
pub fn load(path: &Path, time_scale: f64) -> std::io::Result<Arc<SimCloud>> {
    SimCloud::load(path, time_scale, crate::rate_limits())
}

/// Every catalogued kind, simulated on `cloud`.
pub fn registry(cloud: &Arc<SimCloud>) -> Registry {
    sim::registry(cloud, crate::ALL)
}
