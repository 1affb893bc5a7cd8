//! `crm staff leave`.

use crate::cli::commands::reassign::confirm_bulk;
use crate::cli::commands::{short, BulkArgs, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, json, Format};
use crate::model::date::Date;
use crate::model::Handle;
use crate::ops::complete::People;
use crate::ops::leave::{self, Handover, LeavePlan, LeaveRequest};

/// Record a departure and hand over the leaver's customers (admins only)
///
/// Marks the person departed. With --to or --spread every customer they own is
/// handed over, and every customer they back up gets a new backup, in the same
/// commit. Without either, their customers become pending handovers due
/// handover_days after the last day. --spread balances by value across the
/// active staff of their region (else all active reps), never making an owner
/// their own backup.
///
/// Example: crm staff leave zhao.lei --on 2026-11-30 --spread --no-rehire --reason "joined a competitor"
#[derive(clap::Args, Debug)]
pub struct StaffLeaveArgs {
    /// Who leaves
    #[arg(add = complete::staff(People::Active))]
    handle: Handle,
    /// Last day, YYYY-MM-DD (default: today)
    #[arg(long, value_name = "DATE")]
    on: Option<String>,
    /// Hand every customer to this person
    #[arg(long, conflicts_with = "spread", add = complete::staff(People::Active))]
    to: Option<String>,
    /// Spread the customers across the region's active staff
    #[arg(long)]
    spread: bool,
    /// Mark them not eligible for rehire
    #[arg(long)]
    no_rehire: bool,
    /// Why: recorded in the commit
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    bulk: BulkArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm staff leave`.
pub fn run(ctx: &mut Ctx, args: StaffLeaveArgs) -> CliResult {
    let handover = match (args.to, args.spread) {
        (Some(to), _) => Handover::To(to),
        (None, true) => Handover::Spread,
        (None, false) => Handover::Later,
    };
    let on = args.on.as_deref().map(Date::parse).transpose()?;
    let req = LeaveRequest { handle: args.handle, on, handover, rehire: !args.no_rehire, reason: args.reason };
    let today = ctx.today;
    let format = args.output.format;
    if args.bulk.dry_run {
        let plan = leave::dry_run(ctx.store()?, &req, today)?;
        return print(&describe(&plan, format));
    }
    if !args.bulk.yes && ctx.interactive {
        let plan = leave::dry_run(ctx.store()?, &req, today)?;
        if !confirm_bulk(ctx, &plan.moves, &format!("Record {}'s departure and make these changes?", plan.person))? {
            return Ok(());
        }
    }
    let opts = ctx.write_options()?;
    let plan = leave::run(ctx.store()?, &req, today, &opts)?;
    print(&describe(&plan, format))
}

fn describe(plan: &LeavePlan, format: Format) -> String {
    if format == Format::Json {
        return json(plan);
    }
    let mut out = String::new();
    if format == Format::Table {
        let done = plan.commit.as_deref().map_or("would leave".into(), |c| format!("left [{}]", short(c)));
        out.push_str(&format!(
            "{} {done} on {}; rehire: {}\n",
            plan.person,
            plan.left,
            if plan.rehire { "yes" } else { "no" }
        ));
        if !plan.pending.is_empty() {
            out.push_str(&format!(
                "{} customer(s) pending handover, due {}: {}\n",
                plan.pending.len(),
                plan.deadline,
                plan.pending.join(", ")
            ));
        }
    }
    if !plan.moves.is_empty() {
        out.push_str(&render::rows(&plan.moves, format));
    }
    out
}
