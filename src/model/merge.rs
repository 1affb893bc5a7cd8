//! Three-way merge of one TOML record at the level of its keys, for `sync`:
//! two people changing different keys of the same customer, or both adding
//! touches or contacts, merge cleanly; two different new values for the
//! same key are a conflict. The result keeps the formatting of "theirs"
//! (the version already shared) and takes over only what "ours" changed.

use toml_edit::{DocumentMut, Item};

use crate::{Error, Result};

/// Arrays of tables that may grow on both sides (appends are merged).
const GROWING: &[&str] = &["touches", "contacts"];

/// A key both sides changed differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The key (`(file)` when the whole file was deleted on one side).
    pub key: String,
    /// Our value (TOML), `None` when we removed it.
    pub ours: Option<String>,
    /// Their value (TOML), `None` when they removed it.
    pub theirs: Option<String>,
}

/// The outcome of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// The merged file (`None`: deleted).
    Clean(Option<String>),
    /// What could not be merged.
    Conflicts(Vec<Conflict>),
}

fn table(path: &str, text: &str) -> Result<toml::Table> {
    toml::from_str(text).map_err(|e| Error::invalid("file", path, format!("cannot be merged: {}", e.message())))
}

/// Merges `ours` and `theirs`, both changed from `base` (`None`: absent).
pub fn merge3(path: &str, base: Option<&str>, ours: Option<&str>, theirs: Option<&str>) -> Result<Merged> {
    if ours == theirs || base == ours {
        return Ok(Merged::Clean(theirs.map(str::to_string)));
    }
    if base == theirs {
        return Ok(Merged::Clean(ours.map(str::to_string)));
    }
    let (Some(o), Some(t)) = (ours, theirs) else {
        let state = |s: Option<&str>| Some(if s.is_some() { "changed" } else { "deleted" }.to_string());
        return Ok(Merged::Conflicts(vec![Conflict {
            key: "(file)".into(),
            ours: state(ours),
            theirs: state(theirs),
        }]));
    };
    let b = base.map(|b| table(path, b)).transpose()?.unwrap_or_default();
    let (ot, tt) = (table(path, o)?, table(path, t)?);
    let ours_doc: DocumentMut = o.parse().map_err(|_| Error::invalid("file", path, "cannot be merged"))?;
    let mut doc: DocumentMut = t.parse().map_err(|_| Error::invalid("file", path, "cannot be merged"))?;
    let mut keys: Vec<&String> = b.keys().chain(ot.keys()).chain(tt.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut conflicts = Vec::new();
    for key in keys {
        let (bv, ov, tv) = (b.get(key), ot.get(key), tt.get(key));
        if ov == tv || ov == bv {
            continue;
        }
        if tv == bv {
            match ours_doc.get(key) {
                Some(item) => {
                    doc.insert(key, item.clone());
                }
                None => {
                    doc.remove(key);
                }
            }
            continue;
        }
        if GROWING.contains(&key.as_str()) {
            if let Some(extra) = appended(bv, ov, tv) {
                append_tables(&mut doc, &ours_doc, key, extra);
                continue;
            }
        }
        conflicts.push(Conflict { key: key.clone(), ours: ov.map(show), theirs: tv.map(show) });
    }
    if conflicts.is_empty() {
        Ok(Merged::Clean(Some(doc.to_string())))
    } else {
        Ok(Merged::Conflicts(conflicts))
    }
}

fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// When we only appended to an array that was `base`, and they kept every
/// element of `base` (in order, perhaps with others in between — entries
/// replayed before ours), the indexes of our appended elements that they do
/// not already have.
fn appended(
    base: Option<&toml::Value>,
    ours: Option<&toml::Value>,
    theirs: Option<&toml::Value>,
) -> Option<Vec<usize>> {
    let empty = Vec::new();
    let arr = |v: Option<&toml::Value>| -> Option<Vec<toml::Value>> {
        match v {
            None => Some(empty.clone()),
            Some(toml::Value::Array(a)) => Some(a.clone()),
            Some(_) => None,
        }
    };
    let (b, o, t) = (arr(base)?, arr(ours)?, arr(theirs)?);
    let mut rest = t.iter();
    let kept = b.iter().all(|x| rest.any(|y| y == x));
    if !(o.starts_with(&b) && kept) {
        return None;
    }
    Some((b.len()..o.len()).filter(|i| !t.contains(&o[*i])).collect())
}

fn append_tables(doc: &mut DocumentMut, ours: &DocumentMut, key: &str, indexes: Vec<usize>) {
    let Some(Item::ArrayOfTables(source)) = ours.get(key) else { return };
    // Tables are shown in the order of their positions in the document they
    // came from; place ours after every table already here.
    let last = doc
        .iter()
        .flat_map(|(_, item)| match item {
            Item::ArrayOfTables(a) => a.iter().filter_map(toml_edit::Table::position).collect::<Vec<_>>(),
            Item::Table(t) => t.position().into_iter().collect(),
            _ => Vec::new(),
        })
        .max()
        .unwrap_or(0);
    let additions: Vec<toml_edit::Table> = indexes
        .iter()
        .enumerate()
        .filter_map(|(n, i)| {
            let mut t = source.get(*i).cloned()?;
            t.set_position(Some(last + 1 + n as isize));
            Some(t)
        })
        .collect();
    match doc.get_mut(key) {
        Some(Item::ArrayOfTables(target)) => additions.into_iter().for_each(|t| target.push(t)),
        _ => {
            let mut target = toml_edit::ArrayOfTables::new();
            additions.into_iter().for_each(|t| target.push(t));
            doc.insert(key, Item::ArrayOfTables(target));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name = \"A\"\nowner = \"zhang.wei\"\ntier = \"standard\"\n\n[[touches]]\ndate = 2026-01-01\nby = \"zhang.wei\"\nkind = \"call\"\nsummary = \"one\"\n";

    fn clean(m: Merged) -> String {
        match m {
            Merged::Clean(Some(t)) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn different_keys_merge() {
        let ours = BASE.replace("tier = \"standard\"", "tier = \"key\"");
        let theirs = BASE.replace("name = \"A\"", "name = \"A Co\"");
        let merged = clean(merge3("x", Some(BASE), Some(&ours), Some(&theirs)).unwrap());
        assert!(merged.contains("tier = \"key\"") && merged.contains("name = \"A Co\""), "{merged}");
    }

    #[test]
    fn both_appending_touches_merge() {
        let touch = |s: &str| {
            format!("\n[[touches]]\ndate = 2026-02-01\nby = \"zhang.wei\"\nkind = \"visit\"\nsummary = \"{s}\"\n")
        };
        let ours = format!("{BASE}{}", touch("ours"));
        let theirs = format!("{BASE}{}", touch("theirs"));
        let merged = clean(merge3("x", Some(BASE), Some(&ours), Some(&theirs)).unwrap());
        assert_eq!(merged.matches("[[touches]]").count(), 3, "{merged}");
        assert!(merged.find("theirs").unwrap() < merged.find("ours").unwrap());
    }

    #[test]
    fn ours_go_after_theirs_even_when_replayed_touches_sit_between() {
        let touch = |s: &str| {
            format!("\n[[touches]]\ndate = 2026-02-01\nby = \"zhang.wei\"\nkind = \"visit\"\nsummary = \"{s}\"\n")
        };
        let base = format!("{BASE}{}", touch("mine 1"));
        let ours = format!("{base}{}", touch("mine 2"));
        let theirs = format!("{BASE}{}{}", touch("theirs"), touch("mine 1"));
        let merged = clean(merge3("x", Some(&base), Some(&ours), Some(&theirs)).unwrap());
        let order: Vec<usize> = ["one", "theirs", "mine 1", "mine 2"].iter().map(|s| merged.find(s).unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{merged}");
    }

    #[test]
    fn same_key_different_values_conflict() {
        let ours = BASE.replace("zhang.wei\"\ntier", "li.na\"\ntier");
        let theirs = BASE.replace("zhang.wei\"\ntier", "wang.fang\"\ntier");
        let Merged::Conflicts(c) = merge3("x", Some(BASE), Some(&ours), Some(&theirs)).unwrap() else { panic!() };
        assert_eq!(c, [Conflict { key: "owner".into(), ours: Some("li.na".into()), theirs: Some("wang.fang".into()) }]);
    }

    #[test]
    fn delete_against_change_conflicts() {
        let theirs = BASE.replace("\"A\"", "\"B\"");
        assert!(matches!(merge3("x", Some(BASE), None, Some(&theirs)).unwrap(), Merged::Conflicts(_)));
        assert_eq!(merge3("x", Some(BASE), None, Some(BASE)).unwrap(), Merged::Clean(None));
    }
}
