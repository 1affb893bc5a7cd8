//! `crm report handover --mail`: a whole MIME message for `sendmail -t`,
//! read back with an independent parser (Python's `email` package): the
//! headers (a UTF-8 subject, From, To the active managers and admins, Date,
//! Message-ID), a multipart/alternative body whose plain part is the
//! Markdown report and whose HTML part is the HTML report; and
//! `--warning-file`, which puts a warning above everything.

use serde_json::Value;

use crate::common::{needs_program, TestRepo, TODAY};
use crate::report_lang::store;

/// Reads a message with Python's `email` package (the modern policy) and
/// says what it found, as JSON.
const PARSE: &str = r#"
import email, email.policy, email.utils, json, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
# Text travels with CRLF line ends (MIME's canonical form): compared as LF.
parts = [{"type": p.get_content_type(), "charset": p.get_content_charset(),
          "content": p.get_content().replace("\r\n", "\n")}
         for p in msg.iter_parts()] if msg.is_multipart() else []
print(json.dumps({
    "type": msg.get_content_type(),
    "subject": str(msg["subject"]),
    "from": str(msg["from"]),
    "to": sorted(a.addr_spec for a in msg["to"].addresses),
    "to_names": sorted(a.display_name for a in msg["to"].addresses),
    "date": email.utils.format_datetime(msg["date"].datetime),
    "message_id": str(msg["message-id"]),
    "defects": [str(d) for p in msg.walk() for d in p.defects],
    "parts": parts,
}))
"#;

/// `message` as Python's `email` package reads it, or `None` without
/// python3 (outside CI).
#[track_caller]
pub(crate) fn parse_mail(repo: &TestRepo, message: &str) -> Option<Value> {
    if !needs_program("python3") {
        return None;
    }
    let path = repo.root().join("message.eml");
    std::fs::write(&path, message).unwrap();
    let out = std::process::Command::new("python3").arg("-c").arg(PARSE).arg(&path).output().expect("run python3");
    assert!(out.status.success(), "python3: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// [`store`] with a second active manager (陈杰) and crm.toml's `[report]`
/// set to `settings`.
fn managed(settings: &str) -> TestRepo {
    let repo = store();
    let args = ["staff", "add", "chen.jie", "--name", "陈杰", "--email", "chen.jie@example.com", "--role", "manager"];
    repo.crm(&[&args[..], &["--region", "华东"]].concat()).ok();
    let config = repo.read("crm.toml");
    repo.write("crm.toml", format!("{config}\n[report]\n{settings}\n"));
    repo.commit_all("report settings");
    repo
}

#[test]
fn the_mail_is_a_multipart_message_to_the_managers_with_the_report_in_both_forms() {
    let repo = managed("lang = \"zh-CN\"\nfrom = \"CRM 报告 <crm@example.cn>\"");
    let message = repo.crm(&["report", "handover", "--mail"]).ok().stdout;
    assert!(!message.contains('\r'), "LF line ends for sendmail");
    let Some(m) = parse_mail(&repo, &message) else { return };
    assert_eq!(m["defects"], serde_json::json!([]), "{message}");
    assert_eq!(m["type"], "multipart/alternative");
    assert_eq!(m["subject"], "[crm] 交接报告 — Example Coach Co. — 2026-11-26：逾期 0，未确认 0，待交接 1");
    assert_eq!(m["from"], "CRM 报告 <crm@example.cn>");
    // The active managers and admins: li.na has left, zhang.wei is a rep.
    assert_eq!(m["to"], serde_json::json!(["chen.jie@example.com", "liu@example.com"]));
    assert_eq!(m["to_names"], serde_json::json!(["刘洋", "陈杰"]));
    assert_eq!(m["date"], "Thu, 26 Nov 2026 00:00:00 +0000", "CRM_TODAY fixes the date");
    let id = m["message_id"].as_str().unwrap();
    assert!(id.starts_with("<crm.handover.") && id.ends_with("@example.cn>"), "{id}");

    let parts = m["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{m}");
    assert_eq!((&parts[0]["type"], &parts[0]["charset"]), (&"text/plain".into(), &"utf-8".into()));
    assert_eq!((&parts[1]["type"], &parts[1]["charset"]), (&"text/html".into(), &"utf-8".into()));
    let md = repo.crm(&["report", "handover", "--format", "md"]).ok().stdout;
    let html = repo.crm(&["report", "handover", "--format", "html"]).ok().stdout;
    assert_eq!(parts[0]["content"], md.as_str(), "the plain part is the Markdown report");
    assert_eq!(parts[1]["content"], html.as_str(), "the HTML part is the HTML report");
    assert!(html.contains("交接报告"), "{html}");

    // The same report gives the same message.
    assert_eq!(repo.crm(&["report", "handover", "--mail"]).ok().stdout, message);
}

#[test]
fn the_default_sender_is_crm_at_the_admins_domain_and_english_is_the_default() {
    let repo = managed("");
    let message = repo.crm_findings(TODAY, &["report", "handover", "--mail", "--fail-on", "pending"]);
    assert_eq!(message.code, 1, "--fail-on still decides the exit code\n{message}");
    assert!(message.stderr.contains("action needed: pending"), "{message}");
    let Some(m) = parse_mail(&repo, &message.stdout) else { return };
    assert_eq!(m["from"], "\"crm (Example Coach Co.)\" <crm@example.com>");
    assert_eq!(
        m["subject"],
        "[crm] Handover report — Example Coach Co. — 2026-11-26: 0 overdue, 0 unacknowledged, 1 pending"
    );
}

#[test]
fn a_warning_file_goes_above_everything_in_every_form() {
    let repo = managed("");
    let file = repo.root().join("verify.txt");
    std::fs::write(&file, "crm verify 1a2b..3c4d found 1 violation(s):\n3c4d 2026-11-25 error[unsigned]: <b>x</b>\n")
        .unwrap();
    let flag = ["--warning-file", file.to_str().unwrap()];
    let md = repo.crm(&[&["report", "handover", "--format", "md"][..], &flag].concat()).ok().stdout;
    let heading_end = md.find("\n\n").unwrap();
    let after = &md[heading_end + 2..];
    assert!(
        after.starts_with(
            "**⚠ Read this first: something is wrong with what this report is based on**\n\n    crm verify 1a2b..3c4d found 1 violation(s):\n    3c4d 2026-11-25 error[unsigned]: <b>x</b>\n\n**1** pending"
        ),
        "{md}"
    );
    let table = repo.crm(&[&["report", "handover"][..], &flag].concat()).ok().stdout;
    assert!(table.starts_with("⚠ Read this first"), "{table}");
    let html = repo.crm(&[&["report", "handover", "--format", "html"][..], &flag].concat()).ok().stdout;
    let warning = html.find("⚠ Read this first").unwrap_or_else(|| panic!("{html}"));
    assert!(warning < html.find("At a glance").unwrap(), "{html}");
    assert!(html.contains("error[unsigned]: &lt;b&gt;x&lt;/b&gt;"), "escaped\n{html}");

    let message = repo.crm(&[&["report", "handover", "--mail"][..], &flag].concat()).ok().stdout;
    if let Some(m) = parse_mail(&repo, &message) {
        let subject = m["subject"].as_str().unwrap();
        assert!(subject.starts_with("[crm] WARNING, read first: Handover report"), "{subject}");
        assert!(m["parts"][1]["content"].as_str().unwrap().contains("3c4d 2026-11-25 error[unsigned]"), "{m}");
    }

    // An empty file adds nothing: a script may always pass one.
    std::fs::write(&file, "\n").unwrap();
    let plain = repo.crm(&["report", "handover", "--format", "md"]).ok().stdout;
    assert_eq!(repo.crm(&[&["report", "handover", "--format", "md"][..], &flag].concat()).ok().stdout, plain);
}

#[test]
fn mail_and_warning_misuse_is_refused() {
    let repo = managed("");
    let before = repo.state();
    let out = repo.crm(&["report", "handover", "--mail", "--format", "md"]);
    repo.assert_refused(&out, 2, &["--mail", "--format"], &before);
    let out = repo.crm(&["report", "handover", "--warning-file", "/nonexistent/verify.txt"]);
    repo.assert_refused(&out, 2, &["cannot read the warning file /nonexistent/verify.txt"], &before);
    let file = repo.root().join("w.txt");
    std::fs::write(&file, "tampered").unwrap();
    let out = repo.crm(&["report", "handover", "--format", "json", "--warning-file", file.to_str().unwrap()]);
    repo.assert_refused(&out, 2, &["--warning-file", "JSON"], &before);

    let repo = managed("from = \"not an address\"");
    let before = repo.state();
    let out = repo.crm(&["report", "handover", "--mail"]);
    repo.assert_refused(&out, 2, &["crm.toml: [report] from = \"not an address\" is not an e-mail address"], &before);
}
