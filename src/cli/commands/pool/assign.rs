//! `crm pool assign`.

use crate::cli::commands::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{json, Format};
use crate::ops::complete::People;
use crate::ops::pool::assign::{self, AssignRequest};

/// Give a customer in the pool to someone
///
/// Managers of its region and admins; one commit; the claim limits are the claimers' own and do not apply.
///
/// Example: crm pool assign zhengzhou-yutong-keyun-jituan --to zhang.wei --reason "knows the fleet manager"
#[derive(clap::Args, Debug)]
pub struct PoolAssignArgs {
    /// The pooled customer: its id, a unique start of it, or its exact name
    #[arg(add = complete::customers())]
    customer: String,
    /// The new owner
    #[arg(long, add = complete::staff(People::Active))]
    to: String,
    /// Why: recorded in the commit and shown by `crm log`
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm pool assign`.
pub fn run(ctx: &mut Ctx, args: PoolAssignArgs) -> CliResult {
    let req =
        AssignRequest { customer: ctx.customer(&args.customer)?, to: args.to, reason: args.reason, today: ctx.today };
    let opts = ctx.write_options()?;
    let done = assign::run(ctx.store()?, &req, &opts)?;
    match args.output.format {
        Format::Json => print(&json(&done)),
        _ => ctx.outcome(&format!("Assigned {} to {} [{}]\n", done.customer, done.to, short(&done.commit))),
    }
}
