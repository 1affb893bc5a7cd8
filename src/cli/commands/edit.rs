//! `crm edit`.

use super::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::render::{json, Format};
use crate::model::Contact;
use crate::ops::edit::{self, EditRequest};

/// Change a customer's fields (not the owner: use `crm reassign`)
///
/// Only the changed values are rewritten; comments and layout of a hand-edited
/// file stay as they are. Keys: name, backup, tier, status, region, since, value,
/// tags (comma-separated), next_step, next_date.
///
/// Example: crm edit yutong --set tier=key --set backup=li.na --unset next_step
#[derive(clap::Args, Debug)]
pub struct EditArgs {
    /// The customer: its id, a unique start of it, or its exact name
    #[arg(add = complete::customers())]
    id: String,
    /// KEY=VALUE to set; repeatable
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// KEY to remove; repeatable
    #[arg(long, value_name = "KEY")]
    unset: Vec<String>,
    /// Append a contact: "Name <email> phone"; repeatable
    #[arg(long, value_name = "CONTACT")]
    add_contact: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm edit`.
pub fn run(ctx: &mut Ctx, args: EditArgs) -> CliResult {
    let set = args
        .set
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.trim().to_string(), v.to_string())),
            None => Err(CliError::usage(format!("--set `{kv}`: expected KEY=VALUE"))),
        })
        .collect::<CliResult<Vec<_>>>()?;
    let add_contacts = args.add_contact.iter().map(|c| Contact::parse_spec(c)).collect::<Result<Vec<_>, _>>()?;
    let req = EditRequest { id: ctx.customer(&args.id)?, set, unset: args.unset, add_contacts };
    let opts = ctx.write_options()?;
    let done = edit::run(ctx.store()?, &req, &opts)?;
    match args.output.format {
        Format::Json => print(&json(&done)),
        _ => ctx.outcome(&format!(
            "Changed {} of {} [{}]\n",
            done.changed.join(", "),
            done.customer.id,
            short(&done.commit)
        )),
    }
}
