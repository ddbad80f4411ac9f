//! Per-VPC or central interface endpoints: for each service with an interface endpoint
//! in more than one VPC, the month's cost of the endpoints as planned (one per VPC)
//! against one central set in a shared VPC that the other VPCs reach over the transit
//! gateway, and the traffic at which the two cost the same.
//!
//! With `H` = 730 hours, `a_i` the AZs of VPC i's endpoint, `a_c` those of the central
//! one, `p_h` the endpoint's AZ-hour, `z` a private hosted zone's month (the central
//! endpoint's DNS name, associated with every VPC), `p_t` the transit gateway's GB and
//! `G_x` the GB a month that would cross the transit gateway (all the service's traffic
//! but the host VPC's own):
//!
//! ```text
//! per-VPC = sum_i a_i * H * p_h              + G * p_e
//! central = a_c * H * p_h + z + G_x * p_t    + G * p_e
//! break-even G_x* = (sum_i a_i * H * p_h - a_c * H * p_h - z) / p_t
//! ```
//!
//! The endpoints' own per-GB charge (`G * p_e`) is the same either way and cancels:
//! central is cheaper while less than `G_x*` GB a month crosses the transit gateway.

use serde::Serialize;

use crate::estimate::Context;
use crate::inventory::{Billable, Resource};
use crate::prices::{Prices, HOURS_PER_MONTH};
use crate::usage::Usage;

/// One VPC with an endpoint of the service.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Consumer {
    pub vpc: String,
    /// The account's blueprint name.
    pub account: String,
    pub azs: u32,
    /// GB a month through this VPC's endpoint, when the usage file gives it.
    pub gb: Option<f64>,
}

/// The comparison for one service.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakEven {
    pub service: String,
    pub consumers: Vec<Consumer>,
    /// The VPC that would hold the central endpoint.
    pub host: String,
    pub host_azs: u32,
    /// A month of the endpoints as planned, traffic aside.
    pub per_vpc_fixed: f64,
    /// A month of the central endpoint and its hosted zone, traffic aside.
    pub central_fixed: f64,
    /// The transit gateway's price per GB.
    pub transit_gateway_gb: f64,
    /// What a GB between a VPC and the central endpoint costs on the way: twice the
    /// transit gateway's GB, plus the firewall's when the hub has one.
    pub crossing_rate: f64,
    /// GB a month that would cross the transit gateway, when the usage file gives
    /// every non-host VPC's traffic.
    pub crossing_gb: Option<f64>,
    /// Whole months with traffic, when known (the endpoints' own GB included).
    pub per_vpc_monthly: Option<f64>,
    pub central_monthly: Option<f64>,
    /// GB a month crossing the transit gateway at which both cost the same; `None`:
    /// central never costs less (it saves no fixed cost).
    pub break_even_gb: Option<f64>,
}

/// The host of a central endpoint: a VPC with the service in the shared (registries)
/// account, else the hub's inspection VPC (in the network account, attached already).
fn host(consumers: &[Consumer], accounts: &[(String, String)], ctx: &Context) -> (String, u32) {
    let shared = ctx
        .shared_account
        .as_ref()
        .and_then(|id| accounts.iter().find(|(i, _)| i == id))
        .map(|(_, name)| name.clone());
    if let Some(c) = consumers.iter().find(|c| Some(&c.account) == shared.as_ref()) {
        return (c.vpc.clone(), c.azs);
    }
    if ctx.hub_account.is_some() {
        return ("inspection".into(), ctx.azs.max(1));
    }
    let c = consumers.iter().max_by_key(|c| c.azs).expect("more than one consumer");
    (c.vpc.clone(), c.azs)
}

/// The comparison for every interface endpoint service in more than one VPC, by name.
pub fn break_even(
    resources: &[Resource],
    prices: &Prices,
    usage: &Usage,
    ctx: &Context,
) -> Vec<BreakEven> {
    let mut services: Vec<(String, Vec<Consumer>)> = Vec::new();
    for r in resources {
        if let Billable::InterfaceEndpoint { vpc, service, azs } = &r.what {
            let gb = usage.vpcs.get(vpc).and_then(|u| u.endpoints.get(service).copied());
            let c =
                Consumer { vpc: vpc.clone(), account: ctx.account_name(&r.account), azs: *azs, gb };
            match services.iter_mut().find(|(s, _)| s == service) {
                Some((_, list)) => list.push(c),
                None => services.push((service.clone(), vec![c])),
            }
        }
    }
    services.sort_by(|a, b| a.0.cmp(&b.0));
    let h = HOURS_PER_MONTH;
    let p_h = prices.interface_endpoint_hour;
    // A GB between a VPC and a central endpoint in another VPC takes the hub's way: the
    // spokes' transit gateway route table sends everything to the inspection VPC, so the
    // transit gateway processes it twice (from the VPC, then from the inspection VPC back
    // to the transit gateway; its pricing page bills each GB sent into it from an
    // attachment), and the firewall, when there is one, once.
    let crossing_rate =
        2.0 * prices.transit_gateway_gb + if ctx.firewall { prices.firewall_gb } else { 0.0 };
    services
        .into_iter()
        .filter(|(_, c)| c.len() > 1)
        .map(|(service, consumers)| {
            let (host, host_azs) = host(&consumers, &ctx.accounts, ctx);
            let per_vpc_fixed: f64 = consumers.iter().map(|c| f64::from(c.azs) * h * p_h).sum();
            let central_fixed = f64::from(host_azs) * h * p_h + prices.hosted_zone_month;
            let crossing_gb: Option<f64> =
                consumers.iter().filter(|c| c.vpc != host).map(|c| c.gb).sum();
            let all_gb: Option<f64> = consumers.iter().map(|c| c.gb).sum();
            let own = all_gb.map(|g| g * prices.interface_endpoint_gb);
            let saved = per_vpc_fixed - central_fixed;
            let break_even_gb = (saved > 0.0).then(|| {
                if crossing_rate > 0.0 {
                    saved / crossing_rate
                } else {
                    f64::INFINITY
                }
            });
            BreakEven {
                per_vpc_monthly: own.map(|o| per_vpc_fixed + o),
                central_monthly: own
                    .zip(crossing_gb)
                    .map(|(o, x)| central_fixed + x * crossing_rate + o),
                service,
                consumers,
                host,
                host_azs,
                per_vpc_fixed,
                central_fixed,
                transit_gateway_gb: prices.transit_gateway_gb,
                crossing_rate,
                crossing_gb,
                break_even_gb,
            }
        })
        .collect()
}
