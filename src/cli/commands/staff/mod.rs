//! `crm staff …`: the people of the company.

pub mod add;
pub mod leave;
pub mod list;
pub mod rehire;
pub mod show;

use crate::cli::ctx::Ctx;
use crate::cli::error::CliResult;

/// Manage staff: add people, list and show them, record departures
///
/// Example: crm staff list --all
// Each variant's help comes from its Args struct's doc comment.
#[allow(missing_docs)]
#[derive(clap::Subcommand, Debug)]
pub enum StaffCommand {
    Add(add::StaffAddArgs),
    List(list::StaffListArgs),
    Show(show::StaffShowArgs),
    Leave(leave::StaffLeaveArgs),
    Rehire(rehire::StaffRehireArgs),
}

/// Runs a `crm staff` subcommand.
pub fn run(ctx: &mut Ctx, cmd: StaffCommand) -> CliResult {
    match cmd {
        StaffCommand::Add(args) => add::run(ctx, args),
        StaffCommand::List(args) => list::run(ctx, args),
        StaffCommand::Show(args) => show::run(ctx, args),
        StaffCommand::Leave(args) => leave::run(ctx, args),
        StaffCommand::Rehire(args) => rehire::run(ctx, args),
    }
}
