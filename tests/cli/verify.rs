//! `crm verify`: every commit judged against its first parent's state, the
//! signer (checked against the staff keys of that state) being the actor.
//!
//! One setup ([`Signed::new`]) builds a store that requires signatures, with
//! real ed25519 SSH keys for the admin liu.yang, the manager li.na and the
//! reps zhang.wei and wang.fang; who commits is switched with repo-local git
//! config (`user.email`, `user.signingkey`). Every adversarial commit is made
//! with plain git on top of that base and must be rejected with its rule,
//! while the honest version of the same change passes.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command as StdCommand, Stdio};

use crate::common::{customer_path, init_args, Output, TestRepo, ADMIN_EMAIL};

/// Handle, name, email and role of everyone in the signed store.
pub const PEOPLE: &[(&str, &str, &str, &str)] = &[
    ("liu.yang", "刘洋", ADMIN_EMAIL, "admin"),
    ("li.na", "李娜", "li.na@example.com", "manager"),
    ("zhang.wei", "张伟", "zhang.wei@example.com", "rep"),
    ("wang.fang", "王芳", "wang.fang@example.com", "rep"),
];

/// The touch zhang.wei logged on yutong in the setup.
pub const FIRST_TOUCH: &str = "Visited the depot";

/// A signed store: `yutong` (owner zhang.wei, backup li.na, one touch by
/// zhang.wei) and `kinglong` (owner wang.fang).
pub struct Signed {
    /// The store.
    pub repo: TestRepo,
    /// The commit every scenario starts from.
    pub base: String,
}

/// One violation of `crm verify --format json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub commit: String,
    pub actor: String,
    pub authenticated: bool,
    pub path: Option<String>,
    pub rule: String,
}

/// What `crm verify --format json` said.
pub struct Verdict {
    pub out: Output,
    pub commits: u64,
    pub violations: Vec<Violation>,
}

impl Verdict {
    /// The rules broken, in report order.
    pub fn rules(&self) -> Vec<&str> {
        self.violations.iter().map(|v| v.rule.as_str()).collect()
    }

    /// Asserts a clean history.
    #[track_caller]
    pub fn passes(&self) {
        assert_eq!(self.out.code, 0, "expected verify to pass\n{}", self.out);
        assert!(self.violations.is_empty(), "{}", self.out);
    }

    /// Asserts exit 1 and that `rule` is among the violations; returns the
    /// first violation with that rule.
    #[track_caller]
    pub fn rejects(&self, rule: &str) -> &Violation {
        assert_eq!(self.out.code, 1, "expected verify to fail with {rule}\n{}", self.out);
        self.violations.iter().find(|v| v.rule == rule).unwrap_or_else(|| panic!("no {rule} violation\n{}", self.out))
    }
}

impl Signed {
    /// The signed store, or `None` (test skipped) without ssh-keygen.
    pub fn new() -> Option<Signed> {
        let repo = TestRepo::empty();
        let mut public = Vec::new();
        for (handle, ..) in PEOPLE {
            let Some(key) = repo.ssh_key(&key_name(handle)) else {
                eprintln!("skipped: ssh-keygen not found");
                return None;
            };
            public.push(key);
        }
        repo.ssh_key("stranger").expect("ssh-keygen");
        // So that git itself can check the staff's signatures (%G?).
        let allowed: String =
            PEOPLE.iter().zip(&public).map(|((_, _, email, _), key)| format!("{email} {key}\n")).collect();
        let allowed_file = repo.root().join("allowed_signers");
        std::fs::write(&allowed_file, allowed).unwrap();
        repo.git(&["init", "-q"]);
        repo.git(&["config", "gpg.ssh.allowedSignersFile", &allowed_file.display().to_string()]);
        repo.git(&["config", "gpg.format", "ssh"]);
        repo.git(&["config", "commit.gpgsign", "true"]);
        let s = Signed { repo, base: String::new() };
        s.act_as("liu.yang");
        // PEOPLE[0] is the standard admin that init_args names.
        s.repo.crm(&init_args(&["--key", &public[0], "--require-signed"])).ok();
        assert!(s.repo.read("crm.toml").contains("require_signed = true"));
        for (i, (handle, name, email, role)) in PEOPLE.iter().enumerate().skip(1) {
            s.repo
                .crm(&["staff", "add", handle, "--name", name, "--email", email, "--role", role, "--key", &public[i]])
                .ok();
        }
        let add = ["add", "-q", "--id", "yutong", "--name", "郑州宇通", "--owner", "zhang.wei", "--backup", "li.na"];
        s.repo.crm(&add).ok();
        s.repo.crm(&["add", "-q", "--id", "kinglong", "--name", "厦门金龙", "--owner", "wang.fang"]).ok();
        s.act_as("zhang.wei");
        s.repo
            .crm(&["touch", "-q", "yutong", "--kind", "visit", "--summary", FIRST_TOUCH, "--date", "2026-11-20"])
            .ok();
        assert_eq!(s.repo.git(&["log", "-1", "--format=%G?"]).trim(), "G", "the setup commits are signed");
        let base = s.repo.head();
        Some(Signed { base, ..s })
    }

    /// The private key file of `name` (see [`key_name`]).
    pub fn key(&self, name: &str) -> PathBuf {
        self.repo.root().join(key_name(name))
    }

    /// Makes the next commits `handle`'s: their email, name and signing key.
    pub fn act_as(&self, handle: &str) {
        self.identity(handle, handle);
    }

    /// Commits naming `named` in author and committer, signed with `key`'s key.
    pub fn identity(&self, named: &str, key: &str) {
        let (_, name, email, _) = PEOPLE.iter().find(|p| p.0 == named).expect("a person");
        self.repo.git(&["config", "user.email", email]);
        self.repo.git(&["config", "user.name", name]);
        self.repo.git(&["config", "user.signingkey", &self.key(key).display().to_string()]);
    }

    /// Back to the base commit on `main`, with a clean work tree.
    pub fn reset(&self) {
        self.repo.git(&["checkout", "-q", "-f", "main"]);
        self.repo.git(&["reset", "-q", "--hard", &self.base]);
        self.repo.git(&["clean", "-q", "-fdx"]);
    }

    /// Rewrites a work tree file with `f`, asserting it changed.
    #[track_caller]
    pub fn edit(&self, rel: &str, f: impl FnOnce(&str) -> String) {
        let before = self.repo.read(rel);
        let after = f(&before);
        assert_ne!(before, after, "the edit of {rel} changed nothing");
        self.repo.write(rel, after);
    }

    /// Rewrites customer `id` with `f`.
    #[track_caller]
    pub fn edit_customer(&self, id: &str, f: impl FnOnce(&str) -> String) {
        self.edit(&customer_path(id), f);
    }

    /// Sets the owner of `id` (by hand, as plain git users do).
    #[track_caller]
    pub fn set_owner(&self, id: &str, from: &str, to: &str) {
        self.edit_customer(id, |t| t.replace(&format!("owner = \"{from}\""), &format!("owner = \"{to}\"")));
    }

    /// Appends a touch by `by` to customer `id`.
    #[track_caller]
    pub fn append_touch(&self, id: &str, by: &str, summary: &str) {
        self.edit_customer(id, |t| {
            format!("{t}\n[[touches]]\ndate = 2026-11-25\nby = \"{by}\"\nkind = \"call\"\nsummary = \"{summary}\"\n")
        });
    }

    /// Marks `handle` departed (a hand edit of their staff file).
    #[track_caller]
    pub fn mark_departed(&self, handle: &str) {
        self.edit(&format!("staff/{handle}.toml"), |t| {
            t.replace("status = \"active\"", "status = \"departed\"\nleft = 2026-11-24\nrehire = false")
        });
    }

    /// `git add -A && git commit` with the current identity (signed per
    /// git config); returns the new HEAD.
    #[track_caller]
    pub fn commit(&self, message: &str) -> String {
        self.repo.git(&["add", "-A"]);
        self.repo.git(&["commit", "-q", "-m", message]);
        self.repo.head()
    }

    /// Like [`Signed::commit`], without a signature.
    #[track_caller]
    pub fn commit_unsigned(&self, message: &str) -> String {
        self.repo.git(&["add", "-A"]);
        self.repo.git(&["commit", "-q", "--no-gpg-sign", "-m", message]);
        self.repo.head()
    }

    /// `crm verify ARGS --format json`.
    #[track_caller]
    pub fn verify(&self, args: &[&str]) -> Verdict {
        let mut all = vec!["verify"];
        all.extend_from_slice(args);
        all.extend(["--format", "json"]);
        let out = self.repo.crm(&all);
        assert!(out.code == 0 || out.code == 1, "verify failed to run\n{out}");
        let json = out.json();
        let commits = json["commits"].as_u64().unwrap_or_else(|| panic!("no commits count\n{out}"));
        let violations = json["violations"]
            .as_array()
            .unwrap_or_else(|| panic!("no violations array\n{out}"))
            .iter()
            .map(|v| Violation {
                commit: v["commit"].as_str().expect("commit").to_string(),
                actor: v["actor"].as_str().expect("actor").to_string(),
                authenticated: v["authenticated"].as_bool().expect("authenticated"),
                path: v["path"].as_str().map(str::to_string),
                rule: v["rule"].as_str().expect("rule").to_string(),
            })
            .collect();
        Verdict { out, commits, violations }
    }

    /// `git ARGS` with `input` on stdin; its stdout.
    #[track_caller]
    pub fn git_stdin(&self, args: &[&str], input: &[u8]) -> String {
        let mut cmd = StdCommand::new("git");
        cmd.env_clear();
        for (k, v) in self.repo.env_vars() {
            cmd.env(k, v);
        }
        let mut child = cmd
            .current_dir(&self.repo.dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run git");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

/// The key file name for a handle: no dots, since `TestRepo::ssh_key` puts
/// the public key at the name with its extension replaced by `pub`.
pub fn key_name(name: &str) -> String {
    name.replace('.', "_")
}

macro_rules! signed_store {
    () => {
        match Signed::new() {
            Some(s) => s,
            None => return,
        }
    };
}

#[test]
fn honest_signed_history_passes() {
    let s = signed_store!();
    // More honest work, all through crm: the manager reassigns, a rep adds
    // their own customer, the owner logs a touch, the admin edits.
    s.act_as("li.na");
    s.repo.crm(&["reassign", "-q", "kinglong", "--to", "zhang.wei", "--reason", "wang.fang moves to 华南"]).ok();
    s.act_as("wang.fang");
    s.repo.crm(&["add", "-q", "--id", "golden-dragon", "--name", "金旅客车", "--owner", "wang.fang"]).ok();
    s.act_as("zhang.wei");
    s.repo.crm(&["touch", "-q", "kinglong", "--kind", "call", "--summary", "Introduced myself"]).ok();
    s.act_as("liu.yang");
    s.repo.crm(&["edit", "-q", "yutong", "--set", "tier=key"]).ok();

    let verdict = s.verify(&[]);
    verdict.passes();
    assert_eq!(verdict.commits, s.repo.commit_count() as u64, "every commit is judged");
    let out = s.repo.crm(&["verify"]).ok();
    assert!(out.stdout.contains("0 violation(s)"), "{out}");
    // A range, and the base alone.
    s.verify(&[&format!("{}..HEAD", s.base)]).passes();
    s.verify(&[&s.base]).passes();
}

/// A change that leaves a customer file unparseable cannot be judged: the
/// violation says why the file cannot be read, and where.
#[test]
fn an_unparseable_customer_file_is_reported_with_its_cause() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.edit_customer("yutong", |t| t.replace("owner = \"zhang.wei\"", "owner = \"zhang.wei\"\npool_claimed = \"soon\""));
    s.commit("a claim date in words");
    let out = s.repo.crm(&["verify"]);
    assert_eq!(out.code, 1, "{out}");
    let line = out.stdout.lines().find(|l| l.contains("error[unreadable-record]")).unwrap_or_default();
    assert!(
        line.contains("cannot be parsed (") && line.contains("yutong.toml:3:1: `pool_claimed` must be a date"),
        "{out}"
    );
}

#[test]
fn an_unsigned_commit_is_rejected() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Called about the quote");
    let bad = s.commit_unsigned("touch yutong");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("unsigned");
    assert_eq!((v.commit.as_str(), v.path.as_deref(), v.authenticated), (bad.as_str(), None, false));
    assert_eq!(verdict.violations.len(), 1, "{}", verdict.out);

    // The machine formats name the rule too.
    let out = s.repo.crm(&["verify", "--format", "github"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.lines().any(|l| l.starts_with("::error ") && l.contains("title=unsigned")), "{out}");
    let out = s.repo.crm(&["verify"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("error[unsigned]") && out.stdout.contains(&bad[..8]), "{out}");

    s.reset();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Called about the quote");
    s.commit("touch yutong");
    s.verify(&[]).passes();
}

#[test]
fn a_key_no_staff_member_lists_is_rejected() {
    let s = signed_store!();
    s.identity("zhang.wei", "stranger");
    s.append_touch("yutong", "zhang.wei", "Called about the quote");
    let bad = s.commit("touch yutong");
    let status = s.repo.git(&["log", "-1", "--format=%G?"]);
    assert!(!["G", "N"].contains(&status.trim()), "signed, by a key git does not trust: {status}");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("unknown-key");
    assert_eq!(v.commit, bad);
    assert!(!v.authenticated);

    s.reset();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Called about the quote");
    s.commit("touch yutong");
    s.verify(&[]).passes();
}

#[test]
fn a_signer_who_departed_in_the_parent_state_is_rejected() {
    let s = signed_store!();
    s.act_as("liu.yang");
    s.mark_departed("wang.fang");
    s.commit("wang.fang left");
    // Her key still signs validly; she is no longer active.
    s.act_as("wang.fang");
    s.append_touch("kinglong", "wang.fang", "Farewell call");
    let bad = s.commit("touch kinglong");
    let verdict = s.verify(&[]);
    assert_eq!(verdict.out.code, 1, "{}", verdict.out);
    let v = verdict
        .violations
        .iter()
        .find(|v| v.rule == "signer-departed" || v.rule == "actor-departed")
        .unwrap_or_else(|| panic!("no departed violation\n{}", verdict.out));
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "wang.fang"), "{}", verdict.out);
    assert!(verdict.violations.iter().all(|v| v.commit == bad), "{}", verdict.out);

    // The same touch before she left passes.
    s.reset();
    s.act_as("wang.fang");
    s.append_touch("kinglong", "wang.fang", "Farewell call");
    s.commit("touch kinglong");
    s.act_as("liu.yang");
    s.mark_departed("wang.fang");
    s.commit("wang.fang left");
    s.verify(&[]).passes();
}

#[test]
fn the_signer_is_the_actor_whatever_the_author_field_says() {
    let s = signed_store!();
    // Author and committer say li.na (a manager); the signature is zhang.wei's.
    s.identity("li.na", "zhang.wei");
    s.set_owner("kinglong", "wang.fang", "li.na");
    let bad = s.commit("reassign kinglong: wang.fang -> li.na\n\nCrm-Action: reassign\nCrm-Actor: li.na\n");
    assert_eq!(s.repo.git(&["log", "-1", "--format=%ae %ce"]).trim(), "li.na@example.com li.na@example.com");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "zhang.wei"), "{}", verdict.out);
    assert!(v.authenticated);
    assert_eq!(v.path.as_deref(), Some(customer_path("kinglong").as_str()));

    // Signed by li.na herself, the same commit passes.
    s.reset();
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "li.na");
    s.commit("reassign kinglong: wang.fang -> li.na\n\nCrm-Action: reassign\nCrm-Actor: li.na\n");
    s.verify(&[]).passes();
}

#[test]
fn a_rep_taking_another_reps_customer_is_rejected() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    let bad = s.commit("take kinglong");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "zhang.wei"));
    assert_eq!(verdict.rules(), ["reassign-unauthorized"], "{}", verdict.out);

    // The manager moving it to him passes.
    s.reset();
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    s.commit("reassign kinglong");
    s.verify(&[]).passes();
}

#[test]
fn a_rep_making_themselves_backup_of_another_reps_customer_is_rejected() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.edit_customer("kinglong", |t| {
        t.replace("owner = \"wang.fang\"\n", "owner = \"wang.fang\"\nbackup = \"zhang.wei\"\n")
    });
    let bad = s.commit("back up kinglong");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "zhang.wei"));

    // The owner choosing him as backup passes.
    s.reset();
    s.act_as("wang.fang");
    s.edit_customer("kinglong", |t| {
        t.replace("owner = \"wang.fang\"\n", "owner = \"wang.fang\"\nbackup = \"zhang.wei\"\n")
    });
    s.commit("back up kinglong");
    s.verify(&[]).passes();
}

#[test]
fn a_rep_promoting_themselves_is_rejected_alone_and_with_a_reassign() {
    let s = signed_store!();
    let promote = |t: &str| t.replace("role = \"rep\"", "role = \"admin\"");
    s.act_as("zhang.wei");
    s.edit("staff/zhang.wei.toml", promote);
    let bad = s.commit("promote zhang.wei");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("settings-unauthorized");
    assert_eq!(
        (v.commit.as_str(), v.actor.as_str(), v.path.as_deref()),
        (bad.as_str(), "zhang.wei", Some("staff/zhang.wei.toml"))
    );

    // In the same commit as a reassign: the new role does not count yet.
    s.reset();
    s.act_as("zhang.wei");
    s.edit("staff/zhang.wei.toml", promote);
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    s.commit("promote zhang.wei and take kinglong");
    let verdict = s.verify(&[]);
    verdict.rejects("settings-unauthorized");
    verdict.rejects("reassign-unauthorized");

    // The admin promotes him; then, as an admin, he may reassign.
    s.reset();
    s.act_as("liu.yang");
    s.edit("staff/zhang.wei.toml", promote);
    s.commit("promote zhang.wei");
    s.act_as("zhang.wei");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    s.commit("take kinglong");
    s.verify(&[]).passes();
}

#[test]
fn a_rep_adding_a_key_to_another_persons_staff_file_is_rejected() {
    let s = signed_store!();
    let new_key = s.repo.ssh_key(&key_name("zhang.wei.2")).expect("ssh-keygen");
    let add_key = |t: &str| t.replacen("keys = [", &format!("keys = [\"{new_key}\", "), 1);
    s.act_as("zhang.wei");
    s.edit("staff/li.na.toml", add_key);
    let bad = s.commit("add a key");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("settings-unauthorized");
    assert_eq!(
        (v.commit.as_str(), v.actor.as_str(), v.path.as_deref()),
        (bad.as_str(), "zhang.wei", Some("staff/li.na.toml"))
    );

    // The admin adds his second key to his own file; he then signs with it.
    s.reset();
    s.act_as("liu.yang");
    s.edit("staff/zhang.wei.toml", add_key);
    s.commit("add zhang.wei's second key");
    s.identity("zhang.wei", "zhang.wei.2");
    s.append_touch("yutong", "zhang.wei", "Signed with the new key");
    s.commit("touch yutong");
    s.verify(&[]).passes();
}

#[test]
fn a_commit_altered_after_signing_has_a_bad_signature() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Called about the quote");
    let signed = s.commit("touch yutong: call by zhang.wei");
    s.verify(&[]).passes();

    let raw = s.repo.git(&["cat-file", "commit", &signed]);
    assert!(raw.contains("gpgsig -----BEGIN SSH SIGNATURE-----"), "{raw}");
    let altered = raw.replace("touch yutong: call by zhang.wei", "touch yutong: call by li.na");
    assert_ne!(raw, altered);
    let forged = s.git_stdin(&["hash-object", "-t", "commit", "-w", "--stdin"], altered.as_bytes()).trim().to_string();
    s.repo.git(&["update-ref", "refs/heads/main", &forged]);
    assert_eq!(s.repo.head(), forged);
    assert_ne!(s.repo.git_out(&["verify-commit", &forged]).code, 0, "git agrees the signature is bad");

    let verdict = s.verify(&[]);
    let v = verdict.rejects("bad-signature");
    assert_eq!(v.commit, forged);
    assert_eq!(verdict.violations.len(), 1, "{}", verdict.out);
    // The original is fine.
    s.verify(&[&signed]).passes();
}

#[test]
fn deleting_a_customer_needs_an_admin() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.repo.git(&["rm", "-q", &customer_path("yutong")]);
    let bad = s.commit("remove yutong");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("remove-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "zhang.wei"));
    assert_eq!(v.path.as_deref(), Some(customer_path("yutong").as_str()));

    s.reset();
    s.act_as("liu.yang");
    s.repo.git(&["rm", "-q", &customer_path("yutong")]);
    s.commit("remove yutong");
    s.verify(&[]).passes();
}

#[test]
fn rewriting_a_past_touch_is_rejected_even_for_the_owner() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.edit_customer("yutong", |t| t.replace(FIRST_TOUCH, "Signed a contract for 200 coaches"));
    let bad = s.commit("fix the log");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("touch-history-rewritten");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "zhang.wei"));
    assert_eq!(verdict.rules(), ["touch-history-rewritten"], "{}", verdict.out);

    // Appending is how the log grows.
    s.reset();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Signed a contract for 200 coaches");
    s.commit("touch yutong");
    s.verify(&[]).passes();
}

/// From the base: a branch `side` where wang.fang logs a touch on her
/// kinglong, and a commit on main by li.na (so the merge is a real one).
fn fork_side(s: &Signed) {
    s.repo.git(&["checkout", "-q", "-b", "side"]);
    s.act_as("wang.fang");
    s.append_touch("kinglong", "wang.fang", "Test drive of the new model");
    s.commit("touch kinglong");
    s.repo.git(&["checkout", "-q", "main"]);
    s.act_as("li.na");
    s.append_touch("yutong", "li.na", "Backup check-in");
    s.commit("touch yutong");
}

#[test]
fn an_evil_merge_that_changes_an_owner_itself_is_judged_as_the_merge_signers_change() {
    let s = signed_store!();
    fork_side(&s);
    s.act_as("wang.fang");
    s.repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    s.set_owner("yutong", "zhang.wei", "wang.fang");
    let merge = s.commit("Merge branch 'side'");
    assert_eq!(s.repo.git(&["rev-list", "--parents", "-n", "1", "HEAD"]).split_whitespace().count(), 3, "a merge");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (merge.as_str(), "wang.fang"), "{}", verdict.out);
    assert_eq!(v.path.as_deref(), Some(customer_path("yutong").as_str()));
    assert_eq!(verdict.rules(), ["reassign-unauthorized"], "the branch itself is fine\n{}", verdict.out);

    // The same merge without a change of its own passes.
    s.reset();
    s.repo.git(&["branch", "-q", "-D", "side"]);
    fork_side(&s);
    s.act_as("wang.fang");
    s.repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side"]);
    s.verify(&[]).passes();
}

#[test]
fn a_branch_by_a_rep_merged_after_the_rep_left_is_rejected() {
    let s = signed_store!();
    fork_side(&s);
    s.act_as("liu.yang");
    s.mark_departed("wang.fang");
    s.commit("wang.fang left");
    s.repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side"]);
    let merge = s.repo.head();
    let verdict = s.verify(&[]);
    let v = verdict.rejects("actor-departed");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (merge.as_str(), "wang.fang"), "{}", verdict.out);
    assert_eq!(v.path.as_deref(), Some(customer_path("kinglong").as_str()));

    // Merged before she left, the same branch passes.
    s.reset();
    s.repo.git(&["branch", "-q", "-D", "side"]);
    fork_side(&s);
    s.act_as("liu.yang");
    s.repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side"]);
    s.mark_departed("wang.fang");
    s.commit("wang.fang left");
    s.verify(&[]).passes();
}

#[test]
fn hand_edits_are_judged_by_the_tree_not_the_trailers() {
    let s = signed_store!();
    // A manager moving a customer with plain git, no trailers: fine.
    s.act_as("li.na");
    s.set_owner("yutong", "zhang.wei", "wang.fang");
    s.commit("move yutong");
    s.verify(&[]).passes();

    // An owner may hand their own customer on.
    s.reset();
    s.act_as("zhang.wei");
    s.set_owner("yutong", "zhang.wei", "wang.fang");
    s.commit("hand yutong to wang.fang");
    s.verify(&[]).passes();

    // A rep moving another rep's customer (not even to themselves): rejected,
    // whatever the trailers claim.
    s.reset();
    s.act_as("zhang.wei");
    s.set_owner("kinglong", "wang.fang", "li.na");
    let bad = s.commit("reassign kinglong: wang.fang -> li.na\n\nCrm-Action: reassign\nCrm-Actor: liu.yang\n");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "zhang.wei"));
}

#[test]
fn a_range_trusts_its_start() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Unsigned call");
    let bad = s.commit_unsigned("touch yutong");
    s.append_touch("yutong", "zhang.wei", "Signed call");
    s.commit("touch yutong");

    let verdict = s.verify(&[]);
    assert_eq!(verdict.rules(), ["unsigned"], "{}", verdict.out);
    let verdict = s.verify(&[&format!("{}..HEAD", s.base)]);
    assert_eq!(verdict.commits, 2, "{}", verdict.out);
    assert_eq!(verdict.rejects("unsigned").commit, bad);
    let verdict = s.verify(&[&format!("{bad}..HEAD")]);
    verdict.passes();
    assert_eq!(verdict.commits, 1, "only the commit after the trusted start\n{}", verdict.out);
    s.verify(&[&format!("{bad}..")]).passes();
    // A single revision is its whole history.
    s.verify(&["HEAD"]).rejects("unsigned");
    s.verify(&[&format!("{}..{bad}", s.base)]).rejects("unsigned");
}

#[test]
fn root_pins_the_trusted_first_commit() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    let bad = s.commit("take kinglong");
    s.append_touch("yutong", "zhang.wei", "Signed call");
    s.commit("touch yutong");

    s.verify(&["--root", &s.base]).rejects("reassign-unauthorized");
    let verdict = s.verify(&["--root", &bad]);
    verdict.passes();
    assert_eq!(verdict.commits, 1, "{}", verdict.out);
    // A violation after the root is still found.
    s.act_as("wang.fang");
    s.append_touch("yutong", "wang.fang", "Not my customer");
    let later = s.commit("touch yutong");
    let verdict = s.verify(&["--root", &bad]);
    let v = verdict.rejects("edit-unauthorized");
    assert_eq!(v.commit, later);

    let out = s.repo.crm(&["verify", "--root", "no-such-commit"]);
    assert_eq!(out.code, 2, "{out}");
}

#[test]
fn verify_works_in_a_bare_repository() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    s.commit("take kinglong");
    let out = s.repo.git_in(s.repo.root(), &["clone", "-q", "--bare", "store", "bare.git"]);
    assert_eq!(out.code, 0, "{out}");
    let bare = s.repo.root().join("bare.git");
    let out = s.repo.crm_in(&bare, &["verify", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(out.json()["violations"][0]["rule"], "reassign-unauthorized", "{out}");
    let out = s.repo.crm_in(&bare, &["verify", &s.base]);
    assert_eq!(out.code, 0, "{out}");
}

#[cfg(unix)]
#[test]
fn a_symlink_committed_under_customers_is_rejected() {
    let s = signed_store!();
    s.act_as("liu.yang");
    let rel = customer_path("passwd");
    std::fs::create_dir_all(s.repo.path(&rel).parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", s.repo.path(&rel)).unwrap();
    let bad = s.commit("add a link");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("not-a-file");
    assert_eq!((v.commit.as_str(), v.path.as_deref()), (bad.as_str(), Some(rel.as_str())));
    let out = s.repo.crm(&["verify"]);
    assert!(!out.stdout.contains("root:"), "{out}");
}

#[test]
fn a_person_hired_on_a_branch_may_work_on_that_branch() {
    // The admin adds chen.jie on a branch, chen.jie adds a customer of her
    // own there (her first parent knows her: fine), and the admin merges
    // the branch. Nobody granted themselves anything.
    let s = signed_store!();
    let public = s.repo.ssh_key("chen_jie").expect("ssh-keygen");
    s.repo.git(&["checkout", "-q", "-b", "onboarding"]);
    s.act_as("liu.yang");
    let (name, email) = ("陈洁", "chen.jie@example.com");
    s.repo
        .crm(&["staff", "add", "-q", "chen.jie", "--name", name, "--email", email, "--role", "rep", "--key", &public])
        .ok();
    s.repo.git(&["config", "user.email", email]);
    s.repo.git(&["config", "user.signingkey", &s.repo.root().join("chen_jie").display().to_string()]);
    s.repo.crm(&["add", "-q", "--id", "ankai", "--name", "安凯客车", "--owner", "chen.jie"]).ok();
    s.repo.git(&["checkout", "-q", "main"]);
    s.act_as("li.na");
    s.append_touch("yutong", "li.na", "Backup check-in");
    s.commit("touch yutong");
    s.act_as("liu.yang");
    s.repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'onboarding'", "onboarding"]);
    s.verify(&["onboarding"]).passes();
    s.verify(&[]).passes();
}

#[test]
fn an_unsigned_store_judges_the_committer_unauthenticated() {
    // require_signed = false: an unsigned commit's actor is the staff member
    // with the committer's email, marked unauthenticated.
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "wang.fang", &[]);
    let out = repo.crm(&["verify", "--format", "json"]);
    assert_eq!(out.code, 0, "{out}");
    let rel = customer_path(&id);
    let text = repo.read(&rel).replace("owner = \"wang.fang\"", "owner = \"zhang.wei\"");
    repo.write(&rel, text);
    repo.git(&["add", "-A"]);
    repo.git(&["-c", "user.email=zhang.wei@example.com", "commit", "-q", "-m", "take acme"]);
    let out = repo.crm(&["verify", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let v = &out.json()["violations"][0];
    assert_eq!(v["rule"], "reassign-unauthorized", "{out}");
    assert_eq!(v["actor"], "zhang.wei", "{out}");
    assert_eq!(v["authenticated"], false, "{out}");
    let human = repo.crm(&["verify"]);
    assert!(human.stdout.contains("(unauthenticated)"), "{human}");

    // A committer who is nobody in staff/.
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write(&rel, repo.read(&rel).replace("name = \"Acme\"", "name = \"Acme Coaches\""));
    repo.git(&["add", "-A"]);
    repo.git(&["-c", "user.email=mallory@example.org", "commit", "-q", "-m", "rename"]);
    let out = repo.crm(&["verify", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(out.json()["violations"][0]["rule"], "unknown-actor", "{out}");
}

#[test]
fn escapes_in_paths_never_reach_the_terminal_raw() {
    let repo = TestRepo::standard();
    let rel = "customers/00/x\u{1b}]0;pwned\u{7}\u{1b}[31m.toml";
    repo.write(rel, "name = \"A\"\nowner = \"liu.yang\"\n");
    repo.commit_all("add a file with an evil name");
    let out = repo.crm(&["verify", "--format", "json"]);
    assert_eq!(out.code, 1, "the file cannot be judged\n{out}");
    assert_eq!(out.json()["violations"][0]["path"], rel, "JSON keeps the path exact\n{out}");
    for format in ["human", "github", "junit"] {
        let out = repo.crm(&["verify", "--format", format]);
        assert_eq!(out.code, 1, "{out}");
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
            "{format}: the path reached the terminal raw:\n{}",
            out.stdout.escape_debug()
        );
    }
}
