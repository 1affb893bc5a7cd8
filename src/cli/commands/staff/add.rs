//! `crm staff add`.

use crate::cli::commands::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{escape, json, Format};
use crate::model::{Handle, Role};
use crate::ops::staff::{self, AddStaff};

/// Add a person (admins only)
///
/// Example: crm staff add zhang.wei --name 张伟 --email zhang.wei@example.com --role rep --region 华中 --key "ssh-ed25519 AAAA… zhang.wei@laptop"
#[derive(clap::Args, Debug)]
pub struct StaffAddArgs {
    /// Handle: lowercase letters, digits, `.`, `_`, `-` (e.g. zhang.wei)
    handle: Handle,
    /// Full name
    #[arg(long)]
    name: String,
    /// Email; maps their git identity to them
    #[arg(long)]
    email: String,
    /// rep, manager, admin, or service (an unattended job's identity: due pool releases only)
    #[arg(long, add = complete::words(&["rep", "manager", "admin", "service"]))]
    role: Role,
    /// Sales region
    #[arg(long, add = complete::regions())]
    region: Option<String>,
    /// Public signing key (SSH public key or OpenPGP fingerprint); repeatable
    #[arg(long = "key")]
    keys: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm staff add`.
pub fn run(ctx: &mut Ctx, args: StaffAddArgs) -> CliResult {
    let req = AddStaff {
        handle: args.handle,
        name: args.name,
        email: args.email,
        role: args.role,
        region: args.region,
        keys: args.keys,
        joined: ctx.today,
    };
    let opts = ctx.write_options()?;
    let person = staff::add(ctx.store()?, &req, &opts)?;
    // What the new person's commits need to count as theirs (`crm whoami`
    // checks it on their machine).
    let mut setup = format!("{} sets, in their clone:\n  git config user.email {}\n", person.handle, person.email);
    if person.keys.is_empty() {
        setup.push_str(&format!(
            "and, to sign, their public key must first be listed in staff/{}.toml (an admin's change)\n",
            person.handle
        ));
    } else {
        setup.push_str("  git config gpg.format ssh   # or openpgp, as their listed key is\n  git config user.signingkey PATH-TO-THE-LISTED-KEY\n  git config commit.gpgsign true\n");
    }
    ctx.status(format!("{setup}then `crm whoami` shows whether crm verify will count their commits as theirs."));
    match args.output.format {
        Format::Json => print(&json(&person)),
        _ => ctx.outcome(&format!("Added {} ({}, {})\n", person.handle, escape(&person.name), person.role)),
    }
}
