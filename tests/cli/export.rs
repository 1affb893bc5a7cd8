//! `crm export`: CSV with every field, so that importing it into a fresh
//! store with the same staff gives the same files byte for byte; cells safe
//! from spreadsheet formula injection (and restored on import); `--excel`
//! (BOM, CRLF); JSON; `--owner` / `--region` filters; and names holding
//! terminal escapes never reaching `crm list` output raw.

use std::collections::BTreeMap;

use crate::common::{customer_path, TestRepo};
use crate::import::customer_files;

/// The columns of an export, in order.
const COLUMNS: [&str; 15] = [
    "id",
    "name",
    "owner",
    "backup",
    "tier",
    "status",
    "region",
    "value",
    "since",
    "tags",
    "next_step",
    "next_date",
    "notes",
    "contacts",
    "touches",
];

const YUTONG: &str = "zhengzhou-yutong-keyun-jituan";

/// The standard store with customers using every field: Chinese and Latin
/// names, a key account with a backup, contacts with and without titles,
/// touches, tags, next step, multi-line notes with commas and quotes.
fn rich_store() -> TestRepo {
    let repo = TestRepo::standard();
    let id = repo.add_customer(
        "郑州宇通客运集团",
        "zhang.wei",
        &[
            "--tier",
            "key",
            "--backup",
            "li.na",
            "--region",
            "华中",
            "--value",
            "12000000",
            "--since",
            "2019-04-01",
            "--contact",
            "王建国 <wang@example.cn> +86 371 5555 0101",
            "--contact",
            "Anna Schmidt <anna@example.de>",
            "--tag",
            "公交",
            "--tag",
            "electric",
        ],
    );
    assert_eq!(id, YUTONG);
    repo.crm(&[
        "touch",
        YUTONG,
        "--kind",
        "visit",
        "--summary",
        "Discussed 2027 fleet renewal, 20 coaches | maybe 30",
        "--date",
        "2026-11-20",
        "--next-step",
        "Quote 20 electric coaches, \"Yutong E12\"",
        "--next-date",
        "2026-12-15",
    ])
    .ok();
    repo.crm(&["touch", YUTONG, "--kind", "call", "--summary", "电话确认报价时间", "--date", "2026-11-21"]).ok();
    repo.crm(&["edit", YUTONG, "--set", "notes=Prefers visits, not calls;\nask for \"fleet renewal\" plan"]).ok();

    repo.add_customer("Acme Coaches", "wang.fang", &["--region", "华南", "--value", "800", "--tier", "prospect"]);
    repo.add_customer("Plain Customer", "li.na", &[]);
    // Contacts with titles come from an import (no other command sets them).
    let csv = "name,owner,region,contact,title,phone,email,value,tags,since\n\
               北京公交集团,li.na,华北,张三,采购部经理,+86 10 5555 0101,zhang@bjbus.cn,3500000,公交;city,2021/3/15\n\
               深圳巴士集团,zhang.wei,华南,李四,总经理,+86 755 5555 0102,,120万,,\n";
    let file = repo.root().join("seed.csv");
    std::fs::write(&file, csv).unwrap();
    repo.crm(&["import", "csv", file.to_str().unwrap()]).ok();
    let beijing = "beijing-gongjiao-jituan";
    repo.crm(&["edit", beijing, "--add-contact", "王五 <wangwu@bjbus.cn>"]).ok();
    repo.crm(&["touch", beijing, "--kind", "meeting", "--summary", "年度框架协议", "--date", "2026-10-02"]).ok();
    repo.crm(&["edit", "acme-coaches", "--set", "status=dormant"]).ok();
    assert_eq!(customer_files(&repo.dir).len(), 5);
    assert_eq!(repo.status(), "");
    repo
}

/// `crm export ARGS`: its stdout.
#[track_caller]
fn export(repo: &TestRepo, args: &[&str]) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    repo.crm(&all).ok().stdout
}

/// CSV text parsed with a real CSV reader: header and rows by id.
#[track_caller]
fn parse_csv(text: &str) -> (Vec<String>, BTreeMap<String, BTreeMap<String, String>>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_string).collect();
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("bad CSV ({e}):\n{text}"));
        assert_eq!(record.len(), header.len(), "{record:?}");
        let row: BTreeMap<String, String> =
            header.iter().cloned().zip(record.iter().map(str::to_string)).collect::<BTreeMap<_, _>>();
        rows.insert(row["id"].clone(), row);
    }
    (header, rows)
}

/// Imports the CSV `text` into a fresh standard store; returns the store.
#[track_caller]
fn reimport(text: &str) -> TestRepo {
    let fresh = TestRepo::standard();
    let file = fresh.root().join("export.csv");
    std::fs::write(&file, text).unwrap();
    let out = fresh.crm(&["import", "csv", file.to_str().unwrap(), "--format", "json"]).ok();
    assert!(out.json()["ignored_columns"].as_array().unwrap().is_empty(), "every export column is read back\n{out}");
    assert_eq!(fresh.status(), "");
    fresh
}

/// Asserts both stores have the same customer files, byte for byte.
#[track_caller]
fn assert_same_customers(original: &TestRepo, copy: &TestRepo) {
    let a = customer_files(&original.dir);
    let b = customer_files(&copy.dir);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "different files");
    for (path, bytes) in &a {
        assert!(
            bytes == &b[path],
            "{path} differs after export and import\n--- original ---\n{}\n--- re-imported ---\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&b[path])
        );
    }
}

#[test]
fn export_then_import_gives_the_same_files() {
    let repo = rich_store();
    let text = export(&repo, &[]);
    let (header, rows) = parse_csv(&text);
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), 5);
    let yutong = &rows[YUTONG];
    assert_eq!(yutong["name"], "郑州宇通客运集团");
    assert_eq!(yutong["backup"], "li.na");
    assert_eq!(yutong["notes"], "Prefers visits, not calls;\nask for \"fleet renewal\" plan");
    // A `|` inside a field is escaped, so it cannot be taken for a separator.
    assert!(yutong["touches"].contains("Discussed 2027 fleet renewal, 20 coaches \\| maybe 30"), "{yutong:?}");
    assert!(rows["beijing-gongjiao-jituan"]["contacts"].contains("采购部经理"), "{rows:?}");

    let copy = reimport(&text);
    assert_same_customers(&repo, &copy);
    assert_eq!(copy.commit_count(), TestRepo::standard().commit_count() + 1, "one import commit");
    // And the copy exports the very same text.
    assert_eq!(export(&copy, &[]), text);

    // The Excel flavour round-trips too (BOM, CRLF, multi-line cells).
    let excel = export(&repo, &["--excel"]);
    assert_same_customers(&repo, &reimport(&excel));
}

#[test]
fn cells_that_a_spreadsheet_would_run_are_neutralized_and_restored() {
    let repo = TestRepo::standard();
    repo.add_customer("=HYPERLINK(\"http://evil\")", "li.na", &["--id", "evil"]);
    // A contact written down by phone number, as spreadsheets are full of.
    repo.add_customer(
        "Hotline Co",
        "zhang.wei",
        &["--id", "hotline", "--contact", "+86 371 5555 0199 <hotline@example.cn>", "--tag=+vip"],
    );
    repo.crm(&[
        "touch",
        "hotline",
        "--kind",
        "call",
        "--summary",
        "@everyone: call back",
        "--date",
        "2026-11-20",
        "--next-step",
        "@wang prepare the quote",
        "--next-date",
        "2026-12-01",
    ])
    .ok();
    repo.crm(&["edit", "hotline", "--set", "notes=-2 coaches +1 spare"]).ok();

    let text = export(&repo, &[]);
    let (_, rows) = parse_csv(&text);
    assert_eq!(rows["evil"]["name"], "'=HYPERLINK(\"http://evil\")", "{text}");
    let hot = &rows["hotline"];
    assert!(hot["contacts"].starts_with("'+86 371 5555 0199 |"), "{hot:?}");
    assert_eq!(hot["next_step"], "'@wang prepare the quote");
    assert_eq!(hot["notes"], "'-2 coaches +1 spare");
    assert_eq!(hot["tags"], "'+vip");
    assert!(hot["touches"].contains("@everyone: call back"), "{hot:?}");
    for row in rows.values() {
        for (column, cell) in row {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{column} = {cell:?} is not neutralized");
        }
    }

    // Import takes the quote off again: the same files.
    let copy = reimport(&text);
    assert_same_customers(&repo, &copy);
    assert_eq!(copy.read_toml(&customer_path("evil"))["name"].as_str(), Some("=HYPERLINK(\"http://evil\")"));
    let hot = copy.read_toml(&customer_path("hotline"));
    assert_eq!(hot["next_step"].as_str(), Some("@wang prepare the quote"));
    assert_eq!(hot["notes"].as_str(), Some("-2 coaches +1 spare"));
}

#[test]
fn a_leading_apostrophe_survives_export_and_import() {
    // A name that really starts with `'` followed by `=` must come back as it was.
    let repo = TestRepo::standard();
    repo.add_customer("'=not a formula", "li.na", &["--id", "apostrophe"]);
    repo.add_customer("'quoted by a person", "li.na", &["--id", "quoted"]);
    let text = export(&repo, &[]);
    let copy = reimport(&text);
    assert_eq!(copy.read_toml(&customer_path("apostrophe"))["name"].as_str(), Some("'=not a formula"), "{text}");
    assert_same_customers(&repo, &copy);
}

#[test]
fn importing_an_export_into_the_same_store_changes_nothing() {
    let repo = rich_store();
    let file = repo.root().join("export.csv");
    std::fs::write(&file, export(&repo, &[])).unwrap();
    let before = repo.state();
    for extra in [&[][..], &["--update"]] {
        let mut args = vec!["import", "csv", file.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        let out = repo.crm(&args).ok();
        let json = out.json();
        assert_eq!((json["unchanged"].as_u64(), json["added"].as_u64()), (Some(5), Some(0)), "{extra:?}\n{out}");
        assert_eq!(repo.state(), before, "{extra:?}: something was written\n{out}");
    }
}

#[test]
fn multi_line_touch_summaries_survive_export_and_import() {
    // `crm touch` takes a summary over several lines (pasted meeting notes);
    // the export must carry it so that the import reads it back.
    let repo = TestRepo::standard();
    repo.add_customer("Acme Coaches", "li.na", &["--id", "acme"]);
    repo.crm(&[
        "touch",
        "acme",
        "--kind",
        "meeting",
        "--summary",
        "Agenda:\n1. prices\n2. delivery",
        "--date",
        "2026-11-20",
    ])
    .ok();
    repo.crm(&["touch", "acme", "--kind", "call", "--summary", "Follow-up", "--date", "2026-11-21"]).ok();
    let text = export(&repo, &[]);
    let fresh = TestRepo::standard();
    let file = fresh.root().join("export.csv");
    std::fs::write(&file, &text).unwrap();
    let out = fresh.crm(&["import", "csv", file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "the export of a multi-line touch summary cannot be imported\n{text}\n{out}");
    assert_same_customers(&repo, &fresh);
}

#[test]
fn separators_inside_a_tag_survive_export_and_import() {
    // Commas and semicolons inside a tag are data: they must not split it.
    let repo = TestRepo::standard();
    repo.add_customer("Acme Coaches", "li.na", &["--id", "acme", "--tag", "Fleet, Europe", "--tag", "长途；旅游"]);
    let text = export(&repo, &[]);
    let copy = reimport(&text);
    let c = copy.read_toml(&customer_path("acme"));
    assert_eq!(c["tags"], toml::Value::Array(vec!["Fleet, Europe".into(), "长途；旅游".into()]), "{text}");
    assert_same_customers(&repo, &copy);
}

#[test]
fn a_pipe_inside_a_contact_survives_export_and_import() {
    // `|` inside a contact's name (or title) is data: it must not shift the
    // phone into the email.
    let repo = TestRepo::standard();
    repo.add_customer(
        "Acme Coaches",
        "li.na",
        &["--id", "acme", "--contact", "Wang | Li <wl@example.cn> +86 10 5555 0100"],
    );
    let text = export(&repo, &[]);
    let copy = reimport(&text);
    let c = copy.read_toml(&customer_path("acme"));
    let contact = c["contacts"][0].as_table().unwrap();
    assert_eq!(contact["name"].as_str(), Some("Wang | Li"), "{text}\n{contact:?}");
    assert_eq!(contact["email"].as_str(), Some("wl@example.cn"), "{text}\n{contact:?}");
    assert_eq!(contact["phone"].as_str(), Some("+86 10 5555 0100"), "{text}\n{contact:?}");
    assert_same_customers(&repo, &copy);
}

#[test]
fn excel_flavour_has_a_bom_and_crlf() {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--region", "华中", "--value", "100"]);
    repo.add_customer("Acme", "wang.fang", &["--contact", "Anna <anna@example.com> +49 30 5555 0100"]);
    let mut cmd = repo.crm_std();
    cmd.args(["export", "--excel"]);
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let bytes = out.stdout;
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid,name,owner,"), "{:?}", String::from_utf8_lossy(&bytes[..20]));
    assert!(bytes.ends_with(b"\r\n"));
    let lf = bytes.iter().filter(|b| **b == b'\n').count();
    let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
    assert_eq!(lf, 3, "header and two rows");
    assert_eq!(crlf, lf, "every line ends with CRLF");

    // Without --excel: no BOM, LF only.
    let plain = export(&repo, &[]);
    assert!(plain.starts_with("id,name,owner,"), "{plain}");
    assert!(!plain.contains('\r'));
    assert_eq!(plain.lines().count(), 3);

    let text = String::from_utf8(bytes).unwrap();
    let (header, rows) = parse_csv(&text);
    assert_eq!(header, COLUMNS);
    assert_eq!(rows[YUTONG]["name"], "郑州宇通客运集团");
    assert_same_customers(&repo, &reimport(&text));
}

#[test]
fn json_export_has_every_field() {
    let repo = rich_store();
    let out = repo.crm(&["export", "--format", "json"]).ok();
    let json = out.json();
    let list = json.as_array().unwrap_or_else(|| panic!("not an array\n{out}"));
    assert_eq!(list.len(), 5);
    for c in list {
        for key in COLUMNS {
            assert!(c.get(key).is_some(), "no {key} in {c}");
        }
    }
    let yutong = list.iter().find(|c| c["id"] == YUTONG).unwrap();
    assert_eq!(yutong["name"], "郑州宇通客运集团");
    assert_eq!(yutong["owner"], "zhang.wei");
    assert_eq!(yutong["backup"], "li.na");
    assert_eq!(yutong["tier"], "key");
    assert_eq!(yutong["value"], 12_000_000);
    assert_eq!(yutong["since"], "2019-04-01");
    assert_eq!(yutong["next_date"], "2026-12-15");
    assert_eq!(yutong["tags"], serde_json::json!(["公交", "electric"]));
    assert_eq!(yutong["contacts"][0]["name"], "王建国");
    assert_eq!(yutong["contacts"][0]["phone"], "+86 371 5555 0101");
    assert_eq!(yutong["touches"].as_array().map(Vec::len), Some(2));
    assert_eq!(yutong["touches"][0]["kind"], "visit");
    assert_eq!(yutong["touches"][0]["by"], "liu.yang");
    let beijing = list.iter().find(|c| c["id"] == "beijing-gongjiao-jituan").unwrap();
    assert_eq!(beijing["contacts"][0]["title"], "采购部经理");
    assert_eq!(beijing["value"], 3_500_000);
    let shenzhen = list.iter().find(|c| c["name"] == "深圳巴士集团").unwrap();
    assert_eq!(shenzhen["value"], 1_200_000, "120万");
    // JSON keeps formula-like text as it is (only CSV is neutralized).
    assert!(!out.stdout.contains("'="));
}

#[test]
fn owner_and_region_filters() {
    let repo = rich_store();
    let ids = |args: &[&str]| -> Vec<String> {
        let (_, rows) = parse_csv(&export(&repo, args));
        rows.into_keys().collect()
    };
    assert_eq!(ids(&["--owner", "li.na"]), ["beijing-gongjiao-jituan", "plain-customer"]);
    let zhang = ids(&["--owner", "zhang.wei"]);
    assert_eq!(zhang.len(), 2, "{zhang:?}");
    assert!(zhang.contains(&YUTONG.to_string()), "{zhang:?}");
    let south = ids(&["--region", "华南"]);
    assert_eq!(south.len(), 2, "{south:?}");
    assert!(south.contains(&"acme-coaches".to_string()), "{south:?}");
    assert_eq!(ids(&["--region", "华中"]), [YUTONG]);
    assert_eq!(ids(&["--region", "华南", "--owner", "wang.fang"]), ["acme-coaches"]);
    assert!(ids(&["--region", "华中", "--owner", "wang.fang"]).is_empty());
    let all = ids(&[]);
    assert_eq!(all.len(), 5);

    let json = repo.crm(&["export", "--format", "json", "--owner", "zhang.wei"]).ok().json();
    let owners: Vec<&str> = json.as_array().unwrap().iter().map(|c| c["owner"].as_str().unwrap()).collect();
    assert_eq!(owners, ["zhang.wei", "zhang.wei"]);
    let json = repo.crm(&["export", "--format", "json", "--region", "华北"]).ok().json();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["id"], "beijing-gongjiao-jituan");
}

#[test]
fn escapes_in_names_never_reach_list_output_raw() {
    let repo = TestRepo::standard();
    let rel = customer_path("terminal-escape");
    repo.write(
        &rel,
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bad-toml/terminal-escape.toml"))
            .expect("fixture"),
    );
    repo.commit_all("Add terminal-escape by hand");
    for format in ["table", "md", "csv", "json"] {
        let out = repo.crm(&["list", "--format", format]).ok();
        assert!(out.stdout.contains("Evil"), "{format}: the customer is listed\n{out}");
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
            "{format} printed raw control characters:\n{}",
            out.stdout.escape_debug()
        );
        assert!(!out.stderr.contains('\u{1b}'), "{format}: {}", out.stderr.escape_debug());
    }
    for args in [&["list"][..], &["list", "--owner", "li.na"]] {
        let out = repo.crm(args).ok();
        assert!(!out.stdout.contains('\u{1b}'), "{args:?}");
    }
}
