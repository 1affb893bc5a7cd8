//! Finding a customer the way a rep remembers it: by a part of the id, the
//! name, its pinyin or pinyin initials (`zzyt` finds 郑州宇通), a contact's
//! name, phone (by its significant digits, however it is written), email,
//! a tag or the notes. Each field is scored with a fuzzy matcher
//! (nucleo, the matcher of the helix editor): the query's characters must
//! appear in order, and matches at word starts and in a row rank higher.
//! Fields a rep reaches for first (id, name) outweigh the rest.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde::Serialize;

use super::customer::Customer;
use super::dedupe;
use super::ids;

/// Where a customer matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The id.
    Id,
    /// The name.
    Name,
    /// The name's pinyin, or its initials.
    Pinyin,
    /// A contact's name.
    Contact,
    /// A contact's phone.
    Phone,
    /// A contact's email.
    Email,
    /// A tag.
    Tag,
    /// The notes.
    Notes,
}

impl Field {
    /// How much a match here counts, in percent.
    fn weight(self) -> u32 {
        match self {
            Field::Id | Field::Name | Field::Phone => 100,
            Field::Pinyin => 95,
            Field::Contact | Field::Email => 85,
            Field::Tag => 70,
            Field::Notes => 50,
        }
    }

    /// The word used in output.
    pub fn label(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Name => "name",
            Field::Pinyin => "pinyin",
            Field::Contact => "contact",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Tag => "tag",
            Field::Notes => "notes",
        }
    }
}

/// What joins the items of a list field (contacts, tags) in a [`Haystack`].
pub const LIST_SEPARATOR: &str = " · ";

/// What a customer can be found by: each field as text, lists joined by
/// [`LIST_SEPARATOR`]; phones as significant digits, emails lowercase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Haystack {
    /// Display name.
    pub name: String,
    /// Pinyin of the name, syllables run together.
    pub pinyin: String,
    /// First letters of the name's syllables and words.
    pub initials: String,
    /// Contact names.
    pub contacts: String,
    /// Tags.
    pub tags: String,
    /// Notes, on one line.
    pub notes: String,
}

/// How many characters of the notes are searched (the catalog holds them
/// for every customer, and `crm add` reads it).
const NOTES_SEARCHED: usize = 160;

/// The searchable text of `c` (id, emails and phones are kept elsewhere).
pub fn haystack(c: &Customer) -> Haystack {
    let (pinyin, initials) = ids::pinyin_keys(&c.name);
    Haystack {
        name: one_line(&c.name),
        pinyin,
        initials,
        contacts: c.contacts.iter().map(|k| one_line(&k.name)).collect::<Vec<_>>().join(LIST_SEPARATOR),
        tags: c.tags.iter().map(|t| one_line(t)).collect::<Vec<_>>().join(LIST_SEPARATOR),
        notes: one_line(c.notes.as_deref().unwrap_or_default()).chars().take(NOTES_SEARCHED).collect(),
    }
}

/// `s` on one line: runs of whitespace as one space, none at the ends (as
/// the catalog keeps names).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One customer's searchable fields, borrowed (from a catalog line).
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// The id.
    pub id: &'a str,
    /// [`Haystack::name`] and the rest, in its order.
    pub name: &'a str,
    /// See [`Haystack::pinyin`].
    pub pinyin: &'a str,
    /// See [`Haystack::initials`].
    pub initials: &'a str,
    /// See [`Haystack::contacts`].
    pub contacts: &'a str,
    /// See [`Haystack::tags`].
    pub tags: &'a str,
    /// See [`Haystack::notes`].
    pub notes: &'a str,
    /// Emails, normalised, comma-separated.
    pub emails: &'a str,
    /// Phones as significant digits, comma-separated.
    pub phones: &'a str,
}

/// A query, ready to score customers with.
pub struct Query {
    pattern: Pattern,
    /// The query's characters beyond the Latin letters.
    wide: Vec<char>,
    /// The query's ASCII letters (lowercase) and digits.
    narrow: Vec<u8>,
    /// The significant digits, when the query looks like (part of) a phone.
    digits: Option<String>,
}

/// The best match of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Weighted score: higher is better.
    pub score: u32,
    /// The field that matched best.
    pub field: Field,
}

impl Query {
    /// A query for `text` (case-insensitive; accents and full-width forms
    /// folded).
    pub fn new(text: &str) -> Query {
        let phone_like = text.chars().all(|c| c.is_ascii_digit() || " +-()./".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let digits = (phone_like && digits.len() >= 4)
            .then(|| dedupe::normalize_phone(text).unwrap_or_else(|| digits.trim_start_matches('0').to_string()))
            .filter(|d| !d.is_empty());
        // Beyond the Latin letters the matcher folds (case, accents): Chinese
        // and the like, which must occur as typed.
        let mut wide: Vec<char> = text.chars().filter(|c| *c > '\u{24f}' && !c.is_whitespace()).collect();
        wide.dedup();
        let mut narrow: Vec<u8> =
            text.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_lowercase()).collect();
        narrow.sort_unstable();
        narrow.dedup();
        Query { pattern: Pattern::parse(text, CaseMatching::Ignore, Normalization::Smart), wide, narrow, digits }
    }

    /// Whether `text` (a whole catalog line) can match at all, judged on
    /// its bytes: every character of the query beyond the Latin letters
    /// (Chinese, above all) must occur in it as typed, and every ASCII letter or digit in
    /// either case — unless the line has Latin letters with accents, which
    /// the matcher folds (`goteborg` finds Göteborg).
    pub fn may_match(&self, text: &str) -> bool {
        if self.digits.as_ref().is_some_and(|d| text.contains(d.as_str())) {
            return true;
        }
        self.text_may_match(text)
    }

    /// [`Query::may_match`] without the phone digits, for one field too.
    fn text_may_match(&self, text: &str) -> bool {
        if !self.wide.iter().all(|c| text.contains(*c)) {
            return false;
        }
        let bytes = text.as_bytes();
        // Lead bytes of U+00C0..U+027F: Latin letters with diacritics.
        let accented = || bytes.iter().any(|b| (0xC3..=0xC9).contains(b));
        self.narrow.iter().all(|&b| memchr::memchr2(b, b.to_ascii_uppercase(), bytes).is_some()) || accented()
    }

    /// A matcher for one thread.
    pub fn matcher() -> Matcher {
        Matcher::new(Config::DEFAULT)
    }

    /// The best match of a customer; `None` when nothing matches.
    pub fn score(&self, matcher: &mut Matcher, f: &Fields<'_>) -> Option<Hit> {
        let mut best: Option<Hit> = None;
        let mut consider = |field: Field, score: u32| {
            let score = score * field.weight() / 100;
            if best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Hit { score, field });
            }
        };
        if let Some(digits) = &self.digits {
            if f.phones.split(',').any(|p| p.contains(digits.as_str())) {
                // A phone number names one customer: above any text match.
                consider(Field::Phone, 10_000 + 10 * digits.len() as u32);
            }
        }
        let mut buf = Vec::new();
        let mut text = |field: Field, s: &str| {
            if !s.is_empty() && self.text_may_match(s) {
                if let Some(score) = self.pattern.score(Utf32Str::new(s, &mut buf), matcher) {
                    consider(field, score);
                }
            }
        };
        text(Field::Id, f.id);
        text(Field::Name, f.name);
        text(Field::Pinyin, f.pinyin);
        text(Field::Pinyin, f.initials);
        text(Field::Contact, f.contacts);
        for email in f.emails.split(',') {
            text(Field::Email, email);
        }
        text(Field::Tag, f.tags);
        text(Field::Notes, f.notes);
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Contact, CustomerId};

    fn yutong() -> (Haystack, Vec<String>, Vec<String>) {
        let id = CustomerId::parse("zhengzhou-yutong-keyun-jituan").unwrap();
        let c = Customer {
            tier: "key".into(),
            tags: vec!["公交".into(), "electric".into()],
            notes: Some("Met at Busworld\nwants 20 coaches".into()),
            contacts: vec![Contact::parse_spec("王建国 <wang@example.cn> +86 371 5555 0101").unwrap()],
            ..Customer::new(id, "郑州宇通客运集团".into(), "zhang.wei".into())
        };
        let keys = dedupe::keys(&c.name, &c.contacts);
        (haystack(&c), keys.emails, keys.phones)
    }

    fn hit(query: &str) -> Option<Hit> {
        let (h, emails, phones) = yutong();
        let (emails, phones) = (emails.join(","), phones.join(","));
        let fields = Fields {
            id: "zhengzhou-yutong-keyun-jituan",
            name: &h.name,
            pinyin: &h.pinyin,
            initials: &h.initials,
            contacts: &h.contacts,
            tags: &h.tags,
            notes: &h.notes,
            emails: &emails,
            phones: &phones,
        };
        Query::new(query).score(&mut Query::matcher(), &fields)
    }

    #[test]
    fn a_customer_is_found_by_every_field_a_rep_remembers() {
        for (query, field) in [
            ("yutong", Field::Id),
            ("宇通", Field::Name),
            ("zzyt", Field::Pinyin),
            ("王建国", Field::Contact),
            ("5555 0101", Field::Phone),
            ("+8637155550101", Field::Phone),
            ("037155550101", Field::Phone),
            ("wang@example", Field::Email),
            ("electric", Field::Tag),
            ("busworld", Field::Notes),
        ] {
            assert_eq!(hit(query).map(|h| h.field), Some(field), "{query}");
        }
        assert_eq!(hit("nordic"), None);
        assert_eq!(hit("YUTONG").map(|h| h.field), Some(Field::Id));
        assert_eq!(hit("5555 0199"), None);
    }

    #[test]
    fn the_byte_prefilter_never_drops_a_line_the_matcher_would_take() {
        let line = "goteborg-buss\tGöteborg Buss AB\t郑州宇通\t37155550101";
        for query in ["goteborg", "GÖTEBORG", "buss", "宇通", "5555 0101", "gtbg"] {
            let q = Query::new(query);
            assert!(q.may_match(line), "{query}");
        }
        for query in ["宇通x", "zzzz", "郑州公交"] {
            assert!(!Query::new(query).may_match("yutong\t宇通客运"), "{query}");
        }
    }

    #[test]
    fn pinyin_runs_syllables_together_and_initials_take_their_first_letters() {
        let (hay, ..) = yutong();
        assert_eq!(hay.pinyin, "zhengzhouyutongkeyunjituan");
        assert_eq!(hay.initials, "zzytkyjt");
        assert_eq!(hay.notes, "Met at Busworld wants 20 coaches");
    }
}
