//! `crm report portfolio`.

use super::LangArgs;
use crate::cli::commands::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{skipped, Ctx};
use crate::cli::error::CliResult;
use crate::cli::i18n::Catalog;
use crate::cli::render::{self, money, Column, Format, Tabular};
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
    #[command(flatten)]
    lang: LangArgs,
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
    let cat = args.lang.catalog(ctx)?;
    let rows = portfolio::run(ctx.store()?, &filter, today)?;
    let text = match args.output.format {
        // For people: in the catalog's words and amounts.
        format @ (Format::Table | Format::Md) => {
            render::grid(&cat.columns(Portfolio::columns()), rows.value.iter().map(|p| read(p, &cat)).collect(), format)
        }
        format => render::rows(&rows.value, format),
    };
    ctx.page(&text)?;
    skipped(&rows.skipped)
}

/// `p`'s cells for people, in `cat`'s words.
fn read(p: &Portfolio, cat: &Catalog) -> Vec<String> {
    let mut cells = p.cells(true);
    cells[2] = cat.word("status", &p.status);
    cells[5] = cat.amount(p.value);
    cells
}
