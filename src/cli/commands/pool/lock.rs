//! `crm pool lock` and `crm pool unlock`.

use crate::cli::commands::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{json, Format};
use crate::model::date::Date;
use crate::model::CustomerId;
use crate::ops::pool::lock::{self, LockRequest};

/// Keep customers out of automatic releases to the pool
///
/// Managers of their region and admins. Until --until (a date, or a duration ahead: 3m), else until `crm pool
/// unlock`. One commit.
///
/// Example: crm pool lock zhengzhou-yutong-keyun-jituan --until 2027-03-31
#[derive(clap::Args, Debug)]
pub struct PoolLockArgs {
    /// Customers: ids, unique starts of ids, or exact names
    #[arg(required = true, add = complete::customers())]
    customers: Vec<String>,
    /// The lock's last day: YYYY-MM-DD, or a duration ahead (2w, 3m)
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Lift the pool lock of customers
///
/// Managers of their region and admins; one commit.
///
/// Example: crm pool unlock zhengzhou-yutong-keyun-jituan
#[derive(clap::Args, Debug)]
pub struct PoolUnlockArgs {
    /// Customers: ids, unique starts of ids, or exact names
    #[arg(required = true, add = complete::customers())]
    customers: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm pool lock`.
pub fn lock(ctx: &mut Ctx, args: PoolLockArgs) -> CliResult {
    let until = args.until.as_deref().map(|u| Date::parse_ahead(u, ctx.today)).transpose()?;
    change(ctx, &args.customers, until, false, args.output)
}

/// Runs `crm pool unlock`.
pub fn unlock(ctx: &mut Ctx, args: PoolUnlockArgs) -> CliResult {
    change(ctx, &args.customers, None, true, args.output)
}

fn change(ctx: &mut Ctx, customers: &[String], until: Option<Date>, lift: bool, output: OutputArgs) -> CliResult {
    let ids = customers.iter().map(|c| ctx.customer(c)).collect::<CliResult<Vec<CustomerId>>>()?;
    let opts = ctx.write_options()?;
    let req = LockRequest { ids, until, lift, today: ctx.today };
    let done = lock::run(ctx.store()?, &req, &opts)?;
    let list = done.customers.join(", ");
    let commit = short(&done.commit);
    match (output.format, lift, done.until) {
        (Format::Json, ..) => print(&json(&done)),
        (_, true, _) => ctx.outcome(&format!("Unlocked {list} [{commit}]\n")),
        (_, false, Some(until)) => ctx.outcome(&format!("Locked {list} until {until} [{commit}]\n")),
        (_, false, None) => ctx.outcome(&format!("Locked {list} until unlocked [{commit}]\n")),
    }
}
