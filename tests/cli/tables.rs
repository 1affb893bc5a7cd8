//! Tables that fit the terminal: at 80, 100 and 160 columns every line of
//! `list`, `log`, `show`, `find`, `agenda`, `report` and `staff list` fits, and no
//! id, handle, date or amount is split across lines; `--wide` keeps every
//! column; colour follows `--color`, `NO_COLOR` and `CLICOLOR_FORCE`; a
//! pipe never gets a pager.

use std::collections::BTreeSet;

use crate::common::*;

/// The demo store, built in a fresh test root, or `None` without
/// ssh-keygen outside CI.
fn demo() -> Option<(TestRepo, std::path::PathBuf)> {
    if !needs_program("ssh-keygen") {
        return None;
    }
    let repo = TestRepo::empty();
    repo.crm_in(repo.root(), &["demo"]).ok();
    let dir = repo.root().join("crm-demo");
    Some((repo, dir))
}

/// `crm ARGS` in `dir` with extra environment variables.
fn crm_env(repo: &TestRepo, dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = repo.crm_cmd();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    repo.run(cmd)
}

/// Everything that must be read whole: customer ids, handles, dates and
/// amounts as tables print them.
fn tokens(repo: &TestRepo, dir: &std::path::Path) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let list = crm_env(repo, dir, &[], &["list", "--format", "json"]).ok().json();
    for c in list.as_array().unwrap() {
        for key in ["id", "owner", "last_touch", "next_date"] {
            if let Some(s) = c[key].as_str() {
                set.insert(s.to_string());
            }
        }
        if let Some(v) = c["value"].as_u64() {
            set.insert(crm::cli::render::money(Some(v), true));
        }
    }
    let log = crm_env(repo, dir, &[], &["log", "--format", "json"]).ok().json();
    for e in log.as_array().unwrap() {
        for key in ["date", "customer", "from", "to", "actor"] {
            if let Some(s) = e[key].as_str() {
                set.insert(s.to_string());
            }
        }
    }
    set
}

/// Asserts every line fits `width` and no cell holds a piece of a token
/// (the start of an id, date or amount that went on on the next line).
#[track_caller]
fn assert_fits(out: &Output, width: usize, tokens: &BTreeSet<String>, what: &str) {
    assert!(out.stdout.lines().count() > 3, "{what} printed almost nothing\n{out}");
    for line in out.stdout.lines() {
        assert!(
            display_width(line) <= width,
            "{what} at {width} columns: line of {} columns\n{line}\n{out}",
            display_width(line)
        );
        // A bare count ("4") is a whole number, not the start of "400,000".
        let whole_number = |c: &str| c.chars().all(|c| c.is_ascii_digit());
        for cell in line.split(['│', '┆']).map(str::trim).filter(|c| !c.is_empty() && !whole_number(c)) {
            let split = tokens.iter().find(|t| t.len() > cell.len() && t.starts_with(cell) && !tokens.contains(cell));
            assert!(split.is_none(), "{what} at {width} columns split {:?} into {cell:?}\n{out}", split.unwrap());
        }
    }
}

#[test]
fn tables_fit_80_100_and_160_columns_without_splitting_a_token() {
    let Some((repo, dir)) = demo() else { return };
    let tokens = tokens(&repo, &dir);
    let commands: [&[&str]; 9] = [
        &["agenda", "--for", "chen.jie", "--within", "1m"],
        &["list"],
        &["log"],
        &["show", "beijing-gongjiao-jituan"],
        &["find", "gongjiao"],
        &["report", "handover", "--since", "30d"],
        &["report", "portfolio"],
        &["staff", "list", "--all"],
        &["whoami"],
    ];
    for width in [80, 100, 160] {
        let columns = width.to_string();
        for args in commands {
            let out = crm_env(&repo, &dir, &[("COLUMNS", &columns)], args);
            assert!(out.code == 0, "{args:?}\n{out}");
            assert_fits(&out, width, &tokens, &args.join(" "));
        }
    }
    let list = crm_env(&repo, &dir, &[], &["list", "--format", "json"]).ok().json();
    let out = crm_env(&repo, &dir, &[("COLUMNS", "80")], &["list"]).ok();
    for c in list.as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert!(out.stdout.lines().any(|l| l.contains(&format!(" {id} "))), "{id} is not whole\n{out}");
    }
    // Long names are cut short with an ellipsis, never wrapped.
    assert!(out.stdout.contains('…'), "{out}");
    assert_eq!(out.stdout.lines().count(), list.as_array().unwrap().len() + 4 + 2, "one line per customer\n{out}");
}

#[test]
fn narrow_tables_name_what_they_left_out_wide_keeps_everything_and_pipes_stay_plain() {
    let Some((repo, dir)) = demo() else { return };
    let narrow = crm_env(&repo, &dir, &[("COLUMNS", "80")], &["list"]).ok();
    let header = narrow.stdout.lines().nth(1).unwrap().to_string();
    assert!(!header.contains("region"), "{narrow}");
    let note: String = narrow.stdout.lines().skip_while(|l| !l.starts_with('(')).collect::<Vec<_>>().join(" ");
    assert!(note.contains("region") && note.contains("--wide shows every column"), "{narrow}");
    let wide = crm_env(&repo, &dir, &[("COLUMNS", "80")], &["list", "--wide"]).ok();
    let header = wide.stdout.lines().nth(1).unwrap();
    for column in ["id", "name", "owner", "tier", "region", "value", "last touch", "next date"] {
        assert!(header.contains(column), "--wide lost {column}\n{wide}");
    }
    assert!(!wide.stdout.contains("left out"), "{wide}");
    assert!(wide.stdout.lines().any(|l| display_width(l) > 80), "--wide does not fit, on purpose\n{wide}");
    // Without a terminal and without COLUMNS, tables are as wide as their
    // content: what a script reading the table gets.
    let piped = crm_env(&repo, &dir, &[], &["list"]).ok();
    assert_eq!(piped.stdout, wide.stdout);

    // Colour follows the flag, then CLICOLOR_FORCE, then NO_COLOR.
    let bold = "\x1b[1m";
    let colored = |env: &[(&str, &str)], args: &[&str]| {
        let mut all = vec!["list", "--limit", "2"];
        all.extend_from_slice(args);
        crm_env(&repo, &dir, env, &all).ok().stdout.contains(bold)
    };
    assert!(!colored(&[], &[]), "a pipe gets no colour by default");
    assert!(colored(&[], &["--color", "always"]));
    assert!(colored(&[("NO_COLOR", "1")], &["--color", "always"]), "the flag wins over NO_COLOR");
    assert!(colored(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!colored(&[("CLICOLOR_FORCE", "0")], &[]));
    assert!(!colored(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]));
    // Errors too: the prefix is red when colour is on.
    let mut cmd = repo.crm_std();
    let out = cmd.current_dir(&dir).args(["show", "no-such-customer", "--color", "always"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("\x1b[1;31merror:\x1b[0m no customer"), "{stderr}");
    assert_eq!(out.status.code(), Some(2));
    let out = repo.crm_std().current_dir(&dir).args(["--color", "sometimes", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));

    // A pipe never gets a pager.
    let out = crm_env(&repo, &dir, &[("PAGER", "sed s/^/PAGED:/"), ("CRM_PAGER", "sed s/^/PAGED:/")], &["list"]).ok();
    assert!(!out.stdout.contains("PAGED:") && out.stdout.contains("beijing-gongjiao-jituan"), "{out}");
}
