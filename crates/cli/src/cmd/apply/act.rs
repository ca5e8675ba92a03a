//! `azrelo commit` and `azrelo discard`.

use std::path::PathBuf;

use azrelo_orchestrate::RowOutcome;

use super::*;

/// Commit or discard moved resources.
#[derive(Debug, clap::Args)]
pub struct ActArgs {
    /// Plan directory.
    pub plan_dir: PathBuf,
    #[command(flatten)]
    pub arm: ArmArgs,
    /// Only these resources (target or source ids, or a scope containing
    /// them, e.g. a resource group); default: all.
    #[arg(long = "resource", value_name = "ID")]
    pub resources: Vec<String>,
    /// Only resources in these resource groups (the source's or the
    /// target's, by name); repeatable, adds to --resource.
    #[arg(long = "resource-group", short = 'g', value_name = "RG")]
    pub resource_groups: Vec<String>,
}

impl ActArgs {
    /// --resource and -g as the engine's selection.
    fn selection(&self, plan: &RunPlan) -> Result<Vec<String>, CliError> {
        let mut only = self.resources.clone();
        only.extend(group_scopes(plan, &self.resource_groups)?);
        Ok(only)
    }
}

/// `azrelo commit`.
pub fn run_commit(args: ActArgs, out: &Output) -> Result<(), CliError> {
    let engine = arm_engine(&args.plan_dir, &args.arm)?;
    let only = args.selection(&engine.plan)?;
    let rows = runtime()?
        .block_on(engine.commit(&only))
        .map_err(engine_error)?;
    let refused = rows
        .iter()
        .filter(|r| r.outcome != RowOutcome::Committed)
        .count();
    print_rows(
        &rows,
        out,
        format!(
            "{} committed, {refused} not committed.",
            rows.len() - refused
        ),
    )?;
    if refused > 0 {
        return Err(CliError::failure(format!(
            "{refused} resource(s) were not committed (see the table); fix them, or `azrelo discard` them"
        )));
    }
    Ok(())
}

/// `azrelo discard`.
pub fn run_discard(args: ActArgs, out: &Output) -> Result<(), CliError> {
    let engine = arm_engine(&args.plan_dir, &args.arm)?;
    let only = args.selection(&engine.plan)?;
    let rows = runtime()?
        .block_on(engine.discard(&only))
        .map_err(engine_error)?;
    let failed = rows
        .iter()
        .filter(|r| r.outcome == RowOutcome::DiscardFailed)
        .count();
    let done = rows
        .iter()
        .filter(|r| r.outcome == RowOutcome::Discarded)
        .count();
    print_rows(
        &rows,
        out,
        format!("{done} discarded (back to prepared), {failed} failed."),
    )?;
    if failed > 0 {
        return Err(CliError::failure(format!(
            "{failed} discard(s) failed; run `azrelo discard` again"
        )));
    }
    Ok(())
}
