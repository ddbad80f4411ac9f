//! `airgapctl cost`: what the blueprint's environment costs a month (and per TTL
//! period), by account and resource kind, and the break-even of central interface
//! endpoints. The model is `airgap_cost`'s; this reads the files and prints.

use std::path::Path;

use airgap_cost::{Basis, BreakEven, Context, Estimate, Line, Prices, Usage};
use miette::miette;
use serde_json::json;

use super::{declared, out};
use crate::cli::{CostArgs, Global, Output, RefreshPricesArgs, Source};
use crate::exit::{CmdResult, ExitStatus, Failure};

/// The version of the JSON document; a change that removes or renames a field bumps it.
pub const JSON_FORMAT_VERSION: u32 = 1;

pub fn run(args: &CostArgs, output: Output) -> CmdResult {
    let source =
        Source::aws(args.blueprint.file.clone(), args.blueprint.set.clone(), args.env.clone(), 1.0);
    let d = declared(&source, false)?;
    let file = super::validate::sources_name(&args.blueprint.file);
    let bp = d.blueprint.as_ref().expect("-f gives a blueprint");
    let region = &bp.metadata.region.value;
    let prices = match &args.prices {
        Some(path) => Prices::from_file(path, region),
        None => Prices::shipped(region),
    }
    .map_err(|e| Failure::invalid(miette!("{e}")))?;
    let usage = match &args.usage {
        Some(path) => read_usage(path)?,
        None => Usage::default(),
    };
    let ctx = Context::from_blueprint(bp);
    let report = airgap_cost::report(&d.graph, &prices, &usage, &ctx).map_err(|e| match e {
        airgap_cost::CostError::Usage(u) => Failure::invalid(miette::Report::new(u)),
        other => Failure::failed(miette!("cannot read the plan's resources (a bug): {other}")),
    })?;
    match output {
        Output::Text => out(&text(&file, &d.env, &report.estimate, &report.break_even)),
        Output::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "format_version": JSON_FORMAT_VERSION,
                "file": file,
                "env": d.env,
                "estimate": report.estimate,
                "by_account": report.estimate.by_account().into_iter()
                    .map(|(a, m)| json!({"account": a, "monthly": m})).collect::<Vec<_>>(),
                "by_kind": report.estimate.by_kind().into_iter()
                    .map(|(k, m)| json!({"kind": k, "monthly": m})).collect::<Vec<_>>(),
                "break_even": report.break_even,
            }))
            .expect("the report serializes")
        )),
    }
    Ok(ExitStatus::Success)
}

/// `cost refresh-prices`: every price of the snapshot from the Price List Query API,
/// written as a snapshot `--prices` reads.
pub async fn refresh(args: &RefreshPricesArgs, global: &Global) -> CmdResult {
    let region = global.region.clone().ok_or_else(|| {
        Failure::invalid(miette!(
            help = "e.g. airgapctl cost refresh-prices --region eu-central-1",
            "give the region whose prices to fetch with --region"
        ))
    })?;
    // The shipped snapshot's instance types, and those asked for.
    let mut types: Vec<String> =
        Prices::shipped(&region).map(|p| p.instance_hour.into_keys().collect()).unwrap_or_default();
    for t in &args.instance_type {
        if !types.contains(t) {
            types.push(t.clone());
        }
    }
    types.sort();
    let list = airgap_aws::pricing::PriceList::connect(
        &args.api_region,
        global.endpoint_url.as_deref(),
        global.profile.as_deref(),
    )
    .await
    .map_err(|e| Failure::invalid(miette!("--api-region: {e}")))?;
    let mut answers = Vec::new();
    for q in airgap_cost::refresh::queries(&region, &types) {
        let products = list
            .get_products(q.service_code, &q.filters)
            .await
            .map_err(|e| Failure::failed(miette!("{e}")))?;
        answers.push((q, products));
    }
    let today = airgap_aws::lock::rfc3339(airgap_aws::lock::now_ms())[..10].to_string();
    let source = format!(
        "AWS Price List Query API (pricing:GetProducts at the {} endpoint), on-demand, first \
         tier; fetched {today} by `airgapctl cost refresh-prices`",
        args.api_region
    );
    let prices = airgap_cost::refresh::snapshot(&region, source, today, &answers)
        .map_err(|e| Failure::failed(miette!("{e}")))?;
    let path = args.out.clone().unwrap_or_else(|| format!("prices-{region}.json").into());
    let text = serde_json::to_string_pretty(&prices).expect("prices serialize");
    std::fs::write(&path, format!("{text}\n")).map_err(|e| {
        Failure::failed(miette!("cannot write the prices to {}: {e}", path.display()))
    })?;
    match global.output {
        Output::Text => out(&format!(
            "Wrote the prices of {region} ({} instance types) to {}; use them with \
             `airgapctl cost -f FILE --prices {}`.\n",
            prices.instance_hour.len(),
            path.display(),
            path.display()
        )),
        Output::Json => out(&format!(
            "{}\n",
            json!({"region": region, "file": path.display().to_string(), "prices": prices})
        )),
    }
    Ok(ExitStatus::Success)
}

fn read_usage(path: &Path) -> Result<Usage, Failure> {
    use std::io::Read;
    let mut text = String::new();
    // One byte over the limit is enough for the parser to refuse the file.
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(airgap_cost::usage::MAX_USAGE_BYTES as u64 + 1).read_to_string(&mut text)
        })
        .map_err(|e| {
            Failure::invalid(miette!("cannot read the usage file {}: {e}", path.display()))
        })?;
    Usage::parse(&path.display().to_string(), &text)
        .map_err(|e| Failure::invalid(miette::Report::new(e)))
}

/// `$1,234.56`, `-$75.92`.
pub fn money(v: f64) -> String {
    let cents = (v.abs() * 100.0).round() as u64;
    let (whole, frac) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${grouped}.{frac:02}")
}

/// A rate with the digits it was given (`$0.012`, `$0.395`).
fn rate(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0');
    let s = if s.ends_with('.') { format!("{s}00") } else { s.to_string() };
    let s = match s.split_once('.') {
        Some((_, f)) if f.len() == 1 => format!("{s}0"),
        _ => s,
    };
    format!("${s}")
}

fn basis(b: &Basis) -> String {
    let units = |u: f64| if u.fract() == 0.0 { format!("{u}") } else { format!("{u:.2}") };
    match *b {
        Basis::Hour { units: u, rate: r } => format!("{} x {}/h", units(u), rate(r)),
        Basis::Month { units: u, rate: r } => format!("{} x {}/month", units(u), rate(r)),
        Basis::WholeMonth { units: u, rate: r } => {
            format!("{} x {}/month (whole months)", units(u), rate(r))
        }
        Basis::Gb { gb: Some(g), rate: r } => format!("{} GB x {}/GB", units(g), rate(r)),
        Basis::Gb { gb: None, rate: r } => format!("{}/GB", rate(r)),
    }
}

fn cell(l: &Line) -> String {
    match (l.monthly, l.basis) {
        (Some(m), _) => money(m),
        (None, Basis::Gb { .. }) => "per GB".into(),
        (None, _) => "-".into(),
    }
}

/// The table: by account, then kind; totals; by kind; the break-even.
pub fn text(file: &str, env: &str, e: &Estimate, breakeven: &[BreakEven]) -> String {
    let ttl = e.ttl_hours.map(|h| format!("{h} h TTL"));
    let mut s = format!(
        "Cost of {} (environment {env}, {}), {} a month of {} hours{}\nPrices: {} (as of {})\n",
        file,
        e.region,
        e.currency,
        e.hours_per_month,
        ttl.as_ref()
            .map(|t| format!(" and per {t} (partial hours bill as full hours)"))
            .unwrap_or_default(),
        e.prices_source,
        e.prices_as_of,
    );
    let ttl_col = |v: Option<f64>| match (&ttl, v) {
        (None, _) => String::new(),
        (Some(_), Some(v)) => format!(" {:>12}", money(v)),
        (Some(_), None) => format!(" {:>12}", "-"),
    };
    s.push_str(&format!(
        "\n{:<58} {:<24} {:>12}{}\n",
        "ACCOUNT / KIND / ITEM",
        "BASIS",
        "MONTH",
        ttl.as_ref().map(|t| format!(" {t:>12}")).unwrap_or_default()
    ));
    let totals = e.by_account();
    let mut account: Option<&str> = None;
    let mut kind = None;
    for l in &e.lines {
        if account != Some(l.account.as_str()) {
            if let Some(a) = account {
                s.push_str(&subtotal(a, &totals));
            }
            s.push_str(&format!("{}\n", l.account));
            account = Some(&l.account);
            kind = None;
        }
        if kind != Some(l.kind) {
            s.push_str(&format!("  {}\n", l.kind.title()));
            kind = Some(l.kind);
        }
        s.push_str(&format!(
            "    {:<54} {:<24} {:>12}{}\n",
            l.item,
            basis(&l.basis),
            cell(l),
            ttl_col(l.ttl_period)
        ));
    }
    if let Some(a) = account {
        s.push_str(&subtotal(a, &totals));
    }
    s.push_str(&format!(
        "\n{:<83} {:>12}{}\n",
        format!("Total a month ({} h)", e.hours_per_month),
        money(e.monthly_total),
        ttl_col(e.ttl_period_total)
    ));
    if e.traffic_unpriced > 0 {
        s.push_str(&format!(
            "{} traffic line(s) priced per GB only: give the GB a month with --usage FILE (docs/cost.md).\n",
            e.traffic_unpriced
        ));
    }
    for u in &e.unpriced {
        s.push_str(&format!("Not priced: {u}\n"));
    }
    s.push_str("\nBy kind, a month:\n");
    for (k, m) in e.by_kind() {
        s.push_str(&format!("  {:<22} {:>12}\n", k.title(), money(m)));
    }
    if !breakeven.is_empty() {
        s.push_str(&format!(
            "\nInterface endpoints in more than one VPC: per VPC, or one central set reached through the hub ({}/GB: the transit gateway twice{}):\n",
            rate(breakeven[0].crossing_rate),
            if breakeven[0].crossing_rate > 2.0 * breakeven[0].transit_gateway_gb { ", the firewall once" } else { "" }
        ));
        s.push_str(&format!(
            "  {:<22} {:<28} {:>10} {:>26} {:>16}\n",
            "SERVICE", "VPCS (AZS)", "PER-VPC", "CENTRAL", "BREAK-EVEN"
        ));
        for b in breakeven {
            let vpcs: Vec<String> =
                b.consumers.iter().map(|c| format!("{} ({})", c.vpc, c.azs)).collect();
            let central = format!("{} in {} ({})", money(b.central_fixed), b.host, b.host_azs);
            let cross = match b.break_even_gb {
                Some(g) => format!("{g:.0} GB/month"),
                None => "never".into(),
            };
            s.push_str(&format!(
                "  {:<22} {:<28} {:>10} {:>26} {:>16}\n",
                b.service,
                vpcs.join(", "),
                money(b.per_vpc_fixed),
                central,
                cross
            ));
            if let (Some(p), Some(c), Some(x)) =
                (b.per_vpc_monthly, b.central_monthly, b.crossing_gb)
            {
                s.push_str(&format!(
                    "  {:<22} with the usage file: per VPC {}, central {} ({x:.0} GB crossing)\n",
                    "",
                    money(p),
                    money(c)
                ));
            }
        }
        let per_vpc: f64 = breakeven.iter().map(|b| b.per_vpc_fixed).sum();
        let central: f64 = breakeven.iter().map(|b| b.central_fixed).sum();
        s.push_str(&format!(
            "  All {} central: {} a month instead of {}, plus {}/GB crossing the hub.\n",
            breakeven.len(),
            money(central),
            money(per_vpc),
            rate(breakeven[0].crossing_rate)
        ));
        s.push_str(
            "  Central costs less while less traffic than the break-even crosses the hub \
             a month (the central endpoint's hosted zone included; docs/cost.md).\n",
        );
    }
    s
}

fn subtotal(account: &str, totals: &[(String, f64)]) -> String {
    let m = totals.iter().find(|(a, _)| a == account).map_or(0.0, |(_, m)| *m);
    format!("  {:<81} {:>12}\n", format!("{account} a month"), money(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_cents_with_thousands_grouped() {
        assert_eq!(money(26.28), "$26.28");
        assert_eq!(money(1463.19), "$1,463.19");
        assert_eq!(money(-75.92), "-$75.92");
        assert_eq!(money(1_234_567.0), "$1,234,567.00");
        assert_eq!(money(-0.001), "$0.00");
    }

    #[test]
    fn rates_keep_their_digits() {
        assert_eq!(rate(0.012), "$0.012");
        assert_eq!(rate(0.1), "$0.10");
        assert_eq!(rate(1.0), "$1.00");
        assert_eq!(rate(0.1746), "$0.1746");
    }
}
