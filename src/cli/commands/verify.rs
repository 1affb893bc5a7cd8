//! `crm verify`.

use super::check::{github, junit, CheckFormat};
use super::short;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::render::{escape, json};
use crate::ops::check::rules::Severity;
use crate::ops::check::Finding;
use crate::ops::log::gpg_program;
use crate::ops::verify::rules::VERIFY_RULES;
use crate::ops::verify::{self, VerifyReport, VerifyRequest, Violation};

/// Check history: every commit's signature and authorisation (for CI and hooks)
///
/// Each commit is judged against the store as it was in its first parent: the
/// signer is the actor, and needs the right role in that state. A..B trusts A's
/// state; --root pins the trusted first commit. Exits 1 on any violation.
///
/// Example: crm verify origin/main..HEAD --format github
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Commits to judge: A..B, or a revision and its history (default: HEAD)
    range: Option<String>,
    /// The trusted first commit (it and its history are not judged)
    #[arg(long, value_name = "COMMIT")]
    root: Option<String>,
    /// gpg home directory holding the staff's OpenPGP public keys
    #[arg(long, value_name = "DIR")]
    gpg_home: Option<std::path::PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
}

/// Runs `crm verify`.
pub fn run(ctx: &mut Ctx, args: VerifyArgs) -> CliResult {
    let repo = ctx.repository()?;
    let mut gpg = gpg_program(&repo);
    gpg.home = args.gpg_home;
    let req = VerifyRequest { range: args.range, root: args.root, gpg };
    let report = verify::run(&repo, &req)?;
    let findings: Vec<Finding> = report.violations.iter().map(finding).collect();
    let text = match args.format {
        CheckFormat::Human => human(&report),
        CheckFormat::Json => json(&report),
        CheckFormat::Github => github(&findings),
        CheckFormat::Junit => junit("crm verify", VERIFY_RULES, &findings),
    };
    print(&text)?;
    if report.violations.is_empty() {
        return Ok(());
    }
    Err(CliError { code: FOUND_PROBLEMS, message: String::new(), hint: None })
}

fn human(report: &VerifyReport) -> String {
    let mut out: String = report
        .violations
        .iter()
        .map(|v| {
            let actor = if v.authenticated { v.actor.clone() } else { format!("{} (unauthenticated)", v.actor) };
            format!(
                "{} {} {} {}: error[{}]: {}\n",
                short(&v.commit),
                v.date,
                escape(&actor),
                escape(v.path.as_deref().unwrap_or("-")),
                v.rule,
                escape(&v.message)
            )
        })
        .collect();
    out.push_str(&format!("{} violation(s) in {} commit(s)\n", report.violations.len(), report.commits));
    out
}

fn finding(v: &Violation) -> Finding {
    let rule = VERIFY_RULES.iter().find(|r| r.id == v.rule).unwrap_or(&VERIFY_RULES[0]);
    Finding {
        path: v.path.clone().unwrap_or_default(),
        line: 1,
        column: 1,
        severity: Severity::Error,
        rule: rule.id,
        message: format!("commit {} by {}: {}", short(&v.commit), v.actor, v.message),
        help: rule.help,
        source: None,
    }
}
