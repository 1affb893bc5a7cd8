//! `crm log`.

use super::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, opt, Tabular};
use crate::model::date::Date;
use crate::model::CustomerId;
use crate::ops;
use crate::ops::log::{HistoryQuery, OwnershipEvent};

/// Show ownership history: who owned which customer when, who changed it, and why
///
/// Events come from the files themselves (first-parent history), so a change of
/// owner made with plain git shows up too. Newest first.
///
/// Example: crm log --owner zhang.wei --since 3m
#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// Only this customer
    #[arg(add = complete::customers())]
    customer: Option<String>,
    /// Only events where this person is the old or new owner (`me`: you)
    #[arg(long, add = complete::owners())]
    owner: Option<String>,
    /// From this date or duration back (2026-11-01, 7d, 2w, 3m)
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Up to this date or duration back
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for OwnershipEvent {
    fn headers() -> &'static [&'static str] {
        &["date", "commit", "action", "customer", "from", "to", "actor", "signature", "reason"]
    }
    fn cells(&self, _human: bool) -> Vec<String> {
        vec![
            self.date.to_string(),
            short(&self.commit).to_string(),
            self.action.label().to_string(),
            self.customer.clone(),
            opt(&self.from),
            opt(&self.to),
            self.actor.clone(),
            self.signature.label().to_string(),
            opt(&self.reason),
        ]
    }
}

/// Runs `crm log`.
pub fn run(ctx: &mut Ctx, args: LogArgs) -> CliResult {
    let today = ctx.today;
    let when = |s: Option<String>| s.as_deref().map(|s| Date::parse_when(s, today)).transpose();
    let query = HistoryQuery {
        customer: customer(ctx, args.customer)?,
        owner: ctx.owner(args.owner)?,
        since: when(args.since)?,
        until: when(args.until)?,
    };
    let events = ops::log::run(ctx.store()?, &query)?;
    print(&render::rows(&events, args.output.format))
}

/// The customer whose history is asked for: as `crm show` resolves it, or
/// an id as given when no current customer has it (one that was removed).
fn customer(ctx: &mut Ctx, query: Option<String>) -> CliResult<Option<CustomerId>> {
    let Some(query) = query else { return Ok(None) };
    match crate::ops::resolve::customer(ctx.store()?, &query) {
        Err(crate::Error::UnknownCustomer(_)) if CustomerId::parse(query.trim()).is_ok() => {
            Ok(Some(CustomerId::parse(query.trim())?))
        }
        found => Ok(Some(found?)),
    }
}
