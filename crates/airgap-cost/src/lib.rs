//! airgap-cost: what an environment costs, from the resource graph of its plan. Pure: no
//! AWS SDK, no printing. Prices come from a snapshot per region ([`Prices`], shipped in
//! `prices/`, or a file); traffic from a usage file ([`Usage`]), without which traffic
//! is priced per GB only. docs/cost.md gives every price's source and each formula.
//!
//! - [`inventory`]: the billed resources of a graph, read from their typed specs;
//! - [`estimate()`]: a line per billed thing by account and kind, a month (730 hours) and
//!   one TTL period (whole hours);
//! - [`break_even`]: per-VPC against central interface endpoints, and the traffic at
//!   which they cross;
//! - [`plan_cost`]: a plan's monthly cost change (creates add, deletes subtract);
//! - [`refresh`]: a snapshot from the AWS Price List Query API's answers.

pub mod breakeven;
pub mod change;
pub mod estimate;
pub mod inventory;
pub mod prices;
pub mod refresh;
pub mod usage;

pub use breakeven::{break_even, BreakEven};
pub use change::{plan_cost, PlanCost};
pub use estimate::{estimate, Basis, Context, Estimate, Kind, Line};
pub use inventory::{billable, inventory, Billable, InventoryError, Resource};
pub use prices::{Prices, PricesError, HOURS_PER_MONTH};
pub use usage::{Usage, UsageError};

/// An estimate and the break-even of a plan's graph.
#[derive(Clone, Debug)]
pub struct Report {
    pub estimate: Estimate,
    pub break_even: Vec<BreakEven>,
}

/// Why a plan could not be costed.
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    Usage(#[from] UsageError),
}

/// Costs a plan's graph: reads its billed resources, checks the usage file names only
/// what the plan has, prices them and compares endpoint layouts.
pub fn report(
    graph: &airgap_engine::Graph,
    prices: &Prices,
    usage: &Usage,
    ctx: &Context,
) -> Result<Report, CostError> {
    let resources = inventory(graph)?;
    usage.check(&estimate::known_names(&resources))?;
    Ok(Report {
        estimate: estimate(&resources, prices, usage, ctx),
        break_even: break_even(&resources, prices, usage, ctx),
    })
}
