//! `crm pool list`.

use crate::cli::commands::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{skipped, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, money, opt, Column, Tabular};
use crate::ops::pool::list::{self, PoolListRequest, Pooled};

/// List the customers in the pool, longest waiting first
///
/// Each with when and why it was released and from whom; `crm claim ID`
/// takes one.
///
/// Example: crm pool list --region 华中
#[derive(clap::Args, Debug)]
pub struct PoolListArgs {
    /// Only customers of this region
    #[arg(long, add = complete::regions())]
    region: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for Pooled {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("customer"),
            Column::name("name"),
            Column::token("region").optional(3),
            Column::token("tier").optional(1),
            Column::number("value").optional(2),
            Column::token("released").optional(4),
            Column::number("days"),
            Column::token("reason").optional(6),
            Column::token("from").optional(5),
        ];
        COLUMNS
    }
    fn cells(&self, human: bool) -> Vec<String> {
        vec![
            self.customer.clone(),
            self.name.clone(),
            opt(&self.region),
            self.tier.clone(),
            money(self.value, human),
            opt(&self.released),
            opt(&self.days),
            opt(&self.reason),
            opt(&self.from),
        ]
    }
}

/// Runs `crm pool list`.
pub fn run(ctx: &mut Ctx, args: PoolListArgs) -> CliResult {
    let req = PoolListRequest { region: args.region, today: ctx.today };
    let rows = list::run(ctx.store()?, &req)?;
    if rows.value.is_empty() && args.output.format == render::Format::Table {
        match &req.region {
            Some(region) => ctx.status(format!("No customer of region {region} is in the pool.")),
            None => ctx.status("The pool is empty."),
        }
    } else {
        ctx.page(&render::rows(&rows.value, args.output.format))?;
    }
    skipped(&rows.skipped)
}
