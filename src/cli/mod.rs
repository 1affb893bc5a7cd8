//! The command line: arguments (clap), dispatch, output and exit codes.
//! Each command lives in `commands/` and turns its arguments into a
//! request for `ops`.

pub mod commands;
pub mod complete;
pub mod ctx;
pub mod error;
pub mod fit;
pub mod i18n;
pub mod ics;
pub mod identity;
pub mod mail;
pub mod prompt;
pub mod render;
pub mod terminal;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::ops::SignChoice;
use commands::*;
use ctx::Ctx;
use error::{CliError, CliResult};
use terminal::ColorChoice;

/// A customer store in a git repository: one TOML file per customer, one
/// signed commit per change, so customers belong to the company.
#[derive(Parser, Debug)]
#[command(name = "crm", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Run as if crm was started in DIR
    #[arg(short = 'C', value_name = "DIR", global = true, value_hint = clap::ValueHint::DirPath)]
    start_dir: Option<PathBuf>,
    /// Print no status messages and no summary of what a write did (data and JSON output are unchanged)
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Sign the commit, whatever git config says
    #[arg(long, global = true, conflicts_with = "no_sign")]
    sign: bool,
    /// Do not sign the commit (refused when the store requires signatures)
    #[arg(long, global = true)]
    no_sign: bool,
    /// When to colour output: auto (a terminal, unless NO_COLOR is set), always, never
    #[arg(long, value_name = "WHEN", value_enum, global = true, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Do not show long output through a pager (less), even on a terminal
    #[arg(long, global = true)]
    no_pager: bool,
    /// Show every column of a table, however wide, instead of fitting the terminal
    #[arg(long, global = true)]
    wide: bool,
    #[command(subcommand)]
    command: Command,
}

/// Every command.
#[derive(Subcommand, Debug)]
enum Command {
    Init(init::InitArgs),
    Demo(demo::DemoArgs),
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    Find(find::FindArgs),
    Add(add::AddArgs),
    Show(show::ShowArgs),
    List(list::ListArgs),
    Agenda(agenda::AgendaArgs),
    Edit(edit::EditArgs),
    Touch(touch::TouchArgs),
    Reassign(reassign::ReassignArgs),
    #[command(subcommand)]
    Pool(pool::PoolCommand),
    Claim(claim::ClaimArgs),
    Log(log::LogArgs),
    Check(check::CheckArgs),
    Verify(verify::VerifyArgs),
    Seal(seal::SealArgs),
    #[command(subcommand)]
    Report(report::ReportCommand),
    #[command(subcommand)]
    Import(import::ImportCommand),
    Export(export::ExportArgs),
    Sync(sync::SyncArgs),
    Status(sync::StatusArgs),
    Doctor(sync::DoctorArgs),
    Completions(shell::CompletionsArgs),
    Man(shell::ManArgs),
    Whoami(whoami::WhoamiArgs),
}

/// Runs `crm` with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    crate::ops::setup_process();
    complete::answer_if_asked();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { error::BAD_INPUT } else { error::OK };
        }
    };
    match run(cli) {
        Ok(()) => error::OK,
        Err(e) => report(&e),
    }
}

fn report(e: &CliError) -> i32 {
    if !e.message.is_empty() {
        let mut lines = e.message.lines();
        let color = terminal::settings().color_stderr;
        eprintln!("{} {}", terminal::paint(color, "1;31", "error:"), render::escape(lines.next().unwrap_or_default()));
        for line in lines {
            eprintln!("{}", render::escape(line));
        }
    }
    if let Some(hint) = &e.hint {
        eprintln!("{} {hint}", terminal::paint(terminal::settings().color_stderr, "1;33", "hint:"));
    }
    e.code
}

fn run(cli: Cli) -> CliResult {
    terminal::configure(cli.color, cli.wide, cli.no_pager);
    let sign = match (cli.sign, cli.no_sign) {
        (true, _) => SignChoice::Always,
        (_, true) => SignChoice::Never,
        _ => SignChoice::Auto,
    };
    let mut ctx = Ctx::new(cli.start_dir, cli.quiet, sign)?;
    match cli.command {
        Command::Init(args) => init::run(&mut ctx, args),
        Command::Demo(args) => demo::run(&mut ctx, args),
        Command::Staff(cmd) => staff::run(&mut ctx, cmd),
        Command::Find(args) => find::run(&mut ctx, args),
        Command::Add(args) => add::run(&mut ctx, args),
        Command::Show(args) => show::run(&mut ctx, args),
        Command::List(args) => list::run(&mut ctx, args),
        Command::Agenda(args) => agenda::run(&mut ctx, args),
        Command::Edit(args) => edit::run(&mut ctx, args),
        Command::Touch(args) => touch::run(&mut ctx, args),
        Command::Reassign(args) => reassign::run(&mut ctx, args),
        Command::Pool(cmd) => pool::run(&mut ctx, cmd),
        Command::Claim(args) => claim::run(&mut ctx, args),
        Command::Log(args) => log::run(&mut ctx, args),
        Command::Check(args) => check::run(&mut ctx, args),
        Command::Verify(args) => verify::run(&mut ctx, args),
        Command::Seal(args) => seal::run(&mut ctx, args),
        Command::Report(cmd) => report::run(&mut ctx, cmd),
        Command::Import(cmd) => import::run(&mut ctx, cmd),
        Command::Export(args) => export::run(&mut ctx, args),
        Command::Sync(args) => sync::run(&mut ctx, args),
        Command::Status(args) => sync::status(&mut ctx, args),
        Command::Doctor(args) => sync::doctor(&mut ctx, args),
        Command::Completions(args) => shell::completions(&mut ctx, args),
        Command::Man(args) => shell::man(&mut ctx, args),
        Command::Whoami(args) => whoami::run(&mut ctx, args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_an_example_in_its_help() {
        fn walk(cmd: &clap::Command, path: &str) {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("{path} {}", sub.get_name());
                let help = sub.get_long_about().map(ToString::to_string).unwrap_or_default();
                assert!(help.contains("Example: crm "), "`{name} --help` has no example");
                walk(sub, &name);
            }
        }
        walk(&super::Cli::command(), "crm");
    }
}
