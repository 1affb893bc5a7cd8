//! `crm staff rehire`.

use crate::cli::commands::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{json, Format};
use crate::model::Handle;
use crate::ops::complete::People;
use crate::ops::leave;

/// Make a departed person active again (refused when rehire = false)
///
/// Example: crm staff rehire zhao.lei
#[derive(clap::Args, Debug)]
pub struct StaffRehireArgs {
    /// Who comes back
    #[arg(add = complete::staff(People::Departed))]
    handle: Handle,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm staff rehire`.
pub fn run(ctx: &mut Ctx, args: StaffRehireArgs) -> CliResult {
    let opts = ctx.write_options()?;
    let done = leave::rehire(ctx.store()?, &args.handle, &opts)?;
    match args.output.format {
        Format::Json => print(&json(&done)),
        _ => ctx.outcome(&format!("{} is active again [{}]\n", done.person, short(&done.commit))),
    }
}
