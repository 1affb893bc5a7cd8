//! What every command needs from its surroundings: the directory, the
//! store (opened on first use), today's date, whether a person is there to
//! answer questions, and where output goes. The only place that reads the
//! environment.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::error::{CliError, CliResult};
use crate::model::date::Date;
use crate::model::timestamp::Timestamp;
use crate::model::CustomerId;
use crate::ops::{Repo, SignChoice, Stamp, Stamps, Store, WriteOptions};

/// The command's context.
pub struct Ctx {
    /// The directory to work from (`-C`, else the current one).
    pub dir: PathBuf,
    /// `--quiet`: no status lines on stderr.
    pub quiet: bool,
    /// `--sign` / `--no-sign`.
    pub sign: SignChoice,
    /// Today (`CRM_TODAY`, else the local date).
    pub today: Date,
    /// Whether `CRM_TODAY` fixed today.
    today_fixed: bool,
    /// Whether questions may be asked (stdin and stderr are terminals and
    /// `CRM_NO_INPUT` is not set).
    pub interactive: bool,
    store: Option<Store>,
}

impl Ctx {
    /// Builds the context from global flags and the environment.
    pub fn new(dir: Option<PathBuf>, quiet: bool, sign: SignChoice) -> CliResult<Ctx> {
        let cwd =
            std::env::current_dir().map_err(|e| CliError::usage(format!("cannot read the current directory: {e}")))?;
        let dir = match dir {
            Some(d) if d.is_absolute() => d,
            Some(d) => cwd.join(d),
            None => cwd,
        };
        let fixed = std::env::var("CRM_TODAY").ok();
        let today = match &fixed {
            Some(s) => Date::parse(s).map_err(|e| CliError::usage(format!("CRM_TODAY: {e}")))?,
            None => Date(chrono::Local::now().date_naive()),
        };
        let interactive = std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
            && std::env::var_os("CRM_NO_INPUT").is_none();
        Ok(Ctx { dir, quiet, sign, today, today_fixed: fixed.is_some(), interactive, store: None })
    }

    /// The time now; when `CRM_TODAY` fixes today, midnight UTC of that day
    /// (so that a mailed report's Date is reproducible too).
    pub fn now(&self) -> std::time::SystemTime {
        match self.today_fixed {
            true => self.today.0.and_hms_opt(0, 0, 0).map_or(std::time::SystemTime::UNIX_EPOCH, |t| t.and_utc().into()),
            false => std::time::SystemTime::now(),
        }
    }

    /// The store, opened on first use.
    pub fn store(&mut self) -> CliResult<&Store> {
        if self.store.is_none() {
            if !self.dir.is_dir() {
                return Err(CliError::usage(format!("{} is not a directory", self.dir.display())));
            }
            let mut store = Store::open(&self.dir)?;
            if let Some(secs) = std::env::var("CRM_LOCK_TIMEOUT").ok().and_then(|s| s.parse::<f64>().ok()) {
                store.set_lock_wait(std::time::Duration::from_secs_f64(secs.max(0.0)));
            }
            if !self.quiet && std::io::stderr().is_terminal() {
                store.set_progress(history_progress());
            }
            let keys = super::identity::CliKeys::configured(&store, self.interactive);
            store.set_keys(Box::new(keys));
            self.store = Some(store);
        }
        Ok(self.store.as_ref().expect("opened above"))
    }

    /// An `--owner` value, with `me` standing for the acting person (as
    /// `crm whoami` names them).
    pub fn owner(&mut self, owner: Option<String>) -> CliResult<Option<String>> {
        match owner.as_deref() {
            Some("me") => {
                let opts = self.write_options()?;
                Ok(Some(crate::ops::whoami::handle(self.store()?, &opts)?))
            }
            _ => Ok(owner),
        }
    }

    /// The customer `query` names: an id, a unique id prefix or an exact
    /// name; when several fit, the person at a terminal picks one.
    pub fn customer(&mut self, query: &str) -> CliResult<CustomerId> {
        match crate::ops::resolve::customer(self.store()?, query) {
            Err(crate::Error::Ambiguous { candidates, .. }) if self.interactive => {
                let label = format!("{} customers fit {query:?}", candidates.len());
                let i = super::prompt::choose(&label, &candidates)?;
                Ok(CustomerId::parse(&candidates[i].0)?)
            }
            found => Ok(found?),
        }
    }

    /// The git repository around the directory, store or not: `verify`
    /// runs in bare repositories (server hooks) where there is no work tree.
    pub fn repository(&self) -> CliResult<Repo> {
        // In a pre-receive hook the pushed objects wait in a quarantine
        // directory that git names in these variables.
        let dirs: Vec<PathBuf> = std::env::var_os("GIT_OBJECT_DIRECTORY")
            .map(PathBuf::from)
            .into_iter()
            .chain(std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES").iter().flat_map(std::env::split_paths))
            .collect();
        Ok(Repo::open(&self.dir, &dirs)?)
    }

    /// How writing commands act: the actor (`CRM_USER`), signing, and the
    /// author and committer git's environment sets (`GIT_AUTHOR_NAME`,
    /// `GIT_AUTHOR_EMAIL`, `GIT_AUTHOR_DATE`, and the same for the committer).
    pub fn write_options(&self) -> CliResult<WriteOptions> {
        let var = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
        let stamp = |who: &str| -> CliResult<Stamp> {
            let date = format!("GIT_{who}_DATE");
            Ok(Stamp {
                name: var(&format!("GIT_{who}_NAME")),
                email: var(&format!("GIT_{who}_EMAIL")),
                time: var(&date).map(|s| Timestamp::parse_git(&date, &s)).transpose()?,
            })
        };
        let stamps = Stamps { author: stamp("AUTHOR")?, committer: stamp("COMMITTER")? };
        Ok(WriteOptions { actor: var("CRM_USER"), sign: self.sign, stamps })
    }

    /// The directory of this `crm` when typing `crm` would not run it (it
    /// is not on the PATH, as after `cargo run`); `None` when it would.
    pub fn not_on_path(&self) -> Option<PathBuf> {
        let me = std::env::current_exe().ok()?.canonicalize().ok()?;
        let path = std::env::var_os("PATH").unwrap_or_default();
        let found = std::env::split_paths(&path)
            .map(|dir| dir.join("crm"))
            .find(|candidate| candidate.is_file())
            .and_then(|candidate| candidate.canonicalize().ok());
        match found {
            Some(first) if first == me => None,
            _ => me.parent().map(PathBuf::from),
        }
    }

    /// Whether to colour output (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`).
    pub fn color(&self) -> bool {
        super::terminal::settings().color
    }

    /// Writes long output through the pager on a terminal (as git does for
    /// `git log`), else to stdout.
    pub fn page(&self, text: &str) -> CliResult {
        if super::terminal::settings().page {
            let core_pager = self.store.as_ref().and_then(|s| s.config_value("core.pager"));
            if let Some(command) = super::terminal::pager_command(core_pager) {
                if super::terminal::page(&command, text) {
                    return Ok(());
                }
            }
        }
        print(text)
    }

    /// A status line on stderr, unless `--quiet`.
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", message.as_ref());
        }
    }

    /// What a writing command did, as one line on stdout, unless `--quiet`
    /// (like `git commit -q`); JSON output is data and always printed.
    pub fn outcome(&self, line: &str) -> CliResult {
        if self.quiet {
            return Ok(());
        }
        print(line)
    }

    /// Asks a yes/no question; without a person to ask, fails naming the
    /// flag that answers it.
    pub fn confirm(&self, question: &str, flag: &str) -> CliResult<bool> {
        if !self.interactive {
            return Err(CliError::usage(format!(
                "{question} needs confirmation; pass {flag} to confirm without a terminal"
            )));
        }
        super::prompt::confirm(question)
    }
}

/// Names each file a reading command left out, on stderr after the data
/// it could read went to stdout: one `warning: PATH:LINE:COL: REASON`
/// line each (the place as `crm check` and compilers write it), then one
/// hint. Not silenced by `--quiet`: they say why the command exits 1.
/// Returns whether any file was left out.
pub fn warn_unreadable(files: &[crate::ops::Unreadable]) -> bool {
    if files.is_empty() {
        return false;
    }
    let settings = super::terminal::settings();
    let warning = super::terminal::paint(settings.color_stderr, "1;33", "warning:");
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("{warning} {}\n", super::render::escape(&f.to_string())));
    }
    let hint = super::terminal::paint(settings.color_stderr, "1;33", "hint:");
    out.push_str(&format!(
        "{hint} {} file(s) could not be read and were left out; `crm check` shows what is wrong with each\n",
        files.len()
    ));
    // One write: the lines stay together when stderr is shared.
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
    true
}

/// Ends a reading command that left files out: names each on stderr
/// ([`warn_unreadable`]) and exits 1, so a script or a cron job sees that
/// something is missing.
pub fn skipped(files: &[crate::ops::Unreadable]) -> CliResult {
    if !warn_unreadable(files) {
        return Ok(());
    }
    Err(CliError { code: crate::cli::error::FOUND_PROBLEMS, message: String::new(), hint: None })
}

/// Writes command output to stdout. A closed pipe (`crm list | head`) is
/// not an error: the reader has what it wanted, and the command ends
/// quietly with exit 0 — through the normal return path, so whatever it
/// holds (the store's lock) is released.
pub fn print(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Err(CliError { code: crate::cli::error::OK, message: String::new(), hint: None })
        }
        Err(e) => Err(CliError::usage(format!("cannot write output: {e}"))),
    }
}

/// A progress bar on stderr for building the history index (the first
/// `crm log` or report on a fresh clone of a large store); only for a
/// history long enough to take a while. Given to the store only when
/// stderr is a terminal and `--quiet` is not set.
fn history_progress() -> Box<crate::store::history_index::ProgressFn> {
    use crate::store::history_index::Progress;
    use indicatif::{ProgressBar, ProgressStyle};
    const WORTH_A_BAR: u64 = 5_000;
    let bar: std::sync::Mutex<Option<ProgressBar>> = std::sync::Mutex::new(None);
    Box::new(move |progress| {
        let Ok(mut bar) = bar.lock() else { return };
        match progress {
            Progress::Start(total) if total >= WORTH_A_BAR => {
                let new = ProgressBar::new(total);
                if let Ok(style) =
                    ProgressStyle::with_template("indexing history {bar:40} {pos}/{len} commits ({eta} left)")
                {
                    new.set_style(style);
                }
                new.tick();
                *bar = Some(new);
            }
            Progress::Start(_) => {}
            Progress::At(n) => {
                if let Some(bar) = bar.as_ref() {
                    bar.set_position(n);
                }
            }
            Progress::Done => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
            }
        }
    })
}
