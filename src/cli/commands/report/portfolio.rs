//! `crm report portfolio`.

use crate::cli::commands::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{skipped, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, money, Column, Tabular};
use crate::ops::complete::People;
use crate::ops::report::portfolio::{self, Portfolio, PortfolioFilter};

/// Per owner: customers, key accounts, value, stale relationships, next steps due
///
/// A next step counts as due when its date is within 7 days or past;
/// `claimed` counts customers taken from the pool; the pool's customers
/// have a row of their own (owner @pool).
///
/// Example: crm report portfolio --region 华中 --format md
#[derive(clap::Args, Debug)]
pub struct PortfolioArgs {
    /// Only this owner
    #[arg(long, add = complete::staff(People::All))]
    owner: Option<String>,
    /// Only customers in this region
    #[arg(long, add = complete::regions())]
    region: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for Portfolio {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("owner"),
            Column::name("name"),
            Column::token("status").optional(1),
            Column::number("customers"),
            Column::number("key"),
            Column::number("value"),
            Column::number("stale"),
            Column::number("due"),
            Column::number("claimed").optional(2),
        ];
        COLUMNS
    }
    fn cells(&self, human: bool) -> Vec<String> {
        vec![
            self.owner.clone(),
            self.name.clone(),
            self.status.clone(),
            self.customers.to_string(),
            self.key_accounts.to_string(),
            money(Some(self.value), human),
            self.stale.to_string(),
            self.next_steps_due.to_string(),
            self.claimed.to_string(),
        ]
    }
}

/// Runs `crm report portfolio`.
pub fn run(ctx: &mut Ctx, args: PortfolioArgs) -> CliResult {
    let today = ctx.today;
    let filter = PortfolioFilter { owner: args.owner, region: args.region };
    let rows = portfolio::run(ctx.store()?, &filter, today)?;
    ctx.page(&render::rows(&rows.value, args.output.format))?;
    skipped(&rows.skipped)
}
