//! `crm report …`: reports for managers.

pub mod handover;
pub mod html;
pub mod portfolio;
pub mod sections;

use crate::cli::ctx::Ctx;
use crate::cli::error::CliResult;

/// Reports for managers: the weekly handover report, portfolios per owner
///
/// Example: crm report handover --since 7d --format md
// Each variant's help comes from its Args struct's doc comment.
#[allow(missing_docs)]
#[derive(clap::Subcommand, Debug)]
pub enum ReportCommand {
    Handover(handover::HandoverArgs),
    Portfolio(portfolio::PortfolioArgs),
}

/// Runs a `crm report` subcommand.
pub fn run(ctx: &mut Ctx, cmd: ReportCommand) -> CliResult {
    match cmd {
        ReportCommand::Handover(args) => handover::run(ctx, args),
        ReportCommand::Portfolio(args) => portfolio::run(ctx, args),
    }
}
