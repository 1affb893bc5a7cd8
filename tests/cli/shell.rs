//! The shell around `crm`: dynamic completion driven through real shells
//! (bash, and fish and zsh where installed), the man page (generated from
//! the clap definitions), an example in every command's `--help`, no colour
//! codes on pipes or with `NO_COLOR`, and `--quiet`.

use std::path::Path;
use std::process::Command as StdCommand;

use crate::common::{customer_path, needs_program, Output, TestRepo, ADMIN_EMAIL};

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

/// The line of each shell's registration script that hooks `crm` in.
const REGISTRATIONS: &[(&str, &str)] = &[
    ("bash", "-F _clap_complete_crm crm"),
    ("zsh", "compdef _clap_dynamic_completer_crm crm"),
    ("fish", "complete --keep-order --exclusive --command crm"),
    ("powershell", "Register-ArgumentCompleter -Native -CommandName crm"),
    ("elvish", "set edit:completion:arg-completer[crm]"),
];

#[test]
fn completions_print_the_script_that_registers_dynamic_completion() {
    // Outside any store: the script needs none.
    let repo = TestRepo::empty();
    for (shell, hook) in REGISTRATIONS {
        let out = repo.crm(&["completions", shell]).ok();
        assert!(out.stdout.contains(hook), "{shell}: no `{hook}`\n{out}");
        // On TAB the shell runs crm again with COMPLETE set.
        let asks = if *shell == "powershell" { "$env:COMPLETE = \"powershell\"" } else { "COMPLETE" };
        assert!(out.stdout.contains(asks), "{shell}: the script does not ask crm\n{out}");
        assert!(out.stderr.is_empty(), "{shell}: {out}");
        // The documented entry point prints what `COMPLETE=SHELL crm` prints.
        let mut cmd = repo.crm_std();
        cmd.env("COMPLETE", shell);
        let env = output(cmd);
        assert_eq!((env.code, env.stdout.as_str()), (0, out.stdout.as_str()), "{shell}: COMPLETE={shell} crm\n{env}");
    }
    // An unknown shell is bad usage.
    let out = repo.crm(&["completions", "cmd.exe"]);
    assert_eq!(out.code, 2, "{out}");
}

/// Where bash finds the `crm` under test.
fn path_with_crm() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_crm")).parent().expect("the binary's directory");
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

/// Completes the last of `words` (a command line up to the cursor, `crm`
/// first) in `dir` as bash does on TAB: a real bash sources what
/// `crm completions bash` prints, finds the function it registered for
/// `crm` (`complete -p crm`) and calls it as bash would. Returns the
/// candidates (COMPREPLY) and bash's stderr.
fn bash_completes(repo: &TestRepo, dir: &Path, words: &[&str]) -> (Vec<String>, String) {
    const SCRIPT: &str = r#"
source <(crm completions bash) || exit 90
spec=$(complete -p crm) || exit 91
fn=${spec##*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
"$fn" crm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let mut cmd = StdCommand::new("bash");
    cmd.env_clear().envs(repo.env_vars()).env("PATH", path_with_crm()).current_dir(dir);
    cmd.args(["--norc", "--noprofile", "-c", SCRIPT, "bash"]).args(words);
    let out = cmd.output().expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "bash failed ({:?}) for {words:?}\n{stdout}\n{stderr}", out.status);
    (stdout.lines().filter(|l| !l.is_empty()).map(str::to_string).collect(), stderr)
}

/// A store to complete in: the standard staff (wang.fang has left),
/// customers in two regions, with tags.
fn store_to_complete() -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--region", "华中", "--tag", "公交"]);
    repo.add_customer("郑州公交集团", "li.na", &["--region", "华中", "--tag", "electric"]);
    repo.add_customer("Acme Coaches", "zhang.wei", &["--region", "Europe", "--tag", "公交"]);
    repo.crm(&["staff", "leave", "wang.fang", "--reason", "moved abroad"]).ok();
    repo
}

/// What bash completes for `words` in the store, asserting nothing was
/// printed on stderr.
#[track_caller]
fn quiet_completions(repo: &TestRepo, words: &[&str]) -> Vec<String> {
    let (candidates, stderr) = bash_completes(repo, &repo.dir, words);
    assert_eq!(stderr, "", "{words:?}");
    candidates
}

#[test]
fn bash_completes_customer_ids_from_the_store() {
    if !needs_program("bash") {
        return;
    }
    let repo = store_to_complete();
    let complete = |words: &[&str]| quiet_completions(&repo, words);
    assert_eq!(complete(&["crm", "show", "zh"]), ["zhengzhou-gongjiao-jituan", "zhengzhou-yutong-keyun-jituan"]);
    assert_eq!(complete(&["crm", "show", "zhengzhou-y"]), ["zhengzhou-yutong-keyun-jituan"]);
    assert_eq!(complete(&["crm", "show", "nothing-like-it"]), Vec::<String>::new());
    // Every command that takes a customer, the first word after options too.
    for words in [
        &["crm", "edit", "ac"][..],
        &["crm", "touch", "ac"],
        &["crm", "log", "ac"],
        &["crm", "reassign", "zhengzhou-gongjiao-jituan", "ac"],
        &["crm", "show", "--format", "json", "ac"],
        &["crm", "-q", "show", "ac"],
    ] {
        assert_eq!(complete(words), ["acme-coaches"], "{words:?}");
    }
    // A name completes from its start (crm show takes an exact name); one
    // with a space, which would become two words, as its id.
    assert_eq!(complete(&["crm", "show", "郑州宇"]), ["郑州宇通客运集团"]);
    repo.add_customer("郑州 旅游 集团", "li.na", &[]);
    assert_eq!(complete(&["crm", "show", "郑州"]), ["zhengzhou-lvyou-jituan", "郑州公交集团", "郑州宇通客运集团"]);
}

#[test]
fn bash_completes_handles_regions_tags_and_touch_kinds() {
    if !needs_program("bash") {
        return;
    }
    let repo = store_to_complete();
    let complete = |words: &[&str]| quiet_completions(&repo, words);
    let active = ["li.na", "liu.yang", "zhang.wei"];
    // New owners and backups are people with the company.
    assert_eq!(complete(&["crm", "reassign", "acme-coaches", "--to", ""]), active);
    assert_eq!(complete(&["crm", "add", "--name", "X", "--owner", ""]), active);
    assert_eq!(complete(&["crm", "staff", "leave", "zhang.wei", "--to", "l"]), ["li.na", "liu.yang"]);
    // Filters and handovers name anyone; a rehire names those who left.
    assert_eq!(complete(&["crm", "reassign", "--from", "w"]), ["wang.fang"]);
    assert_eq!(complete(&["crm", "list", "--owner", ""]), ["me", "li.na", "liu.yang", "wang.fang", "zhang.wei"]);
    assert_eq!(complete(&["crm", "staff", "rehire", ""]).first().map(String::as_str), Some("wang.fang"));
    assert_eq!(complete(&["crm", "staff", "show", "z"]), ["zhang.wei"]);
    // Touch kinds, statuses and roles are fixed words.
    assert_eq!(
        complete(&["crm", "touch", "acme-coaches", "--kind", ""]),
        ["visit", "call", "email", "meeting", "other"]
    );
    assert_eq!(complete(&["crm", "touch", "acme-coaches", "--kind", "m"]), ["meeting"]);
    assert_eq!(complete(&["crm", "list", "--status", "d"]), ["dormant"]);
    assert_eq!(complete(&["crm", "staff", "add", "x", "--role", "m"]), ["manager"]);
    // Regions of the staff and the customers (crm.toml lists none); tags; tiers.
    assert_eq!(complete(&["crm", "list", "--region", ""]), ["Europe", "华中", "华南"]);
    assert_eq!(complete(&["crm", "add", "--region", "华"]), ["华中", "华南"]);
    assert_eq!(complete(&["crm", "list", "--tag", ""]), ["electric", "公交"]);
    assert_eq!(complete(&["crm", "list", "--tier", ""]), ["key", "standard", "prospect"]);
    // Subcommands and flags still complete.
    assert_eq!(complete(&["crm", "sh"]), ["show"]);
    assert_eq!(complete(&["crm", "staff", "re"]), ["rehire"]);
    assert!(complete(&["crm", "list", "--st"]).iter().any(|c| c == "--stale"));
}

#[test]
fn bash_completes_in_the_store_that_dash_c_names_and_quietly_nothing_elsewhere() {
    if !needs_program("bash") {
        return;
    }
    let repo = store_to_complete();
    let outside = repo.root().to_path_buf();
    let (ids, stderr) = bash_completes(&repo, &outside, &["crm", "-C", "store", "show", "zh"]);
    assert_eq!((ids.len(), stderr.as_str()), (2, ""), "{ids:?}");
    let (ids, _) = bash_completes(&repo, &outside, &["crm", "-Cstore", "reassign", "x", "--to", "z"]);
    assert_eq!(ids, ["zhang.wei"]);
    // Outside a store (and in a directory that does not exist): no
    // candidates and not a word on stderr, but commands still complete.
    let empty = TestRepo::empty();
    for (dir, words) in [
        (&outside, &["crm", "show", "zh"][..]),
        (&empty.dir, &["crm", "reassign", "x", "--to", ""]),
        (&empty.dir, &["crm", "list", "--region", ""]),
        (&outside, &["crm", "-C", "no-such-dir", "show", ""]),
    ] {
        let (candidates, stderr) = bash_completes(&repo, dir, words);
        assert_eq!(stderr, "", "{words:?} in {}", dir.display());
        assert!(candidates.iter().all(|c| c.starts_with('-')), "{words:?}: {candidates:?}");
    }
    assert_eq!(bash_completes(&repo, &empty.dir, &["crm", "rea"]).0, ["reassign"]);
    // A git repository that is no store: the same.
    repo.git_in(&outside, &["init", "-q", "plain"]);
    let (candidates, stderr) = bash_completes(&repo, &outside.join("plain"), &["crm", "show", ""]);
    assert_eq!(stderr, "");
    assert!(candidates.iter().all(|c| c.starts_with('-')), "{candidates:?}");
}

#[test]
fn fish_shows_names_beside_ids_and_handles() {
    if !needs_program("fish") {
        return;
    }
    let repo = store_to_complete();
    let complete = |line: &str| {
        let mut cmd = StdCommand::new("fish");
        cmd.env_clear().envs(repo.env_vars()).env("PATH", path_with_crm()).current_dir(&repo.dir);
        cmd.args(["--no-config", "-c", "crm completions fish | source; complete -C $argv[1]", line]);
        let out = cmd.output().expect("run fish");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.is_empty(), "fish: {line}\n{stderr}");
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(complete("crm show zhengzhou-y"), ["zhengzhou-yutong-keyun-jituan\t郑州宇通客运集团"]);
    assert_eq!(complete("crm show 郑州公"), ["郑州公交集团\tzhengzhou-gongjiao-jituan"]);
    assert_eq!(complete("crm reassign acme-coaches --to zh"), ["zhang.wei\t张伟, rep, 华中"]);
    let left = complete("crm staff rehire w");
    assert!(left.first().is_some_and(|l| l.starts_with("wang.fang\t王芳, rep, 华南, left ")), "{left:?}");
}

#[test]
fn zsh_loads_the_completion_script() {
    if !needs_program("zsh") {
        return;
    }
    let repo = TestRepo::empty();
    let mut cmd = StdCommand::new("zsh");
    cmd.env_clear().envs(repo.env_vars()).env("PATH", path_with_crm()).current_dir(&repo.dir);
    let script = "autoload -U compinit && compinit -u && source <(crm completions zsh) && print -r -- $_comps[crm]";
    cmd.args(["-f", "-c", script]);
    let out = cmd.output().expect("run zsh");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "_clap_dynamic_completer_crm", "{stderr}");
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
