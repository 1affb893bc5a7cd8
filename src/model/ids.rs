//! Customer ids and staff handles: validation, derivation from names, and the
//! shard function that places a customer file in `customers/<xx>/`.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use pinyin::ToPinyin;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Longest id or handle allowed (first character plus 62).
const MAX_LEN: usize = 63;

/// A customer id: `[a-z0-9][a-z0-9-]{0,62}`, the file stem of its TOML file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerId(String);

/// A staff handle: `[a-z0-9][a-z0-9._-]{0,62}`, the file stem of a staff file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

/// Checks `s` against `[a-z0-9][a-z0-9<extra>]{0,62}` and says what is wrong.
fn check_pattern(s: &str, extra: &[char]) -> std::result::Result<(), String> {
    let Some(first) = s.chars().next() else {
        return Err("must not be empty".into());
    };
    if s.len() > MAX_LEN {
        return Err(format!("longer than {MAX_LEN} characters"));
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err("must start with a lowercase letter or digit".into());
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c);
    match s.chars().find(|&c| !allowed(c)) {
        Some(c) => {
            let list: String = extra.iter().map(|c| format!(" `{c}`")).collect();
            Err(format!("`{}` is not allowed (use lowercase letters, digits and{list})", c.escape_default()))
        }
        None => Ok(()),
    }
}

impl CustomerId {
    /// Validates a customer id.
    pub fn parse(s: &str) -> Result<Self> {
        check_pattern(s, &['-'])
            .map(|()| CustomerId(s.to_string()))
            .map_err(|reason| Error::invalid("customer id", s, reason))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shard directory name: the first two hex digits of SHA-256(id).
    pub fn shard(&self) -> String {
        shard_of(&self.0)
    }

    /// Derives an id from a customer name: an ASCII slug, with Chinese
    /// text cut into words (jieba) and each word written in pinyin.
    ///
    /// Returns `None` when nothing usable is left (a name of symbols only).
    pub fn derive(name: &str) -> Option<Self> {
        CustomerId::parse(&slugify(name)).ok()
    }

    /// This id with a numeric suffix, for collisions: `acme` → `acme-2`.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(MAX_LEN - suffix.len());
        CustomerId(format!("{}{suffix}", base.trim_end_matches('-')))
    }
}

/// The shard directory for an id: `printf %s ID | sha256sum | cut -c1-2`.
pub fn shard_of(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    format!("{:02x}", digest[0])
}

/// Turns a name into `[a-z0-9-]` words: Latin letters and digits as they
/// are (accents folded), Chinese characters as pinyin words, so
/// 石家庄公交总公司 → shijiazhuang-gongjiao-zonggongsi.
fn slugify(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut han = String::new();
    for c in name.chars() {
        if c.to_pinyin().is_some() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            han.push(c);
            continue;
        }
        words.extend(han_words(&std::mem::take(&mut han)));
        let folded = fold_latin(c);
        if folded.is_empty() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else {
            word.push_str(&folded);
        }
    }
    words.extend(han_words(&han));
    if !word.is_empty() {
        words.push(word);
    }
    let mut slug = String::new();
    for w in words {
        let extra = usize::from(!slug.is_empty()) + w.len();
        if slug.len() + extra > MAX_LEN {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&w);
    }
    slug
}

/// Words whose characters have several readings, read as in the word,
/// syllables apart: place names (the character-by-character reading would
/// give "zhangsha", "chengdou") and words of company names (大厦 dasha,
/// 行业 hangye, 空调 kongtiao), and the titles in which 长 is zhang (its
/// reading in names is chang, [`READINGS`]).
const PHRASES: &[(&str, &str)] = &[
    ("重庆", "chong qing"),
    ("厦门", "xia men"),
    ("首都", "shou du"),
    ("银行", "yin hang"),
    ("西藏", "xi zang"),
    ("蚌埠", "beng bu"),
    ("六安", "lu an"),
    ("乐山", "le shan"),
    ("乐清", "yue qing"),
    ("佛山", "fo shan"),
    ("大厦", "da sha"),
    ("行业", "hang ye"),
    ("商行", "shang hang"),
    ("车行", "che hang"),
    ("琴行", "qin hang"),
    ("会计", "kuai ji"),
    ("音乐", "yin yue"),
    ("乐器", "yue qi"),
    ("空调", "kong tiao"),
    ("番禺", "pan yu"),
    ("单县", "shan xian"),
    ("曾都", "zeng du"),
    ("珲春", "hun chun"),
    ("枞阳", "zong yang"),
    ("浚县", "xun xian"),
    ("泌阳", "bi yang"),
    ("犍为", "qian wei"),
    ("蔚县", "yu xian"),
    ("会稽", "kuai ji"),
    ("柏林", "bo lin"),
    ("秘鲁", "bi lu"),
    ("藏族", "zang zu"),
    ("宝藏", "bao zang"),
    ("中行", "zhong hang"),
    ("工行", "gong hang"),
    ("农行", "nong hang"),
    ("建行", "jian hang"),
    ("交行", "jiao hang"),
    ("招行", "zhao hang"),
    ("董事长", "dong shi zhang"),
    ("行长", "hang zhang"),
    ("会长", "hui zhang"),
    ("校长", "xiao zhang"),
    ("院长", "yuan zhang"),
    ("厂长", "chang zhang"),
    ("家长", "jia zhang"),
    ("市长", "shi zhang"),
    ("成长", "cheng zhang"),
    ("增长", "zeng zhang"),
];

/// Characters whose first reading is not the one company and place names
/// use: 长 is chang in 长沙, 长城, 长途, 长虹 (zhang only in the titles of
/// [`PHRASES`]); 都 is du in 成都, 都市, 京都.
const READINGS: &[(char, &str)] = &[('长', "chang"), ('都', "du")];

/// What a name is searched by besides itself: its pinyin (Latin words
/// lowercased), run together, and the first letter of each syllable and
/// word — `郑州宇通` → (`zhengzhouyutong`, `zzyt`).
pub fn pinyin_keys(name: &str) -> (String, String) {
    let (mut full, mut initials) = (String::new(), String::new());
    let mut han: Vec<char> = Vec::new();
    let mut in_word = false;
    for c in name.chars().chain(std::iter::once(' ')) {
        if c.to_pinyin().is_some() {
            han.push(c);
            in_word = false;
            continue;
        }
        if !han.is_empty() {
            let read = syllables(&han);
            initials.extend(read.iter().filter_map(|s| s.chars().next()));
            full.push_str(&read.concat());
            han.clear();
        }
        if c.is_alphanumeric() {
            let lower: String = c.to_lowercase().collect();
            if !in_word {
                initials.push_str(&lower);
            }
            full.push_str(&lower);
            in_word = true;
        } else {
            in_word = false;
        }
    }
    (full, initials)
}

/// Pinyin of some characters, run together ([`syllables`]).
fn pinyin(cs: &[char]) -> String {
    syllables(cs).concat()
}

/// The syllables of some characters: [`PHRASES`] read as a whole, then
/// each character by [`READINGS`] or its first reading. Plain pinyin writes
/// ü (旅 → lü); ASCII slugs write it v.
fn syllables(cs: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let phrase = PHRASES.iter().find(|(p, _)| {
            let p: Vec<char> = p.chars().collect();
            cs[i..].starts_with(&p)
        });
        if let Some((p, reading)) = phrase {
            out.extend(reading.split(' ').map(String::from));
            i += p.chars().count();
            continue;
        }
        let c = cs[i];
        match READINGS.iter().find(|(r, _)| *r == c) {
            Some((_, reading)) => out.push(reading.to_string()),
            None => out.extend(c.to_pinyin().map(|p| p.plain().replace('ü', "v"))),
        }
        i += 1;
    }
    out
}

/// jieba's segmenter with its dictionary of 350,000 words. Building it
/// takes about 100 ms, so it is built once, on first use: only a name with
/// Chinese characters needs it, and only when an id is derived.
static SEGMENTER: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Pinyin words for a run of Chinese characters: the words of jieba's
/// segmentation (with its HMM for words not in the dictionary, such as
/// brands), so 南阳市校车 → nanyangshi-xiaoche. A common noun of four or more
/// characters that is two dictionary words of two or more characters is
/// written as those two (有限公司 → youxian-gongsi, 公共汽车 → gonggong-qiche);
/// proper names stay whole (齐齐哈尔 → qiqihaer, 连云港市 → lianyungangshi).
fn han_words(run: &str) -> Vec<String> {
    if run.is_empty() {
        return Vec::new();
    }
    let jieba = &*SEGMENTER;
    let mut words = Vec::new();
    for token in jieba.tag(run, true) {
        // jieba's part-of-speech tags: nr person, ns place, nz other proper noun.
        let proper = ["nr", "ns", "nz"].iter().any(|t| token.tag.starts_with(t));
        let parts = if proper { None } else { compound(jieba, token.word) };
        match parts {
            Some((a, b)) => words.extend([a, b].map(|p| pinyin(&p.chars().collect::<Vec<_>>()))),
            None => words.push(pinyin(&token.word.chars().collect::<Vec<_>>())),
        }
    }
    words
}

/// `word` as two dictionary words of two or more characters each, when it
/// has four or more characters and is made of two such words.
fn compound<'w>(jieba: &Jieba, word: &'w str) -> Option<(&'w str, &'w str)> {
    let starts: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
    if starts.len() < 4 {
        return None;
    }
    starts[2..starts.len() - 1]
        .iter()
        .map(|&at| word.split_at(at))
        .find(|(a, b)| jieba.has_word(a) && jieba.has_word(b))
}

/// Lowercase ASCII for one character: letters and digits as themselves,
/// common accented Latin letters without their accent, anything else empty.
fn fold_latin(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        return c.to_ascii_lowercase().to_string();
    }
    if c == '&' {
        return String::new();
    }
    let base = match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'æ' => "ae",
        'ç' | 'č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'š' | 'ś' => "s",
        'ž' | 'ź' | 'ż' => "z",
        'ł' => "l",
        // Full-width ASCII (Ａ, ０) as typed with Chinese input methods.
        c @ '\u{ff10}'..='\u{ff5a}' => {
            let ascii = char::from_u32(c as u32 - 0xfee0).unwrap_or(' ');
            return if ascii.is_ascii_alphanumeric() { ascii.to_ascii_lowercase().to_string() } else { String::new() };
        }
        _ => "",
    };
    base.to_string()
}

impl Handle {
    /// Validates a staff handle.
    pub fn parse(s: &str) -> Result<Self> {
        check_pattern(s, &['.', '_', '-'])
            .map(|()| Handle(s.to_string()))
            .map_err(|reason| Error::invalid("staff handle", s, reason))
    }

    /// The handle as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
string_newtype_impls!(CustomerId);
string_newtype_impls!(Handle);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_matches_sha256sum() {
        // printf %s yutong-zhengzhou | sha256sum | cut -c1-2
        assert_eq!(shard_of("abc"), "ba");
        assert_eq!(shard_of(""), "e3");
    }

    #[track_caller]
    fn derived(name: &str) -> String {
        CustomerId::derive(name).unwrap_or_else(|| panic!("no id for {name}")).to_string()
    }

    #[test]
    fn chinese_names_become_pinyin_words() {
        assert_eq!(derived("郑州宇通客运集团"), "zhengzhou-yutong-keyun-jituan");
        assert_eq!(derived("上海申沃 (Sunwin) 有限公司"), "shanghai-shenwo-sunwin-youxian-gongsi");
        assert_eq!(derived("石家庄公交总公司"), "shijiazhuang-gongjiao-zonggongsi");
        assert_eq!(derived("广州第二公共汽车公司"), "guangzhou-dier-gonggong-qiche-gongsi");
        assert_eq!(derived("长沙城市公交"), "changsha-chengshi-gongjiao");
        assert_eq!(derived("成都公交集团"), "chengdu-gongjiao-jituan");
        assert_eq!(derived("开封市旅游有限公司"), "kaifengshi-lvyou-youxian-gongsi");
        assert_eq!(derived("深圳市巴士"), "shenzhenshi-bashi");
    }

    #[test]
    fn words_follow_the_segmentation_not_a_count_of_syllables() {
        // The examples: the hand-made splitting gave
        // nanyang-shixiaoche and zhuma-dianshi-chengji.
        assert_eq!(derived("南阳市校车"), "nanyangshi-xiaoche");
        assert_eq!(derived("驻马店市城际"), "zhumadianshi-chengji");
        // It also cut place names of four characters in two.
        assert_eq!(derived("呼和浩特公交集团"), "huhehaote-gongjiao-jituan");
        assert_eq!(derived("乌鲁木齐公交集团"), "wulumuqi-gongjiao-jituan");
        // Proper names stay whole even when their halves are words.
        assert_eq!(derived("齐齐哈尔客运"), "qiqihaer-keyun");
        assert_eq!(derived("连云港市公交"), "lianyungangshi-gongjiao");
        // Brands jieba's dictionary does not know are found by its HMM.
        assert_eq!(derived("厦门金龙"), "xiamen-jinlong");
        // Common compounds read as their words.
        assert_eq!(derived("北京公交集团"), "beijing-gongjiao-jituan");
        assert_eq!(derived("宇通客车股份有限公司"), "yutong-keche-gufen-youxian-gongsi");
    }

    #[test]
    fn characters_of_several_readings_are_read_as_names_read_them() {
        assert_eq!(derived("西安长途客运"), "xian-changtu-keyun");
        assert_eq!(derived("长城汽车"), "changcheng-qiche");
        assert_eq!(derived("长虹电器"), "changhong-dianqi");
        assert_eq!(derived("都市客运"), "dushi-keyun");
        assert_eq!(derived("国贸大厦"), "guomao-dasha");
        assert_eq!(derived("格力空调"), "geli-kongtiao");
        assert_eq!(derived("乐清客运"), "yueqing-keyun");
        assert_eq!(derived("番禺客运"), "panyu-keyun");
        assert_eq!(derived("珲春公交"), "hunchun-gongjiao");
        // 长 is zhang in a title.
        assert_eq!(pinyin(&"董事长".chars().collect::<Vec<_>>()), "dongshizhang");
        assert_eq!(pinyin(&"成长".chars().collect::<Vec<_>>()), "chengzhang");
        // Initials follow the same readings: 长沙 is cs, as a rep types it.
        assert_eq!(pinyin_keys("长沙城市公交"), ("changshachengshigongjiao".into(), "cscsgj".into()));
        assert_eq!(pinyin_keys("重庆 Bus"), ("chongqingbus".into(), "cqb".into()));
    }

    #[test]
    fn fixture_names_read_well() {
        // Names from shared/fixtures/import/customers-gbk.csv.
        assert_eq!(derived("郑州市公交有限公司"), "zhengzhoushi-gongjiao-youxian-gongsi");
        assert_eq!(derived("南阳市校车有限公司"), "nanyangshi-xiaoche-youxian-gongsi");
        assert_eq!(derived("驻马店市城际有限公司"), "zhumadianshi-chengji-youxian-gongsi");
        assert_eq!(derived("长沙市客运有限公司"), "changshashi-keyun-youxian-gongsi");
        assert_eq!(derived("驻马店客运集团第21分公司"), "zhumadian-keyun-jituan-di-21-fengongsi");
        assert_eq!(derived("信阳城际集团第19分公司"), "xinyang-chengji-jituan-di-19-fengongsi");
    }

    #[test]
    fn every_common_chinese_character_makes_a_valid_id() {
        for c in ('\u{4e00}'..='\u{9fa5}').filter(|c| c.to_pinyin().is_some()) {
            let name = format!("{c}{c}公司");
            assert!(CustomerId::derive(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn latin_names_become_slugs() {
        assert_eq!(CustomerId::derive("Acme Coaches, Ltd.").unwrap().as_str(), "acme-coaches-ltd");
        assert_eq!(CustomerId::derive("Müller & Söhne GmbH").unwrap().as_str(), "muller-sohne-gmbh");
        assert_eq!(CustomerId::derive("ＡＢＣ１２３").unwrap().as_str(), "abc123");
        assert!(CustomerId::derive("!!!").is_none());
    }

    #[test]
    fn long_names_are_cut_at_a_word() {
        let id = CustomerId::derive(&"word ".repeat(40)).unwrap();
        assert!(id.as_str().len() <= 63);
        assert!(!id.as_str().ends_with('-'));
        CustomerId::parse(id.as_str()).unwrap();
    }

    #[test]
    fn suffixes_keep_ids_valid() {
        let id = CustomerId::parse(&"a".repeat(63)).unwrap();
        let next = id.with_suffix(2);
        assert_eq!(next.as_str().len(), 63);
        assert!(next.as_str().ends_with("-2"));
    }

    #[test]
    fn bad_ids_and_handles_are_refused() {
        for bad in ["", "Acme", "a/b", "..", "-a", "a_b", &"a".repeat(64)] {
            assert!(CustomerId::parse(bad).is_err(), "{bad:?} accepted");
        }
        for bad in ["", "Zhang", "a/b", "..", ".a", "a b"] {
            assert!(Handle::parse(bad).is_err(), "{bad:?} accepted");
        }
        Handle::parse("zhang.wei").unwrap();
        Handle::parse("li_na-2").unwrap();
    }
}
