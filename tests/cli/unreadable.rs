//! Degrade, never die, on bad data (issue 15). A store with one committed
//! customer file of each kind that cannot be read — a TOML syntax error, a
//! schema error, bytes that are not UTF-8, a directory where the file
//! belongs — committed with plain git, as a hand edit would be: every
//! reading command shows the rest, names each file on stderr with its
//! place and exits 1, and writes nothing; asking for one of them is exit 2
//! naming it; writes to the others work; a fresh clone (no catalog, no
//! history index) answers the same. A staff file that cannot be read
//! leaves its person's customers listed.

use crate::common::{customer_path, TestRepo, TODAY};

/// The standard store with `acme` (zhang.wei's) and `fang-co` (wang.fang's)
/// added by crm, then four customer files that cannot be read committed by
/// hand; returns the store and how each file's warning starts.
fn broken_store() -> (TestRepo, Vec<String>) {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    repo.add_customer("Fang Co", "wang.fang", &["--id", "fang-co"]);
    let syntax = repo.write_customer("syntax", "name = \"Syntax Co\"\nowner = \"zhang.wei\"\ntier = \n");
    let schema = repo.write_customer("schema", "name = \"Schema Co\"\nowner = 42\n");
    let not_utf8 = customer_path("not-utf8");
    repo.write(&not_utf8, b"name = \"\xc7\xe0\xb5\xba\"\nowner = \"zhang.wei\"\n");
    let directory = customer_path("a-directory");
    repo.write(&format!("{directory}/inside.toml"), "name = \"Inside\"\nowner = \"zhang.wei\"\n");
    repo.commit_all("Customers edited by hand");
    let places = vec![
        format!("{syntax}:3:8: "),
        format!("{schema}:2:1: `owner` must be a string, found integer"),
        format!("{not_utf8}:1:9: invalid UTF-8 at byte 8"),
        format!("{directory}: the committed tree is a directory where a file belongs"),
    ];
    (repo, places)
}

/// The places of `places` whose file content cannot be read (not the
/// directory): what the catalog knows.
fn content(places: &[String]) -> Vec<&str> {
    places.iter().take(3).map(String::as_str).collect()
}

fn all(places: &[String]) -> Vec<&str> {
    places.iter().map(String::as_str).collect()
}

#[test]
fn every_reading_command_shows_the_rest_names_each_file_and_exits_1() {
    let (repo, places) = broken_store();
    let before = repo.state();
    let reads: &[(&[&str], &str, Vec<&str>)] = &[
        (&["list"], "acme", all(&places)),
        (&["-q", "list", "--format", "csv"], "fang-co", all(&places)),
        (&["list", "--owner", "zhang.wei", "--format", "md"], "acme", all(&places)),
        (&["export"], "Acme", all(&places)),
        (&["export", "--format", "json"], "fang-co", all(&places)),
        (&["staff", "list"], "zhang.wei", all(&places)),
        (&["staff", "show", "zhang.wei"], "acme", all(&places)),
        (&["report", "portfolio"], "wang.fang", all(&places)),
        (&["report", "handover"], "zhang.wei", all(&places)),
        (&["report", "handover", "--format", "html"], "zhang.wei", all(&places)),
        (&["agenda", "--for", "zhang.wei", "--format", "csv"], "kind,date", all(&places)),
        (&["find", "acme"], "acme", content(&places)),
    ];
    for (args, shown, unreadable) in reads {
        let out = repo.crm_left_out(args, unreadable);
        assert!(out.stdout.contains(shown), "{args:?} shows what it could read\n{out}");
    }
    // Nothing found: said as always (exit 1), after the files not searched.
    let out = repo.crm_left_out(&["find", "zzz"], &content(&places));
    assert!(out.stderr.ends_with("error: no customer matches `zzz`\n"), "{out}");
    // Bare JSON arrays stay arrays: the files are on stderr, the exit code says it.
    let list = repo.crm_left_out(&["list", "--format", "json"], &all(&places)).json();
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acme", "fang-co"]);
    assert_eq!(repo.state(), before, "reading wrote something");
    // `crm check` reports them as its own rules, unchanged.
    let check = repo.crm_findings(TODAY, &["check"]);
    assert_eq!(check.code, 1, "{check}");
    for rule in ["toml-syntax", "wrong-type", "invalid-utf8", "not-a-file"] {
        assert!(check.stdout.contains(&format!("error[{rule}]")), "{rule}\n{check}");
    }
}

#[test]
fn json_objects_carry_the_files_left_out() {
    let (repo, places) = broken_store();
    let syntax = customer_path("syntax");
    for args in [
        &["report", "handover", "--format", "json"][..],
        &["agenda", "--for", "zhang.wei", "--format", "json"],
        &["staff", "show", "zhang.wei", "--format", "json"],
    ] {
        let json = repo.crm_left_out(args, &all(&places)).json();
        let unreadable = json["unreadable"].as_array().unwrap_or_else(|| panic!("{args:?}: no unreadable\n{json}"));
        assert_eq!(unreadable.len(), 4, "{args:?}\n{json}");
        let first = unreadable.iter().find(|u| u["path"] == syntax).expect("the syntax error");
        assert_eq!((&first["line"], &first["column"]), (&3.into(), &8.into()), "{args:?}\n{json}");
        assert!(first["reason"].as_str().is_some_and(|r| !r.is_empty() && !r.contains(&syntax)), "{first}");
        let directory = unreadable.iter().find(|u| u["path"] == customer_path("a-directory")).expect("the directory");
        assert!(directory["line"].is_null() && directory["column"].is_null(), "no place in a tree entry: {directory}");
    }
}

#[test]
fn the_report_names_them_first_and_fails_whatever_fail_on_says() {
    let (repo, places) = broken_store();
    let md = repo.crm_left_out(&["report", "handover", "--format", "md"], &all(&places)).stdout;
    assert!(md.contains("**4** unreadable files left out · **0** pending handovers"), "{md}");
    let section = md.find("## 0. Unreadable files").expect("a section of its own");
    assert!(section < md.find("## 1. Pending handovers").unwrap(), "it comes first\n{md}");
    let row = format!("| {} | 3:8 |", customer_path("syntax"));
    assert!(md.contains(&row), "{md}");
    let html = repo.crm_left_out(&["report", "handover", "--format", "html"], &all(&places)).stdout;
    let section = html.find("0. Unreadable files").expect("the HTML page has it too");
    assert!(section < html.find("1. Pending handovers").unwrap(), "{html}");
    // Named by --fail-on: in the `action needed` line; not named: exit 1 all the same.
    let named = repo.crm_left_out(&["report", "handover", "--fail-on", "unreadable,sabotage"], &all(&places));
    assert!(named.stderr.ends_with("action needed: unreadable\n"), "{named}");
    let other = repo.crm_left_out(&["report", "handover", "--fail-on", "sabotage"], &all(&places));
    assert!(!other.stderr.contains("action needed"), "{other}");

    // A store where every file can be read has no such section, and
    // --fail-on unreadable passes.
    let clean = TestRepo::standard();
    let md = clean.crm(&["report", "handover", "--format", "md", "--fail-on", "unreadable"]).ok().stdout;
    assert!(!md.contains("Unreadable") && !md.contains("unreadable"), "{md}");
    let json = clean.crm(&["report", "handover", "--format", "json"]).ok().json();
    assert_eq!(json["unreadable"], serde_json::json!([]));
}

#[test]
fn asking_for_a_file_that_cannot_be_read_is_an_error_naming_it() {
    let (repo, places) = broken_store();
    let before = repo.state();
    for (id, place) in ["syntax", "schema", "not-utf8", "a-directory"].into_iter().zip(&places) {
        let place = place.split(": ").next().unwrap();
        for args in [
            vec!["show", id],
            vec!["edit", id, "--set", "tier=key"],
            vec!["touch", id, "--kind", "call", "--summary", "x"],
        ] {
            repo.assert_refused(&repo.crm(&args), 2, &[place], &before);
        }
    }
    // A start of the id leads to the same error.
    repo.assert_refused(&repo.crm(&["show", "synt"]), 2, &[&places[0]], &before);
    // Its history says that its owner could not be read from it.
    let log = repo.crm(&["log", "syntax", "--format", "csv"]).ok();
    assert!(log.stdout.contains(",add,syntax,,(unreadable),"), "{log}");
    // The others are shown as ever, with nothing on stderr.
    let out = repo.crm(&["show", "acme"]).ok();
    assert!(out.stdout.contains("Acme") && out.stderr.is_empty(), "{out}");
}

#[test]
fn writes_to_readable_customers_work_and_bulk_writes_say_why_they_stop() {
    let (repo, places) = broken_store();
    repo.crm(&["edit", "acme", "--set", "tier=key", "--set", "backup=li.na"]).ok();
    repo.crm(&["touch", "acme", "--kind", "call", "--summary", "called"]).ok();
    repo.crm(&["reassign", "fang-co", "--to", "zhang.wei", "--reason", "region change"]).ok();
    repo.add_customer("New Co", "li.na", &[]);
    assert_eq!(repo.status(), "", "each write committed and left the work tree clean");
    // Moving every customer of a person must read every file: any may be theirs.
    // The first in path order is named (reassign --from asks the catalog,
    // which knows the files whose content cannot be read).
    let before = repo.state();
    let not_utf8 = &places[2];
    let out = repo.crm(&["reassign", "--from", "zhang.wei", "--to", "li.na", "--reason", "x", "--yes"]);
    let why = "reassign --from reads every customer file, since any may be zhang.wei's, so nothing was written";
    repo.assert_refused(&out, 2, &[&format!("error: {not_utf8}"), why, "and 2 other file(s)"], &before);
    let out = repo.crm(&["staff", "leave", "zhang.wei", "--to", "li.na", "--yes"]);
    let why = "a departure reads every customer file, since any may be zhang.wei's";
    let directory = customer_path("a-directory");
    repo.assert_refused(&out, 2, &[&format!("error: {directory}:"), why, "and 3 other file(s)"], &before);
}

#[test]
fn a_fresh_clone_answers_the_same() {
    let (repo, _) = broken_store();
    let commands: &[&[&str]] = &[
        &["list"],
        &["find", "co"],
        &["agenda", "--for", "zhang.wei", "--format", "json"],
        &["report", "handover", "--format", "json"],
        &["report", "portfolio"],
    ];
    let here: Vec<_> = commands.iter().map(|args| repo.crm_findings(TODAY, args)).collect();
    // Cloned after the caches exist here; the clone has none of them.
    assert!(repo.path(".git/crm/catalog").exists());
    let clone = repo.root().join("clone");
    repo.git(&["clone", "-q", repo.dir.to_str().unwrap(), clone.to_str().unwrap()]);
    assert!(!clone.join(".git/crm").exists());
    for (args, here) in commands.iter().zip(here) {
        let mut there = vec!["-C", clone.to_str().unwrap()];
        there.extend_from_slice(args);
        let there = repo.crm_findings(TODAY, &there);
        assert_eq!((there.code, &there.stdout, &there.stderr), (here.code, &here.stdout, &here.stderr), "{args:?}");
        assert_eq!(there.code, 1, "{args:?}\n{there}");
    }
}

#[test]
fn a_staff_file_that_cannot_be_read_leaves_its_persons_customers_listed() {
    let repo = TestRepo::standard();
    repo.add_customer("Fang Co", "wang.fang", &["--id", "fang-co"]);
    repo.write("staff/wang.fang.toml", "name = \"王芳\"\nemail = \"wang.fang@example.com\"\nrole = \"boss\"\n");
    repo.commit_all("Promote wang.fang by hand");
    let place = ["staff/wang.fang.toml:3:"];
    let before = repo.state();
    let out = repo.crm_left_out(&["list", "--owner", "wang.fang"], &place);
    assert!(out.stdout.contains("fang-co"), "{out}");
    let out = repo.crm_left_out(&["list", "--orphaned"], &place);
    assert!(!out.stdout.contains("fang-co"), "an owner whose file cannot be read is not taken for departed\n{out}");
    let out = repo.crm_left_out(&["report", "portfolio", "--owner", "wang.fang"], &place);
    assert!(out.stdout.contains("wang.fang"), "{out}");
    let out = repo.crm_left_out(&["staff", "list"], &place);
    assert!(out.stdout.contains("zhang.wei") && !out.stdout.contains("wang.fang"), "{out}");
    // Commands that do not read it do not mind it: the admin's own agenda.
    let out = repo.crm(&["agenda"]).ok();
    assert!(out.stderr.starts_with("Nothing on the agenda of liu.yang"), "{out}");
    // Asking for that person, or acting as them, names the file.
    repo.assert_refused(&repo.crm(&["staff", "show", "wang.fang"]), 2, &place, &before);
    repo.assert_refused(&repo.crm(&["agenda", "--for", "wang.fang"]), 2, &place, &before);
    repo.assert_refused(&repo.crm_as("wang.fang", &["agenda"]), 2, &place, &before);
    // Writes read every staff file (roles and keys decide what they may do).
    repo.assert_refused(&repo.crm(&["add", "--name", "Acme", "--owner", "li.na"]), 2, &place, &before);
}
