//! `crm init`: create a store.

use std::path::PathBuf;

use super::{short, OutputArgs};
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{json, Format};
use crate::model::Handle;
use crate::ops::init::{self, InitRequest};

/// Create a store (or make an existing git repository one) with its first admin
///
/// Writes crm.toml and staff/ADMIN.toml in one commit. An existing repository's
/// other files are left alone.
///
/// Example: crm init --company "Example Coach Co." --admin liu.yang --name 刘洋 --email liu.yang@example.com
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Directory of the store (default: the current one); created if missing
    dir: Option<PathBuf>,
    /// Company name
    #[arg(long)]
    company: String,
    /// Handle of the first admin, e.g. liu.yang
    #[arg(long)]
    admin: Handle,
    /// The admin's full name
    #[arg(long)]
    name: String,
    /// The admin's email (must match their git user.email)
    #[arg(long)]
    email: String,
    /// The admin's public signing key (SSH public key or OpenPGP fingerprint)
    #[arg(long)]
    key: Option<String>,
    /// Require every store commit to be signed by a staff key
    #[arg(long)]
    require_signed: bool,
    /// Currency of customer values
    #[arg(long, default_value = "CNY")]
    currency: String,
    /// Seal the store: contacts, notes, next steps and touch summaries readable only by whom the policy entitles (needs --recovery-key and an ssh-ed25519 --key)
    #[arg(long, requires = "recovery")]
    sealed: bool,
    /// With --sealed: a recovery public key (.pub file or the key itself), its private half kept offline. Repeatable
    #[arg(long = "recovery-key", value_name = "KEY", requires = "sealed")]
    recovery: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm init`.
pub fn run(ctx: &mut Ctx, args: InitArgs) -> CliResult {
    let dir = args.dir.map_or_else(|| ctx.dir.clone(), |d| ctx.dir.join(d));
    let req = InitRequest {
        dir,
        company: args.company,
        admin: args.admin,
        name: args.name,
        email: args.email,
        key: args.key,
        require_signed: args.require_signed,
        currency: args.currency,
        recovery: args.recovery.iter().map(|k| super::seal::public_key(&ctx.dir, k)).collect::<CliResult<_>>()?,
    };
    let done = init::run(&req, &ctx.write_options()?)?;
    if args.output.format == Format::Json {
        return print(&json(&done));
    }
    let how = if done.adopted { "Turned the git repository" } else { "Created" };
    let root = done.root.display().to_string();
    let root = root.trim_end_matches('/');
    let what =
        if done.adopted { format!("{how} {root} into a crm store") } else { format!("{how} a crm store in {root}") };
    let what = if done.sealed { format!("{what}, sealed") } else { what };
    ctx.outcome(&format!("{what} (commit {})\n", short(&done.commit)))?;
    if let Some(email) = &done.other_email {
        ctx.status(format!(
            "Your git user.email is <{email}>, not the admin's <{0}>: run `git config user.email {0}` so that your commits count as {1}'s.",
            req.email, req.admin
        ));
    }
    if !done.require_signed {
        ctx.status(
            "Commits are not required to be signed. To turn signing on:\n  git config gpg.format ssh\n  git config user.signingkey ~/.ssh/id_ed25519.pub\n  git config commit.gpgsign true\nthen list each person's public key in staff/HANDLE.toml and set require_signed = true in crm.toml.",
        );
    }
    Ok(())
}
