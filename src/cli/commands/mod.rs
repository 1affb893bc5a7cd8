//! One module per command: a doc-commented `clap::Args` struct (its doc is
//! the command's help) and a `run` that calls one op and renders it.

pub mod add;
pub mod agenda;
pub mod check;
pub mod claim;
pub mod demo;
pub mod edit;
pub mod export;
pub mod find;
pub mod import;
pub mod init;
pub mod list;
pub mod log;
pub mod pool;
pub mod reassign;
pub mod report;
pub mod seal;
pub mod shell;
pub mod show;
pub mod staff;
pub mod sync;
pub mod touch;
pub mod verify;
pub mod whoami;

use super::render::Format;

/// `--format`, shared by every command that prints data.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--dry-run` and `--yes`, shared by the commands that change many
/// customers at once.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct BulkArgs {
    /// Print the plan, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before changing several customers
    #[arg(long, short)]
    pub yes: bool,
}

/// The first eight hex digits of a commit id.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(8)]
}
