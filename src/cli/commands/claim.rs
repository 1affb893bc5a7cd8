//! `crm claim`.

use super::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{json, Format};
use crate::model::CustomerId;
use crate::ops::pool::claim::{self, ClaimRequest};

/// Claim customers from the pool for yourself, in one signed commit
///
/// Within the limits of crm.toml's [pool]: customers of your region (when
/// claim_in_region), not one released from you in the last cooldown_days,
/// at most claim_limit claims per claim_period_days, and no claim once you
/// own owned_cap customers. `crm pool list` shows what is in the pool;
/// `crm sync` right after claiming tells you whether a colleague was first.
///
/// Example: crm claim zhengzhou-yutong-keyun-jituan
#[derive(clap::Args, Debug)]
pub struct ClaimArgs {
    /// Customers to claim: ids, unique starts of ids, or exact names
    #[arg(required = true, add = complete::customers())]
    customers: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm claim`.
pub fn run(ctx: &mut Ctx, args: ClaimArgs) -> CliResult {
    let ids = args.customers.iter().map(|c| ctx.customer(c)).collect::<CliResult<Vec<CustomerId>>>()?;
    let req = ClaimRequest { ids, today: ctx.today };
    let opts = ctx.write_options()?;
    let done = claim::run(ctx.store()?, &req, &opts)?;
    if args.output.format == Format::Json {
        return print(&json(&done));
    }
    let names: Vec<String> = done.claims.iter().map(|c| format!("{} ({})", c.customer, c.name)).collect();
    ctx.outcome(&format!(
        "Claimed {}; {} now owns {} customer(s), {} claimed in the claim period [{}]\n",
        names.join(", "),
        done.person,
        done.owned,
        done.claimed_in_period,
        short(&done.commit)
    ))
}
