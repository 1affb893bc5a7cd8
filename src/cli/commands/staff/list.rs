//! `crm staff list`.

use crate::cli::commands::OutputArgs;
use crate::cli::ctx::{skipped, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, money, opt, Column, Tabular};
use crate::ops::staff::{self, StaffSummary};

/// List people with their customer counts and value
///
/// Example: crm staff list --all --format md
#[derive(clap::Args, Debug)]
pub struct StaffListArgs {
    /// Include people who have left
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for StaffSummary {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("handle"),
            Column::name("name"),
            Column::token("role"),
            Column::token("region").optional(4),
            Column::token("status").optional(5),
            Column::number("customers"),
            Column::number("key").optional(2),
            Column::number("value").optional(3),
            Column::number("backup for").optional(1),
        ];
        COLUMNS
    }
    fn cells(&self, human: bool) -> Vec<String> {
        let p = &self.person;
        vec![
            p.handle.to_string(),
            p.name.clone(),
            p.role.to_string(),
            opt(&p.region),
            p.status.to_string(),
            self.customers.to_string(),
            self.key_accounts.to_string(),
            money(Some(self.value), human),
            self.backup_for.to_string(),
        ]
    }
}

/// Runs `crm staff list`.
pub fn run(ctx: &mut Ctx, args: StaffListArgs) -> CliResult {
    let rows = staff::list(ctx.store()?, args.all)?;
    ctx.page(&render::rows(&rows.value, args.output.format))?;
    skipped(&rows.skipped)
}
