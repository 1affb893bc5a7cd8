//! `crm report …`: reports for managers.

pub mod digest;
pub mod handover;
pub mod html;
pub mod portfolio;
pub mod sections;

use crate::cli::ctx::Ctx;
use crate::cli::error::CliResult;
use crate::cli::i18n::{Catalog, Lang};

/// Reports: the weekly handover report, portfolios per owner, each rep's own list
///
/// Example: crm report handover --since 7d --format md
// Each variant's help comes from its Args struct's doc comment.
#[allow(missing_docs)]
#[derive(clap::Subcommand, Debug)]
pub enum ReportCommand {
    Handover(handover::HandoverArgs),
    Portfolio(portfolio::PortfolioArgs),
    Digest(digest::DigestArgs),
}

/// Runs a `crm report` subcommand.
pub fn run(ctx: &mut Ctx, cmd: ReportCommand) -> CliResult {
    match cmd {
        ReportCommand::Handover(args) => handover::run(ctx, args),
        ReportCommand::Portfolio(args) => portfolio::run(ctx, args),
        ReportCommand::Digest(args) => digest::run(ctx, args),
    }
}

/// `--lang`, shared by the reports.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct LangArgs {
    /// Language of the output: en or zh-CN (default: `[report] lang` in crm.toml, else en; JSON is the same in both)
    #[arg(long, value_name = "LANG", value_parser = str::parse::<Lang>)]
    lang: Option<Lang>,
}

impl LangArgs {
    /// The catalog of the language asked for: the flag, else crm.toml's
    /// `[report] lang`, else English.
    pub fn catalog(&self, ctx: &mut Ctx) -> CliResult<Catalog> {
        let lang = match self.lang {
            Some(lang) => lang,
            None => ctx.store()?.head()?.config()?.report.lang.unwrap_or(Lang::En),
        };
        Ok(Catalog::new(lang))
    }
}
