//! What the output goes to: how wide it is, whether it takes colour, and
//! the pager long output is shown through on a terminal. Decided once per
//! process, before any output, from the global flags and the environment
//! (like git: `COLUMNS`, `NO_COLOR`, `CLICOLOR_FORCE`, `core.pager`,
//! `PAGER`, `LESS`).

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// `--color`: when to colour output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`
    /// (`CLICOLOR_FORCE` forces it anywhere).
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// The output's settings for this process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    /// Columns tables must fit in; `None`: as wide as their content
    /// (`--wide`, or output into a pipe or a file without `COLUMNS`).
    pub width: Option<usize>,
    /// Whether stdout takes colour.
    pub color: bool,
    /// Whether stderr takes colour.
    pub color_stderr: bool,
    /// Whether long output may go through a pager (stdout is a terminal
    /// and `--no-pager` was not given).
    pub page: bool,
}

static SETTINGS: OnceLock<Terminal> = OnceLock::new();

/// Decides the settings from the flags and the environment; the first call
/// wins.
pub fn configure(color: ColorChoice, wide: bool, no_pager: bool) {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let stdout_tty = std::io::stdout().is_terminal();
    let colors = |tty: bool| match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorChoice::Auto => tty && var("NO_COLOR").is_none() && var("TERM").as_deref() != Some("dumb"),
    };
    let width = match wide {
        true => None,
        false => var("COLUMNS").and_then(|c| c.trim().parse().ok()).filter(|&c| c > 0).or_else(|| {
            if stdout_tty {
                window_columns()
            } else {
                None
            }
        }),
    };
    let settings = Terminal {
        width,
        color: colors(stdout_tty),
        color_stderr: colors(std::io::stderr().is_terminal()),
        page: stdout_tty && !no_pager,
    };
    let _ = SETTINGS.set(settings);
}

/// The settings [`configure`] decided (plain output if it was not called,
/// as in unit tests).
pub fn settings() -> Terminal {
    SETTINGS.get().copied().unwrap_or_default()
}

/// The width of the terminal on stdout.
fn window_columns() -> Option<usize> {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// Text in an SGR colour (`31` red, `1` bold…) when `on`.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The pager command, as git chooses it: `CRM_PAGER`, then git's
/// `core.pager` (given), then `PAGER`, then `less`. Empty or `cat` means
/// none.
pub fn pager_command(core_pager: Option<String>) -> Option<String> {
    let command = std::env::var("CRM_PAGER")
        .ok()
        .or(core_pager)
        .or_else(|| std::env::var("PAGER").ok())
        .unwrap_or_else(|| "less".into());
    let command = command.trim().to_string();
    (!command.is_empty() && command != "cat").then_some(command)
}

/// Shows `text` through `command`, with `LESS=FRX` and `LV=-c` unless set,
/// as git does: less quits at once when the text fits the screen, keeps
/// colours and leaves the text on the screen. Like git, a plain program
/// name is run directly and anything else by `sh -c`. Returns `false` when
/// the pager could not be started (no `less` installed), so the caller
/// prints the text itself.
pub fn page(command: &str, text: &str) -> bool {
    let mut pager = if command.contains(|c: char| "|&;<>()$`\\\"' \t\n*?[#~=%".contains(c)) {
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(command);
        sh
    } else {
        Command::new(command)
    };
    pager.stdin(Stdio::piped());
    for (name, value) in [("LESS", "FRX"), ("LV", "-c")] {
        if std::env::var_os(name).is_none() {
            pager.env(name, value);
        }
    }
    let Ok(mut child) = pager.spawn() else { return false };
    // Ctrl-C in the pager reaches crm too; crm waits for the pager to end
    // instead of leaving it alone in the terminal.
    // SAFETY: setting a signal's disposition to ignore and back.
    let previous = unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    if let Some(mut stdin) = child.stdin.take() {
        // The reader may quit before reading everything (`q` in less): a
        // broken pipe then is the normal end, not an error.
        let _ = stdin.write_all(text.as_bytes());
    }
    let _ = child.wait();
    unsafe { libc::signal(libc::SIGINT, previous) };
    true
}
