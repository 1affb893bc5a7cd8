//! `crm check`.

use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::identity::CliKeys;
use crate::cli::render::{self, json};
use crate::ops::check::rules::{Rule, Severity, RULES};
use crate::ops::check::{self, CheckReport, Finding};
use crate::seal::record::KeySource as _;

/// Check every file of the store: schema, references, policy (for CI)
///
/// Reports every problem in one run, each with a stable rule id (listed in the
/// README). Exits 1 when there is an error (or a warning, with --deny-warnings).
/// Reads the work tree; --rev checks a commit instead (e.g. in a bare repository).
///
/// Example: crm check --format github --deny-warnings
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
    /// Fail on warnings too
    #[arg(long)]
    deny_warnings: bool,
    /// Check this commit's tree instead of the work tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// In a sealed store: also open every sealed value with this private key (the recovery key, in CI)
    #[arg(long, value_name = "KEY")]
    identity: Option<std::path::PathBuf>,
}

/// Output formats of `check` and `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// `path:line:col: error[rule]: message`, the source line, a help line
    Human,
    /// The report as JSON
    Json,
    /// GitHub Actions workflow commands (annotations on pull requests)
    Github,
    /// JUnit XML, one test case per rule (GitLab, Jenkins)
    Junit,
}

/// Runs `crm check`.
pub fn run(ctx: &mut Ctx, args: CheckArgs) -> CliResult {
    let today = ctx.today;
    let keys = args.identity.map(|file| CliKeys::file(ctx.dir.join(file), ctx.interactive));
    let identities = keys.as_ref().map(|k| k.identities()).transpose()?;
    let report = match &args.rev {
        Some(rev) => check::revision(&ctx.repository()?, rev, today, identities)?,
        None => check::work_tree(ctx.store()?, today, identities)?,
    };
    let text = match args.format {
        CheckFormat::Human => human(&report, ctx.color()),
        CheckFormat::Json => json(&report),
        CheckFormat::Github => github(&report.findings),
        CheckFormat::Junit => junit("crm check", RULES, &report.findings),
    };
    print(&text)?;
    let failed = report.errors > 0 || (args.deny_warnings && report.warnings > 0);
    if failed {
        return Err(CliError { code: FOUND_PROBLEMS, message: String::new(), hint: None });
    }
    Ok(())
}

/// A source line cut to a readable length (a wrapped data key is one line
/// of a thousand characters).
fn shortened(line: &str) -> String {
    const SHOWN: usize = 120;
    match line.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

fn human(report: &CheckReport, color: bool) -> String {
    let paint = |code: &str, s: &str| if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() };
    let mut out = String::new();
    for f in &report.findings {
        let (label, code) = match f.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        let head = paint(code, &format!("{label}[{}]", f.rule));
        let path = render::escape(&f.path);
        out.push_str(&format!("{path}:{}:{}: {head}: {}\n", f.line, f.column, render::escape(&f.message)));
        if let Some(src) = &f.source {
            let n = f.line.to_string();
            let pad = " ".repeat(n.len());
            let marker = " ".repeat(f.column.saturating_sub(1).min(200));
            out.push_str(&format!("{n} | {}\n{pad} | {marker}{}\n", render::escape(&shortened(src)), paint(code, "^")));
        }
        out.push_str(&format!("  help: {}\n\n", f.help));
    }
    out.push_str(&format!("{} error(s), {} warning(s) in {} file(s)\n", report.errors, report.warnings, report.files));
    out
}

/// GitHub Actions workflow commands, one per finding.
pub fn github(findings: &[Finding]) -> String {
    let esc = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let prop = |s: &str| esc(s).replace(':', "%3A").replace(',', "%2C");
    findings
        .iter()
        .map(|f| {
            let level = if f.severity == Severity::Error { "error" } else { "warning" };
            format!(
                "::{level} file={},line={},col={},title={}::{}\n",
                prop(&render::escape(&f.path)),
                f.line,
                f.column,
                prop(f.rule),
                esc(&format!("{} (help: {})", render::escape(&f.message), f.help))
            )
        })
        .collect()
}

/// JUnit XML with one test case per rule of `rules`; findings are its
/// failures.
pub fn junit(suite: &str, rules: &[Rule], findings: &[Finding]) -> String {
    let xml = |s: &str| {
        render::escape_keeping_newlines(s)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let failing = |id: &str| findings.iter().filter(|f| f.rule == id).collect::<Vec<_>>();
    let failures = rules.iter().filter(|r| !failing(r.id).is_empty()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
        xml(suite),
        rules.len()
    );
    for r in rules {
        let found = failing(r.id);
        out.push_str(&format!("<testcase classname=\"{}\" name=\"{}\">", xml(suite), r.id));
        if !found.is_empty() {
            let body: String = found
                .iter()
                .map(|f| format!("{}:{}:{}: {}\n", render::escape(&f.path), f.line, f.column, f.message))
                .collect();
            out.push_str(&format!(
                "<failure message=\"{} finding(s): {}\" type=\"{}\">{}</failure>",
                found.len(),
                xml(r.what),
                if r.severity == Severity::Error { "error" } else { "warning" },
                xml(&body)
            ));
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n</testsuites>\n");
    out
}
