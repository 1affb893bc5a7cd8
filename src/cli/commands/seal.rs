//! `crm seal`.

use std::path::Path;

use super::{short, OutputArgs};
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::render::{json, Format};
use crate::ops::seal::{self, SealRequest};

/// Seal contacts, notes and summaries to whom the policy entitles
///
/// Sealed: every contact's name, title, phone and e-mail, the notes, the next step and
/// each touch's summary ([seal] fields in crm.toml), each readable only by the owner,
/// the backup, the managers of the region, the admins and the recovery keys.
///
/// In an unsealed store, writes [seal] into crm.toml and seals every customer, in one
/// commit (admins only). History before that commit stays readable to anyone with a
/// clone: see "Sealing" in the README for the way out. In a sealed store,
/// --recovery-key replaces the recovery keys (every customer is re-sealed), and without
/// it crm re-seals every customer `crm check` finds sealed wrongly.
///
/// Example: crm seal --recovery-key recovery.pub
#[derive(clap::Args, Debug)]
pub struct SealArgs {
    /// A recovery public key (a .pub file or the key itself): ssh-ed25519 or ssh-rsa, its private half kept offline. Repeatable
    #[arg(long = "recovery-key", value_name = "KEY")]
    recovery: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm seal`.
pub fn run(ctx: &mut Ctx, args: SealArgs) -> CliResult {
    let recovery = args.recovery.iter().map(|k| public_key(&ctx.dir, k)).collect::<CliResult<Vec<_>>>()?;
    let opts = ctx.write_options()?;
    let done = seal::run(ctx.store()?, &SealRequest { recovery }, &opts)?;
    if args.output.format == Format::Json {
        return print(&json(&done));
    }
    let what = match (done.was_sealed, args.recovery.is_empty()) {
        (false, _) => format!("Sealed the store and its {} customers", done.customers),
        (true, false) => format!("Set the recovery keys and re-sealed {} customers", done.customers),
        (true, true) => format!("Re-sealed {} customers", done.customers),
    };
    ctx.outcome(&format!("{what} [{}]\n", short(&done.commit)))?;
    if !done.was_sealed {
        ctx.status(
            "History before this commit still holds every customer in the clear for anyone with a clone; \
             see \"Sealing\" in the README (a new repository from the sealed tree, or git filter-repo).",
        );
    }
    Ok(())
}

/// A public key given as itself or as a file holding it.
pub fn public_key(dir: &Path, given: &str) -> CliResult<String> {
    if given.starts_with("ssh-") || given.starts_with("ecdsa-") {
        return Ok(given.trim().to_string());
    }
    let path = dir.join(given);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::usage(format!("cannot read the public key {}: {e}", path.display())))?;
    Ok(text.trim().to_string())
}
