//! `crm verify` against a hostile insider: merges that bring back old
//! files, merges that step back to an old state, odd trees, forged touch
//! authors, policy changes hidden in merges, non-store files that change how
//! git or CI reads the repository, managers outside their region. Every
//! attack is made with plain git plumbing and real SSH signatures on the
//! signed store of [`Signed`]; each has its honest twin, accepted.

use crate::common::{customer_path, init_args, TestRepo};
use crate::verify::Signed;

macro_rules! signed_store {
    () => {
        match Signed::new() {
            Some(s) => s,
            None => return,
        }
    };
}

/// `git commit-tree TREE -p PARENT…`, signed with the current identity's
/// key or not; returns the commit.
fn commit_tree(s: &Signed, tree: &str, parents: &[&str], message: &str, sign: bool) -> String {
    let mut args = vec!["commit-tree", tree, "-m", message];
    for p in parents {
        args.extend(["-p", p]);
    }
    args.push(if sign { "-S" } else { "--no-gpg-sign" });
    s.repo.git(&args).trim().to_string()
}

/// Points main at `commit` and checks it out.
fn move_main(s: &Signed, commit: &str) {
    s.repo.git(&["update-ref", "refs/heads/main", commit]);
    s.repo.git(&["reset", "-q", "--hard"]);
}

/// A signed merge of `parents` whose tree is the work tree as it is now.
fn merge_work_tree(s: &Signed, parents: &[&str], sign: bool) -> String {
    s.repo.git(&["add", "-A"]);
    let tree = s.repo.git(&["write-tree"]).trim().to_string();
    let merge = commit_tree(s, &tree, parents, "Merge", sign);
    move_main(s, &merge);
    merge
}

/// The tree of `rev`.
fn tree_of(s: &Signed, rev: &str) -> String {
    s.repo.git(&["rev-parse", &format!("{rev}^{{tree}}")]).trim().to_string()
}

/// The owner line of customer `id` in the work tree.
fn owner(s: &Signed, id: &str) -> String {
    s.repo.read_toml(&customer_path(id))["owner"].as_str().unwrap().to_string()
}

/// li.na (manager) reassigns yutong from zhang.wei to wang.fang; returns
/// the commit.
fn manager_reassigns_yutong(s: &Signed) -> String {
    s.act_as("li.na");
    s.set_owner("yutong", "zhang.wei", "wang.fang");
    s.commit("reassign yutong: zhang.wei -> wang.fang")
}

#[test]
fn a_merge_of_an_ancestor_that_takes_its_old_file_back_is_the_signers_own_change() {
    let s = signed_store!();
    let reassigned = manager_reassigns_yutong(&s);
    // zhang.wei merges the base (an ancestor of main) and keeps its yutong.
    s.act_as("zhang.wei");
    s.repo.git(&["checkout", "-q", &s.base, "--", &customer_path("yutong")]);
    let merge = merge_work_tree(&s, &[&reassigned, &s.base], true);
    assert_eq!(owner(&s, "yutong"), "zhang.wei", "the attack took the customer back");
    for args in [vec![], vec![format!("{reassigned}..HEAD")]] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let verdict = s.verify(&args);
        let v = verdict.rejects("reassign-unauthorized");
        assert_eq!((v.commit.as_str(), v.actor.as_str()), (merge.as_str(), "zhang.wei"), "{}", verdict.out);
        assert_eq!(v.path.as_deref(), Some(customer_path("yutong").as_str()));
    }

    // The same merge keeping main's files changes nothing: accepted.
    s.reset();
    let reassigned = manager_reassigns_yutong(&s);
    s.act_as("zhang.wei");
    merge_work_tree(&s, &[&reassigned, &s.base], true);
    s.verify(&[]).passes();
}

#[test]
fn a_merge_of_the_root_commit_that_takes_its_tree_wipes_nothing_quietly() {
    let s = signed_store!();
    let root = s.repo.git(&["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    s.act_as("zhang.wei");
    let merge = commit_tree(&s, &tree_of(&s, &root), &[&s.base, &root], "Merge", true);
    move_main(&s, &merge);
    assert!(!s.repo.path(&customer_path("kinglong")).exists(), "the store was wiped");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("remove-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (merge.as_str(), "zhang.wei"));
    verdict.rejects("settings-unauthorized");
    s.verify(&[&format!("{}..HEAD", s.base)]).rejects("remove-unauthorized");
}

#[test]
fn a_merge_that_takes_a_side_branchs_untouched_file_reverts_a_managers_reassign() {
    let s = signed_store!();
    // A side branch from the base where zhang.wei adds a customer of his
    // own; it never touches yutong.
    let side_branch = |s: &Signed| {
        s.repo.git(&["checkout", "-q", "-b", "side"]);
        s.act_as("zhang.wei");
        s.repo.crm(&["add", "-q", "--id", "golden-dragon", "--name", "金旅客车", "--owner", "zhang.wei"]).ok();
        let side = s.repo.head();
        s.repo.git(&["checkout", "-q", "main"]);
        side
    };
    let side = side_branch(&s);
    let reassigned = manager_reassigns_yutong(&s);
    // The merge brings golden-dragon and takes the side's (old) yutong.
    s.act_as("zhang.wei");
    s.repo.git(&["checkout", "-q", &side, "--", "customers"]);
    let merge = merge_work_tree(&s, &[&reassigned, &side], true);
    assert_eq!(owner(&s, "yutong"), "zhang.wei");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (merge.as_str(), "zhang.wei"), "{}", verdict.out);
    assert_eq!(v.path.as_deref(), Some(customer_path("yutong").as_str()));
    assert_eq!(verdict.violations.len(), 1, "golden-dragon is brought in honestly\n{}", verdict.out);

    // Honest: git's own merge keeps the manager's owner.
    s.reset();
    s.repo.git(&["branch", "-q", "-D", "side"]);
    let side = side_branch(&s);
    manager_reassigns_yutong(&s);
    s.act_as("zhang.wei");
    s.repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'side'", &side]);
    assert_eq!(owner(&s, "yutong"), "wang.fang");
    s.verify(&[]).passes();
}

#[test]
fn a_merge_that_brings_back_an_old_policy_or_a_departed_persons_staff_file_is_rejected() {
    let s = signed_store!();
    s.act_as("liu.yang");
    s.edit("crm.toml", |t| t.replace("handover_days = 14", "handover_days = 7"));
    s.mark_departed("wang.fang");
    let tightened = s.commit("policy and a departure");
    // li.na (a manager) merges the base and takes its crm.toml and staff.
    s.act_as("li.na");
    s.repo.git(&["checkout", "-q", &s.base, "--", "crm.toml", "staff/wang.fang.toml"]);
    let merge = merge_work_tree(&s, &[&tightened, &s.base], true);
    let verdict = s.verify(&[]);
    let paths: Vec<_> = verdict
        .violations
        .iter()
        .filter(|v| v.rule == "settings-unauthorized" && v.commit == merge)
        .map(|v| v.path.clone().unwrap_or_default())
        .collect();
    assert_eq!(paths, ["crm.toml", "staff/wang.fang.toml"], "{}", verdict.out);
}

#[test]
fn a_rollback_merge_with_the_old_commit_first_is_judged_against_main() {
    let s = signed_store!();
    let reassigned = manager_reassigns_yutong(&s);
    // Unsigned: old commit first, main second, the old tree.
    let rollback = commit_tree(&s, &tree_of(&s, &s.base), &[&s.base, &reassigned], "Merge", false);
    move_main(&s, &rollback);
    let verdict = s.verify(&[]);
    let v = verdict.rejects("unsigned");
    assert_eq!(v.commit, rollback);
    s.verify(&[&format!("{reassigned}..HEAD")]).rejects("unsigned");

    // Signed by the rep who gets the customer back: his own reassign.
    s.act_as("zhang.wei");
    let rollback = commit_tree(&s, &tree_of(&s, &s.base), &[&s.base, &reassigned], "Merge", true);
    move_main(&s, &rollback);
    let verdict = s.verify(&[&format!("{reassigned}..HEAD")]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (rollback.as_str(), "zhang.wei"));

    // A merge of the same two that keeps main's tree is fine, in any order.
    let keep = commit_tree(&s, &tree_of(&s, &reassigned), &[&s.base, &reassigned], "Merge", true);
    move_main(&s, &keep);
    s.verify(&[&format!("{reassigned}..HEAD")]).passes();
}

#[test]
fn a_departed_rep_merging_main_into_her_old_branch_is_not_active_again() {
    let s = signed_store!();
    s.repo.git(&["checkout", "-q", "-b", "mine"]);
    s.act_as("wang.fang");
    s.append_touch("kinglong", "wang.fang", "Before I leave");
    let mine = s.commit("touch kinglong");
    s.repo.git(&["checkout", "-q", "main"]);
    s.act_as("liu.yang");
    s.mark_departed("wang.fang");
    s.commit("wang.fang left");
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    let main = s.commit("hand kinglong to zhang.wei");
    // She merges main into her branch, keeps her tree, signs with her key.
    s.act_as("wang.fang");
    let merge = commit_tree(&s, &tree_of(&s, &mine), &[&mine, &main], "Merge branch 'main'", true);
    move_main(&s, &merge);
    assert_eq!(owner(&s, "kinglong"), "wang.fang");
    for args in [vec![], vec![format!("{main}..HEAD")]] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let verdict = s.verify(&args);
        let v = verdict.rejects("signer-departed");
        assert_eq!((v.commit.as_str(), v.actor.as_str()), (merge.as_str(), "wang.fang"), "{}", verdict.out);
    }
}

#[test]
fn a_rep_forging_a_touch_in_a_colleagues_name_is_rejected() {
    let s = signed_store!();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "li.na", "Manager acknowledged the handover");
    let bad = s.commit("touch yutong");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("touch-forged");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "zhang.wei"));
    assert_eq!(verdict.rules(), ["touch-forged"], "{}", verdict.out);

    // In his own name: accepted; an admin may log for others.
    s.reset();
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Called");
    s.commit("touch yutong");
    s.act_as("liu.yang");
    s.append_touch("yutong", "li.na", "Logged for li.na from her notes");
    s.commit("touch yutong for li.na");
    s.verify(&[]).passes();
}

#[test]
fn handing_a_customer_to_nobody_or_to_a_departed_person_is_rejected() {
    let s = signed_store!();
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "ghost");
    let bad = s.commit("reassign kinglong to ghost");
    let v = s.verify(&[]).rejects("unknown-person").clone();
    assert_eq!(v.commit, bad);

    s.reset();
    s.act_as("liu.yang");
    s.mark_departed("zhang.wei");
    s.commit("zhang.wei left");
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    let bad = s.commit("reassign kinglong to zhang.wei");
    let verdict = s.verify(&[]);
    assert_eq!(verdict.rejects("assign-to-departed").commit, bad);

    s.reset();
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    s.commit("reassign kinglong to zhang.wei");
    s.verify(&[]).passes();
}

#[test]
fn files_outside_the_store_are_judged_too() {
    let s = signed_store!();
    // An unsigned commit that only touches the README.
    s.repo.write("README.md", "customers of Example Coach Co.\n");
    let unsigned = s.commit_unsigned("docs");
    assert_eq!(s.verify(&[]).rejects("unsigned").commit, unsigned);

    // A rep's signed .gitattributes that makes CI read other bytes.
    s.reset();
    s.act_as("zhang.wei");
    s.repo.write(".gitattributes", "*.toml filter=rewrite-owners\n");
    let bad = s.commit("attributes");
    let v = s.verify(&[]).rejects("protected-path").clone();
    assert_eq!((v.commit.as_str(), v.path.as_deref()), (bad.as_str(), Some(".gitattributes")));
    s.reset();
    s.act_as("zhang.wei");
    s.repo.write(".github/workflows/crm.yml", "on: push\n");
    s.commit("ci");
    assert_eq!(s.verify(&[]).rejects("protected-path").path.as_deref(), Some(".github/workflows/crm.yml"));

    // The admin may; anyone may sign a README change.
    s.reset();
    s.act_as("zhang.wei");
    s.repo.write("README.md", "customers of Example Coach Co.\n");
    s.commit("docs");
    s.act_as("liu.yang");
    s.repo.write(".gitattributes", "*.toml text eol=lf\n");
    s.commit("attributes");
    s.verify(&[]).passes();
}

#[test]
fn a_manager_acts_only_within_their_region() {
    let s = signed_store!();
    s.act_as("liu.yang");
    s.edit("staff/li.na.toml", |t| t.replace("role = \"manager\"", "role = \"manager\"\nregion = \"华中\""));
    s.edit_customer("kinglong", |t| t.replace("owner = \"wang.fang\"", "owner = \"wang.fang\"\nregion = \"华南\""));
    s.edit_customer("yutong", |t| t.replace("owner = \"zhang.wei\"", "owner = \"zhang.wei\"\nregion = \"华中\""));
    s.commit("regions");
    let regions = s.repo.head();
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "li.na");
    let bad = s.commit("take kinglong");
    let verdict = s.verify(&[]);
    let v = verdict.rejects("out-of-region");
    assert_eq!((v.commit.as_str(), v.actor.as_str()), (bad.as_str(), "li.na"));
    // crm itself refuses the same, with exit 2 and nothing written.
    s.repo.git(&["reset", "-q", "--hard", &regions]);
    let out = s.repo.crm(&["reassign", "kinglong", "--to", "zhang.wei", "--reason", "x"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("region 华南"), "{out}");
    assert_eq!(s.repo.head(), regions);

    // Her own region: fine; with manager_scope = "company": fine.
    s.set_owner("yutong", "zhang.wei", "li.na");
    s.commit("take yutong");
    s.verify(&[]).passes();
    s.act_as("liu.yang");
    s.edit("crm.toml", |t| t.replace("manager_scope = \"region\"", "manager_scope = \"company\""));
    s.commit("company-wide managers");
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    s.commit("reassign kinglong");
    s.verify(&[&format!("{regions}..HEAD")]).passes();
}

/// One entry of a git tree, as `git ls-tree` shows it.
#[derive(Clone)]
struct Entry {
    mode: String,
    name: Vec<u8>,
    oid: String,
}

/// The entries of tree `tree`, in stored order.
fn entries(s: &Signed, tree: &str) -> Vec<Entry> {
    let out = s.repo.git_out(&["ls-tree", "-z", tree]);
    assert_eq!(out.code, 0, "{out}");
    out.stdout
        .split('\0')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (meta, name) = l.split_once('\t').unwrap();
            let mut meta = meta.split(' ');
            let mode = meta.next().unwrap().to_string();
            let oid = meta.nth(1).unwrap().to_string();
            Entry { mode, name: name.as_bytes().to_vec(), oid }
        })
        .collect()
}

/// Writes `entries` as a tree object exactly as given (no sorting, no
/// checks: what a hostile client can push).
fn raw_tree(s: &Signed, entries: &[Entry]) -> String {
    let mut bytes = Vec::new();
    for e in entries {
        bytes.extend(e.mode.trim_start_matches('0').as_bytes());
        bytes.push(b' ');
        bytes.extend(&e.name);
        bytes.push(0);
        bytes.extend((0..20).map(|i| u8::from_str_radix(&e.oid[2 * i..2 * i + 2], 16).unwrap()));
    }
    s.git_stdin(&["hash-object", "-t", "tree", "-w", "--literally", "--stdin"], &bytes).trim().to_string()
}

/// `tree` with the entries of directory `dir` (created if missing) passed
/// through `edit`.
fn edit_dir(s: &Signed, tree: &str, dir: &[&[u8]], edit: &dyn Fn(&mut Vec<Entry>)) -> String {
    let mut list = entries(s, tree);
    match dir.split_first() {
        None => edit(&mut list),
        Some((first, rest)) => match list.iter().position(|e| e.name == *first) {
            Some(i) => list[i].oid = edit_dir(s, &list[i].oid, rest, edit),
            None => {
                let empty = raw_tree(s, &[]);
                let oid = edit_dir(s, &empty, rest, edit);
                list.push(Entry { mode: "40000".into(), name: first.to_vec(), oid });
                list.sort_by_key(|e| {
                    let mut k = e.name.clone();
                    if e.mode == "40000" {
                        k.push(b'/');
                    }
                    k
                });
            }
        },
    }
    raw_tree(s, &list)
}

/// The blob of `path` at `rev`.
fn blob(s: &Signed, rev: &str, path: &str) -> String {
    s.repo.git(&["rev-parse", &format!("{rev}:{path}")]).trim().to_string()
}

/// A commit on main whose tree is `tree`, signed by the current identity;
/// main moves to it without touching the work tree.
fn commit_on_main(s: &Signed, tree: &str) -> String {
    let head = s.repo.head();
    let commit = commit_tree(s, tree, &[&head], "crafted", true);
    s.repo.git(&["update-ref", "refs/heads/main", &commit]);
    commit
}

#[test]
fn a_duplicate_tree_entry_cannot_steal_a_colleagues_customer() {
    let s = signed_store!();
    let path = customer_path("kinglong");
    let (shard, file) = path.rsplit_once('/').unwrap();
    let shard = shard.rsplit('/').next().unwrap();
    // A copy of kinglong owned by zhang.wei, as a second entry of the name.
    let copy = s.repo.read(&path).replace("owner = \"wang.fang\"", "owner = \"zhang.wei\"");
    let copy = s.git_stdin(&["hash-object", "-w", "--stdin"], copy.as_bytes()).trim().to_string();
    s.act_as("zhang.wei");
    let file_name = file.as_bytes().to_vec();
    let tree = edit_dir(&s, &tree_of(&s, "HEAD"), &[b"customers", shard.as_bytes()], &|list| {
        let i = list.iter().position(|e| e.name == file_name).unwrap();
        let dup = Entry { oid: copy.clone(), ..list[i].clone() };
        list.insert(i + 1, dup);
    });
    let bad = commit_on_main(&s, &tree);
    let verdict = s.verify(&[]);
    let v = verdict.rejects("malformed-tree");
    assert_eq!((v.commit.as_str(), v.path.as_deref()), (bad.as_str(), Some(path.as_str())), "{}", verdict.out);

    // The checkout CI makes shows one file; check still sees the tree.
    let out = s.repo.git_out(&["reset", "-q", "--hard"]);
    assert_eq!(out.code, 0, "git checks the tree out\n{out}");
    let out = s.repo.crm(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let findings = out.json()["findings"].as_array().unwrap().clone();
    assert!(findings.iter().any(|f| f["rule"] == "malformed-tree" && f["path"] == path.as_str()), "{out}");
    // Readers name the entry instead of picking a copy: `show` refuses,
    // lists leave both copies out and say so.
    let out = s.repo.crm(&["show", "kinglong"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains(&path), "{out}");
    let place = format!("{path}: the committed tree");
    for args in [&["list"][..], &["export", "--format", "json"], &["report", "portfolio"]] {
        let out = s.repo.crm_left_out(args, &[&place]);
        assert!(out.stdout.contains("yutong") || out.stdout.contains("zhang.wei"), "{args:?}\n{out}");
        assert!(!out.stdout.contains("kinglong"), "neither copy is shown: {args:?}\n{out}");
    }
    // Commands that read the catalog cache build it again around the bad
    // entry (a fresh clone has no cache): they show what they can.
    std::fs::remove_file(s.repo.path(".git/crm/catalog")).unwrap();
    let out = s.repo.crm(&["find", "yutong", "--format", "json"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.json()[0]["id"], "yutong", "{out}");
    s.repo.crm_left_out(&["agenda", "--for", "zhang.wei", "--format", "json"], &[&place]);
}

/// What is crafted, in which directory, the entry added, the rule and path
/// expected.
type ShapeCase<'a> = (&'a str, Vec<Vec<u8>>, Entry, &'a str, String);

#[test]
fn tree_shapes_no_reader_expects_are_rejected_whoever_signs() {
    let s = signed_store!();
    let kinglong = customer_path("kinglong");
    let k_blob = blob(&s, "HEAD", &kinglong);
    let gitlink = s.repo.head();
    let entry = |mode: &str, name: &[u8], oid: &str| Entry { mode: mode.into(), name: name.to_vec(), oid: oid.into() };
    let shard_of = |id: &str| customer_path(id).split('/').nth(1).unwrap().to_string();
    // (what, directory, entry to add, rule, path reported)
    let other_shard = if shard_of("kinglong") == "00" { "01" } else { "00" };
    let big = s.git_stdin(
        &["hash-object", "-w", "--stdin"],
        format!("name = \"Big\"\nowner = \"liu.yang\"\nnotes = \"{}\"\n", "x".repeat(1 << 20)).as_bytes(),
    );
    let big = big.trim();
    let d = |parts: &[&str]| -> Vec<Vec<u8>> { parts.iter().map(|p| p.as_bytes().to_vec()).collect() };
    let cases: Vec<ShapeCase> = vec![
        ("a `..` entry", d(&["customers"]), entry("100644", b"..", &k_blob), "malformed-tree", "customers/..".into()),
        ("a root `.git`", d(&[]), entry("40000", b".git", &tree_of(&s, "HEAD")), "malformed-tree", ".git".into()),
        (
            "a submodule among customers",
            d(&["customers", &shard_of("ghost")]),
            entry("160000", b"ghost.toml", &gitlink),
            "not-a-file",
            customer_path("ghost"),
        ),
        (
            "a directory named like a record",
            d(&["customers", &shard_of("dir")]),
            entry("40000", b"dir.toml", &tree_of(&s, "HEAD")),
            "not-a-file",
            customer_path("dir"),
        ),
        (
            "a copy in the wrong shard",
            d(&["customers", other_shard]),
            entry("100644", b"kinglong.toml", &k_blob),
            "wrong-shard",
            format!("customers/{other_shard}/kinglong.toml"),
        ),
        (
            "a shard whose name is not UTF-8",
            d(&["customers"]),
            entry(
                "40000",
                b"\xff\xfe",
                &edit_dir(&s, &raw_tree(&s, &[]), &[], &|l| {
                    l.push(Entry { mode: "100644".into(), name: b"kinglong.toml".to_vec(), oid: k_blob.clone() })
                }),
            ),
            "malformed-tree",
            "customers/\u{fffd}\u{fffd}".into(),
        ),
        (
            "a file nested too deep",
            d(&["customers", &shard_of("kinglong"), "deeper"]),
            entry("100644", b"kinglong.toml", &k_blob),
            "misplaced-file",
            format!("customers/{}/deeper/kinglong.toml", shard_of("kinglong")),
        ),
        (
            "a record over 1 MiB",
            d(&["customers", &shard_of("big")]),
            entry("100644", b"big.toml", big),
            "file-too-large",
            customer_path("big"),
        ),
    ];
    s.act_as("liu.yang");
    for (what, dir, new, rule, path) in cases {
        s.repo.git(&["update-ref", "refs/heads/main", &s.base]);
        let dir: Vec<&[u8]> = dir.iter().map(Vec::as_slice).collect();
        let tree = edit_dir(&s, &tree_of(&s, "HEAD"), &dir, &|list| {
            list.push(new.clone());
            list.sort_by_key(|e| {
                let mut k = e.name.clone();
                if e.mode == "40000" {
                    k.push(b'/');
                }
                k
            });
        });
        let bad = commit_on_main(&s, &tree);
        let verdict = s.verify(&[]);
        assert_eq!(verdict.out.code, 1, "{what}: accepted\n{}", verdict.out);
        let found = verdict.violations.iter().find(|v| v.rule == rule && v.commit == bad);
        let v = found.unwrap_or_else(|| panic!("{what}: no {rule}\n{}", verdict.out));
        assert_eq!(v.path.as_deref(), Some(path.as_str()), "{what}\n{}", verdict.out);
        assert_eq!(v.actor, "liu.yang", "even the admin may not: {what}");
    }
}

/// The fingerprints (primary first, then subkeys) of `uid`'s secret keys.
fn gpg_fingerprints(repo: &TestRepo, uid: &str) -> Vec<String> {
    let listing = repo.gpg(&["--batch", "--with-colons", "--list-secret-keys", uid]).expect("gpg");
    listing
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("fpr:"))
        .filter_map(|rest| rest.split(':').find(|f| f.len() == 40).map(str::to_string))
        .collect()
}

#[test]
fn openpgp_subkey_signatures_count_for_the_primary_key_and_revoked_keys_do_not() {
    let repo = TestRepo::empty();
    let uid = "Liu Yang <liu.yang@example.com>";
    let Some(out) = repo.gpg(&["--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "cert", "never"])
    else {
        eprintln!("skipped: gpg not found");
        return;
    };
    assert_eq!(out.code, 0, "{out}");
    let primary = gpg_fingerprints(&repo, uid)[0].clone();
    let out = repo.gpg(&["--batch", "--passphrase", "", "--quick-add-key", &primary, "ed25519", "sign", "never"]);
    assert_eq!(out.unwrap().code, 0);
    let subkey = gpg_fingerprints(&repo, uid)[1].clone();
    repo.git(&["init", "-q"]);
    // The usual setup: the staff file lists the primary key, gpg signs
    // with the signing subkey.
    repo.git(&["config", "user.signingkey", &format!("{subkey}!")]);
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.crm(&init_args(&["--key", &primary, "--require-signed"])).ok();
    repo.crm(&["add", "-q", "--name", "Acme", "--owner", "liu.yang"]).ok();
    let signed = repo.head();
    assert_eq!(repo.git_out(&["verify-commit", &signed]).code, 0, "git agrees the signature is good");
    let out = repo.crm(&["verify", "--format", "json"]);
    assert_eq!(out.code, 0, "a subkey signature is the primary key's owner's\n{out}");

    // Revoke the key (gpg wrote a revocation certificate at creation).
    let rev = repo.gnupg_home().join(format!("openpgp-revocs.d/{primary}.rev"));
    let cert = std::fs::read_to_string(&rev).expect("gpg's revocation certificate");
    let cert = cert.replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----");
    let cert_file = repo.root().join("revoke.asc");
    std::fs::write(&cert_file, cert).unwrap();
    let out = repo.gpg(&["--batch", "--import", &cert_file.display().to_string()]).unwrap();
    assert_eq!(out.code, 0, "{out}");
    assert_ne!(repo.git_out(&["verify-commit", &signed]).code, 0, "git no longer trusts the revoked key");
    let out = repo.crm(&["verify", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let violations = out.json()["violations"].as_array().unwrap().clone();
    assert!(violations.iter().any(|v| v["rule"] == "revoked-key" && v["commit"] == signed.as_str()), "{out}");
}

#[test]
fn an_octopus_merge_is_judged_like_any_merge() {
    let s = signed_store!();
    // A side branch where zhang.wei adds a customer of his own.
    s.repo.git(&["checkout", "-q", "-b", "side"]);
    s.act_as("zhang.wei");
    s.repo.crm(&["add", "-q", "--id", "golden-dragon", "--name", "金旅客车", "--owner", "zhang.wei"]).ok();
    let side = s.repo.head();
    s.repo.git(&["checkout", "-q", "main"]);
    let reassigned = manager_reassigns_yutong(&s);
    // Three parents: main, the side branch, and the base (an ancestor). The
    // merge takes the side's customer and the base's yutong.
    s.act_as("zhang.wei");
    s.repo.git(&["checkout", "-q", &side, "--", "customers"]);
    let merge = merge_work_tree(&s, &[&reassigned, &side, &s.base], true);
    assert_eq!(s.repo.git(&["rev-list", "--parents", "-n", "1", &merge]).split_whitespace().count(), 4);
    let verdict = s.verify(&[]);
    let v = verdict.rejects("reassign-unauthorized");
    assert_eq!((v.commit.as_str(), v.path.as_deref()), (merge.as_str(), Some(customer_path("yutong").as_str())));
    assert_eq!(verdict.violations.len(), 1, "golden-dragon is brought in honestly\n{}", verdict.out);

    // The same octopus keeping main's yutong passes.
    s.repo.git(&["checkout", "-q", &reassigned, "--", &customer_path("yutong")]);
    merge_work_tree(&s, &[&reassigned, &side, &s.base], true);
    s.verify(&[&format!("{merge}~1..HEAD")]).passes();
}
