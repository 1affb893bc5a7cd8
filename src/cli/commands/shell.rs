//! `crm completions` and `crm man`: generated from the same clap
//! definitions as the parser, so they never drift from the real flags.

use clap::CommandFactory;

use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::Cli;

/// Print shell completions
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
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "crm", &mut out);
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
