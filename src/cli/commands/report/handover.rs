//! `crm report handover`.

use super::html;
use super::sections::sections;
use super::LangArgs;
use crate::cli::ctx::{skipped, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::i18n::Catalog;
use crate::cli::render::{self, escape, json, Format};
use crate::model::date::Date;
use crate::ops::report::handover::{self, Condition, HandoverReport};

/// The handover report: departures, ownership changes and risks (for cron)
///
/// Sections: pending handovers, ownership changes in the period, unacknowledged
/// handovers, key accounts without a valid backup, stale relationships and
/// coverage, concentration, regional exposure, sabotage signals. `md` reads
/// well as an email; `html` is one self-contained page with charts. With
/// --fail-on, exits 1 when any named section has entries.
///
/// Example: crm report handover --since 7d --format md --fail-on overdue,unacknowledged,no-backup
#[derive(clap::Args, Debug)]
pub struct HandoverArgs {
    /// Start of the period: a date or a duration back (default: 7d)
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    since: String,
    /// End of the period (default: today)
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Exit 1 when any of these sections has entries: pending, overdue,
    /// unacknowledged, no-backup, stale, concentration, exposure, sabotage
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = str::parse::<Condition>)]
    fail_on: Vec<Condition>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    #[command(flatten)]
    lang: LangArgs,
}

/// Formats of the handover report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Tables for the terminal
    Table,
    /// Markdown, ready to mail
    Md,
    /// JSON
    Json,
    /// A self-contained HTML page with charts
    Html,
}

/// Runs `crm report handover`.
pub fn run(ctx: &mut Ctx, args: HandoverArgs) -> CliResult {
    let today = ctx.today;
    let since = Date::parse_when(&args.since, today)?;
    let until = args.until.as_deref().map(|u| Date::parse_when(u, today)).transpose()?.unwrap_or(today);
    if since > until {
        return Err(CliError::usage(format!("the period ends ({until}) before it starts ({since})")));
    }
    let cat = args.lang.catalog(ctx)?;
    let store = ctx.store()?;
    let report = handover::run(store, since, until, today, &store.gpg())?;
    let text = match args.format {
        ReportFormat::Json => json(&report),
        ReportFormat::Html => html::page(&report, &cat),
        ReportFormat::Md => markdown(&report, &cat),
        ReportFormat::Table => table(&report, &cat),
    };
    ctx.page(&text)?;
    skipped(&report.unreadable)?;
    let names: Vec<&str> = args.fail_on.iter().filter(|c| report.has(**c)).map(|c| c.id()).collect();
    if names.is_empty() {
        return Ok(());
    }
    ctx.status(format!("action needed: {}", names.join(", ")));
    Err(CliError { code: FOUND_PROBLEMS, message: String::new(), hint: None })
}

/// The report's heading line.
pub fn heading(r: &HandoverReport, cat: &Catalog) -> String {
    let args = [
        ("company", r.company.as_str().into()),
        ("since", r.since.to_string().into()),
        ("until", r.until.to_string().into()),
        ("today", r.today.to_string().into()),
    ];
    cat.with("handover-heading", &args)
}

/// The counts a reader wants first, each with its message id, and whether
/// any of it needs action.
pub fn summary(r: &HandoverReport) -> [(&'static str, usize, bool); 7] {
    let overdue = r.pending.iter().filter(|p| p.overdue).count();
    [
        ("summary-pending", r.pending.len(), false),
        ("summary-overdue", overdue, overdue > 0),
        ("summary-changes", r.changes.len(), false),
        ("summary-unacknowledged", r.unacknowledged.len(), !r.unacknowledged.is_empty()),
        ("summary-no-backup", r.no_backup.len(), !r.no_backup.is_empty()),
        ("summary-sabotage", r.sabotage.len(), !r.sabotage.is_empty()),
        ("summary-self-assigned", r.self_assigned.len(), false),
    ]
}

fn table(r: &HandoverReport, cat: &Catalog) -> String {
    let mut out = render::line(&heading(r, cat));
    for s in sections(r, cat) {
        out.push('\n');
        out.push_str(&render::line(&s.title));
        if s.rows.is_empty() {
            out.push_str(&render::line(&format!("  {}", s.empty)));
        } else {
            let columns = s.columns.clone();
            out.push_str(&render::grid(&columns, s.into_texts(), Format::Table));
        }
    }
    out
}

/// The report in Markdown: what the plain-text part of its mail says.
pub fn markdown(r: &HandoverReport, cat: &Catalog) -> String {
    let mut out = format!("# {}\n\n", escape(&heading(r, cat)));
    let line: Vec<String> = summary(r)
        .iter()
        .map(|&(label, count, _)| {
            cat.with("md-summary-item", &[("count", count.into()), ("label", cat.text(label).into())])
        })
        .collect();
    out.push_str(&format!("{}\n", line.join(" · ")));
    for s in sections(r, cat) {
        out.push_str(&format!("\n## {}\n\n", s.title));
        if s.rows.is_empty() {
            out.push_str(&format!("_{}_\n", s.empty));
        } else {
            let columns = s.columns.clone();
            out.push_str(&render::grid(&columns, s.into_texts(), Format::Md));
        }
    }
    out
}
