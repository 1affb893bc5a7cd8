//! Fitting a table into the terminal's width without breaking what must be
//! read whole. Ids, dates, handles, commits and numbers are never split:
//! a long name is cut short with an ellipsis, prose wraps between words,
//! and when even that is not enough the least needed columns are left out
//! (`--wide` keeps them all and lets the terminal wrap).

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How a column gives way when the table is too wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Give {
    /// Never: an id, date, handle, commit or number is read whole.
    Never,
    /// Cut short with an ellipsis (a customer's name).
    Truncate,
    /// Wrapped onto more lines (a reason, a summary, a note).
    Wrap,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header (a report's, in the reader's language).
    pub header: Cow<'static, str>,
    /// How it gives way.
    pub give: Give,
    /// When the table is too wide, columns with a rank are left out,
    /// lowest rank first; columns without one always stay.
    pub drop_rank: Option<u8>,
    /// Right-aligned (numbers).
    pub right: bool,
}

impl Column {
    const fn new(header: &'static str, give: Give, right: bool) -> Column {
        Column { header: Cow::Borrowed(header), give, drop_rank: None, right }
    }

    /// A column read whole: id, date, handle, commit, number.
    pub const fn token(header: &'static str) -> Column {
        Column::new(header, Give::Never, false)
    }

    /// A count or an amount: read whole, right-aligned.
    pub const fn number(header: &'static str) -> Column {
        Column::new(header, Give::Never, true)
    }

    /// A name, cut short when space runs out.
    pub const fn name(header: &'static str) -> Column {
        Column::new(header, Give::Truncate, false)
    }

    /// Prose, wrapped when space runs out.
    pub const fn prose(header: &'static str) -> Column {
        Column::new(header, Give::Wrap, false)
    }

    /// The same column, left out before those of higher rank when the
    /// table is too wide.
    pub const fn optional(mut self, rank: u8) -> Column {
        self.drop_rank = Some(rank);
        self
    }

    /// The same column under another header (its words in the reader's
    /// language).
    pub fn titled(self, header: String) -> Column {
        Column { header: Cow::Owned(header), ..self }
    }
}

/// The narrowest a name or prose column is made before columns are left
/// out instead.
const MIN_FLEXIBLE: usize = 12;

/// The columns to show and their content widths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// Indexes of the columns shown, in order.
    pub shown: Vec<usize>,
    /// The content width of each shown column.
    pub widths: Vec<usize>,
    /// Headers of the columns left out.
    pub dropped: Vec<String>,
}

/// The display width of a table whose columns have these content widths
/// (one space of padding each side, a border between and around them).
pub fn table_width(widths: &[usize]) -> usize {
    widths.iter().map(|w| w + 3).sum::<usize>() + 1
}

/// Chooses columns and widths so that `cells` under `columns` fit in
/// `width` terminal columns, if they can without splitting a token.
pub fn fit(columns: &[Column], cells: &[Vec<String>], width: usize) -> Fitted {
    let longest_word = |s: &str| s.split_whitespace().map(UnicodeWidthStr::width).max().unwrap_or(0);
    let content = |i: usize, measure: &dyn Fn(&str) -> usize| {
        cells.iter().filter_map(|row| row.get(i)).map(|s| measure(s)).max().unwrap_or(0)
    };
    let natural: Vec<usize> =
        columns.iter().enumerate().map(|(i, c)| content(i, &UnicodeWidthStr::width).max(c.header.width())).collect();
    // Headers wrap between words; ids, dates and the words of prose never
    // split.
    let least: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let header = longest_word(&c.header);
            match c.give {
                Give::Never => content(i, &UnicodeWidthStr::width).max(header),
                Give::Truncate => natural[i].min(MIN_FLEXIBLE.max(header)),
                Give::Wrap => natural[i].min(MIN_FLEXIBLE.max(header).max(content(i, &longest_word))),
            }
        })
        .collect();
    let least = |i: usize| least[i];
    let mut shown: Vec<usize> = (0..columns.len()).collect();
    let mut dropped = Vec::new();
    while table_width(&shown.iter().map(|&i| least(i)).collect::<Vec<_>>()) > width {
        let Some(pos) = (0..shown.len())
            .filter(|&p| columns[shown[p]].drop_rank.is_some())
            .min_by_key(|&p| (columns[shown[p]].drop_rank, std::cmp::Reverse(p)))
        else {
            break;
        };
        dropped.push(shown.remove(pos));
    }
    // Leaving out a wide column may have made room for a narrower one
    // left out before it: take back what fits, most wanted first.
    for i in dropped.clone().into_iter().rev() {
        let mut with = shown.clone();
        with.push(i);
        with.sort_unstable();
        if table_width(&with.iter().map(|&i| least(i)).collect::<Vec<_>>()) <= width {
            shown = with;
            dropped.retain(|&d| d != i);
        }
    }
    let dropped = dropped.into_iter().map(|i| columns[i].header.to_string()).collect();
    let mut widths: Vec<usize> = shown.iter().map(|&i| least(i)).collect();
    // Still too wide with every optional column gone: prose gives up
    // keeping its words whole (a key, a long list of ids), as a terminal
    // would wrap them anyway.
    for p in 0..shown.len() {
        let over = table_width(&widths).saturating_sub(width);
        if over > 0 && columns[shown[p]].give == Give::Wrap {
            widths[p] = widths[p].saturating_sub(over).max(MIN_FLEXIBLE.min(widths[p]));
        }
    }
    // Share what is left among the flexible columns, up to what each needs.
    let mut spare = width.saturating_sub(table_width(&widths));
    while spare > 0 {
        let wanting: Vec<usize> = (0..shown.len()).filter(|&p| widths[p] < natural[shown[p]]).collect();
        if wanting.is_empty() {
            break;
        }
        let share = (spare / wanting.len()).max(1);
        for p in wanting {
            let more = share.min(natural[shown[p]] - widths[p]).min(spare);
            widths[p] += more;
            spare -= more;
        }
    }
    Fitted { shown, widths, dropped }
}

/// `text` cut to at most `width` columns, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 4] = [
        Column::token("id"),
        Column::name("name"),
        Column::token("region").optional(1),
        Column::prose("reason").optional(2),
    ];

    fn rows() -> Vec<Vec<String>> {
        vec![vec![
            "zhengzhou-yutong-keyun-jituan".into(),
            "郑州宇通客运集团有限公司".into(),
            "henan".into(),
            "the whole Zhengzhou team left for a competitor".into(),
        ]]
    }

    #[test]
    fn wide_enough_keeps_everything_at_natural_width() {
        let f = fit(&COLUMNS, &rows(), 200);
        assert_eq!(f.shown, vec![0, 1, 2, 3]);
        assert_eq!(f.widths, vec![29, 24, 6, 46]);
        assert!(f.dropped.is_empty());
    }

    #[test]
    fn narrower_shrinks_flexible_columns_before_dropping() {
        let f = fit(&COLUMNS, &rows(), 80);
        assert_eq!(f.shown, vec![0, 1, 2, 3]);
        assert_eq!(f.widths[0], 29, "an id is never shrunk");
        assert_eq!(f.widths[2], 6);
        assert!(table_width(&f.widths) <= 80, "{f:?}");
    }

    #[test]
    fn too_narrow_drops_lowest_rank_first() {
        let f = fit(&COLUMNS, &rows(), 65);
        assert_eq!(f.dropped, vec!["region"]);
        assert_eq!(f.shown, vec![0, 1, 3]);
        assert!(table_width(&f.widths) <= 65, "{f:?}");
        let f = fit(&COLUMNS, &rows(), 50);
        assert_eq!(f.dropped, vec!["region", "reason"]);
        assert!(table_width(&f.widths) <= 50, "{f:?}");
    }

    #[test]
    fn a_narrow_column_left_out_comes_back_when_a_wide_one_made_room() {
        let columns =
            [Column::token("id"), Column::token("kind").optional(1), Column::token("long-handle-column").optional(2)];
        let rows = vec![vec!["abc".to_string(), "call".to_string(), "x".to_string()]];
        // 3 + 4 + 18 → 40 columns in all; without the last, 7 + 6 + 1 = 14.
        let f = fit(&columns, &rows, 20);
        assert_eq!(f.shown, vec![0, 1]);
        assert_eq!(f.dropped, vec!["long-handle-column"]);
    }

    #[test]
    fn tokens_overflow_rather_than_split() {
        let f = fit(&COLUMNS, &rows(), 20);
        assert_eq!(f.shown, vec![0, 1]);
        assert_eq!(f.widths[0], 29);
    }

    #[test]
    fn prose_splits_a_long_word_only_when_nothing_else_helps() {
        let columns = [Column::token("field"), Column::prose("value")];
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMnX+Qaappi5DJLyNXefxk1qiJLluopOCO+SBPwzXCI+";
        let f = fit(&columns, &[vec!["signing key".into(), key.into()]], 60);
        assert_eq!(table_width(&f.widths), 60, "{f:?}");
        assert_eq!(f.widths[0], 11);
    }

    #[test]
    fn truncation_counts_wide_characters() {
        assert_eq!(truncate("郑州宇通客运集团", 9), "郑州宇通…");
        assert_eq!(truncate("郑州宇通客运集团", 16), "郑州宇通客运集团");
        assert_eq!(truncate("Yutong Bus", 6), "Yuton…");
        assert!(truncate("郑州宇通客运集团", 8).width() <= 8);
    }
}
