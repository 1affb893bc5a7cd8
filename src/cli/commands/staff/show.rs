//! `crm staff show`.

use crate::cli::commands::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{self, print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, json, money, opt, Format};
use crate::model::Handle;
use crate::ops::complete::People;
use crate::ops::staff;
use crate::ops::Readable;

/// Show one person: role, status, keys, and the customers they hold
///
/// Example: crm staff show zhang.wei
#[derive(clap::Args, Debug)]
pub struct StaffShowArgs {
    /// Their handle
    #[arg(add = complete::staff(People::All))]
    handle: Handle,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm staff show`.
pub fn run(ctx: &mut Ctx, args: StaffShowArgs) -> CliResult {
    let shown = staff::show(ctx.store()?, &args.handle)?;
    if args.output.format == Format::Json {
        print(&json(&shown))?;
        return ctx::skipped(&shown.skipped);
    }
    let Readable { value: detail, skipped } = shown;
    let s = &detail.summary;
    let p = &s.person;
    let fields = vec![
        vec!["handle".into(), p.handle.to_string()],
        vec!["name".into(), p.name.clone()],
        vec!["email".into(), p.email.clone()],
        vec!["role".into(), p.role.to_string()],
        vec!["region".into(), opt(&p.region)],
        vec!["status".into(), p.status.to_string()],
        vec!["joined".into(), opt(&p.joined)],
        vec!["left".into(), opt(&p.left)],
        vec!["rehire".into(), opt(&p.rehire)],
        vec!["keys".into(), p.keys.join(", ")],
        vec!["customers".into(), s.customers.to_string()],
        vec!["key accounts".into(), s.key_accounts.to_string()],
        vec!["value".into(), money(Some(s.value), args.output.format != Format::Csv)],
        vec!["owns".into(), detail.owns.join(", ")],
        vec!["backup for".into(), detail.backs_up.join(", ")],
    ];
    print(&render::grid(&render::FIELDS, fields, args.output.format))?;
    ctx::skipped(&skipped)
}
