//! Asking for missing input on a terminal (dialoguer). Without a person at
//! a terminal nothing is asked: the missing flag is named in an error.
//! Ctrl-C or Esc at a prompt ends the command with exit 130 and the cursor
//! shown again.

use dialoguer::{Confirm, FuzzySelect, Input};

use super::ctx::Ctx;
use super::error::{CliError, CliResult};

/// Exit code of a command the user interrupted at a prompt (128 + SIGINT,
/// as a shell reports it).
pub const INTERRUPTED: i32 = 130;

/// The given value, or one typed at a prompt, or an error naming `flag`.
pub fn text(ctx: &Ctx, given: Option<String>, label: &str, flag: &str) -> CliResult<String> {
    if let Some(v) = given {
        return Ok(v);
    }
    if !ctx.interactive {
        return Err(CliError::usage(format!("missing {flag}: {label} is required")));
    }
    answer(|| Input::<String>::new().with_prompt(label).interact_text())
}

/// A yes/no answer, no by default.
pub fn confirm(question: &str) -> CliResult<bool> {
    answer(|| Confirm::new().with_prompt(question).default(false).interact())
}

/// The given value, or one picked from `choices` (value, description) in
/// a list filtered by typing, or an error naming `flag`.
pub fn pick(
    ctx: &Ctx,
    given: Option<String>,
    label: &str,
    flag: &str,
    choices: &[(String, String)],
) -> CliResult<String> {
    if let Some(v) = given {
        return Ok(v);
    }
    if !ctx.interactive || choices.is_empty() {
        return Err(CliError::usage(format!("missing {flag}: {label} is required")));
    }
    Ok(choices[choose(label, choices)?].0.clone())
}

/// The index of the choice picked from a list filtered by typing.
pub fn choose(label: &str, choices: &[(String, String)]) -> CliResult<usize> {
    let items: Vec<String> = choices.iter().map(|(v, d)| format!("{v}  {d}")).collect();
    let picked = answer(|| {
        FuzzySelect::new().with_prompt(format!("{label} (type to filter)")).items(&items).default(0).interact_opt()
    })?;
    picked.ok_or_else(|| interrupted(std::io::Error::from(std::io::ErrorKind::Interrupted).into()))
}

/// Runs a prompt with SIGINT ignored: Ctrl-C at a prompt then comes back
/// as an error (the terminal library raises SIGINT after restoring the
/// terminal's mode, which would otherwise kill crm with the cursor still
/// hidden) and ends the command through [`interrupted`].
fn answer<T>(ask: impl FnOnce() -> dialoguer::Result<T>) -> CliResult<T> {
    // SAFETY: setting a signal's disposition to ignore and back.
    let previous = unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    let answer = ask();
    unsafe { libc::signal(libc::SIGINT, previous) };
    answer.map_err(interrupted)
}

/// A prompt that ended without an answer: shows the cursor the prompt hid
/// (dialoguer leaves it hidden when Ctrl-C ends the prompt) and ends the
/// command as interrupted.
fn interrupted(e: dialoguer::Error) -> CliError {
    eprint!("\x1b[?25h");
    let dialoguer::Error::IO(e) = e;
    match e.kind() {
        std::io::ErrorKind::Interrupted => CliError { code: INTERRUPTED, message: "interrupted".into(), hint: None },
        _ => CliError::usage(format!("no answer: {e}")),
    }
}

/// A passphrase typed at a hidden prompt.
pub fn passphrase(label: &str) -> CliResult<String> {
    answer(|| dialoguer::Password::new().with_prompt(label).allow_empty_password(true).interact())
}
