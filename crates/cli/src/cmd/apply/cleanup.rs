//! `azrelo cleanup-source`.

use std::path::PathBuf;

use azrelo_orchestrate::RowOutcome;

use super::*;

/// Delete the sources of committed resources (honours locks; --confirm)
///
/// Delete the sources of committed resources.
///
/// Refuses unless every resource of the scope is committed (and so
/// verified). A source under a CanNotDelete/ReadOnly lock is reported and
/// kept, and so is whatever it still uses; a resource group is deleted only
/// when nothing is left in it; nothing outside the plan is touched. Without
/// --confirm it shows what it would do and exits 0.
///
/// Examples:
///   azrelo cleanup-source plan            # what it would delete
///   azrelo cleanup-source plan --confirm
///   azrelo cleanup-source plan -g rg-shop-data --confirm
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CleanupArgs {
    /// Plan directory.
    pub plan_dir: PathBuf,
    #[command(flatten)]
    pub arm: ArmArgs,
    /// Only sources within these scopes (ids); default: the whole plan.
    #[arg(long = "scope", value_name = "ID")]
    pub scopes: Vec<String>,
    /// Only sources in these resource groups (by name); repeatable, adds to
    /// --scope.
    #[arg(long = "resource-group", short = 'g', value_name = "RG")]
    pub resource_groups: Vec<String>,
    /// Really delete.
    #[arg(long)]
    pub confirm: bool,
}

/// `azrelo cleanup-source`.
pub fn run_cleanup(args: CleanupArgs, out: &Output) -> Result<(), CliError> {
    let engine = arm_engine(&args.plan_dir, &args.arm)?;
    let mut scopes = args.scopes.clone();
    scopes.extend(group_scopes(&engine.plan, &args.resource_groups)?);
    let rows = runtime()?
        .block_on(engine.cleanup_source(&scopes, args.confirm))
        .map_err(engine_error)?;
    let count = |o: RowOutcome| rows.iter().filter(|r| r.outcome == o).count();
    if !args.confirm {
        print_rows(
            &rows,
            out,
            format!(
                "would delete {}, would keep {}; nothing was deleted.",
                count(RowOutcome::WouldDelete),
                count(RowOutcome::WouldKeep)
            ),
        )?;
        // A preview is a success: it did what was asked.
        eprintln!("preview only: review the list, then re-run with --confirm to delete");
        return Ok(());
    }
    print_rows(
        &rows,
        out,
        format!(
            "{} deleted, {} kept, {} failed.",
            count(RowOutcome::Deleted),
            count(RowOutcome::Kept),
            count(RowOutcome::DeleteFailed)
        ),
    )?;
    if count(RowOutcome::DeleteFailed) > 0 {
        return Err(CliError::failure(format!(
            "{} source(s) could not be deleted (see the table); run cleanup-source again once resolved",
            count(RowOutcome::DeleteFailed)
        )));
    }
    Ok(())
}
