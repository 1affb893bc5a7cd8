//! `crm pool release`.

use crate::cli::commands::{short, BulkArgs, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::render::{self, json, money, opt, Column, Format, Tabular};
use crate::ops::pool::release::{self, Release, ReleaseRequest, Released, Selection};

/// Release customers to the pool, by id or every one that is due
///
/// By id: managers (of the customers' region) and admins (reason manual),
/// or a rep giving up customers of their own (退回公海: reason returned;
/// not an exempt tier, which goes to the region's manager). --due: every
/// customer the rules in crm.toml's [pool] make due today; also the service
/// identity (the nightly job). One commit. With --due, a customer of an
/// exempt tier ([pool].exempt_tiers) goes to its region's manager instead. --dry-run prints the plan and writes
/// nothing; on a terminal a release of several asks first unless --yes.
///
/// Example: crm pool release --due --dry-run
#[derive(clap::Args, Debug)]
pub struct PoolReleaseArgs {
    /// Customers to release: ids, unique starts of ids, or exact names
    #[arg(conflicts_with = "due", required_unless_present = "due", add = complete::customers())]
    customers: Vec<String>,
    /// Release every customer the pool's rules make due today
    #[arg(long)]
    due: bool,
    /// Why: recorded in the commit and shown by `crm log` (required with ids)
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    bulk: BulkArgs,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for Release {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("customer"),
            Column::name("name"),
            Column::token("from"),
            Column::token("to"),
            Column::token("reason"),
            Column::token("last touch").optional(1),
            Column::number("value").optional(2),
        ];
        COLUMNS
    }
    fn cells(&self, human: bool) -> Vec<String> {
        vec![
            self.customer.clone(),
            self.name.clone(),
            self.from.clone(),
            self.to.clone(),
            self.reason.to_string(),
            opt(&self.last_touch),
            money(self.value, human),
        ]
    }
}

/// Runs `crm pool release`.
pub fn run(ctx: &mut Ctx, args: PoolReleaseArgs) -> CliResult {
    if !args.due && args.reason.is_none() {
        return Err(CliError::usage(
            "missing --reason: say why the customers go to the pool; it is recorded in the commit",
        ));
    }
    let selection = match args.due {
        true => Selection::Due,
        false => Selection::Ids(args.customers.iter().map(|c| ctx.customer(c)).collect::<CliResult<_>>()?),
    };
    let req = ReleaseRequest { selection, reason: args.reason, today: ctx.today };
    let format = args.output.format;
    let opts = ctx.write_options()?;
    if args.bulk.dry_run {
        let plan = release::dry_run(ctx.store()?, &req, &opts)?;
        held(ctx, &plan);
        return match format {
            Format::Json => print(&json(&plan)),
            _ => print(&render::rows(&plan.releases, format)),
        };
    }
    if !args.bulk.yes && ctx.interactive {
        let plan = release::dry_run(ctx.store()?, &req, &opts)?;
        if plan.releases.len() > 1 {
            eprint!("{}", render::rows(&plan.releases, Format::Table));
            if !ctx.confirm(&format!("Release these {} customers?", plan.releases.len()), "--yes")? {
                ctx.status("Nothing changed.");
                return Ok(());
            }
        }
    }
    let done = release::run(ctx.store()?, &req, &opts)?;
    held(ctx, &done);
    if format == Format::Json {
        return print(&json(&done));
    }
    let Some(commit) = &done.commit else {
        ctx.status("Nothing is due for release.");
        return Ok(());
    };
    let pooled = done.releases.iter().filter(|r| r.to == crate::model::pool::POOL).count();
    let handed = done.releases.len() - pooled;
    let what = match (pooled, handed) {
        (_, 0) => format!("Released {pooled} customer(s) to the pool"),
        (0, _) => format!("Handed {handed} customer(s) of an exempt tier to a manager or admin instead of the pool"),
        _ => format!(
            "Released {pooled} customer(s) to the pool and handed {handed} of an exempt tier to a manager or admin"
        ),
    };
    ctx.outcome(&format!("{what} [{}]\n", short(commit)))
}

/// Says on stderr which due customers stay where they are, and why.
fn held(ctx: &Ctx, done: &Released) {
    for h in &done.held {
        ctx.status(format!("warning: {}", h.why));
    }
}
