//! Signing from git's own configuration (SSH and OpenPGP): commits made by
//! crm pass `git verify-commit`, `crm log` recognises staff keys, and a store
//! that requires signatures refuses unsigned writes before writing anything.

use crate::common::{TestRepo, ADMIN_EMAIL};

fn init_args(key: Option<&str>) -> Vec<&str> {
    match key {
        Some(key) => crate::common::init_args(&["--key", key]),
        None => crate::common::init_args(&[]),
    }
}

/// A git repository configured to sign with a new SSH key; the public key,
/// or `None` when ssh-keygen is missing.
fn ssh_signing_repo() -> Option<(TestRepo, String)> {
    let repo = TestRepo::empty();
    let Some(public) = repo.ssh_key("liu_ed25519") else {
        eprintln!("skipped: ssh-keygen not found");
        return None;
    };
    let key_file = repo.root().join("liu_ed25519.pub").display().to_string();
    let allowed = repo.root().join("allowed_signers");
    std::fs::write(&allowed, format!("{ADMIN_EMAIL} {public}\n")).unwrap();
    repo.git(&["init", "-q"]);
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", &key_file]);
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.git(&["config", "gpg.ssh.allowedSignersFile", &allowed.display().to_string()]);
    Some((repo, public))
}

fn verify_commit(repo: &TestRepo, rev: &str) {
    let out = repo.git_out(&["verify-commit", "-v", rev]);
    assert_eq!(out.code, 0, "git verify-commit {rev} failed\n{out}");
}

fn add_event(repo: &TestRepo) -> serde_json::Value {
    let events = repo.crm(&["log", "--format", "json"]).ok().json();
    events.as_array().unwrap().iter().find(|e| e["action"] == "add").cloned().expect("an add event")
}

#[test]
fn ssh_signed_commits_verify_and_log_shows_the_signer() {
    let Some((repo, public)) = ssh_signing_repo() else {
        return;
    };
    repo.crm(&init_args(Some(&public))).ok();
    verify_commit(&repo, "HEAD");
    repo.crm(&["staff", "add", "zhang.wei", "--name", "张伟", "--email", "zhang.wei@example.com", "--role", "rep"])
        .ok();
    repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]).ok();
    verify_commit(&repo, "HEAD");
    verify_commit(&repo, "HEAD~1");
    assert_eq!(repo.git(&["log", "-1", "--format=%G?"]).trim(), "G");

    let event = add_event(&repo);
    assert_eq!(event["signature"], "good", "{event}");
    assert_eq!(event["actor"], "liu.yang", "{event}");
    assert_eq!(event["commit"], repo.head().as_str());
}

#[test]
fn ssh_signature_by_a_key_no_staff_lists_is_unknown_key() {
    let Some((repo, _)) = ssh_signing_repo() else {
        return;
    };
    repo.crm(&init_args(None)).ok();
    // crm refuses to sign with a key verify would not take for liu.yang's.
    let before = repo.state();
    let refused = repo.crm(&["add", "--name", "Acme", "--owner", "liu.yang"]);
    repo.assert_refused(&refused, 3, &["does not list", "ssh-ed25519 "], &before);
    // Plain git signs anyway; crm log says whose key it is not.
    repo.write_customer("acme", "name = \"Acme\"\nowner = \"liu.yang\"\n");
    repo.commit_all("add acme by hand");
    verify_commit(&repo, "HEAD");
    let event = add_event(&repo);
    assert_eq!(event["signature"], "unknown-key", "{event}");
}

#[test]
fn sign_and_no_sign_override_git_config() {
    let Some((repo, public)) = ssh_signing_repo() else {
        return;
    };
    repo.crm(&init_args(Some(&public))).ok();
    repo.crm(&["--no-sign", "add", "--name", "Plain", "--owner", "liu.yang"]).ok();
    assert_eq!(repo.git(&["log", "-1", "--format=%G?"]).trim(), "N");
    repo.git(&["config", "commit.gpgsign", "false"]);
    repo.crm(&["add", "--name", "Auto", "--owner", "liu.yang"]).ok();
    assert_eq!(repo.git(&["log", "-1", "--format=%G?"]).trim(), "N");
    repo.crm(&["--sign", "add", "--name", "Forced", "--owner", "liu.yang"]).ok();
    verify_commit(&repo, "HEAD");
}

#[test]
fn openpgp_signed_commits_verify_and_log_shows_the_signer() {
    let repo = TestRepo::empty();
    let Some(fingerprint) = repo.gpg_key("Liu <liu@example.com>") else {
        eprintln!("skipped: gpg not found");
        return;
    };

    repo.git(&["init", "-q"]);
    repo.git(&["config", "user.signingkey", &fingerprint]);
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.crm(&init_args(Some(&fingerprint))).ok();
    verify_commit(&repo, "HEAD");
    repo.crm(&["add", "--name", "Acme", "--owner", "liu.yang"]).ok();
    verify_commit(&repo, "HEAD");

    let event = add_event(&repo);
    assert_eq!(event["signature"], "good", "{event}");
    assert_eq!(event["actor"], "liu.yang", "{event}");
}

/// A store made unsigned, then switched to `require_signed = true` by hand.
fn store_requiring_signatures() -> TestRepo {
    let repo = TestRepo::init();
    let text = repo.read("crm.toml").replace("require_signed = false", "require_signed = true");
    assert!(text.contains("require_signed = true"));
    repo.write("crm.toml", text);
    repo.commit_all("Require signed commits");
    repo
}

#[test]
fn no_sign_is_refused_when_the_store_requires_signatures() {
    let repo = store_requiring_signatures();
    if let Some(public) = repo.ssh_key("liu_ed25519") {
        // Signing would work; --no-sign is what is refused.
        let key = repo.root().join("liu_ed25519.pub").display().to_string();
        repo.git(&["config", "gpg.format", "ssh"]);
        repo.git(&["config", "user.signingkey", &key]);
        assert!(public.starts_with("ssh-ed25519 "));
    }
    let before = repo.state();
    let out = repo.crm(&["--no-sign", "add", "--name", "Acme", "--owner", "liu.yang"]);
    repo.assert_refused(&out, 3, &["--no-sign", "require"], &before);
}

#[test]
fn required_signing_without_a_signing_key_says_how_to_configure_it() {
    let repo = store_requiring_signatures();
    repo.git(&["config", "gpg.format", "ssh"]);
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "liu.yang"]);
    repo.assert_refused(&out, 3, &["user.signingkey"], &before);
}

#[test]
fn init_requiring_signatures_without_a_key_creates_nothing() {
    let repo = TestRepo::empty();
    repo.git(&["init", "-q"]);
    repo.git(&["config", "gpg.format", "ssh"]);
    let mut args = init_args(None);
    args.push("--require-signed");
    let out = repo.crm(&args);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains("user.signingkey"), "{out}");
    assert_eq!(repo.head(), "", "no commit was made");
    assert_eq!(repo.status(), "");
}

#[test]
fn required_signing_with_openpgp_but_no_secret_key_says_how_to_configure_it() {
    // Default gpg.format (openpgp), no user.signingkey, an empty keyring:
    // no signature can be made. The SPEC: refuse before writing anything and
    // say how to configure signing.
    if !crate::common::needs_program("gpg") {
        eprintln!("skipped: gpg not found");
        return;
    }
    let repo = store_requiring_signatures();
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "liu.yang"]);
    repo.assert_refused(&out, 3, &["user.signingkey"], &before);
    assert!(!out.stderr.contains("Broken pipe"), "gpg's own message must not be lost\n{out}");
}

#[test]
fn following_the_instructions_init_prints_signs_commits() {
    let repo = TestRepo::empty();
    let Some(public) = repo.ssh_key_at(&repo.home().join(".ssh/id_ed25519")) else {
        eprintln!("skipped: ssh-keygen not found");
        return;
    };
    // Without -q, so that init prints how to turn signing on.
    let args: Vec<&str> = init_args(Some(&public)).into_iter().filter(|a| *a != "-q").collect();
    let out = repo.crm(&args).ok();
    // init prints the commands; run them as printed (git expands `~`).
    for line in out.stderr.lines().map(str::trim).filter(|l| l.starts_with("git config ")) {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        repo.git(&args);
    }
    assert_eq!(repo.git(&["config", "user.signingkey"]).trim(), "~/.ssh/id_ed25519.pub");
    let allowed = repo.root().join("allowed_signers");
    std::fs::write(&allowed, format!("{ADMIN_EMAIL} {public}\n")).unwrap();
    repo.git(&["config", "gpg.ssh.allowedSignersFile", &allowed.display().to_string()]);

    repo.crm(&["add", "--name", "Acme", "--owner", "liu.yang"]).ok();
    verify_commit(&repo, "HEAD");
    assert_eq!(add_event(&repo)["signature"], "good");
}

#[test]
fn a_tampered_signed_commit_is_reported_bad() {
    let Some((repo, public)) = ssh_signing_repo() else {
        return;
    };
    repo.crm(&init_args(Some(&public))).ok();
    repo.crm(&["add", "--name", "Acme", "--owner", "liu.yang"]).ok();
    let head = repo.head();
    let object = repo.git(&["cat-file", "commit", "HEAD"]);
    let forged = object.replace("add acme: Acme", "add acme: Acme (approved by the board)");
    assert_ne!(object, forged);
    let file = repo.root().join("forged-commit");
    std::fs::write(&file, forged).unwrap();
    let forged_id = repo.git(&["hash-object", "-t", "commit", "-w", &file.display().to_string()]);
    repo.git(&["update-ref", "HEAD", forged_id.trim(), &head]);

    assert_ne!(repo.git_out(&["verify-commit", "HEAD"]).code, 0, "git agrees it is bad");
    let event = add_event(&repo);
    assert_eq!(event["commit"], forged_id.trim());
    assert_eq!(event["signature"], "bad", "{event}");
}
