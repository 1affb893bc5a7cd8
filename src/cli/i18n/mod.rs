//! The words of the reports in the reader's language: one message catalog
//! per language, kept as Project Fluent files beside this module
//! (`en.ftl`, `zh-CN.ftl`) and compiled in, so the table, Markdown, HTML
//! and mail renderings of a report say the same thing in the same words.
//! JSON stays language-neutral and never goes through here.
//!
//! A column's message is `col-` and its English header in kebab case
//! (`days without a touch` → `col-days-without-a-touch`), so a table's
//! columns are declared once, in English, and shown in either language.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};

use crate::cli::render::{money, Column};
pub use crate::model::Lang;

/// The English catalog.
const EN: &str = include_str!("en.ftl");
/// The Simplified Chinese catalog.
const ZH_CN: &str = include_str!("zh-CN.ftl");

/// The messages of one language.
pub struct Catalog {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

/// A value a message is given (a count, a date, a name).
pub type Arg<'a> = FluentValue<'a>;

impl Catalog {
    /// The catalog of `lang`.
    pub fn new(lang: Lang) -> Catalog {
        let source = match lang {
            Lang::En => EN,
            Lang::ZhCn => ZH_CN,
        };
        let id: unic_langid::LanguageIdentifier = lang.id().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new(vec![id]);
        // No Unicode isolation marks around values: the text goes to
        // terminals, Markdown and mail, not into mixed-direction layouts.
        bundle.set_use_isolating(false);
        // Both files are part of the program; the tests below parse them.
        let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(partial, _)| partial);
        let _ = bundle.add_resource(resource);
        Catalog { lang, bundle }
    }

    /// Which language this is.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Message `id`.
    pub fn text(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// Message `id` with its values (`$name` in the catalog).
    pub fn with(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            // Every id the program uses is in both files (tested); an id
            // missing all the same shows as itself rather than nothing.
            return id.to_string();
        };
        let mut values = FluentArgs::new();
        for (name, value) in args {
            values.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        self.bundle.format_pattern(pattern, Some(&values), &mut errors).into_owned()
    }

    /// Whether the catalog has message `id`.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// A word of a kind (`signature`) for its English label (`unknown
    /// key`): message `signature-unknown-key`.
    pub fn word(&self, kind: &str, label: &str) -> String {
        self.text(&format!("{kind}-{}", label.replace(' ', "-")))
    }

    /// `column` under its header in this language.
    pub fn column(&self, column: &Column) -> Column {
        column.clone().titled(self.word("col", &column.header))
    }

    /// `columns` under their headers in this language.
    pub fn columns(&self, columns: &[Column]) -> Vec<Column> {
        columns.iter().map(|c| self.column(c)).collect()
    }

    /// An amount for reading: `12,500,000` in English; in Chinese counted
    /// in 万 (ten thousands) from 10,000 on, up to two decimals: `1,250万`,
    /// `12.5万`.
    pub fn amount(&self, value: u64) -> String {
        const WAN: u64 = 10_000;
        if self.lang == Lang::En || value < WAN {
            return money(Some(value), true);
        }
        // Hundredths of a 万, rounded half up.
        let hundredths = (value + 50) / 100;
        let (whole, fraction) = (hundredths / 100, hundredths % 100);
        let whole = money(Some(whole), true);
        match fraction {
            0 => format!("{whole}万"),
            f if f % 10 == 0 => format!("{whole}.{}万", f / 10),
            f => format!("{whole}.{f:02}万"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The message ids of a catalog file, which must parse without error.
    fn ids(source: &str) -> BTreeSet<String> {
        if let Err((_, errors)) = FluentResource::try_new(source.to_string()) {
            panic!("{errors:?}");
        }
        let id = |l: &str| l.split_once(" = ").map(|(id, _)| id.to_string());
        source.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase())).filter_map(id).collect()
    }

    #[test]
    fn both_catalogs_parse_and_have_the_same_messages() {
        let (en, zh) = (ids(EN), ids(ZH_CN));
        assert!(en.len() > 100, "{}", en.len());
        assert_eq!(en.difference(&zh).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in zh-CN.ftl");
        assert_eq!(zh.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in en.ftl");
    }

    #[test]
    fn messages_take_their_values_without_isolation_marks() {
        let en = Catalog::new(Lang::En);
        assert_eq!(en.with("pending-days-left", &[("days", 5.into())]), "5 days left");
        assert_eq!(en.with("why-overdue", &[("days", 1.into())]), "1 day overdue");
        assert_eq!(en.with("why-overdue", &[("days", 67.into())]), "67 days overdue");
        let zh = Catalog::new(Lang::ZhCn);
        assert_eq!(zh.with("pending-overdue", &[("days", 3.into())]), "已逾期 3 天");
        assert_eq!(zh.text("why-separator"), "；");
        assert_eq!(en.text("no-such-message"), "no-such-message");
    }

    #[test]
    fn columns_take_their_header_from_the_catalog() {
        let zh = Catalog::new(Lang::ZhCn);
        let c = zh.column(&Column::number("days without a touch").optional(2));
        assert_eq!((c.header.as_ref(), c.right, c.drop_rank), ("未跟进天数", true, Some(2)));
        assert_eq!(Catalog::new(Lang::En).column(&Column::token("new owner")).header, "new owner");
    }

    #[test]
    fn chinese_amounts_are_counted_in_wan() {
        let zh = Catalog::new(Lang::ZhCn);
        let cases = [
            (0, "0"),
            (9_999, "9,999"),
            (10_000, "1万"),
            (125_000, "12.5万"),
            (1_234_567, "123.46万"),
            (9_700_000, "970万"),
            (49_800_000, "4,980万"),
            (1_999_999_999, "200,000万"),
        ];
        for (value, shown) in cases {
            assert_eq!(zh.amount(value), shown, "{value}");
        }
        assert_eq!(Catalog::new(Lang::En).amount(12_500_000), "12,500,000");
    }
}
