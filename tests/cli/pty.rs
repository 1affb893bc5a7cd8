//! What a person at a terminal gets, driven through a real pseudo-terminal
//! (rexpect): the pager (git's choice of program, `LESS=FRX`, real less,
//! `--no-pager`), the prompts of `crm add` (the duplicate check before the
//! owner is asked, the owner picker filtered by typing, Ctrl-C showing the
//! cursor again and writing nothing) and the picker for an ambiguous
//! customer.
//!
//! rexpect reads the terminal byte by byte as Latin-1, so what the tests
//! wait for is ASCII.

use std::process::Command;

use nix::sys::wait::WaitStatus;
use rexpect::session::{spawn_command, PtySession};

use crate::common::*;

/// Escape sequence that shows the cursor again.
const SHOW_CURSOR: &str = "\x1b[?25h";

/// `crm ARGS` in a pseudo-terminal, in the store, with the test
/// environment plus `env`.
fn spawn(repo: &TestRepo, env: &[(&str, &str)], args: &[&str]) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crm"));
    cmd.env_clear();
    for (k, v) in repo.env_vars() {
        cmd.env(k, v);
    }
    // A terminal of 100 × 10 for less and for crm's tables.
    cmd.envs([("TERM", "xterm"), ("LANG", "C.UTF-8"), ("COLUMNS", "100"), ("LINES", "10")]);
    cmd.envs(env.iter().copied()).args(args).current_dir(repo.root().join("store"));
    spawn_command(cmd, Some(20_000)).expect("spawn crm in a pty")
}

/// Waits for the process to end and returns its exit code.
fn exit_code(session: &mut PtySession) -> i32 {
    if let Err(e) = session.exp_eof() {
        let _ = session.process_mut().exit();
        panic!("crm did not end: {e}");
    }
    match session.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("crm did not exit normally: {other:?}"),
    }
}

/// A store with enough customers to fill more than one screen.
fn store() -> TestRepo {
    let repo = TestRepo::standard();
    for i in 0..14 {
        repo.add_customer(&format!("Customer {i:02}"), "zhang.wei", &[]);
    }
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &[]);
    repo.add_customer("郑州公交集团", "li.na", &[]);
    repo
}

#[test]
fn long_output_goes_through_the_pager_git_would_choose() {
    let repo = store();
    let mut s = spawn(&repo, &[("PAGER", "sed s/^/PAGED:/")], &["list"]);
    s.exp_string("PAGED:").expect("the table went through PAGER");
    s.exp_regex(r"PAGED:\S+ customer-00 ").expect("rows too");
    assert_eq!(exit_code(&mut s), 0);

    // core.pager comes before PAGER, CRM_PAGER before both.
    repo.git(&["config", "core.pager", "sed s/^/CORE:/"]);
    let mut s = spawn(&repo, &[("PAGER", "sed s/^/PAGED:/")], &["log"]);
    s.exp_string("CORE:").expect("core.pager was used");
    assert_eq!(exit_code(&mut s), 0);
    let mut s = spawn(&repo, &[("CRM_PAGER", "sed s/^/CRM:/")], &["show", "customer-03"]);
    s.exp_string("CRM:").expect("CRM_PAGER was used");
    assert_eq!(exit_code(&mut s), 0);

    // --no-pager, and `cat`, write straight to the terminal.
    for (env, args) in
        [(("CRM_PAGER", "sed s/^/CRM:/"), vec!["--no-pager", "list"]), (("CRM_PAGER", "cat"), vec!["list"])]
    {
        let mut s = spawn(&repo, &[env], &args);
        let before = s.exp_string("customer-13").expect("the list");
        assert!(!before.contains("CRM:"), "{args:?} went through the pager: {before}");
        assert_eq!(exit_code(&mut s), 0);
    }

    // The pager gets LESS=FRX and LV=-c unless they are set.
    let mut s = spawn(&repo, &[("CRM_PAGER", "cat >/dev/null; echo \"LESS=$LESS LV=$LV\"")], &["list"]);
    s.exp_string("LESS=FRX LV=-c").expect("less settings");
    assert_eq!(exit_code(&mut s), 0);
    let mut s = spawn(&repo, &[("LESS", "R"), ("CRM_PAGER", "cat >/dev/null; echo \"LESS=$LESS\"")], &["list"]);
    s.exp_string("LESS=R\r").expect("the user's LESS is kept");
    assert_eq!(exit_code(&mut s), 0);

    // A pager that is not installed: the output is printed anyway.
    let mut s = spawn(&repo, &[("CRM_PAGER", "no-such-pager-program")], &["list"]);
    s.exp_string("customer-13").expect("printed without the pager");
    assert_eq!(exit_code(&mut s), 0);
}

#[test]
fn real_less_waits_for_q_when_the_output_is_longer_than_the_screen() {
    if !needs_program("less") {
        return;
    }
    let repo = store();
    let mut s = spawn(&repo, &[], &["list"]);
    s.exp_string("customer-00").expect("first screen");
    // Ten lines do not hold the list: less waits at its prompt, and Ctrl-C
    // there does not end crm under it.
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.send_control('c').unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(s.process().status().is_some_and(|st| matches!(st, WaitStatus::StillAlive)));
    s.send("q").unwrap();
    s.flush().unwrap();
    assert_eq!(exit_code(&mut s), 0);

    // A short output fits the screen: less -F quits by itself.
    let mut s = spawn(&repo, &[], &["list", "--limit", "2"]);
    s.exp_string("customer-01").expect("shown");
    assert_eq!(exit_code(&mut s), 0);
}

#[test]
fn add_asks_for_what_is_missing_and_checks_the_name_first() {
    let repo = store();
    let before = repo.state();
    // A name that is taken is refused at once, before the owner is asked.
    let mut s = spawn(&repo, &[], &["add"]);
    s.exp_string("customer name").expect("name prompt");
    s.send_line("郑州宇通客运集团").unwrap();
    let shown = s.exp_string("error:").expect("refused");
    assert!(!shown.contains("owner"), "the owner was asked first: {shown}");
    assert_eq!(exit_code(&mut s), 2);
    assert_eq!(repo.state(), before);

    // The owner picker is filtered by typing.
    let mut s = spawn(&repo, &[], &["add"]);
    s.exp_string("customer name").unwrap();
    s.send_line("洛阳公交集团").unwrap();
    s.exp_string("type to filter").expect("owner picker");
    s.send("wang.f").unwrap();
    s.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.send("\r").unwrap();
    s.flush().unwrap();
    s.exp_string("Added").expect("added");
    assert_eq!(exit_code(&mut s), 0);
    let json = repo.crm(&["show", "洛阳公交集团", "--format", "json"]).ok().json();
    assert_eq!(json["owner"], "wang.fang", "{json}");
}

#[test]
fn ctrl_c_at_a_prompt_shows_the_cursor_again_and_writes_nothing() {
    let repo = store();
    let before = repo.state();
    let mut s = spawn(&repo, &[], &["add", "--name", "Brand New Coach Co"]);
    s.exp_string("type to filter").expect("owner picker");
    s.send_control('c').unwrap();
    let rest = s.exp_eof().expect("ended");
    assert!(rest.contains(SHOW_CURSOR), "the cursor stays hidden: {rest:?}");
    assert!(rest.contains("interrupted"), "{rest:?}");
    match s.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => assert_eq!(code, 130),
        other => panic!("{other:?}"),
    }
    assert_eq!(repo.state(), before);
}

#[test]
fn an_ambiguous_customer_is_picked_from_the_candidates_on_a_terminal() {
    let repo = store();
    let mut s = spawn(&repo, &[("CRM_PAGER", "cat")], &["show", "zhengzhou"]);
    s.exp_string("2 customers fit").expect("picker");
    s.send("gongjiao").unwrap();
    s.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.send("\r").unwrap();
    s.flush().unwrap();
    s.exp_string("zhengzhou-gongjiao-jituan.toml").expect("the picked customer is shown");
    assert_eq!(exit_code(&mut s), 0);
    // Without a terminal the same query lists the candidates and fails.
    let out = repo.crm(&["show", "zhengzhou"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("zhengzhou-gongjiao-jituan") && out.stderr.contains("zhengzhou-yutong"), "{out}");
}

#[test]
fn building_the_history_index_shows_a_progress_bar_on_a_terminal_only() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    // 6,000 more commits (empty ones: a long history, quickly made).
    let store = repo.root().join("store");
    let branch = repo.git(&["symbolic-ref", "HEAD"]).trim().to_string();
    let mut stream = String::new();
    for i in 0..6_000 {
        let from = if i == 0 { format!("from {}\n", repo.head()) } else { String::new() };
        stream.push_str(&format!(
            "commit {branch}\ncommitter Li Na <li.na@example.com> {} +0800\ndata 5\nbulk\n{from}\n",
            1_790_000_000 + i
        ));
    }
    let mut import = Command::new("git");
    import.env_clear().envs(repo.env_vars()).current_dir(&store).args(["fast-import", "--quiet"]);
    let mut child = import.stdin(std::process::Stdio::piped()).spawn().expect("git fast-import");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), stream.as_bytes()).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(store.join(".git/crm"));

    let mut s = spawn(&repo, &[("CRM_PAGER", "cat")], &["log"]);
    s.exp_string("indexing history").expect("a progress bar while the index is built");
    s.exp_string("acme").expect("then the log");
    assert_eq!(exit_code(&mut s), 0);
    assert!(store.join(".git/crm/history").is_file());

    // Not with --quiet, nor into a pipe.
    std::fs::remove_dir_all(store.join(".git/crm")).unwrap();
    let mut s = spawn(&repo, &[("CRM_PAGER", "cat")], &["--quiet", "log"]);
    let shown = s.exp_eof().expect("ended");
    assert!(!shown.contains("indexing"), "{shown}");
    std::fs::remove_dir_all(store.join(".git/crm")).unwrap();
    let out = repo.crm(&["log"]).ok();
    assert!(!out.stderr.contains("indexing"), "{out}");
}

#[test]
fn a_passphrase_key_asks_once_on_a_terminal() {
    let repo = TestRepo::empty();
    let key = repo.root().join("keys/liu.yang");
    let Some(admin) = repo.ssh_key_at(&key) else { return };
    let recovery = repo.ssh_key_at(&repo.root().join("keys/recovery")).unwrap();
    repo.crm(&init_args(&["--key", &admin, "--sealed", "--recovery-key", &recovery])).ok();
    let id = repo.add_customer("Nordic Coach AB", "liu.yang", &["--contact", "Erik Lund <erik.lund@example.se>"]);
    let out = Command::new("ssh-keygen").args(["-q", "-p", "-N", "secret phrase", "-P", "", "-f"]).arg(&key).output();
    assert!(out.expect("ssh-keygen").status.success());
    let identity = key.display().to_string();
    let env = [("CRM_IDENTITY", identity.as_str()), ("CRM_PAGER", "cat")];
    let mut s = spawn(&repo, &env, &["show", &id]);
    s.exp_string("Passphrase for").expect("asked for the passphrase");
    s.send_line("secret phrase").expect("type it");
    s.exp_string("erik.lund@example.se").expect("the contact opened");
    assert_eq!(exit_code(&mut s), 0);
    // A wrong passphrase is an error, exit 2.
    let mut s = spawn(&repo, &env, &["show", &id]);
    s.exp_string("Passphrase for").expect("asked for the passphrase");
    s.send_line("wrong").expect("type it");
    s.exp_string("wrong passphrase").expect("said so");
    assert_eq!(exit_code(&mut s), 2);
}
