//! `crm demo`.
use std::path::PathBuf;

use crate::cli::ctx::Ctx;
use crate::cli::error::CliResult;

/// Build a realistic sample store to try crm on
///
/// Example: crm demo /tmp/crm-demo
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Where (default: ./crm-demo)
    dir: Option<PathBuf>,
}

/// Runs `crm demo`.
pub fn run(_ctx: &mut Ctx, _args: DemoArgs) -> CliResult {
    Ok(())
}
