//! `crm verify`.

use super::check::{github, junit, CheckFormat};
use super::short;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::identity::CliKeys;
use crate::cli::render::{escape, json};
use crate::ops::check::rules::Severity;
use crate::ops::check::Finding;
use crate::ops::verify::rules;
use crate::ops::verify::update::RefUpdate;
use crate::ops::verify::{self, VerifyReport, VerifyRequest, Violation};
use crate::seal::record::KeySource as _;

/// Check history: every commit's signature and authorisation (for CI and hooks)
///
/// Each commit is judged against the store as it was in its parent (for a
/// merge, the newest of its parents): the signer is the actor, and needs the
/// right role in that state. A..B trusts A's state; --root pins the trusted
/// first commit; --update judges one ref update as a server hook receives
/// it. Exits 1 on any violation.
///
/// Example: crm verify origin/main..HEAD --format github
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Commits to judge: A..B, or a revision and its history (default: HEAD)
    #[arg(conflicts_with = "update")]
    range: Option<String>,
    /// Judge a ref update as a pre-receive hook gets it (OLD NEW REF, zeros
    /// for none): no rewinds, no deletion of protected branches, no foreign
    /// histories, no replace refs, and every new commit verified
    #[arg(long, num_args = 3, value_names = ["OLD", "NEW", "REF"], conflicts_with = "root")]
    update: Option<Vec<String>>,
    /// The trusted first commit (it and its history are not judged)
    #[arg(long, value_name = "COMMIT")]
    root: Option<String>,
    /// gpg home directory holding the staff's OpenPGP public keys
    #[arg(long, value_name = "DIR")]
    gpg_home: Option<std::path::PathBuf>,
    /// In a sealed store: also open every sealed value with this private key (the recovery key, in CI)
    #[arg(long, value_name = "KEY", conflicts_with = "update")]
    identity: Option<std::path::PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
}

/// Runs `crm verify`.
pub fn run(ctx: &mut Ctx, args: VerifyArgs) -> CliResult {
    let repo = ctx.repository()?;
    let mut gpg = repo.gpg();
    gpg.home = args.gpg_home;
    let report = match args.update.as_deref() {
        Some([old, new, refname]) => {
            let update = RefUpdate { old: old.clone(), new: new.clone(), refname: refname.clone() };
            verify::update::run(&repo, &update, &gpg, ctx.today)?
        }
        _ => {
            let keys = args.identity.map(|file| CliKeys::file(ctx.dir.join(file), ctx.interactive));
            let identities = keys.as_ref().map(|k| k.identities()).transpose()?.map(<[_]>::to_vec).unwrap_or_default();
            verify::run(
                &repo,
                &VerifyRequest { range: args.range, root: args.root, gpg, identities, today: Some(ctx.today) },
            )?
        }
    };
    let findings: Vec<Finding> = report.violations.iter().map(finding).collect();
    let text = match args.format {
        CheckFormat::Human => human(&report),
        CheckFormat::Json => json(&report),
        CheckFormat::Github => github(&findings),
        CheckFormat::Junit => junit("crm verify", &rules::all(), &findings),
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
            let actor = if v.authenticated || v.actor == "-" {
                v.actor.clone()
            } else {
                format!("{} (unauthenticated)", v.actor)
            };
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
    Finding {
        path: v.path.clone().unwrap_or_default(),
        line: 1,
        column: 1,
        severity: Severity::Error,
        rule: v.rule,
        message: format!("commit {} by {}: {}", short(&v.commit), v.actor, v.message),
        help: rules::find(v.rule).map_or("", |r| r.help),
        source: None,
    }
}
