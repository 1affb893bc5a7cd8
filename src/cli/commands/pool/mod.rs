//! `crm pool …`: the customer pool (公海), where customers nobody follows
//! up go back to the company.

pub mod assign;
pub mod list;
pub mod lock;
pub mod release;

use crate::cli::ctx::Ctx;
use crate::cli::error::CliResult;

/// The customer pool (公海): list, release, assign, lock
///
/// Customers released by the rules in crm.toml's [pool] or by a manager wait
/// in the pool to be claimed (`crm claim`) or assigned.
///
/// Example: crm pool list --region 华中
// Each variant's help comes from its Args struct's doc comment.
#[allow(missing_docs)]
#[derive(clap::Subcommand, Debug)]
pub enum PoolCommand {
    List(list::PoolListArgs),
    Release(release::PoolReleaseArgs),
    Assign(assign::PoolAssignArgs),
    Lock(lock::PoolLockArgs),
    Unlock(lock::PoolUnlockArgs),
}

/// Runs a `crm pool` subcommand.
pub fn run(ctx: &mut Ctx, cmd: PoolCommand) -> CliResult {
    match cmd {
        PoolCommand::List(args) => list::run(ctx, args),
        PoolCommand::Release(args) => release::run(ctx, args),
        PoolCommand::Assign(args) => assign::run(ctx, args),
        PoolCommand::Lock(args) => lock::lock(ctx, args),
        PoolCommand::Unlock(args) => lock::unlock(ctx, args),
    }
}
