//! `crm export`.

use std::io::IsTerminal;

use crate::cli::complete;
use crate::cli::ctx::{self, print, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::render::{escape_keeping_newlines, json};
use crate::ops::export::{self, ExportFilter};
use crate::ops::Readable;

/// Export customers with owners and contacts, as CSV or JSON
///
/// The CSV has every field (contacts and touches one per line in their cells),
/// so `crm import csv` of it into an empty store gives the same files. Cells
/// that a spreadsheet would run as formulas (starting with = + - @, tab, CR) are
/// prefixed with ' and restored on import.
///
/// Example: crm export --region 华中 --excel > customers.csv
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Only this owner's customers (`me`: yours)
    #[arg(long, add = complete::owners())]
    owner: Option<String>,
    /// Only this region's customers
    #[arg(long, add = complete::regions())]
    region: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    /// For Excel: UTF-8 byte order mark and CRLF line ends
    #[arg(long)]
    excel: bool,
    /// In a sealed store: export nothing (exit 1) unless your key opens every customer selected
    #[arg(long)]
    require_all: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// CSV with a header row
    Csv,
    /// JSON array of customers
    Json,
}

/// Runs `crm export`.
pub fn run(ctx: &mut Ctx, args: ExportArgs) -> CliResult {
    let filter = ExportFilter { owner: ctx.owner(args.owner)?, region: args.region };
    let exported = export::customers(ctx.store()?, &filter)?;
    if exported.sealed > 0 {
        let message = format!(
            "{} of the customers selected are sealed to others: their sealed values read `sealed`",
            exported.sealed
        );
        if args.require_all {
            return Err(CliError {
                code: FOUND_PROBLEMS,
                message: format!("{message}; nothing exported (--require-all)"),
                hint: Some("export with the recovery key (CRM_IDENTITY=KEY) or a narrower --owner/--region".into()),
            });
        }
        ctx.status(format!("note: {message}"));
    }
    let Readable { value: customers, skipped } = exported.customers;
    let text = match args.format {
        ExportFormat::Json => json(&customers),
        ExportFormat::Csv => export::csv(&customers, args.excel),
    };
    // Data goes to files as it is; on a terminal, control characters are
    // shown escaped.
    if std::io::stdout().is_terminal() {
        print(&escape_keeping_newlines(&text))?;
    } else {
        print(&text)?;
    }
    ctx::skipped(&skipped)
}
