//! `airgapctl destroy`: with -f FILE (or --simulate) like apply in destroy mode; with
//! `--env NAME --hub-account ID`, from the environment's record, without the blueprint.

use airgap_engine::PlanMode;

use super::apply::{self, RunOptions};
use super::{check_env_name, record};
use crate::cli::{DestroyArgs, Global};
use crate::exit::CmdResult;

pub async fn run(args: &DestroyArgs, global: &Global) -> CmdResult {
    let opts = RunOptions { ttl: None, dry_run: args.dry_run, ..Default::default() };
    let Some(hub) = &args.hub_account else {
        return apply::run(&args.args, PlanMode::Destroy, global, &opts).await;
    };
    let env = args.args.source.env.clone().expect("clap requires --env with --hub-account");
    check_env_name(&env)?;
    super::hub::check_account_id(hub)?;
    let table = record::hub_table(global, hub, args.role.as_deref()).await?;
    let rec = record::read(&table, &env, hub).await?;
    let target =
        record::target(global, &rec, args.role.as_deref(), args.args.source.time_scale).await?;
    apply::run_target(&target, &args.args, PlanMode::Destroy, global.output, &opts).await
}
