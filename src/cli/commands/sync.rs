//! `crm sync`, `crm status` and `crm doctor`: working with colleagues
//! through the shared repository, and repairing after a crash.

use super::{short, OutputArgs};
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::render::{self, json, Column, Format, Tabular};
use crate::ops::doctor;
use crate::ops::status::{self, Unshared};
use crate::ops::sync::{self, SyncRequest};

/// Fetch, integrate and push: share your changes, get your colleagues'
///
/// Your unpushed commits are replayed on top of the remote's (re-signed with
/// your key when they were signed); a customer both sides changed is merged key
/// by key, and touches both sides logged are all kept. When both set the same
/// key differently, sync stops with nothing changed and shows both values and
/// who set them. A push rejected because someone pushed meanwhile is retried.
/// Network access goes through the git command line (your ssh config and
/// credential helpers apply).
///
/// Example: crm sync --remote origin
#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// The remote (default: the branch's upstream, else origin)
    #[arg(long)]
    remote: Option<String>,
    /// The branch (default: the current one)
    #[arg(long)]
    branch: Option<String>,
    /// Attempts when the push is rejected because of a concurrent push
    #[arg(long, default_value_t = 5)]
    retries: u32,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm sync`.
pub fn run(ctx: &mut Ctx, args: SyncArgs) -> CliResult {
    let req = SyncRequest { remote: args.remote, branch: args.branch, retries: args.retries };
    let opts = ctx.write_options()?;
    let done = sync::run(ctx.store()?, &req, &opts)?;
    if args.output.format == Format::Json {
        return print(&json(&done));
    }
    let mut parts = Vec::new();
    if done.received > 0 {
        parts.push(format!("received {} commit(s)", done.received));
    }
    if done.replayed > 0 {
        parts.push(format!("replayed {} local commit(s) on top", done.replayed));
    }
    if done.pushed > 0 {
        parts.push(format!("pushed {} commit(s)", done.pushed));
    }
    if parts.is_empty() {
        parts.push("already up to date".into());
    }
    let retried = if done.attempts > 1 { format!(" after {} attempts", done.attempts) } else { String::new() };
    ctx.outcome(&format!("{}/{}: {}{retried} [{}]\n", done.remote, done.branch, parts.join(", "), short(&done.head)))
}

/// Show unshared work: local commits not pushed, remote ones not integrated
///
/// Works offline: the remote side is as of the last `crm sync` (or git fetch).
///
/// Example: crm status
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The remote (default: the branch's upstream, else origin)
    #[arg(long)]
    remote: Option<String>,
    /// The branch (default: the current one)
    #[arg(long)]
    branch: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for Unshared {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("commit"),
            Column::token("date"),
            Column::token("author").optional(1),
            Column::prose("subject"),
        ];
        COLUMNS
    }
    fn cells(&self, _human: bool) -> Vec<String> {
        vec![short(&self.commit).into(), self.date.to_string(), self.author.clone(), self.subject.clone()]
    }
}

/// Runs `crm status`.
pub fn status(ctx: &mut Ctx, args: StatusArgs) -> CliResult {
    let req = SyncRequest { remote: args.remote, branch: args.branch, retries: 0 };
    let st = status::run(ctx.store()?, &req)?;
    let format = args.output.format;
    if format == Format::Json {
        return print(&json(&st));
    }
    let mut out = String::new();
    if !st.fetched {
        out.push_str(&format!("{}/{} has not been fetched yet; run crm sync\n", st.remote, st.branch));
    }
    let side = |title: String, list: &[Unshared], out: &mut String| {
        if !list.is_empty() {
            out.push_str(&format!("{title}\n"));
            out.push_str(&render::rows(list, format));
        }
    };
    side(format!("Not pushed yet ({}):", st.ahead.len()), &st.ahead, &mut out);
    side(format!("On {}/{}, not integrated here ({}):", st.remote, st.branch, st.behind.len()), &st.behind, &mut out);
    if st.fetched && st.ahead.is_empty() && st.behind.is_empty() {
        out.push_str(&format!("Up to date with {}/{} (as of the last fetch).\n", st.remote, st.branch));
    }
    print(&out)
}

/// Repair what a crashed or killed command left behind
///
/// Removes a lock whose crm process is gone, finishes a write that moved the
/// branch but not the work tree, and lists store files with uncommitted edits
/// (never touching those). Exits 1 when problems remain.
///
/// Example: crm doctor
#[derive(clap::Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm doctor`.
pub fn doctor(ctx: &mut Ctx, args: DoctorArgs) -> CliResult {
    let d = doctor::run(ctx.store()?)?;
    if args.output.format == Format::Json {
        print(&json(&d))?;
    } else {
        let mut out = String::new();
        for r in &d.repaired {
            out.push_str(&format!("repaired: {r}\n"));
        }
        for p in &d.problems {
            out.push_str(&format!("problem: {p}\n"));
        }
        if d.repaired.is_empty() && d.problems.is_empty() {
            out.push_str("The store is healthy.\n");
        }
        print(&out)?;
    }
    if d.problems.is_empty() {
        return Ok(());
    }
    Err(CliError { code: FOUND_PROBLEMS, message: String::new(), hint: None })
}
