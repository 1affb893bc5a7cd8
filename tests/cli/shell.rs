//! The shell around `crm`: completions and the man page (generated from the
//! clap definitions), an example in every command's `--help`, no colour
//! codes on pipes or with `NO_COLOR`, and `--quiet`.

use std::process::Command as StdCommand;

use crate::common::{customer_path, Output, TestRepo, ADMIN_EMAIL};

/// Runs a prepared `crm` command; checks it did not panic.
fn output(mut cmd: StdCommand) -> Output {
    let out = cmd.output().expect("run crm");
    let out = Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    };
    assert!(!out.stderr.contains("panicked"), "crm panicked\n{out}");
    out
}

#[test]
fn completions_for_every_shell_know_the_commands_and_flags() {
    // Outside any store: completions need none.
    let repo = TestRepo::empty();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = repo.crm(&["completions", shell]).ok();
        assert!(out.stdout.len() > 1000, "{shell}: suspiciously short\n{out}");
        assert!(out.stdout.contains("reassign"), "{shell} completions do not mention reassign");
        // fish spells a long option `-l format`.
        let flag = if shell == "fish" { "-l format" } else { "--format" };
        assert!(out.stdout.contains(flag), "{shell} completions do not mention {flag}");
        for command in ["import", "export", "staff", "report", "completions"] {
            assert!(out.stdout.contains(command), "{shell} completions do not mention {command}");
        }
        assert!(out.stderr.is_empty(), "{shell}: {out}");
    }
    // An unknown shell is bad usage.
    let out = repo.crm(&["completions", "cmd.exe"]);
    assert_eq!(out.code, 2, "{out}");
}

#[test]
fn man_page_is_roff() {
    let repo = TestRepo::empty();
    let out = repo.crm(&["man"]).ok();
    assert!(out.stdout.lines().any(|l| l.starts_with(".TH crm 1")), "no `.TH crm 1` line\n{}", out.stdout);
    assert!(out.stdout.contains(".SH"), "no sections");
    assert!(out.stdout.contains("reassign"), "the man page does not mention reassign");
    assert!(out.stdout.contains("import") && out.stdout.contains("export"));
}

/// The subcommands listed under `Commands:` in a help text (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_command_help_has_an_example() {
    let repo = TestRepo::empty();
    let top = repo.crm(&["--help"]).ok();
    let mut queue: Vec<Vec<String>> = subcommands(&top.stdout).into_iter().map(|c| vec![c]).collect();
    assert!(queue.len() >= 15, "too few commands found in\n{}", top.stdout);
    let mut seen = Vec::new();
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = repo.crm(&args).ok();
        assert!(out.stdout.contains("Example: crm"), "`crm {}` has no example:\n{}", path.join(" "), out.stdout);
        for sub in subcommands(&out.stdout) {
            let mut deeper = path.clone();
            deeper.push(sub);
            queue.push(deeper);
        }
        seen.push(path.join(" "));
    }
    for expected in ["import csv", "export", "completions", "man", "staff leave", "report handover", "reassign"] {
        assert!(seen.iter().any(|s| s == expected), "`{expected}` was not visited: {seen:?}");
    }
}

/// A store with something for `crm check` to report: an error (a customer
/// owned by nobody on the staff) and a warning (an unknown key).
fn store_with_findings() -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--region", "华中"]);
    repo.write(&customer_path("orphan"), "name = \"Orphan Co\"\nowner = \"ghost\"\nfax = \"+86 371 5555 0000\"\n");
    repo.commit_all("Add orphan by hand");
    repo
}

#[test]
fn check_prints_no_colour_codes_on_a_pipe_or_with_no_color() {
    let clean = TestRepo::standard();
    let findings = store_with_findings();
    for (repo, code) in [(&clean, 0), (&findings, 1)] {
        for no_color in [true, false] {
            for format in ["human", "json", "github", "junit"] {
                let mut cmd = repo.crm_std();
                cmd.args(["check", "--format", format]);
                if no_color {
                    cmd.env("NO_COLOR", "1");
                }
                let out = output(cmd);
                assert_eq!(out.code, code, "check --format {format} (NO_COLOR: {no_color})\n{out}");
                assert!(
                    !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
                    "check --format {format} (NO_COLOR: {no_color}) printed escape codes:\n{}\n{}",
                    out.stdout.escape_debug(),
                    out.stderr.escape_debug()
                );
            }
        }
    }
    // The findings are there (so the absence of colour is not an absence of output).
    let mut cmd = findings.crm_std();
    cmd.env("NO_COLOR", "1").arg("check");
    let out = output(cmd);
    assert!(format!("{}{}", out.stdout, out.stderr).contains("ghost"), "{out}");
}

#[test]
fn quiet_drops_status_lines_and_summaries_but_not_data() {
    let init = |quiet: bool, json: bool| {
        let repo = TestRepo::empty();
        let mut args = vec!["init", "--company", "Example Coach Co.", "--admin", "liu.yang"];
        args.extend_from_slice(&["--name", "刘洋", "--email", ADMIN_EMAIL]);
        if quiet {
            args.insert(0, "--quiet");
        }
        if json {
            args.extend_from_slice(&["--format", "json"]);
        }
        let out = repo.crm(&args).ok();
        (repo, out)
    };

    let (_, loud) = init(false, false);
    assert!(loud.stdout.contains("Created a crm store"), "{loud}");
    assert!(!loud.stderr.is_empty(), "without --quiet, init explains how to turn signing on\n{loud}");

    let (repo, quiet) = init(true, false);
    assert_eq!(quiet.stderr, "", "--quiet must silence status lines\n{quiet}");
    assert_eq!(quiet.stdout, "", "--quiet silences the summary of a write, as git commit -q does\n{quiet}");
    assert_eq!(repo.commit_count(), 1);

    let (_, json) = init(true, true);
    assert_eq!(json.stderr, "", "{json}");
    assert!(json.json().is_object(), "{json}");

    // -q after the subcommand, on commands that write: nothing but JSON.
    let repo = TestRepo::standard();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "li.na", "-q", "--format", "json"]).ok();
    assert_eq!(out.json()["customer"]["id"], "acme", "{out}");
    for args in [
        &["add", "--name", "Beta", "--owner", "li.na", "-q"][..],
        &["touch", "acme", "--kind", "call", "--summary", "x", "-q"],
        &["edit", "acme", "--set", "tier=key", "--set", "backup=zhang.wei", "-q"],
        &["reassign", "beta", "--to", "zhang.wei", "--reason", "x", "-q"],
    ] {
        let out = repo.crm(args).ok();
        assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""), "{args:?}\n{out}");
    }
    assert_eq!(repo.read_toml(&customer_path("beta"))["owner"].as_str(), Some("zhang.wei"));
    let out = repo.crm(&["list", "-q"]).ok();
    assert!(out.stdout.contains("Acme"), "{out}");
}
