//! `crm log`.

use super::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::Ctx;
use crate::cli::error::CliResult;
use crate::cli::render::{self, opt, Column, Format, Tabular};
use crate::model::date::Date;
use crate::model::CustomerId;
use crate::ops;
use crate::ops::log::{EventKind, HistoryQuery, OwnershipEvent};

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
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("date"),
            Column::token("commit").optional(2),
            Column::token("action"),
            Column::token("customer"),
            Column::token("from").optional(5),
            Column::token("to"),
            Column::token("actor").optional(3),
            Column::token("signature").optional(1),
            Column::prose("reason").optional(4),
        ];
        COLUMNS
    }
    fn cells(&self, _human: bool) -> Vec<String> {
        vec![
            self.date.to_string(),
            short(&self.commit).to_string(),
            self.action.label().to_string(),
            self.customer.clone(),
            owner_cell(&self.from, self.action != EventKind::Add),
            owner_cell(&self.to, self.action != EventKind::Remove),
            self.actor.clone(),
            self.signature.label().to_string(),
            match (&self.pool_reason, &self.reason) {
                (Some(why), Some(reason)) => format!("{why}: {reason}"),
                (Some(why), None) => why.clone(),
                (None, reason) => opt(reason),
            },
        ]
    }
}

/// An owner as shown: where the action implies a file, no owner is one that
/// could not be read from it (the commit made the file unreadable, or
/// fixed it).
fn owner_cell(owner: &Option<String>, file_there: bool) -> String {
    match owner {
        Some(o) => o.clone(),
        None if file_there => "(unreadable)".into(),
        None => String::new(),
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
    let text = match (&query.customer, args.output.format) {
        // One customer's history: its id on every row would only take the
        // room of the columns that say something.
        (Some(_), Format::Table) => {
            let columns: Vec<Column> = OwnershipEvent::columns()
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != CUSTOMER)
                .map(|(_, c)| c.clone())
                .collect();
            let cells = events
                .iter()
                .map(|e| {
                    let mut cells = e.cells(true);
                    cells.remove(CUSTOMER);
                    cells
                })
                .collect();
            render::grid(&columns, cells, Format::Table)
        }
        (_, format) => render::rows(&events, format),
    };
    ctx.page(&text)
}

/// Where the customer is among [`OwnershipEvent`]'s columns.
const CUSTOMER: usize = 3;

/// The customer whose history is asked for: as `crm show` resolves it, or
/// an id as given when no current customer has it (one that was removed).
fn customer(ctx: &mut Ctx, query: Option<String>) -> CliResult<Option<CustomerId>> {
    let Some(query) = query else { return Ok(None) };
    match crate::ops::resolve::customer(ctx.store()?, &query) {
        Err(crate::Error::UnknownCustomer(_)) if CustomerId::parse(query.trim()).is_ok() => {
            Ok(Some(CustomerId::parse(query.trim())?))
        }
        Err(crate::Error::Ambiguous { .. }) => Ok(Some(ctx.customer(&query)?)),
        found => Ok(Some(found?)),
    }
}
