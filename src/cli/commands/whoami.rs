//! `crm whoami`.

use super::OutputArgs;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult, BLOCKED};
use crate::cli::render::{self, json, opt, Format};
use crate::ops::whoami;

/// Show who crm takes you for, and why
///
/// The staff member your commits will be made as (named by CRM_USER, `git
/// config crm.user`, or your committer email), how they will be signed, and
/// whether `crm verify` will count them as yours; exits 3 with the fix when
/// it would not.
///
/// Example: crm whoami
#[derive(clap::Args, Debug)]
pub struct WhoamiArgs {
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm whoami`.
pub fn run(ctx: &mut Ctx, args: WhoamiArgs) -> CliResult {
    let opts = ctx.write_options()?;
    let me = whoami::run(ctx.store()?, &opts)?;
    if args.output.format == Format::Json {
        print(&json(&me))?;
    } else {
        let rows = vec![
            vec!["handle".into(), me.handle.clone()],
            vec!["name".into(), me.name.clone()],
            vec!["role".into(), me.role.clone()],
            vec!["region".into(), opt(&me.region)],
            vec!["status".into(), me.status.clone()],
            vec!["named by".into(), me.named_by.clone()],
            vec!["committer".into(), me.committer_email.clone()],
            vec!["signing".into(), me.signing.clone()],
            vec!["signing key".into(), opt(&me.signing_key)],
            vec![
                "verify".into(),
                if me.attributable { "counts your commits as yours".into() } else { "would not".into() },
            ],
        ];
        print(&render::grid(&render::FIELDS, rows, args.output.format))?;
    }
    match me.problem {
        None => Ok(()),
        Some(problem) => Err(CliError { code: BLOCKED, message: problem, hint: me.fix }),
    }
}
