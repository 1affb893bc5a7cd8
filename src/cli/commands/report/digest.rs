//! `crm report digest`.

use std::path::{Path, PathBuf};

use super::handover::{md_counts, ReportFormat};
use super::sections::{date, id, text, Place, Section};
use super::{html, LangArgs};
use crate::cli::commands::agenda::{count, why};
use crate::cli::complete;
use crate::cli::ctx::{print, skipped, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::i18n::Catalog;
use crate::cli::mail::{self, Letter, Sender};
use crate::cli::render::{self, escape, opt, Column};
use crate::model::date::Date;
use crate::ops::agenda::{Agenda, Kind};
use crate::ops::complete::People;
use crate::ops::report::digest::{self, DigestRequest, PersonalDigest, Who};

/// Each rep's own list, to mail them: next steps due, handovers, stale accounts
///
/// What `crm agenda` shows a person (the same definitions and order), as
/// text, Markdown or HTML, for one person (--for) or for every active
/// person with something on their list (--each). --mail writes an e-mail
/// message to the person for `sendmail -t`. --out DIR writes one file per
/// person instead of stdout (HANDLE.eml with --mail, else HANDLE.txt, .md,
/// .html or .json); --each --mail and --each --format html need it. A list
/// shows its 25 longest-untouched stale accounts; `crm agenda` shows all.
///
/// Example: crm report digest --each --mail --out /var/spool/crm-digests
#[derive(clap::Args, Debug)]
pub struct DigestArgs {
    /// Whose list: a staff handle
    #[arg(long = "for", value_name = "HANDLE", add = complete::staff(People::All), required_unless_present = "each")]
    person: Option<String>,
    /// Everyone's: every active person with something on their list
    #[arg(long, conflicts_with = "person")]
    each: bool,
    /// Next steps due within DUR (7d, 2w, 1m) or by a date are due
    #[arg(long, value_name = "DUR", default_value = "7d")]
    within: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Write an e-mail message (MIME, for sendmail -t) to each person, with their list as text and HTML
    #[arg(long, conflicts_with = "format")]
    mail: bool,
    /// Write one file per person into DIR (created if missing) instead of stdout
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    out: Option<PathBuf>,
    #[command(flatten)]
    lang: LangArgs,
}

/// Stale accounts a list shows (the longest untouched, key accounts first).
const STALE_SHOWN: usize = 25;

/// Runs `crm report digest`.
pub fn run(ctx: &mut Ctx, args: DigestArgs) -> CliResult {
    let today = ctx.today;
    let until = Date::parse_ahead(&args.within, today)?;
    if args.each && args.out.is_none() && (args.mail || args.format == ReportFormat::Html) {
        let what = if args.mail { "--mail" } else { "--format html" };
        return Err(CliError::usage(format!(
            "--each {what} makes one file per person: name a directory with --out DIR"
        ))
        .with_hint("e.g. crm report digest --each --mail --out /tmp/digests, then sendmail -t < each .eml file"));
    }
    let cat = args.lang.catalog(ctx)?;
    let who = match args.person {
        Some(handle) => Who::One(handle),
        None => Who::Each,
    };
    let store = ctx.store()?;
    let found = digest::run(store, &DigestRequest { who, until }, today)?;
    let sender = match args.mail {
        true => Some(Sender::of(&store.head()?.config()?, &crate::ops::report::managers(store)?)?),
        false => None,
    };
    let render = |d: &PersonalDigest| -> CliResult<String> {
        Ok(match (&sender, args.format) {
            (Some(sender), _) => {
                let letter = letter(d, &cat);
                let no_message = |why: String| CliError::usage(format!("no message for {}: {why}", d.agenda.person));
                let (message, left_out) =
                    mail::compose(sender, &letter, ctx.now()).map_err(|e| no_message(e.message))?;
                if !left_out.is_empty() {
                    return Err(no_message(left_out.join("; ")));
                }
                message
            }
            (None, ReportFormat::Json) => render::json(d),
            (None, ReportFormat::Html) => page(&d.agenda, &cat),
            (None, ReportFormat::Md) => markdown(&d.agenda, &cat),
            (None, ReportFormat::Table) => table(&d.agenda, &cat),
        })
    };
    match &args.out {
        Some(dir) => {
            let extension = match (args.mail, args.format) {
                (true, _) => "eml",
                (false, ReportFormat::Json) => "json",
                (false, ReportFormat::Html) => "html",
                (false, ReportFormat::Md) => "md",
                (false, ReportFormat::Table) => "txt",
            };
            // One person's list that cannot be made (an e-mail address
            // that is none) does not hold up the others'.
            let mut failed = Vec::new();
            for d in &found.value {
                match render(d) {
                    Ok(text) => write(dir, &format!("{}.{extension}", d.agenda.person), &text)?,
                    Err(e) => failed.push(e.message),
                }
            }
            ctx.status(format!("Wrote {} list(s) to {}", found.value.len() - failed.len(), dir.display()));
            if !failed.is_empty() {
                let mut message = format!("{} list(s) could not be made:\n  {}", failed.len(), failed.join("\n  "));
                if let Err(unread) = skipped(&found.skipped) {
                    message.push_str(&format!("\n{}", unread.message));
                }
                return Err(CliError { code: FOUND_PROBLEMS, message, hint: None });
            }
        }
        None if args.format == ReportFormat::Json && !args.mail && args.each => print(&render::json(&found.value))?,
        None => {
            let texts = found.value.iter().map(render).collect::<CliResult<Vec<String>>>()?;
            ctx.page(&texts.join("\n"))?;
        }
    }
    skipped(&found.skipped)
}

/// Writes `content` to `dir/name` through a temporary file moved into
/// place, so a reader never sees half a file.
fn write(dir: &Path, name: &str, content: &str) -> CliResult {
    let path = dir.join(name);
    crate::store::whole::write(&path, content.as_bytes())
        .map_err(|e| CliError::usage(format!("cannot write {}: {e}", path.display())))
}

/// The list as a message to its person.
fn letter<'a>(d: &'a PersonalDigest, cat: &Catalog) -> Letter<'a> {
    let a = &d.agenda;
    let id = if count(a, Kind::Release) > 0 { "mail-subject-digest-release" } else { "mail-subject-digest" };
    let subject = cat.with(
        id,
        &[
            ("today", a.today.to_string().into()),
            ("overdue", count(a, Kind::Overdue).into()),
            ("release", count(a, Kind::Release).into()),
            ("handovers", count(a, Kind::Handover).into()),
            ("due", count(a, Kind::Due).into()),
            ("stale", count(a, Kind::Stale).into()),
        ],
    );
    Letter {
        to: std::slice::from_ref(&d.staff),
        subject: mail::subject(cat, &subject, false),
        text: markdown(a, cat),
        html: page(a, cat),
        kind: format!("digest.{}", a.person),
    }
}

/// The list's title.
fn title(a: &Agenda, cat: &Catalog) -> String {
    let args =
        [("name", a.name.as_str().into()), ("person", a.person.as_str().into()), ("today", a.today.to_string().into())];
    cat.with("digest-title", &args)
}

/// Each kind's count with its label, and whether it needs action now.
fn counts(a: &Agenda, cat: &Catalog) -> Vec<(String, usize, bool)> {
    let until = [("until", a.until.to_string().into())];
    [
        (Kind::Release, cat.text("digest-count-release")),
        (Kind::Overdue, cat.text("digest-count-overdue")),
        (Kind::Handover, cat.text("digest-count-handover")),
        (Kind::Due, cat.with("digest-count-due", &until)),
        (Kind::Stale, cat.text("digest-count-stale")),
    ]
    .into_iter()
    // Customers going to the pool are counted when there are any (see
    // `crm agenda`'s summary).
    .filter(|(kind, _)| *kind != Kind::Release || count(a, *kind) > 0)
    .map(|(kind, label)| (label, count(a, kind), matches!(kind, Kind::Overdue | Kind::Release) && count(a, kind) > 0))
    .collect()
}

/// The list's sections, one per kind that has customers (by the most
/// urgent reason of each), stale accounts cut to [`STALE_SHOWN`].
fn sections(a: &Agenda, cat: &Catalog) -> Vec<Section> {
    let until = [("until", a.until.to_string().into())];
    let layout = [
        (Column::token("date"), Place::Row),
        (Column::token("customer"), Place::Row),
        (Column::name("name"), Place::Beside),
        (Column::prose("next step"), Place::Below),
        (Column::prose("why"), Place::Below),
    ];
    [
        (Kind::Release, cat.text("digest-section-release")),
        (Kind::Overdue, cat.text("digest-section-overdue")),
        (Kind::Handover, cat.text("digest-section-handover")),
        (Kind::Due, cat.with("digest-section-due", &until)),
        (Kind::Stale, cat.text("digest-section-stale")),
    ]
    .into_iter()
    .filter_map(|(kind, title)| {
        let items: Vec<_> = a.items.iter().filter(|i| i.kind == kind).collect();
        let shown = if kind == Kind::Stale { STALE_SHOWN } else { items.len() };
        let rows: Vec<Vec<_>> = items
            .iter()
            .take(shown)
            .map(|i| {
                // Overdue says so in its section's title and in its why.
                vec![
                    date(opt(&i.date)),
                    id(i.customer.clone()),
                    text(i.name.clone()),
                    text(opt(&i.next_step)),
                    text(why(i, a.today, cat)),
                ]
            })
            .collect();
        let note = (items.len() > shown).then(|| {
            cat.with(
                "digest-more-stale",
                &[("count", (items.len() - shown).into()), ("person", a.person.as_str().into())],
            )
        });
        (!items.is_empty()).then(|| Section {
            title,
            columns: layout.iter().map(|(c, _)| cat.column(c)).collect(),
            places: layout.iter().map(|(_, p)| *p).collect(),
            rows,
            empty: String::new(),
            note,
        })
    })
    .collect()
}

/// What a list with nothing on it says.
fn nothing(a: &Agenda, cat: &Catalog) -> String {
    cat.with("digest-nothing", &[("until", a.until.to_string().into())])
}

fn table(a: &Agenda, cat: &Catalog) -> String {
    let mut out = render::line(&title(a, cat));
    let counts: Vec<String> = counts(a, cat).into_iter().map(|(label, n, _)| format!("{n} {label}")).collect();
    out.push_str(&render::line(&counts.join(" · ")));
    let sections = sections(a, cat);
    if sections.is_empty() {
        out.push_str(&render::line(&nothing(a, cat)));
    }
    for s in sections {
        out.push('\n');
        out.push_str(&s.table());
    }
    out
}

fn markdown(a: &Agenda, cat: &Catalog) -> String {
    let mut out = format!("# {}\n\n", escape(&title(a, cat)));
    let counts: Vec<(String, usize)> = counts(a, cat).into_iter().map(|(label, n, _)| (label, n)).collect();
    out.push_str(&md_counts(cat, &counts));
    let sections = sections(a, cat);
    if sections.is_empty() {
        out.push_str(&format!("\n{}\n", escape(&nothing(a, cat))));
    }
    for s in sections {
        out.push('\n');
        out.push_str(&s.markdown());
    }
    out
}

fn page(a: &Agenda, cat: &Catalog) -> String {
    let title = title(a, cat);
    let mut body = html::heading(&title, &cat.with("digest-as-of", &[("until", a.until.to_string().into())]));
    body.push_str(&html::counts(&counts(a, cat), &cat.text("summary-needs-action")));
    let sections = sections(a, cat);
    if sections.is_empty() {
        body.push_str(&html::note(&nothing(a, cat)));
    }
    for s in &sections {
        body.push_str(&html::section(s));
    }
    let footer = [("today", a.today.to_string().into()), ("person", a.person.as_str().into())];
    body.push_str(&html::footer(&cat.with("digest-footer", &footer)));
    html::document(cat, &title, &body)
}
