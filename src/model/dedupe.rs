//! Recognising the same customer under another spelling: a normalised name
//! (case, full-width letters, punctuation and company suffixes such as
//! 有限公司 or "Co., Ltd." do not count), or a shared contact email or phone.

use std::collections::HashMap;

use super::customer::Contact;

/// Company-form words removed from names before comparing, longest first.
const SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "总公司",
    "公司",
    "companylimited",
    "limited",
    "company",
    "corporation",
    "corp",
    "coltd",
    "ltd",
    "llc",
    "inc",
    "gmbh",
    "plc",
    "co",
    "ag",
    "ab",
    "sa",
    "bv",
    "as",
];

/// What makes two customers the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DupKeys {
    /// The normalised name.
    pub name: String,
    /// Lowercase contact emails.
    pub emails: Vec<String>,
    /// Contact phones as significant digits.
    pub phones: Vec<String>,
}

/// The keys of a customer with this name and these contacts.
pub fn keys(name: &str, contacts: &[Contact]) -> DupKeys {
    DupKeys {
        name: normalize_name(name),
        emails: contacts
            .iter()
            .filter_map(|c| c.email.as_deref())
            .map(normalize_email)
            .filter(|e| !e.is_empty())
            .collect(),
        phones: contacts.iter().filter_map(|c| c.phone.as_deref()).filter_map(normalize_phone).collect(),
    }
}

/// Lowercase letters and digits of `name` (full-width folded to ASCII),
/// without punctuation, spaces or a trailing company form.
pub fn normalize_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect();
    // Strip company forms from the end, repeatedly ("… Co., Ltd.").
    while let Some(suffix) = SUFFIXES.iter().find(|x| s.ends_with(*x) && s.len() > x.len()) {
        s.truncate(s.len() - suffix.len());
    }
    s
}

/// An email for comparison.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The significant digits of a phone number: without an international
/// prefix, China's country code or a trunk 0, so `+86 371 5555 0101` and
/// `0371-5555-0101` compare equal. `None` for fewer than 7 digits.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let mut d: &str = &phone.chars().filter(char::is_ascii_digit).collect::<String>();
    let owned;
    if let Some(rest) = d.strip_prefix("00") {
        owned = rest.to_string();
        d = &owned;
    }
    if d.len() > 11 {
        d = d.strip_prefix("86").unwrap_or(d);
    }
    let d = d.trim_start_matches('0');
    (d.len() >= 7).then(|| d.to_string())
}

/// Known customers by each key.
#[derive(Debug, Default)]
pub struct DupIndex {
    by_name: HashMap<String, String>,
    by_email: HashMap<String, String>,
    by_phone: HashMap<String, String>,
}

/// A match: the other customer and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The id of the customer matched.
    pub id: String,
    /// `name`, `email` or `phone`.
    pub by: &'static str,
    /// The value that matched.
    pub value: String,
}

impl DupIndex {
    /// Records customer `id` under its keys (the first id for a key wins).
    pub fn insert(&mut self, id: &str, k: &DupKeys) {
        if !k.name.is_empty() {
            self.by_name.entry(k.name.clone()).or_insert_with(|| id.to_string());
        }
        for e in &k.emails {
            self.by_email.entry(e.clone()).or_insert_with(|| id.to_string());
        }
        for p in &k.phones {
            self.by_phone.entry(p.clone()).or_insert_with(|| id.to_string());
        }
    }

    /// The first customer other than `except` sharing a key with `k`.
    pub fn find(&self, k: &DupKeys, except: &str) -> Option<Duplicate> {
        let hit = |map: &HashMap<String, String>, key: &String, by| {
            map.get(key).filter(|id| *id != except).map(|id| Duplicate { id: id.clone(), by, value: key.clone() })
        };
        hit(&self.by_name, &k.name, "name")
            .or_else(|| k.emails.iter().find_map(|e| hit(&self.by_email, e, "email")))
            .or_else(|| k.phones.iter().find_map(|p| hit(&self.by_phone, p, "phone")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_forms_and_width_do_not_count() {
        assert_eq!(normalize_name("郑州宇通客运集团有限公司"), normalize_name("郑州宇通客运集团"));
        assert_eq!(normalize_name("ACME Coaches Co., Ltd."), normalize_name("Acme Coaches"));
        assert_eq!(normalize_name("ＡＣＭＥ　Coaches GmbH"), "acmecoaches");
        assert_ne!(normalize_name("Acme Coaches"), normalize_name("Acme Buses"));
        // A name that is only a company form keeps it.
        assert_eq!(normalize_name("Ltd"), "ltd");
    }

    #[test]
    fn phones_compare_by_significant_digits() {
        assert_eq!(normalize_phone("+86 371 5555 0101"), normalize_phone("0371-5555-0101"));
        assert_eq!(normalize_phone("0086 371 5555 0101"), normalize_phone("(0371) 55550101"));
        assert_ne!(normalize_phone("+86 371 5555 0101"), normalize_phone("+86 21 5555 0101"));
        assert_eq!(normalize_phone("123"), None);
    }

    #[test]
    fn index_finds_other_customers_only() {
        let mut index = DupIndex::default();
        let contact = Contact { email: Some("Wang@Example.cn".into()), ..Contact::default() };
        index.insert("yutong", &keys("郑州宇通客运集团", &[contact]));
        let same_name = keys("郑州宇通客运集团有限公司", &[]);
        assert_eq!(index.find(&same_name, "other").unwrap().by, "name");
        assert!(index.find(&same_name, "yutong").is_none());
        let same_email =
            keys("Someone Else", &[Contact { email: Some("wang@example.cn".into()), ..Contact::default() }]);
        assert_eq!(index.find(&same_email, "x").unwrap().id, "yutong");
    }
}
