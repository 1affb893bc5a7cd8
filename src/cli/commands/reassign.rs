//! `crm reassign`.

use super::{short, BulkArgs, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::render::{self, money, opt, Column, Format, Tabular};
use crate::model::Handle;
use crate::ops::complete::People;
use crate::ops::reassign::{self, Move, ReassignRequest, Selection};

/// Move customers to another owner, in one commit
///
/// By ids, or in bulk with --from (narrowed by --region and --tier). --dry-run
/// prints the plan and writes nothing; on a terminal a bulk move asks first
/// unless --yes. If the new owner was the backup, the previous owner becomes
/// the backup (when still active).
///
/// Example: crm reassign --from zhang.wei --region 华中 --to li.na --reason "zhang.wei moves to the export team"
#[derive(clap::Args, Debug)]
pub struct ReassignArgs {
    /// Customers to move: ids, unique starts of ids, or exact names
    #[arg(conflicts_with = "from", add = complete::customers())]
    customers: Vec<String>,
    /// Move every customer this person owns
    #[arg(long, add = complete::staff(People::All))]
    from: Option<Handle>,
    /// With --from: only customers in this region
    #[arg(long, requires = "from", add = complete::regions())]
    region: Option<String>,
    /// With --from: only customers of this tier
    #[arg(long, requires = "from", add = complete::tiers())]
    tier: Option<String>,
    /// The new owner
    #[arg(long, add = complete::staff(People::Active))]
    to: String,
    /// Why: recorded in the commit and shown by `crm log`
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    bulk: BulkArgs,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for Move {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("customer"),
            Column::name("name"),
            Column::token("from"),
            Column::token("to"),
            Column::token("backup").optional(1),
            Column::number("value").optional(2),
        ];
        COLUMNS
    }
    fn cells(&self, human: bool) -> Vec<String> {
        let backup = match (&self.backup_before, &self.backup_after) {
            (before, after) if before == after => opt(after),
            (before, after) => format!("{} -> {}", opt(before), opt(after)),
        };
        vec![
            self.customer.clone(),
            self.name.clone(),
            self.from.clone(),
            self.to.clone(),
            backup,
            money(self.value, human),
        ]
    }
}

/// Runs `crm reassign`.
pub fn run(ctx: &mut Ctx, args: ReassignArgs) -> CliResult {
    let reason = args
        .reason
        .ok_or_else(|| CliError::usage("missing --reason: say why the customers move; it is recorded in the commit"))?;
    let selection = match args.from {
        Some(from) => Selection::Owner { from, region: args.region, tier: args.tier },
        None => Selection::Ids(args.customers.iter().map(|c| ctx.customer(c)).collect::<CliResult<_>>()?),
    };
    let req = ReassignRequest { selection, to: args.to, reason, today: ctx.today };
    let format = args.output.format;
    let store = ctx.store()?;
    if args.bulk.dry_run {
        let plan = reassign::dry_run(store, &req)?;
        if format == Format::Json {
            return print(&render::json(&plan));
        }
        return print(&render::rows(&plan.moves, format));
    }
    if !args.bulk.yes && ctx.interactive {
        let plan = reassign::dry_run(ctx.store()?, &req)?;
        if !confirm_bulk(ctx, &plan.moves, &format!("Move these {} customers to {}?", plan.moves.len(), req.to))? {
            return Ok(());
        }
    }
    let opts = ctx.write_options()?;
    let done = reassign::run(ctx.store()?, &req, &opts)?;
    let commit = done.commit.as_deref().unwrap_or_default();
    match format {
        Format::Json => print(&render::json(&done)),
        _ => ctx.outcome(&format!("Moved {} customer(s) to {} [{}]\n", done.moves.len(), req.to, short(commit))),
    }
}

/// On a terminal, shows a plan of more than one move and asks to go ahead.
pub fn confirm_bulk(ctx: &Ctx, moves: &[Move], question: &str) -> CliResult<bool> {
    if moves.len() < 2 {
        return Ok(true);
    }
    eprint!("{}", render::rows(moves, Format::Table));
    let yes = ctx.confirm(question, "--yes")?;
    if !yes {
        ctx.status("Nothing changed.");
    }
    Ok(yes)
}
