//! `crm report handover`.

use std::path::PathBuf;

use super::sections::sections;
use super::{html, LangArgs};
use crate::cli::ctx::{warn_unreadable, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::i18n::Catalog;
use crate::cli::mail::{self, Letter, Sender};
use crate::cli::render::{self, escape, json};
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
/// --mail writes a whole e-mail message instead, for `sendmail -t` or
/// msmtp: to the active managers and admins (their e-mails in staff/),
/// from `[report] from` in crm.toml, with the report as plain text (its
/// Markdown) and as HTML.
///
/// Example: crm report handover --since 7d --mail --fail-on overdue,unacknowledged | sendmail -t
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
    #[command(flatten)]
    lang: LangArgs,
    /// Write an e-mail message (MIME, for sendmail -t) with the report as text and HTML
    #[arg(long, conflicts_with = "format")]
    mail: bool,
    /// Put FILE's text at the top of the report, marked as a warning to read first (an empty
    /// file adds nothing): the cron example puts what `crm verify` found there
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    warning_file: Option<PathBuf>,
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
    /// A self-contained HTML page that reads in mail and on phones
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
    let warning = warning(args.warning_file.as_deref())?;
    if warning.is_some() && args.format == ReportFormat::Json && !args.mail {
        return Err(CliError::usage("--warning-file is for people: JSON has no place for it"));
    }
    let cat = args.lang.catalog(ctx)?;
    let store = ctx.store()?;
    let report = handover::run(store, since, until, today, &store.gpg())?;
    let warning = warning.as_deref();
    if args.mail {
        mail(ctx, &report, &cat, warning)?;
    } else {
        let text = match args.format {
            ReportFormat::Json => json(&report),
            ReportFormat::Html => html::page(&report, &cat, warning),
            ReportFormat::Md => markdown(&report, &cat, warning),
            ReportFormat::Table => table(&report, &cat, warning),
        };
        ctx.page(&text)?;
    }
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
/// any of it needs action; the files left out first, when there are any.
pub fn summary(r: &HandoverReport) -> Vec<(&'static str, usize, bool)> {
    let overdue = r.pending.iter().filter(|p| p.overdue).count();
    let left_out = (!r.unreadable.is_empty()).then_some(("summary-unreadable", r.unreadable.len(), true));
    let counts = [
        ("summary-pending", r.pending.len(), false),
        ("summary-overdue", overdue, overdue > 0),
        ("summary-changes", r.changes.len(), false),
        ("summary-unacknowledged", r.unacknowledged.len(), !r.unacknowledged.is_empty()),
        ("summary-no-backup", r.no_backup.len(), !r.no_backup.is_empty()),
        ("summary-sabotage", r.sabotage.len(), !r.sabotage.is_empty()),
        ("summary-self-assigned", r.self_assigned.len(), false),
    ];
    left_out.into_iter().chain(counts).collect()
}

/// The text of the warning file, unless it is empty.
fn warning(path: Option<&std::path::Path>) -> CliResult<Option<String>> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read the warning file {}: {e}", path.display())))?;
    Ok(Some(text.trim_end().to_string()).filter(|t| !t.trim().is_empty()))
}

/// Writes the report as an e-mail message to the managers and admins.
fn mail(ctx: &mut Ctx, r: &HandoverReport, cat: &Catalog, warning: Option<&str>) -> CliResult {
    let store = ctx.store()?;
    let managers = crate::ops::report::managers(store)?;
    let sender = Sender::of(&store.head()?.config()?, &managers)?;
    let overdue = r.pending.iter().filter(|p| p.overdue).count();
    let subject = cat.with(
        "mail-subject-handover",
        &[
            ("company", r.company.as_str().into()),
            ("until", r.until.to_string().into()),
            ("overdue", overdue.into()),
            ("unacknowledged", r.unacknowledged.len().into()),
            ("pending", r.pending.len().into()),
        ],
    );
    let letter = Letter {
        to: &managers,
        subject: mail::subject(cat, &subject, warning.is_some()),
        text: markdown(r, cat, warning),
        html: html::page(r, cat, warning),
        kind: "handover".into(),
    };
    mail::send(ctx, &sender, &letter)
}

/// `warning` as the first lines of a text report, under its title.
fn warning_text(cat: &Catalog, warning: Option<&str>, markdown: bool) -> String {
    let Some(warning) = warning else { return String::new() };
    let title = format!("⚠ {}", cat.text("warning-title"));
    let title = if markdown { format!("**{}**", escape(&title)) } else { title };
    let lines: Vec<String> = warning.lines().map(|l| format!("    {}", escape(l))).collect();
    format!("{title}\n\n{}\n\n", lines.join("\n"))
}

fn table(r: &HandoverReport, cat: &Catalog, warning: Option<&str>) -> String {
    let mut out = warning_text(cat, warning, false);
    out.push_str(&render::line(&heading(r, cat)));
    for s in sections(r, cat) {
        out.push('\n');
        out.push_str(&s.table());
    }
    out
}

/// The report in Markdown (what the plain-text part of its mail says),
/// after `warning`.
fn markdown(r: &HandoverReport, cat: &Catalog, warning: Option<&str>) -> String {
    let mut out = format!("# {}\n\n{}", escape(&heading(r, cat)), warning_text(cat, warning, true));
    let counts: Vec<(String, usize)> = summary(r).iter().map(|&(label, count, _)| (cat.text(label), count)).collect();
    out.push_str(&md_counts(cat, &counts));
    for s in sections(r, cat) {
        out.push('\n');
        out.push_str(&s.markdown());
    }
    out
}

/// Counts with their labels on one Markdown line.
pub fn md_counts(cat: &Catalog, counts: &[(String, usize)]) -> String {
    let items: Vec<String> = counts
        .iter()
        .map(|(label, count)| {
            cat.with("md-summary-item", &[("count", (*count).into()), ("label", label.as_str().into())])
        })
        .collect();
    format!("{}\n", items.join(" · "))
}
