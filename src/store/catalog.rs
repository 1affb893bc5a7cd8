//! A cache of what commands look up across every customer — the keys of
//! duplicate detection (normalised name, emails, phones) and who owns it
//! where — kept in `.git/crm/catalog` and brought up to date from the tree
//! it was built at by comparing trees, so `crm add` or `crm reassign --from`
//! in a store of 100,000 customers does not read them all.
//!
//! The file is one tab-separated line per customer, sorted by id:
//! `id blob name emails phones owner region tier ok|bad` (emails and phones
//! comma-separated), then what the pool's rules look at (`status last-touch
//! since claimed lock`, dates as `YYYY-MM-DD`, the lock as its last day or
//! `*` for no end), then what `crm find` searches: `display-name pinyin
//! initials contacts tags notes` ([`crate::model::search::Haystack`]). It is kept as text and split only where a command
//! looks: `crm add` searches it for its keys (a substring search over the
//! whole file costs a few milliseconds; parsing 100,000 lines into maps
//! cost hundreds).
//!
//! The cache is never needed for correctness: a missing, stale or damaged
//! file is rebuilt from the trees, and deleting it changes no output.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::PathBuf;

use git2::{Oid, Repository};
use memchr::memmem;
use rayon::prelude::*;

use super::layout::{customer_path, toml_stem, CUSTOMERS_DIR};
use super::snapshot::CustomerEntry;
use super::{treediff, Snapshot};
use crate::model::date::{Date, Day};
use crate::model::dedupe::{self, DupIndex, DupKeys, Duplicate};
use crate::model::pool::Facts;
use crate::model::search::{self, Fields};
use crate::model::{Customer, CustomerId};
use crate::{Error, Result};

const HEADER: &str = "crm catalog v9";
/// Tabs on every line: twenty-one fields.
const TABS_PER_LINE: usize = 20;

/// What the catalog knows of one customer: the fields of its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The customer's id (its file stem).
    pub id: &'a str,
    blob: &'a str,
    name: &'a str,
    emails: &'a str,
    phones: &'a str,
    /// Owner handle.
    pub owner: &'a str,
    /// Region ("" when none).
    pub region: &'a str,
    /// Tier.
    pub tier: &'a str,
    /// Whether the file could be read (an unreadable one has empty fields).
    pub readable: bool,
    pool: [&'a str; 6],
    search: [&'a str; 6],
}

impl<'a> Entry<'a> {
    fn parse(line: &'a str) -> Option<Entry<'a>> {
        let mut f = line.split('\t');
        let mut next = || f.next();
        let (id, blob, name, emails, phones) = (next()?, next()?, next()?, next()?, next()?);
        let (owner, region, tier, ok) = (next()?, next()?, next()?, next()?);
        let pool = [next()?, next()?, next()?, next()?, next()?, next()?];
        let search = [next()?, next()?, next()?, next()?, next()?, next()?];
        Some(Entry { id, blob, name, emails, phones, owner, region, tier, readable: ok == "ok", pool, search })
    }

    /// What the pool's rules look at, on `day` (`None` for an unreadable
    /// file), with dates as `D`.
    pub fn facts<D: Day>(&self, day: D) -> Option<Facts<'a, D>> {
        if !self.readable {
            return None;
        }
        let [status, last_touch, since, claimed, assigned, lock] = self.pool;
        // Most lines lack a date or two: an empty field is none, without
        // the error a failed parse would build (and drop) for it.
        let date = |s: &str| if s.is_empty() { None } else { D::read(s) };
        let locked = match lock {
            "" => false,
            "*" => true,
            until => date(until).is_some_and(|u| day <= u),
        };
        Some(Facts {
            owner: self.owner,
            tier: self.tier,
            status,
            last_touch: date(last_touch),
            since: date(since),
            claimed: date(claimed),
            assigned: date(assigned),
            locked,
        })
    }

    /// What `crm find` searches.
    pub fn fields(&self) -> Fields<'a> {
        let [name, pinyin, initials, contacts, tags, notes] = self.search;
        Fields { id: self.id, name, pinyin, initials, contacts, tags, notes, emails: self.emails, phones: self.phones }
    }

    /// The blob the entry was read from.
    pub fn blob(&self) -> Result<Oid> {
        Oid::from_str(self.blob).map_err(|_| Error::invalid("catalog entry", self.id, "has no blob id"))
    }

    /// The file it was read from, to read again.
    pub fn file(&self) -> Result<CustomerEntry> {
        let id = CustomerId::parse(self.id)?;
        Ok(CustomerEntry { path: customer_path(&id), shard: id.shard(), stem: id.to_string(), oid: self.blob()? })
    }

    /// Its duplicate-detection keys.
    pub fn keys(&self) -> DupKeys {
        let list = |s: &str| s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect();
        DupKeys { name: self.name.to_string(), emails: list(self.emails), phones: list(self.phones) }
    }

    /// Which of `keys` this customer shares, in the order name, emails,
    /// phones: `(by, value)`.
    fn shared_key(&self, keys: &DupKeys) -> Option<(&'static str, String)> {
        let holds = |list: &str, x: &str| list.split(',').any(|y| y == x);
        if !keys.name.is_empty() && self.name == keys.name {
            return Some(("name", keys.name.clone()));
        }
        if let Some(m) = keys.emails.iter().find(|m| holds(self.emails, m)) {
            return Some(("email", m.clone()));
        }
        keys.phones.iter().find(|p| holds(self.phones, p)).map(|p| ("phone", p.clone()))
    }
}

/// Every customer's keys and placement.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The `customers/` tree this catalog describes.
    tree: Option<Oid>,
    /// Lines read from the cache file (or built), each ending in `\n`.
    text: String,
    /// Ids whose line in `text` is out of date: changed or deleted since.
    stale: HashSet<String>,
    /// Lines of the customers changed since `text` was written.
    fresh: String,
}

impl Catalog {
    /// The catalog for `snapshot`, from the cache when it can be brought up
    /// to date, else built from the tree; the cache is refreshed.
    pub fn load(snapshot: &Snapshot<'_>) -> Result<Catalog> {
        let repo = snapshot.repo();
        let current = snapshot.subtree(CUSTOMERS_DIR)?.map(|t| t.id());
        let path = cache_path(repo);
        let cached = fs::read_to_string(&path).ok().and_then(parse);
        // A few changed files are cheap to bring up to date again next
        // time; rewriting the whole file for them is not.
        const WORTH_SAVING: usize = 64;
        let (mut catalog, changed) = match cached {
            Some(c) if c.tree == current => return Ok(c),
            Some(mut c) => match c.update(repo, snapshot, current) {
                Ok(n) => (c, n),
                Err(_) => (build(snapshot)?, usize::MAX),
            },
            None => (build(snapshot)?, usize::MAX),
        };
        catalog.tree = current;
        if changed >= WORTH_SAVING {
            let _ = catalog.save(&path);
        }
        Ok(catalog)
    }

    /// The customer with the smallest id, other than `except`, sharing a
    /// key with `keys`.
    pub fn find_duplicate(&self, keys: &DupKeys, except: &str) -> Option<Duplicate> {
        // Only lines holding one of the keys can match: find those by
        // substring, then judge each by its fields.
        let name = (!keys.name.is_empty()).then(|| format!("\t{}\t", keys.name));
        let needles = name.iter().chain(keys.emails.iter()).chain(keys.phones.iter());
        let mut best: Option<(Entry<'_>, (&'static str, String))> = None;
        for needle in needles {
            for (text, is_cache) in [(self.text.as_str(), true), (self.fresh.as_str(), false)] {
                for at in memmem::find_iter(text.as_bytes(), needle.as_bytes()) {
                    let Some(e) = line_at(text, at).and_then(Entry::parse) else { continue };
                    if !e.readable || e.id == except || (is_cache && self.stale.contains(e.id)) {
                        continue;
                    }
                    if best.as_ref().is_some_and(|(b, _)| b.id <= e.id) {
                        continue;
                    }
                    if let Some(hit) = e.shared_key(keys) {
                        best = Some((e, hit));
                    }
                }
            }
        }
        best.map(|(e, (by, value))| Duplicate { id: e.id.to_string(), by, value })
    }

    /// An index of the keys, to look candidates up in.
    pub fn index(&self) -> DupIndex {
        let mut entries: Vec<Entry<'_>> = self.entries().collect();
        entries.sort_unstable_by_key(|e| e.id);
        let mut index = DupIndex::default();
        for e in entries {
            index.insert(e.id, &e.keys());
        }
        index
    }

    /// Every customer whose line passes `keep`, read on every core (in no
    /// particular order).
    pub fn par_entries(&self, keep: impl Fn(&str) -> bool + Sync) -> Vec<Entry<'_>> {
        let live = |line: &&str| keep(line);
        let cached = self.text.par_lines().filter(live).filter_map(Entry::parse).filter(|e| !self.stale.contains(e.id));
        let mut out: Vec<Entry<'_>> = cached.collect();
        out.extend(self.fresh.lines().filter(live).filter_map(Entry::parse));
        out
    }

    /// A catalog of `customers` as they are, held in memory only: what a
    /// search in a sealed store adds of the customers it could open.
    pub fn of(customers: &[Customer]) -> Catalog {
        let text =
            customers.par_iter().map(|c| line_for(c.id.as_str(), Oid::ZERO_SHA1, c)).collect::<Vec<_>>().concat();
        Catalog { text, ..Catalog::default() }
    }

    /// The customer files it could not read, as entries to read again for
    /// the reason, in path order.
    pub fn unreadable(&self) -> Vec<CustomerEntry> {
        // Only a line with this field can be one; a name or tier `bad`
        // may be too, so each is judged by its fields.
        let bad = memmem::Finder::new(b"\tbad\t");
        let entries = self.par_entries(|line| bad.find(line.as_bytes()).is_some());
        let mut out: Vec<CustomerEntry> =
            entries.into_iter().filter(|e| !e.readable).filter_map(|e| e.file().ok()).collect();
        out.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// The files of the readable customers whose entry passes `keep`
    /// (judged on every core), to read, sorted by id.
    pub fn files(&self, keep: impl Fn(&Entry<'_>) -> bool + Sync) -> Result<Vec<CustomerEntry>> {
        let chosen: Vec<Entry<'_>> =
            self.par_entries(|_| true).into_par_iter().filter(|e| e.readable && keep(e)).collect();
        let mut files = chosen
            .into_iter()
            .map(|e| {
                let id = CustomerId::parse(e.id)?;
                Ok(CustomerEntry { path: customer_path(&id), shard: id.shard(), stem: id.to_string(), oid: e.blob()? })
            })
            .collect::<Result<Vec<_>>>()?;
        files.sort_unstable_by(|a, b| a.stem.cmp(&b.stem));
        Ok(files)
    }

    /// Every customer (in no particular order).
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        let cached = self.text.lines().filter_map(Entry::parse).filter(|e| !self.stale.contains(e.id));
        cached.chain(self.fresh.lines().filter_map(Entry::parse))
    }

    /// Brings the catalog from its tree to `current`; returns how many
    /// files changed.
    fn update(&mut self, repo: &Repository, snapshot: &Snapshot<'_>, current: Option<Oid>) -> Result<usize> {
        let old = self.tree.map(|id| repo.find_tree(id)).transpose()?;
        let new = current.map(|id| repo.find_tree(id)).transpose()?;
        let changes = treediff::diff(repo, old.as_ref(), new.as_ref(), "")?;
        let changed = changes.len();
        for change in changes {
            let Some(stem) = change.path.rsplit('/').next().and_then(toml_stem) else { continue };
            self.stale.insert(stem.to_string());
            if let Some(blob) = change.new {
                let path = format!("{CUSTOMERS_DIR}/{}", change.path);
                let text = snapshot.text_of(&path, blob.id.git()).ok();
                self.fresh.push_str(&line_of(stem, blob.id.git(), text.as_deref().map(str::as_bytes)));
            }
        }
        Ok(changed)
    }

    fn save(&self, path: &PathBuf) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(path);
        fs::create_dir_all(dir)?;
        let mut lines: Vec<&str> = self.live_lines().collect();
        lines.sort_unstable_by_key(|line| line.split('\t').next());
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let tree = self.tree.map_or_else(|| Oid::ZERO_SHA1.to_string(), |t| t.to_string());
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        writeln!(out, "{HEADER} {tree} {}", lines.len())?;
        for line in lines {
            writeln!(out, "{line}")?;
        }
        out.flush()?;
        drop(out);
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    fn live_lines(&self) -> impl Iterator<Item = &str> {
        let cached = self.text.lines().filter(|l| l.split('\t').next().is_some_and(|id| !self.stale.contains(id)));
        cached.chain(self.fresh.lines())
    }
}

fn cache_path(repo: &Repository) -> PathBuf {
    repo.path().join("crm").join("catalog")
}

/// The line around byte `at` of `text`.
fn line_at(text: &str, at: usize) -> Option<&str> {
    let start = memchr::memrchr(b'\n', &text.as_bytes()[..at]).map_or(0, |n| n + 1);
    let end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |n| at + n);
    text.get(start..end)
}

/// The cache file's lines, when its header and shape are whole: as many
/// lines as the header says, each with every field.
fn parse(mut text: String) -> Option<Catalog> {
    let header_end = text.find('\n')?;
    let mut header = text[..header_end].strip_prefix(HEADER)?.split_whitespace();
    let tree = Oid::from_str(header.next()?).ok().filter(|t| !t.is_zero());
    let count: usize = header.next()?.parse().ok()?;
    let body = &text.as_bytes()[header_end + 1..];
    let lines = memchr::memchr_iter(b'\n', body).count();
    let tabs = memchr::memchr_iter(b'\t', body).count();
    if lines != count || tabs != count * TABS_PER_LINE || body.last().is_some_and(|&b| b != b'\n') {
        return None;
    }
    text.replace_range(..=header_end, "");
    Some(Catalog { tree, text, ..Catalog::default() })
}

fn build(snapshot: &Snapshot<'_>) -> Result<Catalog> {
    // Entries the tree's shape rules leave out (a duplicate, a file in the
    // wrong shard…) are not catalogued: the commands that read every file
    // name them; the catalog's readers show what they can.
    let files = snapshot.readable_customer_entries()?.value;
    let workdir = snapshot.repo().workdir().map(std::path::Path::to_path_buf);
    let git_dir = snapshot.repo().path().to_path_buf();
    let lines: Vec<String> = files
        .into_par_iter()
        .map_init(
            || super::reopen(&git_dir).ok(),
            |repo, e| {
                // The work tree's copy when it is the same blob: much cheaper
                // than unpacking deltified objects.
                let text = workdir.as_deref().and_then(|w| super::snapshot::same_on_disk(w, &e.path, e.oid));
                let bytes = match (text, repo.as_ref()) {
                    (Some(t), _) => Some(t.into_bytes()),
                    (None, Some(r)) => {
                        Some(r.find_blob(e.oid).map_err(|err| Error::from_lookup(err, e.oid))?.content().to_vec())
                    }
                    (None, None) => None,
                };
                Ok(line_of(&e.stem, e.oid, bytes.as_deref()))
            },
        )
        .collect::<Result<_>>()?;
    Ok(Catalog { text: lines.concat(), ..Catalog::default() })
}

/// The catalog line for a customer file (`None`: it could not be read);
/// characters that could break the line format (tabs, line breaks, commas
/// in lists) are left out of it.
fn line_of(stem: &str, blob: Oid, bytes: Option<&[u8]>) -> String {
    let parsed = bytes.and_then(|b| {
        let id = CustomerId::parse(stem).ok()?;
        Customer::parse(&id, stem, std::str::from_utf8(b).ok()?).ok()
    });
    let Some(mut c) = parsed else {
        let stem = clean(stem);
        // Every field but the id, the blob and `bad` (the ninth) empty.
        return format!("{stem}\t{blob}{}bad{}\n", "\t".repeat(7), "\t".repeat(TABS_PER_LINE - 8));
    };
    crate::seal::record::blank(&mut c);
    line_for(stem, blob, &c)
}

/// The catalog line of customer `c` as it is (in a sealed store: opened
/// by whoever searches, never written to disk).
fn line_for(stem: &str, blob: Oid, c: &Customer) -> String {
    let stem = clean(stem);
    let keys = dedupe::keys(&c.name, &c.contacts);
    let list = |items: &[String]| items.iter().map(|x| clean(x).replace(',', "")).collect::<Vec<_>>().join(",");
    let (name, emails, phones) = (clean(&keys.name), list(&keys.emails), list(&keys.phones));
    let (owner, region, tier) = (clean(&c.owner), clean(c.region.as_deref().unwrap_or_default()), clean(&c.tier));
    let date = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let lock = match (&c.pool.locked_by, c.pool.locked_until) {
        (None, _) => String::new(),
        (Some(_), None) => "*".into(),
        (Some(_), Some(until)) => until.to_string(),
    };
    let pool =
        [clean(&c.status), date(c.last_touch()), date(c.since), date(c.pool.claimed), date(c.pool.assigned), lock]
            .join("\t");
    let h = search::haystack(c);
    let search = [h.name, h.pinyin, h.initials, h.contacts, h.tags, h.notes].map(|f| clean(&f)).join("\t");
    format!("{stem}\t{blob}\t{name}\t{emails}\t{phones}\t{owner}\t{region}\t{tier}\tok\t{pool}\t{search}\n")
}

/// `s` fit for a line of the catalog: a control character (a tab or line
/// break would break the line) becomes U+FFFD. It is not dropped: `lost\t`
/// is not the status `lost`, and the catalog must not read it as one when
/// the file does not (the pool's rules would judge the two differently).
fn clean(s: &str) -> String {
    s.chars().map(|ch| if ch.is_control() { char::REPLACEMENT_CHARACTER } else { ch }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Contact;

    const YUTONG: &str = "name = \"郑州宇通客运集团\"\nowner = \"zhang.wei\"\ntier = \"key\"\nstatus = \"active\"\n\
        region = \"华中\"\n\n[[contacts]]\nname = \"王建国\"\nemail = \"Wang@Example.cn\"\nphone = \"+86 371 5555 0101\"\n";

    fn catalog(lines: &[String]) -> Catalog {
        let body = lines.concat();
        parse(format!("{HEADER} {} {}\n{body}", Oid::ZERO_SHA1, lines.len())).expect("a whole catalog")
    }

    fn keys(name: &str, email: Option<&str>, phone: Option<&str>) -> DupKeys {
        let contact = Contact { email: email.map(Into::into), phone: phone.map(Into::into), ..Contact::default() };
        dedupe::keys(name, &[contact])
    }

    #[test]
    fn lines_carry_keys_and_placement() {
        let line = line_of("yutong", Oid::ZERO_SHA1, Some(YUTONG.as_bytes()));
        let e = Entry::parse(line.trim_end_matches('\n')).unwrap();
        assert_eq!((e.id, e.owner, e.region, e.tier, e.readable), ("yutong", "zhang.wei", "华中", "key", true));
        assert_eq!(e.keys(), keys("郑州宇通客运集团", Some("wang@example.cn"), Some("+86 371 5555 0101")));
        let bad = line_of("broken", Oid::ZERO_SHA1, Some(b"name = "));
        assert!(!Entry::parse(bad.trim_end_matches('\n')).unwrap().readable);
        assert_eq!(bad.matches('\t').count(), TABS_PER_LINE);
        let day = Date::parse("2026-11-26").unwrap();
        let f = e.facts(day).unwrap();
        assert_eq!((f.status, f.last_touch, f.locked), ("active", None, false));
        let locked = YUTONG
            .replace("tier = \"key\"\n", "pool_locked_by = \"li.na\"\npool_claimed = 2026-11-01\ntier = \"key\"\n");
        let line = line_of("yutong", Oid::ZERO_SHA1, Some(locked.as_bytes()));
        let f = Entry::parse(line.trim_end_matches('\n')).unwrap().facts(day).unwrap();
        assert_eq!((f.claimed.map(|d| d.to_string()), f.assigned, f.locked), (Some("2026-11-01".into()), None, true));
        let assigned = YUTONG.replace("tier = \"key\"\n", "pool_assigned = 2026-11-02\ntier = \"key\"\n");
        let line = line_of("yutong", Oid::ZERO_SHA1, Some(assigned.as_bytes()));
        let f = Entry::parse(line.trim_end_matches('\n')).unwrap().facts(day).unwrap();
        assert_eq!((f.claimed, f.assigned.map(|d| d.to_string())), (None, Some("2026-11-02".into())));
    }

    #[test]
    fn duplicates_are_found_by_each_key_and_the_smallest_id_wins() {
        let a = line_of("b-yutong", Oid::ZERO_SHA1, Some(YUTONG.as_bytes()));
        let b = line_of("a-yutong", Oid::ZERO_SHA1, Some(YUTONG.as_bytes()));
        let c = catalog(&[b, a]);
        let by_name = c.find_duplicate(&keys("郑州宇通客运集团有限公司", None, None), "x").unwrap();
        assert_eq!((by_name.id.as_str(), by_name.by), ("a-yutong", "name"));
        let by_mail = c.find_duplicate(&keys("Other", Some("WANG@example.cn"), None), "a-yutong").unwrap();
        assert_eq!((by_mail.id.as_str(), by_mail.by), ("b-yutong", "email"));
        let by_phone = c.find_duplicate(&keys("Other", None, Some("0371-5555-0101")), "x").unwrap();
        assert_eq!(by_phone.by, "phone");
        // A key that is only part of a field is no match.
        assert!(c.find_duplicate(&keys("郑州宇通", Some("ang@example.cn"), Some("371 5555")), "x").is_none());
    }

    #[test]
    fn stale_lines_give_way_to_fresh_ones() {
        let mut c = catalog(&[line_of("yutong", Oid::ZERO_SHA1, Some(YUTONG.as_bytes()))]);
        c.stale.insert("yutong".into());
        let moved = YUTONG.replace("zhang.wei", "li.na").replace("Wang@", "Li@");
        c.fresh.push_str(&line_of("yutong", Oid::ZERO_SHA1, Some(moved.as_bytes())));
        let owners: Vec<&str> = c.entries().map(|e| e.owner).collect();
        assert_eq!(owners, ["li.na"]);
        assert!(c.find_duplicate(&keys("Other", Some("wang@example.cn"), None), "x").is_none());
        assert!(c.find_duplicate(&keys("Other", Some("li@example.cn"), None), "x").is_some());
    }

    #[test]
    fn a_control_character_keeps_a_word_from_reading_as_another() {
        let odd = YUTONG
            .replace("status = \"active\"", "status = \"lost\\t\"")
            .replace("tier = \"key\"", "tier = \"key\\n\"");
        let c = catalog(&[line_of("yutong", Oid::ZERO_SHA1, Some(odd.as_bytes()))]);
        let e = c.entries().next().expect("one line");
        let facts = e.facts(Date::parse("2026-11-26").unwrap()).expect("readable");
        assert_eq!(
            (facts.status, facts.tier),
            ("lost\u{fffd}", "key\u{fffd}"),
            "as the file reads them: no status, no tier"
        );
    }

    #[test]
    fn a_damaged_file_is_not_used() {
        let whole = format!("{HEADER} {} 1\n{}", Oid::ZERO_SHA1, line_of("a", Oid::ZERO_SHA1, Some(YUTONG.as_bytes())));
        assert!(parse(whole.clone()).is_some());
        assert!(parse(whole[..whole.len() - 2].to_string()).is_none());
        assert!(parse(whole.replace(" 1\n", " 2\n")).is_none());
        assert!(parse(whole.replace("v9", "v8")).is_none());
    }
}
