//! A customer record (`customers/<xx>/<id>.toml`) and how it is read from
//! TOML text, with every schema problem reported at its line.

use serde::Serialize;
use toml_edit::TableLike;

use super::date::Date;
use super::fastparse;
use super::ids::CustomerId;
use super::named::named_enum;
use super::pool::{PoolFields, POOL};
use super::rule_ids::CheckRule;
use super::schema::{self, Problem, Reader};
use crate::{Error, Result};

/// One customer, as stored in its file (the id is the file stem).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    /// The customer id (file stem).
    pub id: CustomerId,
    /// Display name, any script.
    pub name: String,
    /// Staff handle of the relationship owner.
    pub owner: String,
    /// Company-level second contact.
    pub backup: Option<String>,
    /// One of the policy's tiers.
    pub tier: String,
    /// prospect | active | dormant | lost.
    pub status: String,
    /// Sales region.
    pub region: Option<String>,
    /// Start of the relationship.
    pub since: Option<Date>,
    /// Estimated annual value in the company currency.
    pub value: Option<u64>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// The next planned step.
    pub next_step: Option<String>,
    /// When the next step is due.
    pub next_date: Option<Date>,
    /// Free-form notes (e.g. the remarks column of an imported spreadsheet).
    pub notes: Option<String>,
    /// People at the customer.
    pub contacts: Vec<Contact>,
    /// Interaction log, oldest first.
    pub touches: Vec<Touch>,
    /// In a sealed store: who the sensitive values are sealed to, and the
    /// data key wrapped for them (`sealed_to`, `sealed_key`).
    #[serde(skip)]
    pub seal: Option<Seal>,
    /// Where it stands with the pool (the `pool_*` keys).
    #[serde(skip_serializing_if = "PoolFields::is_empty")]
    pub pool: PoolFields,
}

/// `sealed_to` and `sealed_key` of a sealed customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Seal {
    /// Handles (and `@recovery`) the data key is wrapped for, as written.
    pub to: Vec<String>,
    /// The data key, wrapped for them: the base64 of an age file.
    pub key: String,
}

impl Seal {
    /// Builds the seal from the two keys read, when both are present.
    pub fn from_parts(to: Option<Vec<String>>, key: Option<String>) -> Option<Seal> {
        Some(Seal { to: to?, key: key? })
    }
}

impl Customer {
    /// A new customer with only its id, name and owner: the file format's
    /// defaults for the rest (tier `standard`, status `active`).
    pub fn new(id: CustomerId, name: String, owner: String) -> Customer {
        Customer {
            id,
            name,
            owner,
            backup: None,
            tier: "standard".into(),
            status: "active".into(),
            region: None,
            since: None,
            value: None,
            tags: Vec::new(),
            next_step: None,
            next_date: None,
            notes: None,
            contacts: Vec::new(),
            touches: Vec::new(),
            seal: None,
            pool: PoolFields::default(),
        }
    }

    /// Whether it is in the pool.
    pub fn is_pooled(&self) -> bool {
        self.owner == POOL
    }
}

/// A person at a customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Contact {
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Phone number as written.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
}

/// One logged interaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Touch {
    /// When it happened.
    pub date: Date,
    /// Staff handle of who made it.
    pub by: String,
    /// visit | call | email | meeting | other.
    pub kind: String,
    /// What happened.
    pub summary: String,
}

named_enum! {
    /// A customer's status, as the file format allows it.
    Status("status") {
        Prospect = "prospect",
        Active = "active",
        Dormant = "dormant",
        Lost = "lost",
    }
}

named_enum! {
    /// The kind of a logged interaction, as the file format allows it.
    TouchKind("touch kind") {
        Visit = "visit",
        Call = "call",
        Email = "email",
        Meeting = "meeting",
        Other = "other",
    }
}

/// A customer file read in full: the record (when it could be built) and
/// every problem found, errors and warnings apart.
#[derive(Debug)]
pub struct ParsedCustomer {
    /// The record, `None` when an error prevents building it.
    pub customer: Option<Customer>,
    /// Schema errors.
    pub errors: Vec<Problem>,
    /// Unknown keys.
    pub warnings: Vec<Problem>,
    /// Byte offsets of the keys read, by dotted path (`owner`,
    /// `touches[2].by`), from the full reader; `None` when the fast reader
    /// read the file (offsets are then found on demand).
    pub offsets: Option<Vec<(String, usize)>>,
}

impl ParsedCustomer {
    /// The byte offset in `src` (the text parsed) of key `path` (`owner`,
    /// `touches[0].by`), if present.
    pub fn offset(&self, src: &str, path: &str) -> Option<usize> {
        match &self.offsets {
            Some(list) => list.iter().find(|(k, _)| k == path).map(|(_, o)| *o),
            None => fastparse::key_offset(src, path),
        }
    }
}

impl Customer {
    /// Reads a customer file's text, collecting every problem.
    pub fn parse_all(id: &CustomerId, src: &str) -> ParsedCustomer {
        if let Some(customer) = fastparse::customer(id, src) {
            return ParsedCustomer {
                customer: Some(customer),
                errors: Vec::new(),
                warnings: Vec::new(),
                offsets: None,
            };
        }
        Customer::parse_all_slowly(id, src)
    }

    /// [`Customer::parse_all`] with the full `toml_edit` reader only.
    pub fn parse_all_slowly(id: &CustomerId, src: &str) -> ParsedCustomer {
        let doc = match schema::parse(src) {
            Ok(doc) => doc,
            Err(p) => {
                return ParsedCustomer {
                    customer: None,
                    errors: vec![p],
                    warnings: Vec::new(),
                    offsets: Some(Vec::new()),
                }
            }
        };
        let table = doc.as_table();
        let mut r = Reader::new(src, table, None);
        let name = r.req_str("name");
        let owner = r.req_str("owner");
        let mut customer = Customer {
            id: id.clone(),
            name,
            owner,
            backup: r.opt_str("backup"),
            tier: r.opt_str("tier").unwrap_or_else(|| "standard".into()),
            status: r.opt_str("status").unwrap_or_else(|| "active".into()),
            region: r.opt_str("region"),
            since: r.opt_date("since"),
            value: r.opt_u64("value"),
            tags: r.str_array("tags"),
            next_step: r.opt_str("next_step"),
            next_date: r.opt_date("next_date"),
            notes: r.opt_str("notes"),
            contacts: r.tables("contacts", |c| Contact {
                name: c.opt_str("name").unwrap_or_default(),
                title: c.opt_str("title"),
                phone: c.opt_str("phone"),
                email: c.opt_str("email"),
            }),
            touches: Vec::new(),
            seal: None,
            pool: PoolFields {
                released: r.opt_date("pool_released"),
                reason: r.opt_str("pool_reason"),
                from: r.opt_str("pool_from"),
                claimed: r.opt_date("pool_claimed"),
                assigned: r.opt_date("pool_assigned"),
                locked_by: r.opt_str("pool_locked_by"),
                locked_until: r.opt_date("pool_locked_until"),
            },
        };
        let touches = r.tables("touches", |t| {
            let date = t.req_date("date");
            let touch = Touch {
                date: date.unwrap_or(Date(chrono::NaiveDate::MIN)),
                by: t.req_str("by"),
                kind: t.req_str("kind"),
                summary: t.opt_str("summary").unwrap_or_default(),
            };
            date.map(|_| touch)
        });
        customer.touches = touches.into_iter().flatten().collect();
        customer.seal = read_seal(&mut r, table);
        let (errors, warnings, offsets) = r.finish();
        let customer = errors.is_empty().then_some(customer);
        ParsedCustomer { customer, errors, warnings, offsets: Some(offsets) }
    }

    /// Reads a customer file's text, failing on its first error.
    pub fn parse(id: &CustomerId, path: &str, src: &str) -> Result<Customer> {
        let parsed = Customer::parse_all(id, src);
        match parsed.customer {
            Some(c) => Ok(c),
            None => Err(parsed
                .errors
                .into_iter()
                .next()
                .map_or_else(|| Error::invalid("customer file", path, "unreadable"), |p| p.into_error(path))),
        }
    }

    /// The date of the most recent touch.
    pub fn last_touch(&self) -> Option<Date> {
        self.touches.iter().map(|t| t.date).max()
    }
}

/// Reads `sealed_to` and `sealed_key`, which go together.
fn read_seal(r: &mut Reader<'_>, table: &dyn TableLike) -> Option<Seal> {
    let to = table.contains_key("sealed_to").then(|| r.str_array("sealed_to"));
    let key = r.opt_str("sealed_key");
    if to.is_some() != key.is_some() {
        let (present, missing) = if to.is_some() { ("sealed_to", "sealed_key") } else { ("sealed_key", "sealed_to") };
        r.problem(present, CheckRule::SealMalformed, format!("`{present}` without `{missing}`: the two go together"));
    }
    Seal::from_parts(to, key)
}

/// Who holds a customer, as history reads it from one version of its
/// file: the owner and, for a pooled customer, why it was released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The `owner` key.
    pub owner: String,
    /// The `pool_reason` key.
    pub pool_reason: Option<String>,
}

/// Reads only who holds a customer from its file: the fast path for
/// history, which looks at thousands of versions.
pub fn read_holder(src: &str) -> Option<Holder> {
    if let Some(c) = CustomerId::parse("owner-probe").ok().and_then(|id| fastparse::customer(&id, src)) {
        return Some(Holder { owner: c.owner, pool_reason: c.pool.reason });
    }
    let doc = schema::parse(src).ok()?;
    let t: &dyn TableLike = doc.as_table();
    let get = |k: &str| t.get(k).and_then(|i| i.as_str()).map(str::to_string);
    Some(Holder { owner: get("owner")?, pool_reason: get("pool_reason") })
}

impl Contact {
    /// Parses `"Name <email> phone"`: the email in angle brackets and the
    /// phone after it are optional (`"王建国 +86 371 5555 0101"` works too).
    pub fn parse_spec(spec: &str) -> Result<Contact> {
        let spec = spec.trim();
        let (name, email, rest) = match (spec.find('<'), spec.find('>')) {
            (Some(open), Some(close)) if open < close => {
                (&spec[..open], Some(spec[open + 1..close].trim()), &spec[close + 1..])
            }
            (None, None) => {
                // No email: a phone starts at the first '+' or digit run.
                let at = spec.find(|c: char| c == '+' || c.is_ascii_digit()).unwrap_or(spec.len());
                (&spec[..at], None, &spec[at..])
            }
            _ => return Err(Error::invalid("contact", spec, "expected \"Name <email> phone\"")),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("contact", spec, "the contact needs a name: \"Name <email> phone\""));
        }
        if let Some(e) = email {
            if !e.contains('@') || e.contains(char::is_whitespace) {
                return Err(Error::invalid("contact email", e, "expected an address like wang@example.cn"));
            }
        }
        let phone = rest.trim();
        Ok(Contact {
            name: name.to_string(),
            title: None,
            phone: (!phone.is_empty()).then(|| phone.to_string()),
            email: email.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rule_ids::CheckRule;

    fn id() -> CustomerId {
        CustomerId::parse("acme").unwrap()
    }

    #[test]
    fn reads_a_full_file() {
        let src = r#"name = "郑州宇通客运集团"
owner = "zhang.wei"
backup = "li.na"
tier = "key"
since = 2019-04-01
value = 12000000
tags = ["公交", "electric"]

[[contacts]]
name = "王建国"
email = "wang@example.cn"

[[touches]]
date = 2026-11-20
by = "zhang.wei"
kind = "visit"
summary = "Discussed 2027 fleet renewal"
"#;
        let c = Customer::parse(&id(), "x", src).unwrap();
        assert_eq!(c.owner, "zhang.wei");
        assert_eq!(c.value, Some(12_000_000));
        assert_eq!(c.contacts[0].name, "王建国");
        assert_eq!(c.last_touch().unwrap().to_string(), "2026-11-20");
        assert_eq!(c.status, "active");
    }

    #[test]
    fn every_type_error_is_reported_with_its_line() {
        let parsed = Customer::parse_all(&id(), "name = \"x\"\nowner = 42\nvalue = \"lots\"\n");
        let lines: Vec<_> = parsed.errors.iter().map(|p| (p.rule, p.line)).collect();
        assert_eq!(lines, [(CheckRule::WrongType, 2), (CheckRule::WrongType, 3)]);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = Customer::parse(&id(), "customers/aa/acme.toml", "name = \"x\"\nowner = \n").unwrap_err();
        assert!(err.to_string().starts_with("customers/aa/acme.toml:2:"), "{err}");
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let parsed = Customer::parse_all(&id(), "name = \"x\"\nowner = \"a\"\nfax = \"1\"\n");
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.warnings[0].rule, CheckRule::UnknownKey);
        assert_eq!(parsed.warnings[0].line, 3);
    }

    #[test]
    fn contact_specs() {
        let c = Contact::parse_spec("王建国 <wang@example.cn> +86 371 5555 0101").unwrap();
        assert_eq!(c.email.as_deref(), Some("wang@example.cn"));
        assert_eq!(c.phone.as_deref(), Some("+86 371 5555 0101"));
        let c = Contact::parse_spec("Anna Berg +46 8 123").unwrap();
        assert_eq!((c.name.as_str(), c.phone.as_deref()), ("Anna Berg", Some("+46 8 123")));
        assert!(Contact::parse_spec("<a@b.c>").is_err());
        assert!(Contact::parse_spec("Bob <not an email>").is_err());
    }
}
