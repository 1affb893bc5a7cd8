//! Sealed stores: contacts, notes, next steps and touch summaries sealed
//! with age to the people the ownership policy entitles, with real SSH keys
//! made by ssh-keygen, checked against the raw git objects.

use std::path::PathBuf;

use crate::common::*;

/// A sealed store: liu.yang (admin), zhang.wei (rep, 华中), li.na
/// (manager, 华中), wang.fang (rep, 华南), each with an ed25519 key at
/// `<tmp>/keys/HANDLE`, and the recovery key `<tmp>/keys/recovery`.
struct Sealed {
    repo: TestRepo,
}

const PEOPLE: &[(&str, &str, &str, &str)] =
    &[("zhang.wei", "张伟", "rep", "华中"), ("li.na", "李娜", "manager", "华中"), ("wang.fang", "王芳", "rep", "华南")];

impl Sealed {
    fn new() -> Option<Sealed> {
        let repo = TestRepo::empty();
        let key = |name: &str| repo.ssh_key_at(&repo.root().join("keys").join(name));
        let admin = key("liu.yang")?;
        let recovery = key("recovery")?;
        repo.crm(&init_args(&["--key", &admin, "--sealed", "--recovery-key", &recovery])).ok();
        for (handle, name, role, region) in PEOPLE {
            let public = key(handle)?;
            let email = staff_email(handle);
            let args = ["staff", "add", handle, "--name", name, "--email", &email, "--role", role, "--region", region];
            let mut args = args.to_vec();
            args.extend(["--key", &public]);
            Sealed::as_person(&repo, "liu.yang", &args).ok();
        }
        Some(Sealed { repo })
    }

    fn key(&self, name: &str) -> PathBuf {
        self.repo.root().join("keys").join(name)
    }

    fn as_person(repo: &TestRepo, user: &str, args: &[&str]) -> Output {
        let key = repo.root().join("keys").join(user).display().to_string();
        let mut cmd = repo.crm_cmd();
        let email = staff_email(user);
        cmd.env("CRM_USER", user).env("GIT_COMMITTER_EMAIL", &email).env("GIT_AUTHOR_EMAIL", &email);
        cmd.env("CRM_IDENTITY", key).args(args);
        repo.run(cmd)
    }

    /// `crm ARGS` as `user`, opening sealed values with their own key.
    fn crm_as(&self, user: &str, args: &[&str]) -> Output {
        Sealed::as_person(&self.repo, user, args)
    }

    /// `crm ARGS` as `user` with the private key file `key`.
    fn crm_with_key(&self, user: &str, key: &str, args: &[&str]) -> Output {
        let mut cmd = self.repo.crm_cmd();
        let email = staff_email(user);
        cmd.env("CRM_USER", user).env("GIT_COMMITTER_EMAIL", &email).env("GIT_AUTHOR_EMAIL", &email);
        cmd.env("CRM_IDENTITY", self.key(key)).args(args);
        self.repo.run(cmd)
    }

    /// A customer of `owner` with one contact; returns its id.
    fn add(&self, owner: &str, name: &str, region: &str, contact: &str) -> String {
        let args =
            ["add", "--name", name, "--owner", owner, "--region", region, "--contact", contact, "--format", "json"];
        let out = self.crm_as(owner, &args);
        out.ok().json()["customer"]["id"].as_str().unwrap().to_string()
    }

    fn touch(&self, user: &str, id: &str, summary: &str) {
        self.crm_as(user, &["touch", id, "--kind", "call", "--summary", summary]).ok();
    }

    fn file(&self, id: &str) -> toml::Table {
        self.repo.read_toml(&customer_path(id))
    }

    /// Every blob of the repository, all versions, as text.
    fn all_blobs(&self) -> String {
        let ids = self.repo.git(&["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"]);
        let blobs: Vec<&str> =
            ids.lines().filter(|l| l.ends_with(" blob")).map(|l| l.split(' ').next().unwrap()).collect();
        blobs.iter().map(|b| self.repo.git(&["cat-file", "-p", b])).collect::<Vec<_>>().join("\n")
    }

    /// The files HEAD changed, but for the rings it added (a ring file is
    /// only ever added: checked here).
    fn changed_records(&self) -> Vec<String> {
        let status = self.repo.git(&["diff-tree", "--no-commit-id", "--name-status", "-r", "HEAD"]);
        let mut out = Vec::new();
        for line in status.lines() {
            let (kind, path) = line.split_once('\t').unwrap();
            if path.starts_with("rings/") {
                assert_eq!(kind, "A", "a ring file is never changed: {line}");
            } else {
                out.push(path.to_string());
            }
        }
        out
    }

    /// The sealed values of a customer file, by key.
    fn sealed_values(&self, id: &str) -> Vec<String> {
        let text = self.repo.read(&customer_path(id));
        text.lines().filter(|l| l.contains("\"sealed:v1:")).map(str::to_string).collect()
    }
}

macro_rules! sealed_store {
    () => {
        match Sealed::new() {
            Some(s) => s,
            None => return,
        }
    };
}

#[test]
fn the_git_objects_hold_no_contact_or_summary_in_the_clear() {
    let s = sealed_store!();
    let id = s.add("wang.fang", "广州第二公共汽车公司", "华南", "陈志强 <chen.zq@example.cn> +86 20 5555 0201");
    s.touch("wang.fang", &id, "Tender for 200 electric buses next spring");
    s.crm_as("wang.fang", &["edit", &id, "--set", "notes=Decision maker prefers WeChat"]).ok();
    let objects = s.all_blobs();
    for secret in ["5555 0201", "chen.zq@example.cn", "陈志强", "Tender for 200", "prefers WeChat"] {
        assert!(!objects.contains(secret), "`{secret}` is in the clear in the git objects");
    }
    // Structure stays in the clear for everyone.
    let file = s.file(&id);
    assert_eq!(file["owner"].as_str(), Some("wang.fang"));
    assert_eq!(file["region"].as_str(), Some("华南"));
    let to: Vec<&str> = file["sealed_to"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(to, ["wang.fang", "liu.yang", "@recovery"]);

    // The owner and the admin read it; a rep of another region sees `sealed`.
    let mine = s.crm_as("wang.fang", &["show", &id]).ok();
    assert!(mine.stdout.contains("+86 20 5555 0201") && mine.stdout.contains("Tender for 200"), "{mine}");
    let admin = s.crm_as("liu.yang", &["show", &id, "--format", "json"]).ok().json();
    assert_eq!(admin["contacts"][0]["phone"], "+86 20 5555 0201");
    assert_eq!(admin["sealing"], "opened");
    let other = s.crm_as("zhang.wei", &["show", &id, "--format", "json"]);
    let json = other.ok().json();
    assert_eq!(json["contacts"][0]["phone"], "sealed");
    assert_eq!(json["touches"][0]["summary"], "sealed");
    assert_eq!(json["sealing"], "sealed");
    assert_eq!(json["owner"], "wang.fang", "structure stays readable");
    let other = s.crm_as("zhang.wei", &["show", &id]);
    assert!(other.stderr.contains("sealed to others"), "{other}");
    // Without any key configured, a read shows `sealed` and succeeds.
    let nobody = s.repo.crm(&["show", &id, "--format", "json"]).ok().json();
    assert_eq!(nobody["contacts"][0]["email"], "sealed");

    s.repo.crm(&["check"]).ok();
    let checked = s.repo.crm(&["check", "--identity", &s.key("recovery").display().to_string()]).ok();
    assert!(checked.stdout.contains("0 error(s)"), "{checked}");
    let verified = s.repo.crm(&["verify", "--identity", &s.key("recovery").display().to_string()]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "{verified}");
}

/// The example pre-receive hook on a sealed store: the rings a pushed
/// commit adds wait in git's quarantine with the commit, and every reader
/// of the verify (not only its first repository handle) must find them.
#[test]
fn the_pre_receive_hook_accepts_a_sealed_store_s_honest_pushes() {
    let s = sealed_store!();
    let bare = crate::hooks::server(&s.repo, &std::fs::read(crate::hooks::HOOK).unwrap());
    assert_eq!(crate::hooks::push(&s.repo, &["-q", "origin", "main"]).code, 0);
    // A new customer (new rings), a touch and a reassign (a rotation).
    let id = s.add("zhang.wei", "宇通客车", "华中", "name=王经理,phone=+86 371 5555 0101");
    s.touch("zhang.wei", &id, "Met the buyer");
    s.crm_as("li.na", &["reassign", &id, "--to", "wang.fang", "--reason", "moves south"]).ok();
    let head = s.repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let out = crate::hooks::push(&s.repo, &["origin", "main"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(crate::hooks::remote_ref(&s.repo, &bare, "refs/heads/main"), head);
}

#[test]
fn a_reassign_rotates_the_data_key_in_the_same_commit() {
    let s = sealed_store!();
    let id = s.add("zhang.wei", "郑州宇通客运集团", "华中", "王建国 <wang.jg@example.cn> +86 371 5555 0101");
    s.touch("zhang.wei", &id, "Site visit at the depot");
    let before = s.sealed_values(&id);
    let key_before = s.file(&id)["sealed_key"].as_str().unwrap().to_string();
    let commits = s.repo.commit_count();
    s.crm_as("li.na", &["reassign", &id, "--to", "li.na", "--reason", "zhang.wei moves to 华南"]).ok();
    assert_eq!(s.repo.commit_count(), commits + 1, "one commit");
    assert_eq!(s.changed_records(), [customer_path(&id)]);
    let after = s.sealed_values(&id);
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(b, a, "every sealed value is sealed again under the new data key");
    }
    assert_ne!(s.file(&id)["sealed_key"].as_str().unwrap(), key_before);
    let to = s.file(&id)["sealed_to"].clone();
    assert_eq!(to, toml::Value::Array(vec!["li.na".into(), "liu.yang".into(), "@recovery".into()]));
    // zhang.wei's key opens the old version, not the new one.
    let json = s.crm_as("zhang.wei", &["show", &id, "--format", "json"]).ok().json();
    assert_eq!(json["contacts"][0]["phone"], "sealed");
    let json = s.crm_as("li.na", &["show", &id, "--format", "json"]).ok().json();
    assert_eq!(json["contacts"][0]["phone"], "+86 371 5555 0101");
    assert_eq!(json["touches"][0]["summary"], "Site visit at the depot");
    let verified = s.repo.crm(&["verify", "--identity", &s.key("recovery").display().to_string()]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "{verified}");
}

#[test]
fn a_new_reader_gets_the_same_data_key_and_no_value_changes() {
    let s = sealed_store!();
    let id = s.add("zhang.wei", "洛阳公交集团", "华中", "马骏 <ma.jun@example.cn>");
    let before = s.sealed_values(&id);
    s.crm_as("zhang.wei", &["edit", &id, "--set", "backup=wang.fang"]).ok();
    assert_eq!(s.sealed_values(&id), before, "only the key is wrapped again");
    let json = s.crm_as("wang.fang", &["show", &id, "--format", "json"]).ok().json();
    assert_eq!(json["contacts"][0]["email"], "ma.jun@example.cn");
}

#[test]
fn after_staff_leave_the_leaver_opens_nothing_new() {
    let s = sealed_store!();
    let a = s.add("zhang.wei", "武汉公交集团", "华中", "刘明 <liu.ming@example.cn> +86 27 5555 0102");
    let b = s.add("zhang.wei", "长沙城市公交", "华中", "周平 +86 731 5555 0103");
    let c = s.add("wang.fang", "深圳巴士集团", "华南", "林小红 <lin.xh@example.cn>");
    let c_before = s.repo.read(&customer_path(&c));
    s.crm_as("liu.yang", &["staff", "leave", "zhang.wei", "--to", "li.na", "--reason", "left for a competitor", "-y"])
        .ok();
    let changed = s.changed_records();
    assert!(changed.contains(&customer_path(&a)) && changed.contains(&customer_path(&b)), "{changed:?}");
    assert_eq!(ring_of(&s, &a), ring_of(&s, &b), "the same readers share one ring");
    let new_ring = format!("rings/{}.age", ring_of(&s, &a));
    assert!(s.repo.changed_paths("HEAD").contains(&new_ring), "the new ring is in the commit");
    assert_eq!(s.repo.read(&customer_path(&c)), c_before, "customers he never read are not touched");
    for id in [&a, &b] {
        let json = s.crm_with_key("liu.yang", "zhang.wei", &["show", id, "--format", "json"]).ok().json();
        assert_eq!(json["contacts"][0]["name"], "sealed", "{id} still opens with the leaver's key");
        let to = s.file(id)["sealed_to"].as_array().unwrap().clone();
        assert!(!to.iter().any(|h| h.as_str() == Some("zhang.wei")), "{to:?}");
    }
    let verified = s.repo.crm(&["verify"]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "{verified}");
}

#[test]
fn a_write_that_must_reseal_what_the_actor_cannot_open_is_refused() {
    let s = sealed_store!();
    let id = s.add("wang.fang", "东莞巴士有限公司", "华南", "黄海 +86 769 5555 0203");
    let before = s.repo.state();
    // The admin may edit, but with someone else's key nothing opens.
    let out = s.crm_with_key("liu.yang", "zhang.wei", &["touch", &id, "--kind", "call", "--summary", "x"]);
    s.repo.assert_refused(&out, 2, &["is sealed", "not among its recipients"], &before);
    assert!(out.stderr.contains("the nightly pool job") && out.stderr.contains("recovery key"), "{out}");
    // Without any key configured.
    let mut cmd = s.repo.crm_cmd();
    cmd.args(["touch", &id, "--kind", "call", "--summary", "x"]);
    let out = s.repo.run(cmd);
    s.repo.assert_refused(&out, 2, &["no private key is configured"], &before);
}

/// A way to tamper with a customer file: its new text.
type Tamper<'a> = Box<dyn Fn() -> String + 'a>;

#[test]
fn check_and_verify_catch_tampering_with_documented_rules() {
    let s = sealed_store!();
    let a = s.add("zhang.wei", "南昌公交运输集团", "华中", "吴静 +86 791 5555 0105");
    let b = s.add("wang.fang", "佛山公交集团", "华南", "梁伟 <liang.w@example.cn> +86 757 5555 0204");
    let recovery = s.key("recovery").display().to_string();
    let good = s.repo.head();
    let phone_of = |id: &str| -> String {
        let text = s.repo.read(&customer_path(id));
        text.lines().find(|l| l.starts_with("phone = ")).unwrap().to_string()
    };
    let cases: Vec<(&str, Tamper, &str)> = vec![
        (
            "a value moved from another customer",
            Box::new(|| s.repo.read(&customer_path(&a)).replace(&phone_of(&a), &phone_of(&b))),
            "seal-unopenable",
        ),
        (
            "a tampered ciphertext",
            Box::new(|| {
                let phone = phone_of(&a);
                let mut bytes = phone.clone().into_bytes();
                let i = bytes.len() - 4;
                bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
                s.repo.read(&customer_path(&a)).replace(&phone, &String::from_utf8(bytes).unwrap())
            }),
            "seal-unopenable",
        ),
        (
            "a value in the clear",
            Box::new(|| s.repo.read(&customer_path(&a)).replace(&phone_of(&a), "phone = \"+86 791 5555 0105\"")),
            "seal-clear-value",
        ),
        (
            "the seal of another region's customer (sealed to an extra person, not to the recovery key's holder's set)",
            Box::new(|| {
                let key_b = s.file(&b)["sealed_key"].as_str().unwrap().to_string();
                let key_a = s.file(&a)["sealed_key"].as_str().unwrap().to_string();
                s.repo.read(&customer_path(&a)).replace(&key_a, &key_b)
            }),
            "seal-recipients",
        ),
    ];
    for (what, tamper, rule) in cases {
        s.repo.git(&["reset", "-q", "--hard", &good]);
        s.repo.write(&customer_path(&a), tamper());
        s.repo.git(&["commit", "-qam", what]);
        let checked = s.repo.crm(&["check", "--identity", &recovery, "--format", "json"]);
        assert_eq!(checked.code, 1, "{what}: check must fail\n{checked}");
        let rules: Vec<String> =
            checked.json()["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().into()).collect();
        assert!(rules.iter().any(|r| r == rule), "{what}: expected {rule} from check, got {rules:?}");
        let verified = s.repo.crm(&["verify", "--identity", &recovery, "--format", "json"]);
        assert_eq!(verified.code, 1, "{what}: verify must fail\n{verified}");
        let rules: Vec<String> = verified.json()["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().into())
            .collect();
        assert!(rules.iter().any(|r| r == rule), "{what}: expected {rule} from verify, got {rules:?}");
    }
}

#[test]
fn a_customer_sealed_without_the_recovery_key_or_left_to_a_leaver_is_rejected() {
    let s = sealed_store!();
    let id = s.add("zhang.wei", "西安公交总公司", "华中", "张磊 <zhang.lei@example.cn>");
    // An admin changes the recovery key by hand, without re-sealing.
    let other = s.repo.ssh_key_at(&s.key("other-recovery")).unwrap();
    let config = s.repo.read("crm.toml");
    let old = std::fs::read_to_string(s.key("recovery.pub")).unwrap();
    s.repo.write("crm.toml", config.replace(old.trim(), &other));
    s.repo.git(&["commit", "-qam", "new recovery key, by hand"]);
    let checked = s.repo.crm(&["check"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(
        checked.stdout.contains("seal-recipients") && checked.stdout.contains("not sealed to @recovery"),
        "{checked}"
    );
    let verified = s.repo.crm(&["verify", "--format", "json"]);
    let rules: Vec<String> =
        verified.json()["violations"].as_array().unwrap().iter().map(|v| v["rule"].as_str().unwrap().into()).collect();
    assert!(
        rules.contains(&"seal-not-rotated".to_string()) && rules.contains(&"seal-recipients".to_string()),
        "{rules:?}"
    );
    // `crm seal` repairs it in one commit, with the admin's key.
    s.crm_as("liu.yang", &["seal"]).ok();
    s.repo.crm(&["check"]).ok();
    let json = s.crm_with_key("liu.yang", "other-recovery", &["show", &id, "--format", "json"]).ok().json();
    assert_eq!(json["contacts"][0]["email"], "zhang.lei@example.cn");
}

#[test]
fn sealing_an_existing_store_is_one_commit() {
    let repo = TestRepo::empty();
    let Some(admin) = repo.ssh_key_at(&repo.root().join("keys/liu.yang")) else { return };
    let recovery = repo.ssh_key_at(&repo.root().join("keys/recovery")).unwrap();
    repo.crm(&init_args(&["--key", &admin])).ok();
    let id = repo.add_customer("合肥公交集团", "liu.yang", &["--contact", "何伟 <he.wei@example.cn>"]);
    assert!(repo.read(&customer_path(&id)).contains("he.wei@example.cn"));
    let commits = repo.commit_count();
    let recovery_file = repo.root().join("keys/recovery.pub").display().to_string();
    let out = repo.crm(&["seal", "--recovery-key", &recovery_file]).ok();
    assert!(out.stdout.contains("Sealed the store and its 1 customers"), "{out}");
    assert_eq!(
        repo.git(&["ls-tree", "--name-only", "HEAD", "rings/"]).lines().count(),
        1,
        "one ring: one set of readers"
    );
    assert!(out.stderr.contains("History before this commit"), "{out}");
    assert_eq!(repo.commit_count(), commits + 1);
    assert!(!repo.read(&customer_path(&id)).contains("he.wei@example.cn"));
    assert!(repo.read("crm.toml").contains(&recovery));
    repo.crm(&["check"]).ok();
    // Sealing needs a recovery key: refused, nothing written.
    let repo2 = TestRepo::init();
    let before = repo2.state();
    let out = repo2.crm(&["seal"]);
    repo2.assert_refused(&out, 2, &["--recovery-key"], &before);
}

#[test]
fn keys_age_cannot_use_get_a_clear_message() {
    let s = sealed_store!();
    // init --sealed without an ssh-ed25519 admin key.
    let fresh = TestRepo::empty();
    let recovery = std::fs::read_to_string(s.key("recovery.pub")).unwrap();
    let out = fresh.crm(&init_args(&["--sealed", "--recovery-key", recovery.trim()]));
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("ssh-ed25519"), "{out}");
    assert!(!fresh.dir.join("crm.toml").exists());
    // An ECDSA private key cannot open sealed values.
    let ecdsa = s.key("ecdsa");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ecdsa", "-N", "", "-f"])
        .arg(&ecdsa)
        .output()
        .unwrap();
    assert!(made.status.success());
    let id = s.add("zhang.wei", "贵阳公交集团", "华中", "潘静 +86 851 5555 0704");
    let out = s.crm_with_key("zhang.wei", "ecdsa", &["show", &id]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("ecdsa") && out.stderr.contains("ssh-ed25519"), "{out}");
    // Staff with an ECDSA or an OpenPGP key only are told what they need.
    let ecdsa_pub = std::fs::read_to_string(format!("{}.pub", ecdsa.display())).unwrap();
    let fingerprint = "0123456789ABCDEF0123456789ABCDEF01234567";
    // A key with the tag of a colleague's key (here: the same key) could pass for theirs.
    let zhang = std::fs::read_to_string(s.key("zhang.wei.pub")).unwrap();
    let taken = (zhang.trim(), "as the key of chen.jie and zhang.wei does");
    let before = s.repo.state();
    for (key, needle) in
        [(ecdsa_pub.trim(), "ssh-ed25519"), (fingerprint, "OpenPGP key cannot receive sealed data"), taken]
    {
        let email = "chen.jie@example.com";
        let args = ["staff", "add", "chen.jie", "--name", "陈杰", "--email", email, "--role", "rep", "--key", key];
        let out = s.crm_as("liu.yang", &args);
        s.repo.assert_refused(&out, 2, &[needle], &before);
    }
    s.repo.git(&["config", "user.signingkey", fingerprint]);
    let mut cmd = s.repo.crm_cmd();
    cmd.args(["show", &id]);
    let out = s.repo.run(cmd);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("OpenPGP key, which cannot open sealed values"), "{out}");
}

#[test]
fn a_passphrase_key_off_a_terminal_is_a_clear_error() {
    let s = sealed_store!();
    let id = s.add("wang.fang", "海口公交集团", "华南", "符明 <fu.ming@example.cn>");
    let protected = s.key("wang.fang");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-p", "-N", "secret phrase", "-P", "", "-f"])
        .arg(&protected)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = s.crm_as("wang.fang", &["show", &id]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("protected by a passphrase") && out.stderr.contains("no terminal"), "{out}");
}

#[test]
fn export_names_what_it_could_not_open_and_require_all_fails() {
    let s = sealed_store!();
    s.add("wang.fang", "南宁公交集团", "华南", "韦强 +86 771 5555 0205");
    s.add("zhang.wei", "成都公交集团", "华中", "杨帆 <yang.fan@example.cn>");
    let out = s.crm_as("zhang.wei", &["export"]).ok();
    assert!(out.stdout.contains("yang.fan@example.cn") && !out.stdout.contains("5555 0205"), "{out}");
    assert!(out.stdout.contains("sealed"), "{out}");
    assert!(out.stderr.contains("1 of the customers selected are sealed to others"), "{out}");
    let out = s.crm_as("zhang.wei", &["export", "--require-all"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    let out = s.crm_with_key("liu.yang", "recovery", &["export", "--require-all"]).ok();
    assert!(out.stdout.contains("5555 0205") && out.stdout.contains("yang.fan@example.cn"), "{out}");
}

#[test]
fn find_searches_the_phones_the_user_may_read_only() {
    let s = sealed_store!();
    let id = s.add("zhang.wei", "长沙城市公交", "华中", "周平 +86 731 5555 0103");
    let out = s.crm_as("zhang.wei", &["find", "73155550103", "--format", "json"]).ok().json();
    assert_eq!(out[0]["id"], id.as_str());
    let out = s.crm_as("wang.fang", &["find", "73155550103"]);
    assert_eq!(out.code, 1, "another region's phone is not found\n{out}");
    // The catalog cache on disk holds no phone.
    let cache = std::fs::read_dir(s.repo.dir.join(".git/crm")).unwrap();
    for entry in cache {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains("5555 0103"));
    }
}

#[test]
fn sync_merges_a_touch_with_a_rotation_and_conflicts_when_it_cannot_open() {
    let s = sealed_store!();
    let id = s.add("zhang.wei", "苏州公交集团", "华中", "陆芳 <lu.fang@example.cn>");
    let bare = s.repo.share("shared.git");
    let url = bare.display().to_string();
    let rep = s.repo.clone_as(&url, "rep", "张伟", &staff_email("zhang.wei"));
    let key = |name: &str| s.key(name).display().to_string();
    let rep_env = [("CRM_USER", "zhang.wei"), ("CRM_IDENTITY", &*key("zhang.wei"))];
    s.repo
        .crm_env_in(&rep, &rep_env, &["touch", &id, "--kind", "visit", "--summary", "Brought the 2027 catalogue"])
        .ok();
    // Meanwhile the manager takes the customer over (a rotation) and pushes.
    s.crm_as("li.na", &["reassign", &id, "--to", "li.na", "--reason", "key account to the manager"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    // The rep's key opens the base and his own version, not the rotated one:
    // a clear conflict, nothing changed.
    let before = s.repo.git_ok(&rep, &["rev-parse", "HEAD"]);
    let out = s.repo.crm_env_in(&rep, &rep_env, &["sync"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains("sealed again for other readers"), "{out}");
    assert_eq!(s.repo.git_ok(&rep, &["rev-parse", "HEAD"]), before);
    // The admin, who opens every version, merges the same thing cleanly.
    let admin = s.repo.clone_as(&url, "admin", "刘洋", &staff_email("liu.yang"));
    s.repo.git_ok(&admin, &["reset", "-q", "--hard", "HEAD~1"]);
    let admin_env = [("CRM_USER", "liu.yang"), ("CRM_IDENTITY", &*key("liu.yang"))];
    s.repo
        .crm_env_in(&admin, &admin_env, &["touch", &id, "--kind", "call", "--summary", "Called about the catalogue"])
        .ok();
    s.repo.crm_env_in(&admin, &admin_env, &["sync"]).ok();
    let json = s.repo.crm_env_in(&admin, &admin_env, &["show", &id, "--format", "json"]).ok().json();
    assert_eq!(json["owner"], "li.na");
    assert_eq!(json["touches"][0]["summary"], "Called about the catalogue");
    s.repo.crm_in(&admin, &["check", "--identity", &key("recovery")]).ok();
    let verified = s.repo.crm_in(&admin, &["verify", "--identity", &key("recovery")]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "{verified}");
}

/// `s` with the pool's rules, chen.jie (rep, 华中) on the staff, and a
/// customer of zhang.wei's that li.na released to the pool; returns its id.
fn with_a_pooled_customer(s: &Sealed) -> String {
    let config = s.repo.read("crm.toml");
    s.repo.write("crm.toml", format!("{config}\n[pool]\nclaim_in_region = true\n"));
    s.repo.git(&["commit", "-qam", "the pool"]);
    let key = s.repo.ssh_key_at(&s.key("chen.jie")).unwrap();
    let email = staff_email("chen.jie");
    let args = ["staff", "add", "chen.jie", "--name", "陈杰", "--email", &email, "--role", "rep", "--region", "华中"];
    let mut args = args.to_vec();
    args.extend(["--key", &key]);
    s.crm_as("liu.yang", &args).ok();
    let id = s.add("zhang.wei", "洛阳公交集团", "华中", "马骏 <ma.jun@example.cn>");
    s.crm_as("li.na", &["pool", "release", &id, "--reason", "no follow-up since spring", "--yes"]).ok();
    id
}

#[test]
fn a_pooled_customer_is_sealed_to_who_may_claim_it_and_a_claim_reseals_it() {
    let s = sealed_store!();
    let id = with_a_pooled_customer(&s);
    let to = |s: &Sealed| -> Vec<String> {
        s.file(&id)["sealed_to"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(s.file(&id)["owner"].as_str(), Some("@pool"));
    assert_eq!(to(&s), ["chen.jie", "li.na", "zhang.wei", "liu.yang", "@recovery"], "the region's claimants read it");
    let open =
        |user: &str| s.crm_as(user, &["show", &id, "--format", "json"]).ok().json()["contacts"][0]["email"].clone();
    assert_eq!(open("chen.jie"), "ma.jun@example.cn");
    assert_eq!(open("wang.fang"), "sealed", "another region's rep may not claim it, so cannot read it");
    // chen.jie claims it: sealed again to their set, zhang.wei off, in the claim's commit.
    let before = s.sealed_values(&id);
    s.crm_as("chen.jie", &["claim", &id]).ok();
    assert_eq!(s.changed_records(), [customer_path(&id)]);
    assert_eq!(to(&s), ["chen.jie", "li.na", "liu.yang", "@recovery"]);
    assert!(s.sealed_values(&id).iter().zip(&before).all(|(a, b)| a != b), "rotated");
    assert_eq!(open("zhang.wei"), "sealed");
    assert_eq!(open("chen.jie"), "ma.jun@example.cn");
    s.repo.crm(&["check"]).ok();
    let verified = s.repo.crm(&["verify", "--identity", &s.key("recovery").display().to_string()]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "{verified}");
}

/// Two claims of one sealed pooled customer: each re-seals it for its
/// claimer, so the sealed values differ too; the sync says who claimed
/// first, as in an unsealed store.
#[test]
fn two_claims_of_a_sealed_pooled_customer_say_who_claimed_first() {
    let s = sealed_store!();
    let id = with_a_pooled_customer(&s);
    let bare = s.repo.share("shared.git");
    let rep = s.repo.clone_as(&bare.display().to_string(), "rep", "陈杰", &staff_email("chen.jie"));
    let key = s.key("chen.jie").display().to_string();
    let rep_env = [("CRM_USER", "chen.jie"), ("CRM_IDENTITY", key.as_str())];
    s.repo.crm_env_in(&rep, &rep_env, &["claim", &id]).ok();
    s.crm_as("li.na", &["claim", &id]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    let before = s.repo.git_ok(&rep, &["rev-parse", "HEAD"]);
    let out = s.repo.crm_env_in(&rep, &rep_env, &["sync"]);
    assert_eq!(out.code, 3, "{out}");
    let says = format!("{id}: you claimed it from the pool for chen.jie (here, by chen.jie");
    assert!(out.stderr.contains(&says) && out.stderr.contains("but li.na claimed it first"), "{out}");
    assert!(!out.stderr.contains("sealed_key"), "{out}");
    assert!(out.stderr.contains("hint: the customer is someone else's now"), "{out}");
    assert_eq!(s.repo.git_ok(&rep, &["rev-parse", "HEAD"]), before);
}

#[test]
fn a_merge_that_changes_who_may_read_must_reseal_what_it_leaves() {
    let s = sealed_store!();
    let id = s.add("zhang.wei", "长沙城市公交", "华中", "周平 +86 731 5555 0103");
    s.repo.git(&["checkout", "-q", "-b", "side"]);
    s.repo.write("docs/notes.md", "side work\n");
    s.repo.git(&["add", "docs/notes.md"]);
    s.repo.git(&["commit", "-qm", "side work"]);
    s.repo.git(&["checkout", "-q", "main"]);
    let base = s.repo.head();
    // The merge itself takes li.na (manager of 华中) off by hand, and
    // leaves her customer's seal as it was.
    s.repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    let staff = s.repo.read("staff/li.na.toml");
    s.repo.write("staff/li.na.toml", staff.replace("status = \"active\"", "status = \"departed\""));
    s.repo.git(&["commit", "-qam", "merge side"]);
    let out = s.repo.crm(&["verify", &format!("{base}..HEAD"), "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let found = out.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["rule"] == "seal-not-rotated" && v["path"].as_str() == Some(customer_path(&id).as_str()));
    assert!(found, "{out}");
}

#[test]
fn sync_seals_what_it_replays_for_the_readers_the_remote_has_now() {
    let s = sealed_store!();
    let bare = s.repo.share("shared.git");
    let rep = s.repo.clone_as(&bare.display().to_string(), "rep", "张伟", &staff_email("zhang.wei"));
    let key = s.key("zhang.wei").display().to_string();
    let rep_env = [("CRM_USER", "zhang.wei"), ("CRM_IDENTITY", key.as_str())];
    let args = [
        "add",
        "--name",
        "武汉公交集团",
        "--owner",
        "zhang.wei",
        "--region",
        "华中",
        "--contact",
        "刘明 +86 27 5555 0102",
        "--format",
        "json",
    ];
    let id = s.repo.crm_env_in(&rep, &rep_env, &args).ok().json()["customer"]["id"].as_str().unwrap().to_string();
    // Meanwhile the region's manager leaves, on the shared branch.
    s.crm_as("liu.yang", &["staff", "leave", "li.na", "--reason", "left", "-y"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    s.repo.crm_env_in(&rep, &rep_env, &["sync"]).ok();
    let file = s.repo.git_ok(&rep, &["show", &format!("HEAD:{}", customer_path(&id))]);
    assert!(!file.contains("\"li.na\""), "the replayed customer is still sealed to the manager who left\n{file}");
    s.repo.crm_in(&rep, &["check"]).ok();
    let verified = s.repo.crm_in(&rep, &["verify", "--identity", &s.key("recovery").display().to_string()]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "{verified}");
}

#[test]
fn bad_recovery_keys_and_identity_files_are_refused_with_nothing_written() {
    let s = sealed_store!();
    let before = s.repo.state();
    let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEXAMPLE= r@x";
    let out = s.crm_as("liu.yang", &["seal", "--recovery-key", ecdsa]);
    s.repo.assert_refused(&out, 2, &["invalid recovery key", "ssh-ed25519"], &before);
    let out = s.crm_as("liu.yang", &["seal", "--recovery-key", "no-such-file.pub"]);
    s.repo.assert_refused(&out, 2, &["cannot read the public key"], &before);
    let out = s.repo.crm(&["check", "--identity", "no-such-key"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("cannot read the private key"), "{out}");
}

#[test]
fn rings_never_change_and_name_who_made_them() {
    let s = sealed_store!();
    let id = s.add("zhang.wei", "洛阳公交集团", "华中", "孙强 <sun.qiang@example.cn>");
    let ring = format!("rings/{}.age", ring_of(&s, &id));
    let content = s.repo.read(&ring);
    let zhang = content.lines().next().unwrap().to_string();
    assert!(zhang.starts_with("made-by "), "{content}");
    let good = s.repo.head();
    // The ring again, saying another maker: a new file.
    let copy = |maker: &str, who: &str| {
        let text = content.replacen(&zhang, maker, 1);
        let name = format!("rings/{}.age", sha256_prefix(&text));
        s.repo.write(&name, text);
        s.repo.git(&["add", &name]);
        s.repo.git(&["-c", &format!("user.email={}", staff_email(who)), "commit", "-qm", "a ring"]);
    };
    copy("made-by -", "wang.fang");
    let verified = s.repo.crm(&["verify"]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "a ring that names no maker is nobody's to reuse: {verified}");
    type Tamper<'a> = Box<dyn Fn() + 'a>;
    let cases: Vec<(&str, Tamper, &str, Option<&str>)> = vec![
        (
            "a ring that says another person made it",
            Box::new(|| copy(&format!("{zhang} "), "wang.fang")),
            "seal-ring-stranger",
            // Only history tells who committed it.
            None,
        ),
        (
            "a ring file changed",
            Box::new(|| {
                s.repo.write(&ring, format!("{content}\n"));
                s.repo.git(&["commit", "-qam", "ring changed"]);
            }),
            "seal-ring-changed",
            Some("seal-malformed"),
        ),
        (
            "a ring file removed",
            Box::new(|| {
                s.repo.git(&["rm", "-q", &ring]);
                s.repo.git(&["commit", "-qm", "ring removed"]);
            }),
            "seal-ring-changed",
            Some("seal-malformed"),
        ),
    ];
    for (what, tamper, rule, check_rule) in cases {
        s.repo.git(&["reset", "-q", "--hard", &good]);
        tamper();
        let verified = s.repo.crm(&["verify", "--format", "json"]);
        assert_eq!(verified.code, 1, "{what}: verify must fail\n{verified}");
        let rules = verified.json()["violations"].to_string();
        assert!(rules.contains(rule), "{what}: expected {rule}, got {rules}");
        let checked = s.repo.crm(&["check", "--format", "json"]);
        match check_rule {
            Some(r) => {
                assert_eq!(checked.code, 1, "{what}: check must fail\n{checked}");
                assert!(checked.json()["findings"].to_string().contains(r), "{what}: {checked}");
            }
            None => assert_eq!(checked.code, 0, "{what}: a valid ring is no error for check\n{checked}"),
        }
    }
}

#[test]
fn a_ring_made_by_someone_handing_a_customer_away_is_never_reused() {
    let s = sealed_store!();
    let a = s.add("zhang.wei", "开封公交集团", "华中", "钱进 <qian.jin@example.cn>");
    // zhang.wei hands his own customer to his manager: a ring for readers he is not among.
    s.crm_as("zhang.wei", &["reassign", &a, "--to", "li.na", "--reason", "zhang.wei moves on"]).ok();
    let verified = s.repo.crm(&["verify"]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "an honest hand-over: {verified}");
    // li.na's next customer has the same readers, but not zhang.wei's ring.
    let b = s.add("li.na", "许昌公交集团", "华中", "孙磊 <sun.lei@example.cn>");
    assert_eq!(s.file(&a)["sealed_to"], s.file(&b)["sealed_to"]);
    assert_ne!(ring_of(&s, &a), ring_of(&s, &b), "a ring its maker does not read is not reused");
    let json = s.crm_as("zhang.wei", &["show", &b, "--format", "json"]).ok().json();
    assert_eq!(json["contacts"][0]["email"], "sealed");
    s.repo.crm(&["verify"]).ok();
}

/// The ring a customer's data key is sealed under.
fn ring_of(s: &Sealed, id: &str) -> String {
    s.file(id)["sealed_key"].as_str().unwrap().split(':').nth(1).unwrap().to_string()
}

/// The ring id of a ring file's text: the first 16 bytes of its SHA-256.
fn sha256_prefix(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_rotation_seals_the_value_itself_whatever_else_repeats_its_ciphertext() {
    let s = sealed_store!();
    let phone = |id: &str| s.file(id)["contacts"][0]["phone"].as_str().unwrap().to_string();
    let a = s.add("zhang.wei", "南阳公交集团", "华中", "周涛 +86 377 5555 0901");
    let b = s.add("zhang.wei", "信阳公交集团", "华中", "吴敏 +86 376 5555 0902");
    // Before leaving, zhang.wei writes a's value as a literal string and
    // keeps its ciphertext, quoted, in a comment; and b's as a literal
    // string: the same values, which the text editor must not take for the
    // ones to seal again.
    let text = s.repo.read(&customer_path(&a));
    let literal = text.replace(&format!("\"{}\"", phone(&a)), &format!("'{}'", phone(&a)));
    s.repo.write(&customer_path(&a), format!("{literal}# was: \"{}\"\n", phone(&a)));
    let text = s.repo.read(&customer_path(&b));
    s.repo.write(&customer_path(&b), text.replace(&format!("\"{}\"", phone(&b)), &format!("'{}'", phone(&b))));
    s.repo.git(&["-c", &format!("user.email={}", staff_email("zhang.wei")), "commit", "-qam", "notes to self"]);
    let kept = (phone(&a), phone(&b));
    s.crm_as("liu.yang", &["staff", "leave", "zhang.wei", "--to", "li.na", "--reason", "left", "-y"]).ok();
    assert_ne!((phone(&a), phone(&b)), kept, "both values sealed again");
    for (id, number) in [(&a, "+86 377 5555 0901"), (&b, "+86 376 5555 0902")] {
        let json = s.crm_with_key("liu.yang", "zhang.wei", &["show", id, "--format", "json"]).ok().json();
        assert_eq!(json["contacts"][0]["phone"], "sealed", "{id}: the leaver's key opens nothing new");
        let json = s.crm_as("li.na", &["show", id, "--format", "json"]).ok().json();
        assert_eq!(json["contacts"][0]["phone"], number);
    }
    let verified = s.repo.crm(&["verify", "--identity", &s.key("recovery").display().to_string()]).ok();
    assert!(verified.stdout.contains("0 violation(s)"), "{verified}");
}

#[test]
fn a_ring_found_by_what_crm_remembers_is_used_only_when_its_file_agrees() {
    let s = sealed_store!();
    // A ring zhang.wei opens, for other readers (华南 has no manager).
    s.add("zhang.wei", "广州公交集团", "华南", "赵刚 <zhao.gang@example.cn>");
    let memory = s.repo.path(".git/crm/rings");
    std::fs::remove_file(&memory).expect("a write remembers the ring it makes");
    let a = s.add("zhang.wei", "开封公交集团", "华中", "钱进 <qian.jin@example.cn>");
    let text = std::fs::read_to_string(&memory).expect("a write remembers what the rings say");
    let rings = std::fs::read_dir(s.repo.path("rings")).unwrap().count();
    assert_eq!(text.lines().count(), rings, "the rings read and the ring made:\n{text}");
    let ring = ring_of(&s, &a);
    let readers = text.lines().find_map(|l| l.strip_prefix(&format!("{ring}\t"))).expect("a's ring remembered");
    // The memory lies: every other ring claims a's readers, and a's ring
    // claims others.
    let lies: Vec<String> = text
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(|id| match id == ring {
            true => format!("{id}\t-\tAAAAAA\n"),
            false => format!("{id}\t{readers}\n"),
        })
        .collect();
    assert!(lies.len() > 1, "rings to lie about: {text}");
    std::fs::write(&memory, lies.concat()).unwrap();
    let b = s.add("zhang.wei", "许昌公交集团", "华中", "孙磊 <sun.lei@example.cn>");
    assert_eq!(s.file(&a)["sealed_to"], s.file(&b)["sealed_to"]);
    let others: Vec<&str> = text.lines().filter_map(|l| l.split('\t').next()).filter(|id| *id != ring).collect();
    assert!(!others.contains(&ring_of(&s, &b).as_str()), "a ring whose file names other readers is not used");
    let checked = s.repo.crm(&["check"]).ok();
    assert!(!checked.stdout.contains("seal-"), "{checked}");
}
