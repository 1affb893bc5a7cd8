//! `crm find`.

use super::OutputArgs;
use crate::cli::ctx::{self, warn_unreadable, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::render::{self, opt, Column, Format, Tabular};
use crate::ops::find::{self, FindRequest, Found};
use crate::ops::Readable;

/// Find customers by name, pinyin, contact, phone, email, tag or notes
///
/// One ranked list, best match first, across the id, the name, its pinyin and
/// pinyin initials, contacts' names, phones, emails, tags and notes: `zzyt` finds 郑州宇通, `5555 0101`,
/// `+8637155550101` and `037155550101` all find the customer with that phone.
/// The query's letters must appear in order; matches at word starts and in a
/// row rank higher. Exits 1 when nothing matches (like grep).
///
/// Example: crm find 王建国
#[derive(clap::Args, Debug)]
#[command(visible_alias = "search")]
pub struct FindArgs {
    /// What to look for
    query: String,
    /// Show at most N customers
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: usize,
    #[command(flatten)]
    output: OutputArgs,
}

impl Tabular for Found {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::token("id"),
            Column::name("name"),
            Column::token("owner"),
            Column::token("region").optional(1),
            Column::token("tier").optional(2),
            Column::prose("matched"),
        ];
        COLUMNS
    }
    fn cells(&self, _human: bool) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.owner.clone(),
            opt(&self.region),
            self.tier.clone(),
            self.matched.label().to_string(),
        ]
    }
}

/// Runs `crm find`.
pub fn run(ctx: &mut Ctx, args: FindArgs) -> CliResult {
    let request = FindRequest { query: args.query.clone(), limit: args.limit };
    let Readable { value: found, skipped } = find::run(ctx.store()?, &request)?;
    if found.is_empty() && args.output.format != Format::Json {
        // Like grep: nothing found is exit 1, said on stderr (after the
        // files that could not be searched).
        warn_unreadable(&skipped);
        return Err(CliError {
            code: FOUND_PROBLEMS,
            message: format!("no customer matches `{}`", args.query),
            hint: None,
        });
    }
    ctx.page(&render::rows(&found, args.output.format))?;
    if found.is_empty() {
        warn_unreadable(&skipped);
        return Err(CliError { code: FOUND_PROBLEMS, message: String::new(), hint: None });
    }
    ctx::skipped(&skipped)
}
