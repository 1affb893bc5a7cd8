//! `crm touch`.

use super::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{json, Format};
use crate::model::customer::TouchKind;
use crate::model::date::Date;
use crate::ops::touch::{self, TouchRequest};

/// Log an interaction with a customer (and the next step, if any)
///
/// Example: crm touch yutong --kind visit --summary "Discussed 2027 fleet renewal" --next-step "Send quote" --next-date 2026-12-15
#[derive(clap::Args, Debug)]
pub struct TouchArgs {
    /// The customer: its id, a unique start of it, or its exact name
    #[arg(add = complete::customers())]
    id: String,
    /// visit, call, email, meeting or other
    #[arg(long, add = complete::words(TouchKind::ALL))]
    kind: TouchKind,
    /// What happened
    #[arg(long)]
    summary: String,
    /// When, YYYY-MM-DD (default: today)
    #[arg(long)]
    date: Option<String>,
    /// The next step agreed
    #[arg(long)]
    next_step: Option<String>,
    /// When the next step is due, YYYY-MM-DD
    #[arg(long)]
    next_date: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm touch`.
pub fn run(ctx: &mut Ctx, args: TouchArgs) -> CliResult {
    let parse = |s: &Option<String>| s.as_deref().map(Date::parse).transpose();
    let req = TouchRequest {
        id: ctx.customer(&args.id)?,
        kind: args.kind,
        summary: args.summary,
        date: parse(&args.date)?,
        next_step: args.next_step,
        next_date: parse(&args.next_date)?,
    };
    let (today, opts) = (ctx.today, ctx.write_options()?);
    let done = touch::run(ctx.store()?, &req, today, &opts)?;
    match args.output.format {
        Format::Json => print(&json(&done)),
        _ => ctx.outcome(&format!(
            "Logged {} with {} on {} [{}]\n",
            done.touch.kind,
            done.customer,
            done.touch.date,
            short(&done.commit)
        )),
    }
}
