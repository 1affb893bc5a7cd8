//! `crm show`.

use super::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{self, json, money, opt, Column, Format};
use crate::ops::show::{self, CustomerDetail};
use crate::seal::record::Openness;

/// Show one customer: fields, contacts, recent touches and ownership history
///
/// Example: crm show zhengzhou-yutong-keyun-jituan
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The customer: its id, a unique start of it, or its exact name
    #[arg(add = complete::customers())]
    id: String,
    #[command(flatten)]
    output: OutputArgs,
}

/// How many touches the table view shows.
const RECENT_TOUCHES: usize = 10;

/// Runs `crm show`.
pub fn run(ctx: &mut Ctx, args: ShowArgs) -> CliResult {
    let id = ctx.customer(&args.id)?;
    let detail = show::run(ctx.store()?, &id)?;
    let format = args.output.format;
    if detail.sealing == Openness::Sealed {
        ctx.status(format!(
            "note: values shown as `sealed` are sealed to others: {} (your key is not among them)",
            detail.customer.seal.as_ref().map(|s| s.to.join(", ")).unwrap_or_default()
        ));
    }
    match format {
        Format::Json => print(&json(&detail)),
        Format::Csv => print(&render::grid(&render::FIELDS, fields(&detail, false), format)),
        Format::Table | Format::Md => ctx.page(&sections(&detail, format)),
    }
}

fn fields(d: &CustomerDetail, human: bool) -> Vec<Vec<String>> {
    let c = &d.customer;
    let pairs = [
        ("id", c.id.to_string()),
        ("name", c.name.clone()),
        ("owner", c.owner.clone()),
        ("backup", opt(&c.backup)),
        ("tier", c.tier.clone()),
        ("status", c.status.clone()),
        ("region", opt(&c.region)),
        ("since", opt(&c.since)),
        ("value", money(c.value, human)),
        ("tags", c.tags.join(", ")),
        ("next step", opt(&c.next_step)),
        ("next date", opt(&c.next_date)),
        ("notes", opt(&c.notes)),
    ];
    // The pool's keys, where the customer has them.
    let p = &c.pool;
    let lock = p.locked_by.as_ref().map(|by| match p.locked_until {
        Some(until) => format!("by {by} until {until}"),
        None => format!("by {by}"),
    });
    let pool = [
        ("released", p.released.map(|d| d.to_string())),
        ("released for", p.reason.clone()),
        ("released from", p.from.clone()),
        ("claimed", p.claimed.map(|d| d.to_string())),
        ("assigned", p.assigned.map(|d| d.to_string())),
        ("pool lock", lock),
    ];
    let pool = pool.into_iter().filter_map(|(k, v)| Some((k, v?)));
    let file = std::iter::once(("file", d.path.clone()));
    pairs.into_iter().chain(pool).chain(file).map(|(k, v)| vec![k.to_string(), v]).collect()
}

fn sections(d: &CustomerDetail, format: Format) -> String {
    let c = &d.customer;
    let heading = |title: &str| {
        if format == Format::Md {
            format!("\n## {title}\n\n")
        } else {
            format!("\n{title}\n")
        }
    };
    let mut out = String::new();
    if format == Format::Md {
        out.push_str(&format!("# {}\n\n", render::escape(&c.name)));
    }
    out.push_str(&render::grid(&render::FIELDS, fields(d, true), format));
    if !c.contacts.is_empty() {
        out.push_str(&heading("Contacts"));
        let rows =
            c.contacts.iter().map(|p| vec![p.name.clone(), opt(&p.title), opt(&p.phone), opt(&p.email)]).collect();
        out.push_str(&render::grid(
            &[Column::name("name"), Column::name("title"), Column::token("phone"), Column::token("email")],
            rows,
            format,
        ));
    }
    if !c.touches.is_empty() {
        let skip = c.touches.len().saturating_sub(RECENT_TOUCHES);
        out.push_str(&heading(&format!("Touches ({} of {})", c.touches.len() - skip, c.touches.len())));
        let rows = c.touches[skip..]
            .iter()
            .map(|t| vec![t.date.to_string(), t.by.clone(), t.kind.clone(), t.summary.clone()])
            .collect();
        out.push_str(&render::grid(
            &[Column::token("date"), Column::token("by"), Column::token("kind"), Column::prose("summary")],
            rows,
            format,
        ));
    }
    if !d.history.is_empty() {
        out.push_str(&heading("Ownership"));
        out.push_str(&render::rows(&d.history, format));
    }
    out
}
