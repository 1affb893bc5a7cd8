//! The README's examples are real runs: every ```text block that shows
//! `$ crm …` commands is replayed, in order, in one sandbox (the fresh
//! store the tour builds, and the demo for lines marked `# in the demo`),
//! and what crm prints must be what the README shows.
//!
//! Blocks that need a setup the tour does not show are marked just above
//! the fence: `<!-- tour: setup COMMAND -->` runs COMMAND first (not
//! shown), `<!-- tour: skip REASON -->` leaves the block out (a server, a
//! fixture, a hand edit). A README line `…` ends the compared part.
//! Commit ids of the demo (whose keys are new each run) are compared by
//! shape only.
//!
//! To regenerate the outputs after a change: `CRM_UPDATE_README=1 cargo
//! test --test cli readme`, then review `git diff README.md`.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Where the README's runs happened.
const TOUR: &str = "/tmp/tour";

/// One `$ command` and the output the README shows for it.
struct Example {
    /// README line index of the `$ ` line.
    line: usize,
    command: String,
    expected: Vec<String>,
    /// The README shows only the start of the output.
    truncated: bool,
}

/// A replayable block: its setup commands and examples.
struct Block {
    setup: Vec<String>,
    examples: Vec<Example>,
}

fn blocks(readme: &[String]) -> (Vec<Block>, usize) {
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut i = 0;
    while i < readme.len() {
        if readme[i] != "```text" {
            i += 1;
            continue;
        }
        let mut markers = Vec::new();
        let mut j = i;
        while j > 0 && readme[j - 1].starts_with("<!-- tour:") {
            j -= 1;
            markers.insert(0, readme[j].trim_start_matches("<!-- tour:").trim_end_matches("-->").trim().to_string());
        }
        let end = (i + 1..readme.len()).find(|&k| readme[k] == "```").expect("closed block");
        let body = &readme[i + 1..end];
        let shows_commands = body.iter().any(|l| l.starts_with("$ "));
        if markers.iter().any(|m| m.starts_with("skip")) {
            skipped += usize::from(shows_commands);
        } else if shows_commands {
            let setup = markers.iter().filter_map(|m| m.strip_prefix("setup ")).map(str::to_string).collect();
            let mut examples: Vec<Example> = Vec::new();
            for (k, l) in body.iter().enumerate() {
                if let Some(command) = l.strip_prefix("$ ") {
                    examples.push(Example {
                        line: i + 1 + k,
                        command: command.to_string(),
                        expected: Vec::new(),
                        truncated: false,
                    });
                } else if let Some(e) = examples.last_mut() {
                    if l == "…" {
                        e.truncated = true;
                    } else if !e.truncated {
                        e.expected.push(l.clone());
                    }
                }
            }
            for e in &mut examples {
                while e.expected.last().is_some_and(|l| l.is_empty()) {
                    e.expected.pop();
                }
            }
            out.push(Block { setup, examples });
        }
        i = end + 1;
    }
    (out, skipped)
}

/// The sandbox the tour runs in: `<tmp>/tour`, with `crm` on the PATH.
struct Tour {
    repo: TestRepo,
    root: PathBuf,
    cwd: PathBuf,
}

impl Tour {
    fn new() -> Tour {
        let repo = TestRepo::empty();
        std::fs::write(
            repo.home().join(".gitconfig"),
            "[user]\n\tname = 刘洋\n\temail = liu.yang@example.com\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        let root = repo.root().join("tour");
        std::fs::create_dir_all(&root).unwrap();
        let cwd = root.clone();
        Tour { repo, root, cwd }
    }

    /// Runs one README command line through bash, stdout and stderr
    /// interleaved as a terminal shows them.
    fn run(&mut self, command: &str) -> Vec<String> {
        let in_demo = command.contains("# in the demo");
        let bin = Path::new(env!("CARGO_BIN_EXE_crm")).parent().unwrap().display().to_string();
        // `cargo run` runs crm from the checkout's target directory (here
        // the tour's root), with `crm` not on the PATH yet.
        let cargo_run = command.contains("cargo run --release -- demo");
        let command = command.replace("cargo run --release -- demo", &format!("{bin}/crm demo"));
        let dir = if in_demo { self.root.join("crm-demo") } else { self.cwd.clone() };
        let mut cmd = std::process::Command::new("bash");
        cmd.env_clear();
        for (k, v) in self.repo.env_vars() {
            cmd.env(k, v);
        }
        let path = std::env::var("PATH").unwrap_or_default();
        let path = if cargo_run { path } else { format!("{bin}:{path}") };
        cmd.env("PATH", path)
            .env("CRM_SOURCE", env!("CARGO_MANIFEST_DIR"))
            .current_dir(&dir)
            .arg("-c")
            .arg(format!("exec 2>&1; {command}"));
        let out = cmd.output().expect("run bash");
        let text = String::from_utf8_lossy(&out.stdout)
            .replace(&bin, &format!("{TOUR}/target/release"))
            .replace(&self.root.display().to_string(), TOUR);
        assert!(!text.contains("panicked"), "{command}\n{text}");
        if let Some(dir) = command.strip_prefix("crm init ").and_then(|rest| rest.split_whitespace().next()) {
            self.cwd = self.root.join(dir);
        }
        let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }
}

/// A line with runs of 7 to 40 hex digits blanked, for comparing commit ids
/// by shape.
fn shape(line: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in line.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            run.push(c);
            continue;
        }
        // An id may be all digits (one in forty 8-digit ids is): any run of
        // 7 to 40 hex digits with a digit in it counts.
        let hex_id = (7..=40).contains(&run.len()) && run.bytes().any(|b| b.is_ascii_digit());
        out.push_str(&if hex_id { "#".repeat(run.len()) } else { std::mem::take(&mut run) });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

#[test]
fn readme_examples_are_what_crm_prints() {
    if !needs_program("ssh-keygen") {
        eprintln!("skipped: no ssh-keygen");
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut readme: Vec<String> = text.lines().map(str::to_string).collect();
    let (blocks, skipped) = blocks(&readme);
    assert!(blocks.len() >= 10, "found only {} replayable blocks", blocks.len());
    let update = std::env::var_os("CRM_UPDATE_README").is_some();
    let mut tour = Tour::new();
    let mut mismatches = Vec::new();
    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for block in &blocks {
        for setup in &block.setup {
            tour.run(setup);
        }
        for e in &block.examples {
            let mut actual = tour.run(&e.command);
            if e.truncated {
                actual.truncate(e.expected.len());
            }
            let same = actual.len() == e.expected.len()
                && actual.iter().zip(&e.expected).all(|(a, b)| a == b || shape(a) == shape(b));
            if !same {
                mismatches.push(format!(
                    "README.md:{}: $ {}\n--- README ---\n{}\n--- crm ---\n{}",
                    e.line + 1,
                    e.command,
                    e.expected.join("\n"),
                    actual.join("\n")
                ));
                replacements.push((e.line + 1, e.expected.len(), actual));
            }
        }
    }
    if update && !mismatches.is_empty() {
        for (start, len, lines) in replacements.into_iter().rev() {
            readme.splice(start..start + len, lines);
        }
        std::fs::write(&path, readme.join("\n") + "\n").unwrap();
        return;
    }
    assert!(
        mismatches.is_empty(),
        "{} README example(s) differ from what crm prints ({skipped} block(s) marked skip); \
         CRM_UPDATE_README=1 rewrites them:\n\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}
