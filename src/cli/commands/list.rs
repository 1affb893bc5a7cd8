//! `crm list`.

use super::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{skipped, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, money, opt, Column, Tabular};
use crate::model::customer::Status;
use crate::model::date::Date;
use crate::ops::list::{self, CustomerRow, ListFilter, SortKey};

/// List customers
///
/// Example: crm list --owner zhang.wei --tier key --format csv
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Owned by this person (`me`: you, as `crm whoami` says)
    #[arg(long, add = complete::owners())]
    owner: Option<String>,
    /// In this region
    #[arg(long, add = complete::regions())]
    region: Option<String>,
    /// Of this tier
    #[arg(long, add = complete::tiers())]
    tier: Option<String>,
    /// With this tag
    #[arg(long, add = complete::tags())]
    tag: Option<String>,
    /// With this status (prospect, active, dormant, lost)
    #[arg(long, add = complete::words(Status::ALL))]
    status: Option<Status>,
    /// Only stale relationships: active customers with no touch for policy.stale_after_days
    #[arg(long)]
    stale: bool,
    /// Only those whose next step is due within DUR (7d, 2w, 1m) or by a date
    #[arg(long, value_name = "DUR")]
    due: Option<String>,
    /// Only customers whose owner has departed or is not in staff/
    #[arg(long)]
    orphaned: bool,
    /// Sort by these keys, comma-separated: name (the default; Chinese names
    /// by pinyin), id, owner, tier, region, value, last-touch, next-date
    #[arg(long, value_name = "KEYS", value_delimiter = ',')]
    sort: Vec<SortKey>,
    /// Largest, latest or last first
    #[arg(long)]
    reverse: bool,
    /// Show at most N customers (after sorting)
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for CustomerRow {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("id"),
            Column::name("name"),
            Column::token("owner"),
            Column::token("tier").optional(2),
            Column::token("region").optional(1),
            Column::number("value").optional(3),
            Column::token("last touch").optional(4),
            Column::token("next date").optional(5),
        ];
        COLUMNS
    }
    fn cells(&self, human: bool) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.owner.clone(),
            self.tier.clone(),
            opt(&self.region),
            money(self.value, human),
            opt(&self.last_touch),
            opt(&self.next_date),
        ]
    }
}

/// Runs `crm list`.
pub fn run(ctx: &mut Ctx, args: ListArgs) -> CliResult {
    let today = ctx.today;
    let filter = ListFilter {
        owner: ctx.owner(args.owner)?,
        region: args.region,
        tier: args.tier,
        tag: args.tag,
        status: args.status,
        stale: args.stale,
        due: args.due.as_deref().map(|d| Date::parse_ahead(d, today)).transpose()?,
        orphaned: args.orphaned,
        sort: args.sort,
        reverse: args.reverse,
        limit: args.limit,
    };
    let rows = list::run(ctx.store()?, &filter, today)?;
    ctx.page(&render::rows(&rows.value, args.output.format))?;
    skipped(&rows.skipped)
}
