//! `crm completions` and `crm man`: generated from the same clap
//! definitions as the parser, so they never drift from the real flags
//! (completion itself is dynamic: see [`crate::cli::complete`]).

use clap::CommandFactory;

use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::Cli;

/// Print the script that registers crm's completion with a shell
///
/// The script makes the shell ask crm itself on TAB (what `COMPLETE=bash crm`
/// prints), so customer ids, staff handles, regions and tags complete from
/// the store you are in.
///
/// Example: crm completions bash > /etc/bash_completion.d/crm
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Print the man page (roff)
///
/// Example: crm man > /usr/local/share/man/man1/crm.1
#[derive(clap::Args, Debug)]
pub struct ManArgs {}

/// Runs `crm completions`.
pub fn completions(_ctx: &mut Ctx, args: CompletionsArgs) -> CliResult {
    let out = complete::registration(args.shell).map_err(|e| CliError::usage(e.to_string()))?;
    print(&String::from_utf8_lossy(&out))
}

/// Runs `crm man`.
pub fn man(_ctx: &mut Ctx, _args: ManArgs) -> CliResult {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| CliError::usage(format!("cannot render the man page: {e}")))?;
    print(&String::from_utf8_lossy(&out))
}
