//! Dynamic shell completion. `crm completions bash` (or `COMPLETE=bash crm`)
//! prints a script that registers `crm` with the shell; on TAB the shell
//! runs `crm` again with `COMPLETE` set and the words typed so far, and
//! clap_complete's engine answers: subcommands and flags from the same clap
//! definitions as the parser, customer ids, staff handles, regions, tags and
//! tiers from the store the command line is about (`-C DIR`, else the
//! current directory), and the fixed words of enums (touch kinds, statuses,
//! roles).
//!
//! Completion must never get in the way: outside a store, or when anything
//! fails, there are simply no candidates, and nothing is printed to stderr
//! (the shell would show it in the middle of the prompt).
//!
//! This is clap_complete's `unstable-dynamic` feature, pinned in Cargo.toml.

use std::ffi::{OsStr, OsString};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};
use clap_complete::env::Shells;
use clap_complete::CompleteEnv;

use super::Cli;
use crate::ops::complete::{self, Candidate, People};
use crate::ops::Store;

/// The variable that asks `crm` for completions (clap_complete's default).
const VAR: &str = "COMPLETE";

/// The directory the command line being completed starts in (its `-C`).
static START: OnceLock<PathBuf> = OnceLock::new();

/// When the shell asks for completions (`COMPLETE=SHELL`), answers and
/// exits; otherwise returns at once.
pub fn answer_if_asked() {
    let Some(shell) = std::env::var_os(VAR) else { return };
    if shell.is_empty() || shell == "0" {
        return;
    }
    let args: Vec<OsString> = std::env::args_os().collect();
    let words: Vec<OsString> = args.iter().skip_while(|a| *a != "--").skip(1).cloned().collect();
    let registering = !args.iter().any(|a| a == "--");
    let cwd = std::env::current_dir().ok();
    let _ = START.set(start_dir(&words, typed_index(&words), cwd.as_deref()));
    if !registering {
        // A bug must not print a panic message into the user's prompt.
        std::panic::set_hook(Box::new(|_| {}));
    }
    match CompleteEnv::with_factory(Cli::command).try_complete(args, cwd.as_deref()) {
        Ok(true) => std::process::exit(0),
        Ok(false) => {}
        Err(e) if registering => {
            let _ = e.print();
            std::process::exit(super::error::BAD_INPUT);
        }
        Err(_) => std::process::exit(1),
    }
}

/// The script that registers `crm` with `shell` — what `COMPLETE=SHELL crm`
/// prints — for `crm completions SHELL`.
pub fn registration(shell: clap_complete::Shell) -> std::io::Result<Vec<u8>> {
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer =
        shells.completer(&name).ok_or_else(|| std::io::Error::other(format!("no dynamic completion for {name}")))?;
    let mut out = Vec::new();
    completer.write_registration(VAR, "crm", "crm", &program(), &mut out)?;
    Ok(out)
}

/// How the shell should run `crm` to complete: as it was run now, made
/// absolute when it was run by a path (as clap_complete's own `COMPLETE=`
/// registration does).
fn program() -> String {
    let argv0 = PathBuf::from(std::env::args_os().next().unwrap_or_else(|| "crm".into()));
    let path = match std::env::current_dir() {
        Ok(cwd) if argv0.components().count() > 1 => cwd.join(argv0),
        _ => argv0,
    };
    path.to_string_lossy().into_owned()
}

/// Which of `words` (the command line, program first) is being completed:
/// bash and zsh say so in `_CLAP_COMPLETE_INDEX`; fish and PowerShell pass
/// the words up to the cursor, so it is the last.
fn typed_index(words: &[OsString]) -> usize {
    std::env::var("_CLAP_COMPLETE_INDEX")
        .ok()
        .and_then(|i| i.parse().ok())
        .unwrap_or_else(|| words.len().saturating_sub(1))
}

/// The directory the command line works in: the last `-C DIR` (`-CDIR`,
/// `-C=DIR`) before the word being completed, relative to `cwd`, with a
/// leading `~/` as the shell will expand it; else `cwd`.
fn start_dir(words: &[OsString], typed: usize, cwd: Option<&Path>) -> PathBuf {
    let cwd = cwd.map(Path::to_path_buf).unwrap_or_default();
    let before = &words[..typed.min(words.len())];
    let mut dir = None;
    let mut i = 1;
    while i < before.len() {
        let word = before[i].to_string_lossy();
        if word == "--" {
            break;
        }
        if word == "-C" {
            dir = before.get(i + 1).map(|d| d.to_string_lossy().into_owned());
            i += 1;
        } else if let Some(rest) = word.strip_prefix("-C") {
            dir = Some(rest.strip_prefix('=').unwrap_or(rest).to_string());
        }
        i += 1;
    }
    let Some(dir) = dir.filter(|d| !d.is_empty()) else { return cwd };
    let dir = match (dir.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(dir),
    };
    cwd.join(dir)
}

/// What `read` finds in the store of the command line; nothing when there
/// is no store or anything fails.
fn from_store<T>(read: impl FnOnce(&Store) -> crate::Result<Vec<T>>) -> Vec<T> {
    let dir = START.get().cloned().or_else(|| std::env::current_dir().ok()).unwrap_or_default();
    Store::open(&dir).and_then(|store| read(&store)).unwrap_or_default()
}

fn candidate(c: Candidate) -> CompletionCandidate {
    CompletionCandidate::new(c.value).help(Some(c.help.into()))
}

/// Customer ids starting with the word (names as descriptions), or names
/// when the word is the start of one (`郑州`).
pub fn customers() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let Some(prefix) = current.to_str() else { return Vec::new() };
        from_store(|store| complete::customers(store, prefix)).into_iter().map(candidate).collect()
    })
}

/// The handles of the people `which` allows.
pub fn staff(which: People) -> ArgValueCandidates {
    ArgValueCandidates::new(move || {
        from_store(|store| complete::staff(store, which)).into_iter().map(candidate).collect()
    })
}

/// Every handle, and `me` (an `--owner` filter).
pub fn owners() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let me = CompletionCandidate::new("me").help(Some("you, as `crm whoami` names you".into()));
        let people = from_store(|store| complete::staff(store, People::All)).into_iter().map(candidate);
        std::iter::once(me).chain(people).collect()
    })
}

/// The store's regions.
pub fn regions() -> ArgValueCandidates {
    ArgValueCandidates::new(|| from_store(complete::regions).into_iter().map(CompletionCandidate::new).collect())
}

/// The tags customers carry.
pub fn tags() -> ArgValueCandidates {
    ArgValueCandidates::new(|| from_store(complete::tags).into_iter().map(CompletionCandidate::new).collect())
}

/// The tiers crm.toml allows.
pub fn tiers() -> ArgValueCandidates {
    ArgValueCandidates::new(|| from_store(complete::tiers).into_iter().map(CompletionCandidate::new).collect())
}

/// Fixed words: the values of an enum (touch kinds, statuses, roles).
pub fn words<T: Display + Sync + Send + 'static>(all: &'static [T]) -> ArgValueCandidates {
    ArgValueCandidates::new(move || all.iter().map(|w| CompletionCandidate::new(w.to_string())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn the_start_directory_is_the_last_c_before_the_word_being_completed() {
        let cwd = Path::new("/work");
        let dir = |line: &str, typed: usize| start_dir(&words(line), typed, Some(cwd));
        assert_eq!(dir("crm show zh", 2), PathBuf::from("/work"));
        assert_eq!(dir("crm -C store show zh", 4), PathBuf::from("/work/store"));
        assert_eq!(dir("crm -Cstore show zh", 3), PathBuf::from("/work/store"));
        assert_eq!(dir("crm -C=/abs show zh", 3), PathBuf::from("/abs"));
        assert_eq!(dir("crm -C a show -C b zh", 6), PathBuf::from("/work/b"));
        // The `-C` being typed, or after the cursor, does not count yet.
        assert_eq!(dir("crm -C sto", 2), PathBuf::from("/work"));
        assert_eq!(dir("crm show zh -C store", 2), PathBuf::from("/work"));
        // After `--` every word is a value.
        assert_eq!(dir("crm show -- -C x zh", 5), PathBuf::from("/work"));
    }
}
