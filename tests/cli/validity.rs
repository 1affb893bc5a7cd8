//! One definition of a valid customer: `add`, `edit` and `import` refuse
//! what `check` reports, with the same sentence, and write nothing.

use crate::common::*;

/// The cases: extra `crm add` flags, the TOML lines of the same customer,
/// the CSV cells (tier, backup) and the sentence every command must print.
const CASES: &[(&[&str], &str, [&str; 2], &str)] = &[
    (&["--tier", "key"], "tier = \"key\"\n", ["key", ""], "key account has no backup"),
    (&["--backup", "zhang.wei"], "backup = \"zhang.wei\"\n", ["standard", "zhang.wei"], "someone other than the owner"),
    (&["--status", "sleeping"], "status = \"sleeping\"\n", ["standard", ""], "status `sleeping` is not one of"),
];

#[test]
fn add_edit_import_and_check_judge_a_customer_alike() {
    let repo = TestRepo::standard();
    repo.add_customer("Beta", "zhang.wei", &[]);
    for (flags, toml, [tier, backup], sentence) in CASES {
        let before = repo.state();
        let mut add = vec!["add", "--name", "Acme", "--owner", "zhang.wei"];
        add.extend_from_slice(flags);
        repo.assert_refused(&repo.crm(&add), 2, &[sentence], &before);

        let sets: Vec<String> = flags.chunks(2).map(|f| format!("{}={}", &f[0][2..], f[1])).collect();
        let mut edit = vec!["edit", "beta"];
        for s in &sets {
            edit.extend(["--set", s.as_str()]);
        }
        repo.assert_refused(&repo.crm(&edit), 2, &[sentence], &before);

        let csv = repo.root().join("rows.csv");
        let status = if toml.starts_with("status") { "sleeping" } else { "active" };
        std::fs::write(&csv, format!("name,owner,tier,backup,status\nAcme,zhang.wei,{tier},{backup},{status}\n"))
            .unwrap();
        let import = repo.crm(&["import", "csv", csv.to_str().unwrap()]);
        repo.assert_refused(&import, 2, &[sentence], &before);

        repo.write_customer("gamma", &format!("name = \"Gamma\"\nowner = \"zhang.wei\"\n{toml}"));
        let check = repo.crm(&["check"]);
        assert_eq!(check.code, 1, "{check}");
        assert!(check.stdout.contains(sentence), "check says it too\n{check}");
        std::fs::remove_file(repo.path(&customer_path("gamma"))).unwrap();
    }
}

#[test]
fn an_edit_may_leave_an_old_problem_but_never_add_one() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &["--tier", "key", "--backup", "li.na"]);
    // li.na leaves without a handover: the key account's backup is gone.
    repo.crm(&["staff", "leave", "li.na"]).ok();
    let checked = repo.crm(&["check"]);
    assert!(checked.stdout.contains("key-without-backup"), "{checked}");
    // An unrelated edit is not blocked by a problem it did not cause...
    repo.crm(&["edit", &id, "--set", "notes=Fleet renewal in 2027"]).ok();
    // ...but one that adds a problem is refused, nothing written.
    let before = repo.state();
    let worse = repo.crm(&["edit", &id, "--set", "status=sleeping"]);
    repo.assert_refused(&worse, 2, &["status `sleeping`"], &before);
    // Fixing it is an edit like any other.
    repo.crm(&["edit", &id, "--set", "backup=wang.fang"]).ok();
    assert!(!repo.crm(&["check"]).stdout.contains("key-without-backup"));
}
