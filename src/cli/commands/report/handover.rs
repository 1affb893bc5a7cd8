//! `crm report handover`.

use super::html;
use super::sections::sections;
use crate::cli::ctx::{warn_unreadable, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::render::{self, escape, json, Format};
use crate::model::date::Date;
use crate::ops::report::handover::{self, Condition, HandoverReport};

/// The handover report: departures, ownership changes and risks (for cron)
///
/// Sections: pending handovers, ownership changes in the period, unacknowledged
/// handovers, key accounts without a valid backup, stale relationships and
/// coverage, concentration, regional exposure, sabotage signals; first, when
/// there are any, the files left out because they cannot be read. `md` reads
/// well as an email; `html` is one self-contained page with charts. With
/// --fail-on, exits 1 when any named section has entries; files left out
/// always make it exit 1.
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
    /// unacknowledged, no-backup, stale, concentration, exposure, sabotage,
    /// self-assigned, unreadable
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = str::parse::<Condition>)]
    fail_on: Vec<Condition>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
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
    let store = ctx.store()?;
    let report = handover::run(store, since, until, today, &store.gpg())?;
    let text = match args.format {
        ReportFormat::Json => json(&report),
        ReportFormat::Html => html::page(&report, sections(&report)),
        ReportFormat::Md => markdown(&report),
        ReportFormat::Table => table(&report),
    };
    ctx.page(&text)?;
    // Files left out make the report incomplete: exit 1 whatever --fail-on
    // names, as every reading command does, so the cron job mails it.
    let left_out = warn_unreadable(&report.unreadable);
    let names: Vec<&str> = args.fail_on.iter().filter(|c| report.has(**c)).map(|c| c.id()).collect();
    if !names.is_empty() {
        ctx.status(format!("action needed: {}", names.join(", ")));
    }
    if names.is_empty() && !left_out {
        return Ok(());
    }
    Err(CliError { code: FOUND_PROBLEMS, message: String::new(), hint: None })
}

fn heading(r: &HandoverReport) -> String {
    format!("Handover report — {} — {} to {} (as of {})", r.company, r.since, r.until, r.today)
}

fn table(r: &HandoverReport) -> String {
    let mut out = render::line(&heading(r));
    for s in sections(r) {
        out.push('\n');
        out.push_str(&render::line(s.title));
        if s.rows.is_empty() {
            out.push_str(&render::line(&format!("  {}", s.empty)));
        } else {
            let columns = s.columns.clone();
            out.push_str(&render::grid(&columns, s.into_texts(), Format::Table));
        }
    }
    out
}

fn markdown(r: &HandoverReport) -> String {
    let mut out = format!("# {}\n\n", escape(&heading(r)));
    // Files left out are named first, and only when there are any.
    let left_out = (!r.unreadable.is_empty()).then_some(("unreadable files left out", r.unreadable.len()));
    let summary = left_out.into_iter().chain([
        ("pending handovers", r.pending.len()),
        ("overdue", r.pending.iter().filter(|p| p.overdue).count()),
        ("ownership changes", r.changes.len()),
        ("unacknowledged", r.unacknowledged.len()),
        ("key accounts without backup", r.no_backup.len()),
        ("sabotage signals", r.sabotage.len()),
        ("self-assignments by managers", r.self_assigned.len()),
    ]);
    let line: Vec<String> = summary.map(|(k, v)| format!("**{v}** {k}")).collect();
    out.push_str(&format!("{}\n", line.join(" · ")));
    for s in sections(r) {
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
