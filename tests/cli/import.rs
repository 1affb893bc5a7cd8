//! `crm import csv`: the real-world fixtures of `tests/fixtures/import` (copied from the shared fixtures)
//! (GBK from Excel on Chinese Windows, UTF-8 with a BOM and tricky quoting,
//! a file with bad rows), every bad row reported with nothing written,
//! duplicates inside the file and against the store, `--update`,
//! idempotent re-import, `--map`, `--dry-run`, and one commit for a big file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::common::{trailer, Output, TestRepo};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

/// The standard store plus chen.jie: every owner the fixtures use
/// (zhang.wei, li.na, wang.fang, liu.yang, chen.jie).
fn store() -> TestRepo {
    let repo = TestRepo::standard();
    repo.crm(&["staff", "add", "chen.jie", "--name", "陈杰", "--email", "chen.jie@example.com", "--role", "rep"]).ok();
    repo
}

/// A fixture file's path.
fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// Writes `content` to `<tmp>/NAME` (outside the store, so the work tree
/// stays clean) and returns its path.
fn write_csv(repo: &TestRepo, name: &str, content: impl AsRef<[u8]>) -> String {
    let path: PathBuf = repo.root().join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

/// Every `customers/**/*.toml` of the work tree: relative path → bytes.
pub(crate) fn customer_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let root = dir.join("customers");
    let Ok(shards) = std::fs::read_dir(&root) else { return files };
    for shard in shards {
        let shard = shard.unwrap().path();
        for file in std::fs::read_dir(&shard).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "toml") {
                let rel = file.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                files.insert(rel, std::fs::read(&file).unwrap());
            }
        }
    }
    files
}

/// Every customer of the work tree, parsed, by name.
fn customers_by_name(repo: &TestRepo) -> BTreeMap<String, toml::Table> {
    customer_files(&repo.dir)
        .into_iter()
        .map(|(rel, bytes)| {
            let table: toml::Table = String::from_utf8(bytes).unwrap().parse().unwrap_or_else(|e| panic!("{rel}: {e}"));
            (table["name"].as_str().unwrap().to_string(), table)
        })
        .collect()
}

/// The first contact of a customer.
fn first_contact(c: &toml::Table) -> &toml::Table {
    c["contacts"].as_array().and_then(|a| a.first()).and_then(|t| t.as_table()).expect("a contact")
}

/// The `row N, column C:` lines of an import error.
fn row_errors(out: &Output) -> Vec<String> {
    out.stderr.lines().map(str::trim).filter(|l| l.starts_with("row ")).map(str::to_string).collect()
}

/// Asserts the HEAD commit is one import commit that added `n` customer files.
#[track_caller]
fn assert_one_import_commit(repo: &TestRepo, commits_before: usize, n: usize) {
    assert_eq!(repo.commit_count(), commits_before + 1, "exactly one new commit");
    let message = repo.message("HEAD");
    assert_eq!(trailer(&message, "Crm-Action").as_deref(), Some("import"), "{message}");
    let changed = repo.changed_paths("HEAD");
    assert_eq!(changed.len(), n, "{changed:?}");
    assert!(changed.iter().all(|p| p.starts_with("customers/") && p.ends_with(".toml")), "{changed:?}");
    assert_eq!(repo.status(), "", "the work tree is clean after the import");
}

#[track_caller]
fn assert_gbk_fixture_imported(repo: &TestRepo) {
    let all = customers_by_name(repo);
    assert_eq!(all.len(), 30, "{:?}", all.keys().collect::<Vec<_>>());
    let first = &all["郑州市公交有限公司"];
    assert_eq!(first["owner"].as_str(), Some("zhang.wei"));
    assert_eq!(first["region"].as_str(), Some("华中"));
    assert_eq!(first["value"].as_integer(), Some(780_000));
    assert_eq!(first["notes"].as_str(), Some("老客户，关系稳定"));
    let contact = first_contact(first);
    assert_eq!(contact["name"].as_str(), Some("王经理"));
    assert_eq!(contact["phone"].as_str(), Some("+86 371 5550000"));
    assert_eq!(contact["email"].as_str(), Some("buyer0@example.cn"));

    let changsha = &all["长沙市客运有限公司"];
    assert_eq!(changsha["owner"].as_str(), Some("li.na"));
    assert_eq!(changsha["region"].as_str(), Some("华南"));
    assert_eq!(changsha["value"].as_integer(), Some(1_240_000));
    assert!(changsha.get("notes").is_none(), "an empty cell sets nothing: {changsha:?}");

    let last = &all["许昌城际集团第29分公司"];
    assert_eq!(last["owner"].as_str(), Some("chen.jie"));
    assert_eq!(last["value"].as_integer(), Some(1_380_000));
    assert_eq!(first_contact(last)["phone"].as_str(), Some("+86 371 5550029"));
    assert_eq!(first_contact(last)["name"].as_str(), Some("吴经理"));

    // Every owner of the file is there, and no cell kept a CR from the CRLF line ends.
    let owners: std::collections::BTreeSet<&str> = all.values().map(|c| c["owner"].as_str().unwrap()).collect();
    assert_eq!(owners.into_iter().collect::<Vec<_>>(), ["chen.jie", "li.na", "liu.yang", "wang.fang", "zhang.wei"]);
    for (name, c) in &all {
        assert!(!toml::to_string(c).unwrap().contains('\r'), "{name} kept a carriage return: {c:?}");
    }
}

#[test]
fn gbk_file_from_excel_imports_all_rows_in_one_commit() {
    let repo = store();
    let before = repo.commit_count();
    let out = repo.crm(&["import", "csv", &fixture("customers-gbk.csv"), "--encoding", "gbk", "--format", "json"]).ok();
    let json = out.json();
    assert_eq!(json["added"], 30, "{out}");
    assert_eq!(json["updated"], 0);
    assert_eq!(json["ignored_columns"], Value::Array(vec![]), "every Chinese header is known\n{out}");
    assert_eq!(json["commit"].as_str(), Some(repo.head().as_str()));
    assert_eq!(json["rows"].as_array().unwrap().len(), 30);
    assert_eq!(json["rows"][0]["row"], 2, "the header is row 1");
    assert_eq!(json["rows"][0]["name"], "郑州市公交有限公司");
    assert_one_import_commit(&repo, before, 30);
    assert_gbk_fixture_imported(&repo);
}

#[test]
fn gbk_file_is_recognised_with_auto_encoding() {
    let explicit = store();
    explicit.crm(&["import", "csv", &fixture("customers-gbk.csv"), "--encoding", "gbk"]).ok();

    for args in [&["--encoding", "auto"][..], &[]] {
        let repo = store();
        let before = repo.commit_count();
        let file = fixture("customers-gbk.csv");
        let mut all = vec!["import", "csv", file.as_str()];
        all.extend_from_slice(args);
        repo.crm(&all).ok();
        assert_one_import_commit(&repo, before, 30);
        assert_gbk_fixture_imported(&repo);
        assert_eq!(customer_files(&repo.dir), customer_files(&explicit.dir), "auto ({args:?}) and gbk differ");
    }
}

#[test]
fn gbk_file_read_as_utf8_is_refused_with_a_hint() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &fixture("customers-gbk.csv"), "--encoding", "utf-8"]);
    repo.assert_refused(&out, 2, &["gbk"], &before);
}

#[test]
fn utf8_bom_file_keeps_quoted_fields_exactly() {
    let repo = store();
    let before = repo.commit_count();
    let out = repo
        .crm(&["import", "csv", &fixture("customers-utf8-bom.csv"), "--format", "json", "--encoding", "utf-8"])
        .ok();
    let json = out.json();
    assert_eq!(json["added"], 8, "{out}");
    // Had the BOM stayed in the first header, `name` would be an unknown column.
    assert_eq!(json["ignored_columns"], Value::Array(vec![]), "{out}");
    assert!(!out.stderr.contains("not imported"), "{out}");
    assert_one_import_commit(&repo, before, 8);

    let all = customers_by_name(&repo);
    assert_eq!(all.len(), 8, "{:?}", all.keys().collect::<Vec<_>>());
    assert!(all.keys().all(|n| !n.contains('\u{feff}')));
    let northern = &all["Northern Coach Lines"];
    assert_eq!(northern["owner"].as_str(), Some("zhang.wei"));
    assert_eq!(northern["region"].as_str(), Some("华东"));
    assert_eq!(northern["value"].as_integer(), Some(120_000));
    assert_eq!(northern["notes"].as_str(), Some("Prefers visits, not calls; ask for \"fleet renewal\" plan"));
    assert_eq!(first_contact(northern)["name"].as_str(), Some("Contact 0"));
    assert_eq!(first_contact(northern)["phone"].as_str(), Some("+1 555 0100"));
    assert_eq!(first_contact(northern)["email"].as_str(), Some("fleet0@example.com"));
    let harbor = &all["Harbor City Transit"];
    assert_eq!(harbor["notes"].as_str(), Some("two-line\nnote"));
    assert_eq!(harbor["owner"].as_str(), Some("li.na"));
    assert_eq!(harbor["value"].as_integer(), Some(240_000));
    assert_eq!(all["Pioneer Fleet Services"]["value"].as_integer(), Some(960_000));
    assert_eq!(all["Sunrise School Bus Co."]["owner"].as_str(), Some("liu.yang"));

    // The same with the default (auto) encoding: the BOM is dropped there too.
    let auto = store();
    let out = auto.crm(&["import", "csv", &fixture("customers-utf8-bom.csv"), "--format", "json"]).ok();
    assert_eq!(out.json()["added"], 8, "{out}");
    assert_eq!(customer_files(&auto.dir), customer_files(&repo.dir));
}

#[test]
fn bad_rows_are_all_reported_and_nothing_is_written() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &fixture("customers-bad-rows.csv")]);
    repo.assert_refused(&out, 2, &["row 5, column owner:", "ghost"], &before);
    let lines = row_errors(&out);
    assert_eq!(lines.len(), 4, "exactly the four bad rows\n{out}");
    for (line, (row, column, why)) in lines.iter().zip([
        ("5", "owner", "ghost"),
        ("10", "name", "empty"),
        ("15", "value", "lots"),
        ("19", "value", "-20"),
    ]) {
        let prefix = format!("row {row}, column {column}: ");
        assert!(line.starts_with(&prefix), "expected {prefix:?}…, got {line:?}\n{out}");
        assert!(line.len() > prefix.len(), "no reason in {line:?}");
        assert!(line.contains(why), "{line:?} should mention {why:?}");
    }
    assert!(customer_files(&repo.dir).is_empty());

    // --dry-run reports the same rows.
    let dry = repo.crm(&["import", "csv", &fixture("customers-bad-rows.csv"), "--dry-run"]);
    repo.assert_refused(&dry, 2, &[], &before);
    assert_eq!(row_errors(&dry), lines);
}

#[test]
fn three_bad_rows_among_a_thousand_are_all_reported() {
    let repo = store();
    let mut csv = String::from("name,owner,value\n");
    for i in 0..1000 {
        // Data row i is file row i + 2.
        let line = match i {
            99 => format!("Customer {i:04},ghost,{i}\n"),  // row 101
            500 => format!("Customer {i:04},li.na,abc\n"), // row 502
            999 => ",zhang.wei,5\n".to_string(),           // row 1001
            _ => format!("Customer {i:04},zhang.wei,{}\n", i * 100),
        };
        csv.push_str(&line);
    }
    let file = write_csv(&repo, "thousand.csv", csv);
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &[], &before);
    let lines = row_errors(&out);
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("row 101, column owner: "), "{out}");
    assert!(lines[1].starts_with("row 502, column value: "), "{out}");
    assert!(lines[2].starts_with("row 1001, column name: "), "{out}");
    assert!(customer_files(&repo.dir).is_empty());
}

#[test]
fn owner_for_every_row_must_be_a_staff_member() {
    let repo = store();
    let file = write_csv(&repo, "no-owner.csv", "name,value\nAcme Coaches,100\nBeta Buses,200\n");
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file, "--owner", "ghost"]);
    repo.assert_refused(&out, 2, &["ghost"], &before);

    // Without any owner the import is refused too.
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &["owner"], &before);

    // A real owner works, for every row.
    let out = repo.crm(&["import", "csv", &file, "--owner", "wang.fang", "--format", "json"]).ok();
    assert_eq!(out.json()["added"], 2, "{out}");
    let all = customers_by_name(&repo);
    assert_eq!(all["Acme Coaches"]["owner"].as_str(), Some("wang.fang"));
    assert_eq!(all["Beta Buses"]["owner"].as_str(), Some("wang.fang"));
}

#[test]
fn rows_like_existing_customers_are_refused_unless_forced() {
    let repo = store();
    let yutong = repo.add_customer(
        "郑州宇通客运集团",
        "zhang.wei",
        &["--contact", "王建国 <wang@example.cn> +86 371 5555 0101", "--region", "华中"],
    );
    let before = repo.state();
    for (what, csv, needle) in [
        ("the name with a company form", "name,owner\n郑州宇通客运集团有限公司,li.na\n", "name"),
        ("the same email", "name,owner,email\nYutong Bus,li.na,WANG@example.cn\n", "email"),
        ("the same phone", "name,owner,phone\nYutong Zhengzhou,li.na,0371-5555-0101\n", "phone"),
    ] {
        let file = write_csv(&repo, "dup.csv", csv);
        let out = repo.crm(&["import", "csv", &file]);
        repo.assert_refused(&out, 2, &["row 2", &yutong, needle, "--force"], &before);
        let dry = repo.crm(&["import", "csv", &file, "--dry-run"]);
        repo.assert_refused(&dry, 2, &["row 2", &yutong], &before);
        assert_eq!(row_errors(&out).len(), 1, "{what}\n{out}");
    }

    // --force imports it as a different customer.
    let file = write_csv(&repo, "dup.csv", "name,owner\n郑州宇通客运集团有限公司,li.na\n");
    let out = repo.crm(&["import", "csv", &file, "--force", "--format", "json"]).ok();
    let json = out.json();
    assert_eq!(json["added"], 1, "{out}");
    let new_id = json["rows"][0]["id"].as_str().unwrap();
    assert_ne!(new_id, yutong);
    let all = customers_by_name(&repo);
    assert_eq!(all.len(), 2);
    assert_eq!(all["郑州宇通客运集团有限公司"]["owner"].as_str(), Some("li.na"));
    assert_eq!(all["郑州宇通客运集团"]["owner"].as_str(), Some("zhang.wei"), "the existing one is untouched");
}

#[test]
fn duplicate_rows_inside_the_file_are_refused_unless_forced() {
    let repo = store();
    let before = repo.state();
    let csv = "name,owner,email\n\
               Acme Coaches,zhang.wei,fleet@acme.example\n\
               Beta Buses,li.na,beta@example.com\n\
               ACME Coaches Co. Ltd.,li.na,other@acme.example\n\
               Gamma Tours,wang.fang,FLEET@acme.example\n";
    let file = write_csv(&repo, "dups.csv", csv);
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &[], &before);
    let lines = row_errors(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("row 4, column name: ") && lines[0].contains("row 2"), "{out}");
    assert!(lines[1].starts_with("row 5, column name: ") && lines[1].contains("row 2"), "{out}");
    assert!(lines[1].contains("email"), "{out}");

    let out = repo.crm(&["import", "csv", &file, "--force", "--format", "json"]).ok();
    assert_eq!(out.json()["added"], 4, "{out}");
    let all = customers_by_name(&repo);
    assert_eq!(all.len(), 4);

    // The very same name twice, forced: two customers with distinct ids.
    let repo = store();
    let file = write_csv(&repo, "same.csv", "name,owner\nDelta Coaches,zhang.wei\nDelta Coaches,li.na\n");
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &["row 3", "row 2"], &before);
    let out = repo.crm(&["import", "csv", &file, "--force", "--format", "json"]).ok();
    let json = out.json();
    assert_eq!(json["added"], 2, "{out}");
    assert_ne!(json["rows"][0]["id"], json["rows"][1]["id"], "{out}");
    assert_eq!(customer_files(&repo.dir).len(), 2);
}

#[test]
fn update_changes_values_and_keeps_touches_and_comments() {
    let repo = store();
    let id = repo.add_customer("Acme Coaches", "zhang.wei", &["--value", "100", "--region", "华中"]);
    repo.crm(&["touch", &id, "--kind", "visit", "--summary", "Fleet renewal talk", "--date", "2026-11-20"]).ok();
    repo.crm(&["touch", &id, "--kind", "call", "--summary", "Follow-up", "--date", "2026-11-21"]).ok();
    // A hand-written comment, committed with plain git.
    let rel = crate::common::customer_path(&id);
    let text = format!("# Key contact met at the 2026 bus expo.\n{}", repo.read(&rel));
    let text = text.replace("value = 100\n", "value = 100 # estimate from 2025\n");
    assert!(text.contains("# estimate from 2025"), "{text}");
    repo.write(&rel, &text);
    repo.commit_all("Note where we met");

    let file = write_csv(&repo, "update.csv", "name,owner,value\nAcme Coaches,zhang.wei,\"250,000\"\n");
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &["row 2", &id, "--update"], &before);

    let out = repo.crm(&["import", "csv", &file, "--update", "--format", "json"]).ok();
    let json = out.json();
    assert_eq!((json["added"].as_u64(), json["updated"].as_u64()), (Some(0), Some(1)), "{out}");
    assert_eq!(json["rows"][0]["action"], "update");
    assert_eq!(json["rows"][0]["id"], id.as_str());
    assert_eq!(repo.changed_paths("HEAD"), std::slice::from_ref(&rel));
    assert_eq!(trailer(&repo.message("HEAD"), "Crm-Action").as_deref(), Some("import"));
    // Only the value changed: comments, touches and layout are as they were.
    let after = repo.read(&rel);
    assert_eq!(after, text.replace("value = 100 #", "value = 250000 #"), "only the value changes");

    // The same file again: unchanged, nothing written.
    let head = repo.head();
    let out = repo.crm(&["import", "csv", &file, "--update", "--format", "json"]).ok();
    assert_eq!(out.json()["unchanged"], 1, "{out}");
    assert_eq!(repo.head(), head);

    // Matched by id.
    let file = write_csv(&repo, "by-id.csv", format!("id,name,owner,value\n{id},Acme Coaches,zhang.wei,300000\n"));
    repo.crm(&["import", "csv", &file, "--update"]).ok();
    assert_eq!(repo.read_toml(&rel)["value"].as_integer(), Some(300_000));
    assert_eq!(repo.read_toml(&rel)["touches"].as_array().map(Vec::len), Some(2));
    assert!(repo.read(&rel).starts_with("# Key contact met at the 2026 bus expo.\n"));
}

#[test]
fn a_customer_whose_id_an_older_crm_derived_still_matches_by_name() {
    // Ids derived from names change when the derivation improves (word
    // segmentation made 南阳市校车 nanyangshi-xiaoche, where crm had made
    // nanyang-shixiaoche); stored ids never change, and re-importing a
    // file must still find the customers it added then.
    let repo = store();
    let old = "nanyang-shixiaoche-youxian-gongsi";
    let rel = repo.write_customer(old, "name = \"南阳市校车有限公司\"\nowner = \"zhang.wei\"\nvalue = 100\n");
    repo.commit_all("Add a customer with the id an older crm derived");

    let file = write_csv(&repo, "again.csv", "name,owner,value\n南阳市校车有限公司,zhang.wei,100\n");
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file, "--format", "json"]).ok();
    assert_eq!((out.json()["unchanged"].as_u64(), out.json()["added"].as_u64()), (Some(1), Some(0)), "{out}");
    assert_eq!(out.json()["rows"][0]["id"], old, "{out}");
    assert_eq!(repo.state(), before);

    let file = write_csv(&repo, "changed.csv", "name,owner,value\n南阳市校车有限公司,zhang.wei,200\n");
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &["row 2", old, "--update"], &before);
    let out = repo.crm(&["import", "csv", &file, "--update", "--format", "json"]).ok();
    assert_eq!(out.json()["rows"][0]["action"], "update", "{out}");
    assert_eq!(repo.read_toml(&rel)["value"].as_integer(), Some(200));
    assert_eq!(customer_files(&repo.dir).len(), 1, "no second customer");

    // Twice in one file: the second row is the same customer as the first.
    let file =
        write_csv(&repo, "twice.csv", "name,owner\n南阳市校车有限公司,zhang.wei\n南阳市校车有限公司,zhang.wei\n");
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &["row 3", "row 2"], &before);

    // A new customer gets an id of today's derivation, and crm add still
    // sees the old one as a duplicate.
    let file = write_csv(&repo, "new.csv", "name,owner\n驻马店市城际有限公司,zhang.wei\n");
    let out = repo.crm(&["import", "csv", &file, "--format", "json"]).ok();
    assert_eq!(out.json()["rows"][0]["id"], "zhumadianshi-chengji-youxian-gongsi", "{out}");
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "南阳市校车", "--owner", "li.na"]);
    repo.assert_refused(&out, 2, &[old, "--force"], &before);
}

#[test]
fn importing_the_same_file_again_writes_nothing() {
    let repo = store();
    repo.crm(&["import", "csv", &fixture("customers-utf8-bom.csv")]).ok();
    let files = customer_files(&repo.dir);
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &fixture("customers-utf8-bom.csv")]).ok();
    assert!(out.stdout.contains("Nothing to import"), "{out}");
    assert_eq!(repo.state(), before, "second import wrote something\n{out}");
    let out = repo.crm(&["import", "csv", &fixture("customers-utf8-bom.csv"), "--format", "json"]).ok();
    let json = out.json();
    assert_eq!(json["unchanged"], 8, "{out}");
    assert_eq!(json["added"], 0);
    assert_eq!(json["commit"], Value::Null);
    assert!(json["rows"].as_array().unwrap().iter().all(|r| r["action"] == "unchanged"), "{out}");
    assert_eq!(repo.state(), before);
    assert_eq!(customer_files(&repo.dir), files);

    // Same for the GBK file, with --update as well.
    repo.crm(&["import", "csv", &fixture("customers-gbk.csv")]).ok();
    let before = repo.state();
    repo.crm(&["import", "csv", &fixture("customers-gbk.csv")]).ok();
    repo.crm(&["import", "csv", &fixture("customers-gbk.csv"), "--update"]).ok();
    assert_eq!(repo.state(), before);
}

#[test]
fn a_large_import_is_one_pack_git_accepts() {
    const N: usize = 300;
    let repo = store();
    let mut csv = String::from("name,owner,contact,email\n");
    for i in 0..N {
        csv.push_str(&format!("Customer {i:03},zhang.wei,Person {i},p{i}@example.cn\n"));
    }
    let file = write_csv(&repo, "three-hundred.csv", csv);
    let loose_before = count_objects(&repo)["count"];
    repo.crm(&["import", "csv", &file]).ok();
    let counts = count_objects(&repo);
    assert_eq!((counts["packs"], counts["in-pack"]), (1, N), "{counts:?}");
    // Loose: only the trees and the commit.
    assert!(counts["count"] - loose_before < 260, "{counts:?}");
    let mut pack = std::fs::read_dir(repo.path(".git/objects/pack")).unwrap().flatten().map(|e| e.path());
    let idx = pack.find(|p| p.extension().is_some_and(|x| x == "idx")).expect("an index");
    assert!(repo.git(&["verify-pack", "-v", idx.to_str().unwrap()]).contains(&format!("non delta: {N} objects")));
    assert_eq!(repo.git(&["fsck", "--strict", "--no-progress"]), "");
    assert_eq!(repo.status(), "");
    let out = repo.crm(&["show", "customer-042"]).ok();
    assert!(out.stdout.contains("p42@example.cn"), "{out}");
    // git's own maintenance takes the pack in.
    repo.git(&["gc", "-q"]);
    assert_eq!(repo.git(&["fsck", "--strict", "--no-progress"]), "");
    assert_eq!(customer_files(&repo.dir).len(), N);
    // What a crm killed while writing a pack leaves is removed by the next write.
    let tmp = repo.path(".git/objects/pack/tmp_crm_killed");
    std::fs::write(&tmp, b"PACK").unwrap();
    repo.add_customer("After The Import", "li.na", &[]);
    assert!(!tmp.exists(), "a dead pack-writer's temporary file is removed");
}

fn count_objects(repo: &TestRepo) -> BTreeMap<String, usize> {
    let text = repo.git(&["count-objects", "-v"]);
    text.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_string(), v.parse().unwrap_or(0))).collect()
}

#[test]
fn map_reads_columns_with_foreign_headers() {
    let repo = store();
    let file = write_csv(&repo, "firmen.csv", "Firma,Verkäufer\nMüller Reisen GmbH,zhang.wei\nSchmidt Busse,li.na\n");
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file]);
    repo.assert_refused(&out, 2, &["--map"], &before);

    let out =
        repo.crm(&["import", "csv", &file, "--map", "Firma=name", "--map", "Verkäufer=owner", "--format", "json"]).ok();
    let json = out.json();
    assert_eq!(json["added"], 2, "{out}");
    assert_eq!(json["ignored_columns"], Value::Array(vec![]));
    let all = customers_by_name(&repo);
    assert_eq!(all.len(), 2);
    assert_eq!(all["Müller Reisen GmbH"]["owner"].as_str(), Some("zhang.wei"));
    assert_eq!(all["Schmidt Busse"]["owner"].as_str(), Some("li.na"));

    // --owner-column names the owner column (and excludes --owner); --yes is fine without a terminal.
    let other = store();
    let before = other.state();
    let out =
        other.crm(&["import", "csv", &file, "--map", "Firma=name", "--owner-column", "Verkäufer", "--owner", "li.na"]);
    assert_eq!(out.code, 2, "{out}");
    assert_eq!(other.state(), before);
    other.crm(&["import", "csv", &file, "--map", "Firma=name", "--owner-column", "Verkäufer", "--yes"]).ok();
    assert_eq!(customer_files(&other.dir), customer_files(&repo.dir));

    // A column that is not in the file, or a field that does not exist.
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &file, "--map", "Kunde=name", "--map", "Verkäufer=owner"]);
    repo.assert_refused(&out, 2, &["Kunde"], &before);
    let out = repo.crm(&["import", "csv", &file, "--map", "Firma=nom", "--map", "Verkäufer=owner"]);
    repo.assert_refused(&out, 2, &["nom"], &before);
}

#[test]
fn dry_run_lists_the_plan_and_writes_nothing() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["import", "csv", &fixture("customers-utf8-bom.csv"), "--dry-run", "--format", "json"]).ok();
    assert_eq!(repo.state(), before, "a dry run wrote something\n{out}");
    let json = out.json();
    assert_eq!(json["added"], 8, "{out}");
    assert_eq!(json["commit"], Value::Null);
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["action"], "add", "{row}");
        assert_eq!(row["row"], i + 2, "{row}");
        for key in ["id", "name", "owner"] {
            assert!(row[key].as_str().is_some_and(|s| !s.is_empty()), "{key} in {row}");
        }
    }
    assert_eq!(rows[0]["name"], "Northern Coach Lines");
    assert_eq!(rows[0]["owner"], "zhang.wei");

    let out = repo.crm(&["import", "csv", &fixture("customers-utf8-bom.csv"), "--dry-run"]).ok();
    assert!(out.stdout.contains("Northern Coach Lines") && out.stdout.contains("add"), "{out}");
    assert!(out.stdout.contains("Would add 8"), "{out}");
    assert_eq!(repo.state(), before);
    assert!(customer_files(&repo.dir).is_empty());
}

/// Measured in a debug build: about 10 s for the import alone (12 s with
/// the setup and the checks), too slow for the default run.
#[test]
#[ignore = "slow: about 12 s in a debug build"]
fn fifty_thousand_rows_are_one_commit() {
    const N: usize = 50_000;
    let repo = store();
    let owners = ["zhang.wei", "li.na", "wang.fang", "liu.yang", "chen.jie"];
    let mut csv = String::from("name,owner,region,value\n");
    for i in 0..N {
        csv.push_str(&format!("Customer {i:05},{},华中,{}\n", owners[i % owners.len()], i * 10));
    }
    let file = write_csv(&repo, "big.csv", csv);
    let before = repo.commit_count();
    let started = Instant::now();
    let out = repo.crm(&["import", "csv", &file, "--format", "json"]).ok();
    eprintln!("import of {N} rows took {:?}", started.elapsed());
    assert_eq!(out.json()["added"], N, "{}", out.stderr);
    assert_one_import_commit(&repo, before, N);
    assert_eq!(customer_files(&repo.dir).len(), N);
}

#[test]
fn touches_in_someone_elses_name_need_an_admin_or_a_manager_adding_the_customer() {
    let repo = store();
    let csv = write_csv(
        &repo,
        "with-touches.csv",
        "name,owner,touches\n\"Acme\",zhang.wei,\"2026-11-02 | li.na | visit | the manager came along\"\n",
    );
    // A rep importing a customer of his own with a touch in his manager's name.
    let before = repo.state();
    let out = repo.crm_as("zhang.wei", &["import", "csv", &csv, "--yes"]);
    repo.assert_refused(&out, 2, &["row 2", "touches", "li.na"], &before);
    // The manager may: the touch arrives with the customer she adds.
    repo.crm_as("li.na", &["import", "csv", &csv, "--yes", "-q"]).ok();
    let file = repo.git(&["show", &format!("HEAD:{}", crate::common::customer_path("acme"))]);
    assert!(file.contains("by = \"li.na\"") && file.contains("the manager came along"), "{file}");
}
