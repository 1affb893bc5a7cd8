//! Customers as spreadsheet rows: which columns mean which field (Chinese
//! and English headers as real exports have them), how cells are read
//! (amounts like `1,200,000` or `120万`, dates like `2019/4/1`) and written
//! (contacts and touches one per line, every cell safe from formula
//! injection), so that export followed by import gives the same files.

use super::customer::{Contact, Customer, Touch};
use super::date::Date;

/// A customer field a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The customer id.
    Id,
    /// Name.
    Name,
    /// Owner handle.
    Owner,
    /// Backup handle.
    Backup,
    /// Tier.
    Tier,
    /// Status.
    Status,
    /// Region.
    Region,
    /// Annual value.
    Value,
    /// Relationship start.
    Since,
    /// Tags, separated by `;` or `,`.
    Tags,
    /// Next step.
    NextStep,
    /// Next step date.
    NextDate,
    /// Notes.
    Notes,
    /// A contact's name (or a whole "Name <email> phone").
    ContactName,
    /// A contact's title.
    ContactTitle,
    /// A contact's phone.
    ContactPhone,
    /// A contact's email.
    ContactEmail,
    /// All contacts, one per line (as exported).
    Contacts,
    /// All touches, one per line (as exported).
    Touches,
    /// A column to leave out.
    Ignore,
}

/// Field names for `--map COLUMN=FIELD`, and the headers recognised for
/// each (compared without case and surrounding spaces).
const FIELDS: &[(Field, &str, &[&str])] = &[
    (Field::Id, "id", &["id", "customer id", "客户编号", "编号"]),
    (
        Field::Name,
        "name",
        &["name", "customer", "customer name", "company", "客户名称", "客户", "公司名称", "名称", "单位名称"],
    ),
    (Field::Owner, "owner", &["owner", "account owner", "sales rep", "rep", "负责人", "销售", "业务员", "客户经理"]),
    (Field::Backup, "backup", &["backup", "备份", "备份负责人", "协助人"]),
    (Field::Tier, "tier", &["tier", "等级", "级别", "客户等级"]),
    (Field::Status, "status", &["status", "状态"]),
    (Field::Region, "region", &["region", "area", "地区", "区域", "大区"]),
    (Field::Value, "value", &["value", "annual value", "revenue", "年采购额", "金额", "年销售额", "采购额"]),
    (Field::Since, "since", &["since", "customer since", "start date", "开始日期", "合作开始"]),
    (Field::Tags, "tags", &["tags", "tag", "标签"]),
    (Field::NextStep, "next_step", &["next_step", "next step", "下一步"]),
    (Field::NextDate, "next_date", &["next_date", "next date", "下次日期", "跟进日期"]),
    (Field::Notes, "notes", &["notes", "note", "remarks", "comment", "备注", "说明"]),
    (Field::ContactName, "contact_name", &["contact", "contact name", "联系人", "联系人姓名"]),
    (Field::ContactTitle, "contact_title", &["title", "contact title", "职务", "职位"]),
    (Field::ContactPhone, "contact_phone", &["phone", "mobile", "tel", "telephone", "电话", "手机", "联系电话"]),
    (Field::ContactEmail, "contact_email", &["email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"]),
    (Field::Contacts, "contacts", &["contacts"]),
    (Field::Touches, "touches", &["touches"]),
    (Field::Ignore, "ignore", &[]),
];

impl Field {
    /// The field a header means, if it is a known one.
    pub fn from_header(header: &str) -> Option<Field> {
        let h = header.trim().to_lowercase();
        FIELDS.iter().find(|(_, _, names)| names.contains(&h.as_str())).map(|(f, _, _)| *f)
    }

    /// The field named in `--map COLUMN=FIELD`.
    pub fn from_name(name: &str) -> Option<Field> {
        FIELDS.iter().find(|(_, n, _)| *n == name.trim()).map(|(f, _, _)| *f)
    }

    /// Every field name `--map` accepts.
    pub fn names() -> Vec<&'static str> {
        FIELDS.iter().map(|(_, n, _)| *n).collect()
    }
}

/// Columns of an export, in order; each header maps back to its field.
pub const EXPORT_COLUMNS: &[&str] = &[
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

/// A customer as an export row (cells not yet made formula-safe).
pub fn to_row(c: &Customer) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let date = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        c.id.to_string(),
        c.name.clone(),
        c.owner.clone(),
        opt(&c.backup),
        c.tier.clone(),
        c.status.clone(),
        opt(&c.region),
        c.value.map(|v| v.to_string()).unwrap_or_default(),
        date(c.since),
        tags_cell(&c.tags),
        opt(&c.next_step),
        date(c.next_date),
        opt(&c.notes),
        contacts_cell(&c.contacts),
        touches_cell(&c.touches),
    ]
}

/// Characters that separate tags in a cell.
pub const TAG_SEPARATORS: &[char] = &[';', ',', '；', '，'];

/// `s` with `\`, line breaks and `specials` escaped by a backslash, so it
/// can sit between separators and on one line.
fn escape_field(s: &str, specials: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == '\\' || specials.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Splits `s` at unescaped `separators`, undoing [`escape_field`] and
/// trimming each part.
pub fn split_escaped(s: &str, separators: &[char]) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let current = parts.last_mut().expect("never empty");
        match c {
            '\\' => match chars.next() {
                Some('n') => current.push('\n'),
                Some('r') => current.push('\r'),
                Some(other) => current.push(other),
                None => current.push('\\'),
            },
            c if separators.contains(&c) => parts.push(String::new()),
            c => current.push(c),
        }
    }
    parts.into_iter().map(|p| p.trim().to_string()).collect()
}

/// Tags separated by `; ` (a separator inside a tag is escaped).
pub fn tags_cell(tags: &[String]) -> String {
    tags.iter().map(|t| escape_field(t, TAG_SEPARATORS)).collect::<Vec<_>>().join("; ")
}

/// Contacts one per line: `name | title | phone | email` (a `|`, `\` or
/// line break inside a field is escaped with `\`).
pub fn contacts_cell(contacts: &[Contact]) -> String {
    let f = |v: &str| escape_field(v, &['|']);
    let o = |v: &Option<String>| f(v.as_deref().unwrap_or_default());
    contacts
        .iter()
        .map(|c| format!("{} | {} | {} | {}", f(&c.name), o(&c.title), o(&c.phone), o(&c.email)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a [`contacts_cell`].
pub fn parse_contacts_cell(cell: &str) -> Result<Vec<Contact>, String> {
    let some = |s: &String| (!s.is_empty()).then(|| s.clone());
    cell.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let parts = split_escaped(line, &['|']);
            let [name, title, phone, email] = &parts[..] else {
                return Err(format!("contact `{line}` is not `name | title | phone | email`"));
            };
            Ok(Contact { name: name.clone(), title: some(title), phone: some(phone), email: some(email) })
        })
        .collect()
}

/// Touches one per line: `date | by | kind | summary` (escaped as in
/// [`contacts_cell`]).
pub fn touches_cell(touches: &[Touch]) -> String {
    let f = |v: &str| escape_field(v, &['|']);
    touches
        .iter()
        .map(|t| format!("{} | {} | {} | {}", t.date, f(&t.by), f(&t.kind), f(&t.summary)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a [`touches_cell`].
pub fn parse_touches_cell(cell: &str) -> Result<Vec<Touch>, String> {
    cell.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let parts = split_escaped(line, &['|']);
            let [date, by, kind, summary] = &parts[..] else {
                return Err(format!("touch `{line}` is not `date | by | kind | summary`"));
            };
            let date = parse_date(date)?.ok_or_else(|| format!("touch `{line}` has no date"))?;
            Ok(Touch { date, by: by.clone(), kind: kind.clone(), summary: summary.clone() })
        })
        .collect()
}

/// First characters that make a spreadsheet run a cell as a formula, plus
/// `'`, so that a real leading apostrophe survives [`unneutralize`].
const FORMULA_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Makes a cell safe to open in a spreadsheet: one starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return (or `'`) gets a leading `'`, so it is
/// shown as text and never run as a formula.
pub fn neutralize(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// Undoes [`neutralize`] on import.
pub fn unneutralize(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// Reads an amount: `1200000`, `1,200,000`, `¥1 200 000`, `120万`,
/// `1.5亿`; empty is none. Negative or non-numeric amounts are refused.
pub fn parse_amount(cell: &str) -> Result<Option<u64>, String> {
    let s: String = cell.chars().filter(|c| !matches!(c, ',' | '，' | '_' | ' ' | '¥' | '￥' | '$' | '元')).collect();
    if s.is_empty() {
        return Ok(None);
    }
    let (number, factor) = match (s.strip_suffix('万'), s.strip_suffix('亿')) {
        (Some(n), _) => (n, 10_000.0),
        (_, Some(n)) => (n, 100_000_000.0),
        _ => (s.as_str(), 1.0),
    };
    let bad = || format!("`{cell}` is not an amount (use digits, e.g. 1200000 or 120万)");
    if number.starts_with('-') {
        return Err(format!("`{cell}` is negative"));
    }
    if factor == 1.0 {
        return number.parse::<u64>().map(Some).map_err(|_| bad());
    }
    let x: f64 = number.parse().map_err(|_| bad())?;
    Ok(Some((x * factor).round() as u64))
}

/// Reads a date as spreadsheets write them: `2019-04-01`, `2019/4/1`,
/// `2019.4.1`, `20190401`, `2019年4月1日`; empty is none.
pub fn parse_date(cell: &str) -> Result<Option<Date>, String> {
    let s = cell.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let unified: String = s.replace(['/', '.', '年', '月'], "-").trim_end_matches('日').to_string();
    let unified = if unified.len() == 8 && unified.chars().all(|c| c.is_ascii_digit()) {
        format!("{}-{}-{}", &unified[..4], &unified[4..6], &unified[6..])
    } else {
        unified
    };
    chrono::NaiveDate::parse_from_str(&unified, "%Y-%m-%d")
        .map(|d| Some(Date(d)))
        .map_err(|_| format!("`{cell}` is not a date that exists (use YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("1,200,000"), Ok(Some(1_200_000)));
        assert_eq!(parse_amount("120万"), Ok(Some(1_200_000)));
        assert_eq!(parse_amount("1.5亿"), Ok(Some(150_000_000)));
        assert_eq!(parse_amount(""), Ok(None));
        assert!(parse_amount("lots").is_err());
        assert!(parse_amount("-20").is_err());
    }

    #[test]
    fn dates() {
        let d = parse_date("2019-04-01").unwrap();
        for s in ["2019/4/1", "2019.04.01", "20190401", "2019年4月1日"] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert!(parse_date("2026-13-40").is_err());
    }

    #[test]
    fn formulas_are_neutralized_and_restored() {
        for cell in ["=HYPERLINK(\"x\")", "+86 371", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let safe = neutralize(cell);
            assert!(safe.starts_with('\''), "{cell}");
            assert_eq!(unneutralize(&safe), cell);
        }
        assert_eq!(neutralize("plain"), "plain");
        assert_eq!(unneutralize("'quoted by a person"), "'quoted by a person");
        assert_eq!(unneutralize(&neutralize("'=not a formula")), "'=not a formula");
    }

    #[test]
    fn contacts_and_touches_round_trip() {
        let contacts = vec![
            Contact {
                name: "王建国".into(),
                title: Some("采购部经理".into()),
                phone: Some("+86 1".into()),
                email: None,
            },
            Contact { name: "Anna".into(), ..Contact::default() },
            Contact { name: "Wang | Li".into(), phone: Some("+86 10 | 5".into()), ..Contact::default() },
        ];
        assert_eq!(parse_contacts_cell(&contacts_cell(&contacts)).unwrap(), contacts);
        let touches = vec![Touch {
            date: Date::parse("2026-11-20").unwrap(),
            by: "zhang.wei".into(),
            kind: "visit".into(),
            summary: "Talked | about fleets\\ and\nAgenda:\n1. prices".into(),
        }];
        assert_eq!(parse_touches_cell(&touches_cell(&touches)).unwrap(), touches);
    }

    #[test]
    fn tags_with_separators_round_trip() {
        let tags = vec!["Fleet, Europe".to_string(), "长途；旅游".to_string(), "a;b".to_string()];
        assert_eq!(split_escaped(&tags_cell(&tags), TAG_SEPARATORS), tags);
        assert_eq!(split_escaped("公交, electric；x", TAG_SEPARATORS), ["公交", "electric", "x"]);
    }

    #[test]
    fn headers() {
        assert_eq!(Field::from_header(" 客户名称 "), Some(Field::Name));
        assert_eq!(Field::from_header("E-Mail"), Some(Field::ContactEmail));
        assert_eq!(Field::from_header("fax"), None);
        assert_eq!(Field::from_name("contact_phone"), Some(Field::ContactPhone));
    }
}
