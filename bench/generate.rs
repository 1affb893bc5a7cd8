//! The scale fixture generator for `bench/run.sh`: a deterministic crm store
//! with 100,000 customers, 300 staff and 100,000 commits of history.
//!
//! Why it looks the way it does:
//!
//! - **Speed.** Going through `crm` (or libgit2) commit by commit would take
//!   hours; instead the whole history is streamed into one `git fast-import`
//!   (which packs as it goes) from a writer thread. fast-import is the
//!   bottleneck (about 1 ms a commit: each rewrites a 390-entry shard tree),
//!   so meanwhile the generator writes the final work tree itself, on the
//!   other core, instead of checking 100,000 blobs out of the pack later.
//! - **Signatures.** fast-import (git 2.47) cannot write signed commits, so
//!   the last `--signed-tail` commits are made again afterwards with the
//!   same trees, messages and dates, each signed in-process by its actor's
//!   ed25519 key (the `ssh-key` crate's SSHSIG, as `ssh-keygen -Y sign` makes
//!   it), and written as one extra pack. Their unsigned first versions stay
//!   unreachable in fast-import's pack until a `git gc`.
//! - **Fidelity.** Every file is byte for byte what `crm` writes (the key
//!   order of the README's example, local dates, `toml_edit`'s layout),
//!   every commit message has crm's subject and `Crm-*` trailers, the
//!   committer is the actor, and every commit is one the SPEC's
//!   authorisation rules allow its actor, so `crm verify` finds nothing.
//!   `--check-format` makes every file a second way, the way crm does (parse
//!   the previous version with `toml_edit`, change it, print it), and stops
//!   at the first difference.
//! - **Determinism.** One seeded generator drives everything; no hash map is
//!   iterated; timestamps come from the schedule, never the clock. The same
//!   flags give the same commit ids.
//!
//! The store passes `crm check` without errors (stale relationships are
//! warnings, and most customers are not touched every 90 days). Facts the
//! benchmark needs (head, the signed tail's base, the admin, the owner of
//! at least 5,000 customers and a colleague, a customer with a long
//! ownership history, the last commit's date) go to
//! `<dir>/.git/bench-fixture.env`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use chrono::{Datelike, NaiveDate};
use clap::Parser;
use sha2::{Digest, Sha256};

/// Build a crm store for the scale benchmark
#[derive(Parser, Debug)]
#[command(name = "generate-fixture")]
struct Args {
    /// Where to create the store (must not exist, or be empty; see --force)
    #[arg(long)]
    dir: PathBuf,
    /// Number of customers [default: 100000; 10000 with --small]
    #[arg(long)]
    customers: Option<usize>,
    /// Number of commits [default: 100000; 5000 with --small]
    #[arg(long)]
    commits: Option<usize>,
    /// Number of staff files, departed people included
    #[arg(long, default_value_t = 300)]
    staff: usize,
    /// Number of sales regions
    #[arg(long, default_value_t = 8)]
    regions: usize,
    /// Seed of everything random
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many of the last commits are SSH-signed by their actor
    #[arg(long, default_value_t = 0)]
    signed_tail: usize,
    /// Of the signed tail, how many of the last commits are arranged as
    /// merged side branches (see --merge-every)
    #[arg(long, default_value_t = 0)]
    merge_tail: usize,
    /// In the merge tail, every block of this many commits becomes a side
    /// branch of its first commit, merged (signed by its author) after the
    /// block's other commits; 0: no merges
    #[arg(long, default_value_t = 5)]
    merge_every: usize,
    /// Where to write the staff's private keys and `allowed_signers`
    /// [default: DIR/.git/bench-keys]
    #[arg(long)]
    keys_dir: Option<PathBuf>,
    /// The CI preset: 10,000 customers and 5,000 commits
    #[arg(long)]
    small: bool,
    /// Date of the last commit (history goes back --years from it)
    #[arg(long, default_value = "2026-11-20")]
    end: String,
    /// Years of history
    #[arg(long, default_value_t = 5)]
    years: u32,
    /// Re-derive every written file the way crm edits it and fail on any
    /// difference (slower; for CI)
    #[arg(long)]
    check_format: bool,
    /// How many customers the pool's no-touch rule should find due: the
    /// fixture's facts name the rule's days that give at least this many
    /// (FIXTURE_POOL_DAYS) [default: 5000; 500 with --small]
    #[arg(long)]
    pool_due: Option<usize>,
    /// Replace DIR if it exists
    #[arg(long)]
    force: bool,
    /// Write the fast-import stream to this file instead (for profiling)
    #[arg(long, hide = true)]
    stream_to: Option<PathBuf>,
}

// ---------------------------------------------------------------------------
// Vocabulary: (display, ASCII slug) pairs, so ids and emails are pinyin-like.

#[rustfmt::skip]
const CITIES: &[(&str, &str)] = &[
    ("北京", "beijing"), ("上海", "shanghai"), ("广州", "guangzhou"), ("深圳", "shenzhen"), ("天津", "tianjin"),
    ("重庆", "chongqing"), ("成都", "chengdu"), ("武汉", "wuhan"), ("郑州", "zhengzhou"), ("西安", "xian"),
    ("南京", "nanjing"), ("杭州", "hangzhou"), ("苏州", "suzhou"), ("长沙", "changsha"), ("沈阳", "shenyang"),
    ("大连", "dalian"), ("青岛", "qingdao"), ("济南", "jinan"), ("哈尔滨", "haerbin"), ("长春", "changchun"),
    ("石家庄", "shijiazhuang"), ("太原", "taiyuan"), ("合肥", "hefei"), ("福州", "fuzhou"), ("厦门", "xiamen"),
    ("南昌", "nanchang"), ("昆明", "kunming"), ("贵阳", "guiyang"), ("南宁", "nanning"), ("海口", "haikou"),
    ("兰州", "lanzhou"), ("西宁", "xining"), ("银川", "yinchuan"), ("乌鲁木齐", "wulumuqi"), ("呼和浩特", "huhehaote"),
    ("拉萨", "lasa"), ("宁波", "ningbo"), ("温州", "wenzhou"), ("无锡", "wuxi"), ("常州", "changzhou"),
    ("徐州", "xuzhou"), ("洛阳", "luoyang"), ("开封", "kaifeng"), ("佛山", "foshan"), ("东莞", "dongguan"),
    ("珠海", "zhuhai"), ("汕头", "shantou"), ("惠州", "huizhou"), ("泉州", "quanzhou"), ("烟台", "yantai"),
    ("潍坊", "weifang"), ("临沂", "linyi"), ("唐山", "tangshan"), ("保定", "baoding"), ("邯郸", "handan"),
    ("包头", "baotou"), ("鞍山", "anshan"), ("吉林", "jilin"), ("大庆", "daqing"), ("齐齐哈尔", "qiqihaer"),
    ("绵阳", "mianyang"), ("宜宾", "yibin"), ("遵义", "zunyi"), ("柳州", "liuzhou"), ("桂林", "guilin"),
    ("三亚", "sanya"), ("襄阳", "xiangyang"), ("宜昌", "yichang"), ("株洲", "zhuzhou"), ("湘潭", "xiangtan"),
    ("岳阳", "yueyang"), ("赣州", "ganzhou"), ("芜湖", "wuhu"), ("蚌埠", "bengbu"), ("扬州", "yangzhou"),
    ("南通", "nantong"), ("嘉兴", "jiaxing"), ("绍兴", "shaoxing"), ("金华", "jinhua"), ("台州", "taizhou"),
];

#[rustfmt::skip]
const BRANDS: &[(&str, &str)] = &[
    ("宇通", "yutong"), ("金龙", "jinlong"), ("海格", "haige"), ("中通", "zhongtong"), ("安凯", "ankai"),
    ("亚星", "yaxing"), ("黄海", "huanghai"), ("福田", "futian"), ("东风", "dongfeng"), ("长江", "changjiang"),
    ("申沃", "shenwo"), ("恒通", "hengtong"), ("少林", "shaolin"), ("友谊", "youyi"), ("华夏", "huaxia"),
    ("顺达", "shunda"), ("通达", "tongda"), ("远航", "yuanhang"), ("快捷", "kuaijie"), ("安达", "anda"),
    ("捷运", "jieyun"), ("飞鹰", "feiying"), ("东方", "dongfang"), ("长城", "changcheng"), ("新世纪", "xinshiji"),
    ("平安", "pingan"), ("吉祥", "jixiang"), ("鸿运", "hongyun"), ("祥龙", "xianglong"), ("万达", "wanda"),
    ("众成", "zhongcheng"), ("和谐", "hexie"), ("腾飞", "tengfei"), ("瑞通", "ruitong"), ("恒达", "hengda"),
    ("金星", "jinxing"), ("宏图", "hongtu"), ("永安", "yongan"), ("盛世", "shengshi"), ("天马", "tianma"),
    ("华运", "huayun"), ("通程", "tongcheng"), ("顺风", "shunfeng"), ("畅行", "changxing"), ("易行", "yixing"),
    ("绿色", "lvse"), ("城际", "chengji"), ("环球", "huanqiu"), ("第一", "diyi"), ("第二", "dier"),
    ("第三", "disan"), ("北方", "beifang"), ("南方", "nanfang"), ("中原", "zhongyuan"), ("江南", "jiangnan"),
    ("西部", "xibu"), ("阳光", "yangguang"), ("兴业", "xingye"), ("宏达", "hongda"), ("联运", "lianyun"),
];

#[rustfmt::skip]
const TRADES: &[(&str, &str)] = &[
    ("公交", "gongjiao"), ("客运", "keyun"), ("巴士", "bashi"), ("旅游", "lvyou"), ("运输", "yunshu"),
    ("汽车", "qiche"), ("交通", "jiaotong"), ("公共交通", "gonggong-jiaotong"), ("校车", "xiaoche"),
    ("出行", "chuxing"), ("旅游客运", "lvyou-keyun"), ("汽车租赁", "qiche-zulin"),
];

#[rustfmt::skip]
const FORMS: &[(&str, &str)] = &[
    ("集团", "jituan"), ("公司", "gongsi"), ("有限公司", "youxian-gongsi"), ("集团有限公司", "jituan-youxian-gongsi"),
    ("股份有限公司", "gufen-youxian-gongsi"), ("总公司", "zonggongsi"),
];

#[rustfmt::skip]
const PLACES: &[(&str, &str)] = &[
    ("Lyon", "lyon"), ("Hamburg", "hamburg"), ("Oslo", "oslo"), ("Stockholm", "stockholm"), ("København", "kobenhavn"),
    ("München", "munchen"), ("Zürich", "zurich"), ("Wien", "wien"), ("Praha", "praha"), ("Kraków", "krakow"),
    ("Madrid", "madrid"), ("Sevilla", "sevilla"), ("Lisboa", "lisboa"), ("Porto", "porto"), ("Milano", "milano"),
    ("Torino", "torino"), ("Napoli", "napoli"), ("Marseille", "marseille"), ("Bordeaux", "bordeaux"), ("Lille", "lille"),
    ("Antwerpen", "antwerpen"), ("Rotterdam", "rotterdam"), ("Utrecht", "utrecht"), ("Dublin", "dublin"), ("Cork", "cork"),
    ("Glasgow", "glasgow"), ("Leeds", "leeds"), ("Bristol", "bristol"), ("Helsinki", "helsinki"), ("Tampere", "tampere"),
    ("Tallinn", "tallinn"), ("Riga", "riga"), ("Vilnius", "vilnius"), ("Warszawa", "warszawa"), ("Budapest", "budapest"),
    ("Sofia", "sofia"), ("Athina", "athina"), ("Istanbul", "istanbul"), ("Ankara", "ankara"), ("Almaty", "almaty"),
    ("Tashkent", "tashkent"), ("Dubai", "dubai"), ("Doha", "doha"), ("Riyadh", "riyadh"), ("Cairo", "cairo"),
    ("Nairobi", "nairobi"), ("Lagos", "lagos"), ("Johannesburg", "johannesburg"), ("Santiago", "santiago"), ("Lima", "lima"),
    ("Bogotá", "bogota"), ("Quito", "quito"), ("Monterrey", "monterrey"), ("São Paulo", "sao-paulo"), ("Curitiba", "curitiba"),
    ("Buenos Aires", "buenos-aires"), ("Montevideo", "montevideo"), ("Singapore", "singapore"), ("Kuala Lumpur", "kuala-lumpur"),
    ("Jakarta", "jakarta"), ("Bangkok", "bangkok"), ("Manila", "manila"), ("Hanoi", "hanoi"), ("Nordic", "nordic"),
    ("Baltic", "baltic"), ("Alpine", "alpine"), ("Atlantic", "atlantic"), ("Pacific", "pacific"), ("Kowloon", "kowloon"),
];

#[rustfmt::skip]
const WORDS: &[(&str, &str)] = &[
    ("Coach", "coach"), ("Bus", "bus"), ("Transit", "transit"), ("Motor", "motor"), ("Travel", "travel"),
    ("Reisen", "reisen"), ("Autobuses", "autobuses"), ("Autocars", "autocars"), ("Transport", "transport"),
    ("Mobility", "mobility"), ("Express", "express"), ("Lines", "lines"), ("Tours", "tours"), ("Busways", "busways"),
    ("Verkehr", "verkehr"), ("Omnibus", "omnibus"), ("Transportes", "transportes"), ("Viaggi", "viaggi"),
    ("Metrobus", "metrobus"), ("Shuttle", "shuttle"),
];

#[rustfmt::skip]
const WORDS2: &[(&str, &str)] = &[
    ("", ""), ("", ""), ("", ""), ("Company", "company"), ("Group", "group"), ("Services", "services"),
    ("Holdings", "holdings"), ("Partners", "partners"), ("City", "city"), ("Regional", "regional"),
    ("International", "international"), ("Airport", "airport"),
];

#[rustfmt::skip]
const LATIN_FORMS: &[(&str, &str)] = &[
    ("", ""), ("", ""), ("AB", "ab"), ("GmbH", "gmbh"), ("Ltd", "ltd"), ("S.A.", "sa"), ("AS", "as"), ("BV", "bv"),
    ("Oy", "oy"), ("S.p.A.", "spa"), ("SARL", "sarl"), ("Inc.", "inc"), ("plc", "plc"),
];

#[rustfmt::skip]
const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"),
    ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"), ("潘", "pan"),
    ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("沈", "shen"),
];

#[rustfmt::skip]
const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("华", "hua"), ("平", "ping"), ("刚", "gang"),
    ("桂英", "guiying"), ("建国", "jianguo"), ("建华", "jianhua"), ("志强", "zhiqiang"), ("海燕", "haiyan"),
    ("晓东", "xiaodong"), ("春梅", "chunmei"), ("玉兰", "yulan"), ("文", "wen"), ("斌", "bin"), ("鹏", "peng"),
    ("辉", "hui"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("欣", "xin"),
];

#[rustfmt::skip]
const FIRST: &[(&str, &str)] = &[
    ("Anna", "anna"), ("Erik", "erik"), ("Lucía", "lucia"), ("Claire", "claire"), ("Jonas", "jonas"), ("Petra", "petra"),
    ("Tom", "tom"), ("Mette", "mette"), ("Lars", "lars"), ("Sofia", "sofia"), ("Marco", "marco"), ("Giulia", "giulia"),
    ("Pierre", "pierre"), ("Marie", "marie"), ("Hans", "hans"), ("Eva", "eva"), ("Jan", "jan"), ("Katarzyna", "katarzyna"),
    ("Piotr", "piotr"), ("Ana", "ana"), ("João", "joao"), ("Carlos", "carlos"), ("Elena", "elena"), ("Olga", "olga"),
    ("Mehmet", "mehmet"), ("Aigerim", "aigerim"), ("Raymond", "raymond"), ("Fatima", "fatima"), ("Ahmed", "ahmed"),
    ("David", "david"), ("Sarah", "sarah"), ("Michael", "michael"), ("Laura", "laura"), ("Thomas", "thomas"),
    ("Julia", "julia"), ("Pedro", "pedro"), ("Isabel", "isabel"), ("Nils", "nils"), ("Ingrid", "ingrid"), ("Tan", "tan"),
];

#[rustfmt::skip]
const LAST: &[(&str, &str)] = &[
    ("Berg", "berg"), ("Lund", "lund"), ("Gómez", "gomez"), ("Martin", "martin"), ("Weber", "weber"), ("Müller", "muller"),
    ("Hughes", "hughes"), ("Holm", "holm"), ("Jensen", "jensen"), ("Rossi", "rossi"), ("Bianchi", "bianchi"),
    ("Dubois", "dubois"), ("Moreau", "moreau"), ("Schmidt", "schmidt"), ("Novak", "novak"), ("Kowalski", "kowalski"),
    ("Silva", "silva"), ("Santos", "santos"), ("García", "garcia"), ("Fernández", "fernandez"), ("Petrov", "petrov"),
    ("Yilmaz", "yilmaz"), ("Sadykova", "sadykova"), ("Chan", "chan"), ("Hassan", "hassan"), ("Smith", "smith"),
    ("Brown", "brown"), ("Johansson", "johansson"), ("Nielsen", "nielsen"), ("Virtanen", "virtanen"), ("Horvat", "horvat"),
    ("Popescu", "popescu"), ("Costa", "costa"), ("Ortiz", "ortiz"), ("Lindqvist", "lindqvist"), ("Bauer", "bauer"),
    ("Fischer", "fischer"), ("Meyer", "meyer"), ("Kaya", "kaya"), ("Okafor", "okafor"),
];

#[rustfmt::skip]
const CN_TITLES: &[&str] = &["采购部经理", "总经理", "车队队长", "技术总监", "财务经理", "副总经理", "运营部主任", "机务科长"];
#[rustfmt::skip]
const EN_TITLES: &[&str] = &[
    "Fleet Manager", "Procurement Director", "CEO", "Technical Director", "Head of Operations", "Purchasing Manager",
    "CFO", "Depot Manager",
];
#[rustfmt::skip]
const AREA_CODES: &[&str] = &["10", "21", "20", "755", "22", "23", "28", "27", "371", "29", "25", "571", "512", "731", "24", "411"];
#[rustfmt::skip]
const COUNTRY_CODES: &[&str] = &["33", "34", "39", "44", "45", "46", "47", "48", "49", "351", "358", "7", "971", "55", "65"];

#[rustfmt::skip]
const SUMMARIES: &[(&str, &str)] = &[
    ("visit", "Site visit at the depot; reviewed fleet age"), ("call", "Call about spare parts pricing"),
    ("meeting", "Annual review with the procurement team"), ("email", "Sent updated electric coach brochure"),
    ("visit", "Test drive of the 12 m electric bus"), ("call", "Follow-up on the tender timetable"),
    ("meeting", "Workshop on charging infrastructure"), ("other", "Met at the Busworld expo"),
    ("visit", "拜访车队，了解车辆更新计划"), ("call", "电话沟通配件价格"), ("meeting", "与采购部年度会谈"),
    ("email", "发送新能源客车资料"), ("visit", "陪同客户试驾12米纯电动公交"), ("call", "跟进招标时间表"),
    ("meeting", "充电设施方案研讨"), ("other", "道路运输展会上交流"), ("email", "Quote for 20 coaches sent"),
    ("call", "Service contract renewal discussed"), ("visit", "交付验收，客户满意"), ("meeting", "售后服务回访"),
    ("email", "Sent the warranty terms"), ("call", "客户反馈空调故障，已安排维修"), ("visit", "Depot tour with the new fleet director"),
    ("other", "Dinner with the general manager"),
];
#[rustfmt::skip]
const NEXT_STEPS: &[&str] = &[
    "Quote 20 electric coaches", "Send service contract draft", "安排工厂参观", "提交投标文件", "Follow up on financing",
    "Demo of the hydrogen bus", "准备报价单", "Schedule depot visit", "签订年度维保合同", "Invite to the factory open day",
];
#[rustfmt::skip]
const NOTES: &[&str] = &[
    "老客户，关系稳定", "Prefers email over calls", "决策链长，需高层拜访", "Tenders every three years", "Price sensitive",
    "关注新能源补贴政策", "Pays on time", "与竞争对手有长期合作",
];
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "公交", "客运", "旅游", "校车", "新能源", "electric", "hydrogen", "diesel", "tender", "fleet-renewal", "export",
    "service", "城际", "VIP",
];
#[rustfmt::skip]
const REASONS: &[&str] = &[
    "Territory realignment", "区域调整", "Workload balancing", "客户要求更换对接人", "Account moves to a colleague with capacity",
    "New rep takes over the city", "按行业重新分配客户", "Consolidating the fleet operators",
];

#[rustfmt::skip]
const REGION_NAMES: &[&str] = &["华北", "华东", "华南", "华中", "西南", "西北", "东北", "Europe", "东南亚", "中东", "拉美", "非洲"];
const COMPANY: &str = "Example Coach Co.";
const TIERS: [&str; 3] = ["key", "standard", "prospect"];
const STATUSES: [&str; 4] = ["prospect", "active", "dormant", "lost"];
const KEY: u8 = 0;
const STANDARD: u8 = 1;
const PROSPECT: u8 = 2;
const S_PROSPECT: u8 = 0;
const S_ACTIVE: u8 = 1;
const S_DORMANT: u8 = 2;
const S_LOST: u8 = 3;
/// China Standard Time, as minutes east of UTC.
const TZ_MINUTES: i32 = 8 * 60;
const MAX_TOUCHES: usize = 30;

// ---------------------------------------------------------------------------
// Randomness and dates.

/// SplitMix64: tiny, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Inclusive range.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Days since 1970-01-01.
type Day = i32;

fn day_of(date: NaiveDate) -> Day {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as Day
}

fn date_of(day: Day) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Days::new(day as u64)
}

fn write_date(out: &mut String, day: Day) {
    let d = date_of(day);
    let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
}

/// The local (UTC+8) day of a timestamp.
fn local_day(ts: i64) -> Day {
    (ts + i64::from(TZ_MINUTES) * 60).div_euclid(86_400) as Day
}

fn shard_of(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    format!("{:02x}", digest[0])
}

// ---------------------------------------------------------------------------
// The store's contents.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Rep,
    Manager,
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

struct Person {
    handle: String,
    name: String,
    email: String,
    role: Role,
    region: Option<usize>,
    /// Added to `staff/` yet.
    exists: bool,
    active: bool,
    joined: Option<Day>,
    left: Option<Day>,
    rehire: Option<bool>,
    /// `ssh-ed25519 AAAA… handle@laptop`
    public_key: String,
    key: ssh_key::PrivateKey,
    /// Never departs (admins, and the two people the reassign scenario needs).
    protected: bool,
}

struct Contact {
    name: String,
    title: Option<&'static str>,
    phone: Option<String>,
    email: Option<String>,
}

#[derive(Clone, Copy)]
struct Touch {
    date: Day,
    by: u16,
    /// Index into SUMMARIES.
    what: u16,
}

struct Customer {
    id: String,
    path: String,
    name: String,
    owner: u16,
    backup: Option<u16>,
    tier: u8,
    status: u8,
    region: Option<u16>,
    since: Day,
    value: Option<u64>,
    tags: Vec<u8>,
    next_step: Option<u8>,
    next_date: Option<Day>,
    notes: Option<u8>,
    contacts: Vec<Contact>,
    touches: Vec<Touch>,
    latin: bool,
    /// Ownership events (add, reassign), to pick a customer for `crm log ID`.
    events: u32,
}

/// One commit: who acts (and commits, and signs), the message, the files.
struct CommitOut {
    actor: u16,
    message: String,
    changes: Vec<(String, String)>,
}

/// What a slot of the schedule holds.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Init,
    Regions,
    StaffAdd(u16),
    Import(usize),
    Departure,
    Hire,
    Random,
}

// ---------------------------------------------------------------------------
// Rendering, exactly as crm writes its files (see src/model/document.rs):
// top-level keys in the file format's order, one `key = value` per line,
// then `[[contacts]]` and `[[touches]]`, each preceded by a blank line.

fn push_quoted(out: &mut String, s: &str) {
    // Generated text never needs escapes; a quote or backslash would make
    // toml_edit choose another representation, so refuse them outright.
    debug_assert!(!s.chars().any(|c| c == '"' || c == '\\' || c == '\'' || c.is_control()), "{s}");
    out.push('"');
    out.push_str(s);
    out.push('"');
}

fn kv_str(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    push_quoted(out, value);
    out.push('\n');
}

fn kv_date(out: &mut String, key: &str, day: Day) {
    out.push_str(key);
    out.push_str(" = ");
    write_date(out, day);
    out.push('\n');
}

struct World {
    staff: Vec<Person>,
    regions: Vec<String>,
}

impl World {
    fn handle(&self, i: u16) -> &str {
        &self.staff[i as usize].handle
    }

    fn render_customer(&self, c: &Customer, out: &mut String) {
        out.clear();
        kv_str(out, "name", &c.name);
        kv_str(out, "owner", self.handle(c.owner));
        if let Some(b) = c.backup {
            kv_str(out, "backup", self.handle(b));
        }
        kv_str(out, "tier", TIERS[c.tier as usize]);
        kv_str(out, "status", STATUSES[c.status as usize]);
        if let Some(r) = c.region {
            kv_str(out, "region", &self.regions[r as usize]);
        }
        kv_date(out, "since", c.since);
        if let Some(v) = c.value {
            let _ = writeln!(out, "value = {v}");
        }
        if !c.tags.is_empty() {
            out.push_str("tags = [");
            for (i, t) in c.tags.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_quoted(out, TAGS[*t as usize]);
            }
            out.push_str("]\n");
        }
        if let Some(s) = c.next_step {
            kv_str(out, "next_step", NEXT_STEPS[s as usize]);
        }
        if let Some(d) = c.next_date {
            kv_date(out, "next_date", d);
        }
        if let Some(n) = c.notes {
            kv_str(out, "notes", NOTES[n as usize]);
        }
        for ct in &c.contacts {
            out.push_str("\n[[contacts]]\n");
            kv_str(out, "name", &ct.name);
            if let Some(t) = ct.title {
                kv_str(out, "title", t);
            }
            if let Some(p) = &ct.phone {
                kv_str(out, "phone", p);
            }
            if let Some(e) = &ct.email {
                kv_str(out, "email", e);
            }
        }
        for t in &c.touches {
            let (kind, summary) = SUMMARIES[t.what as usize];
            out.push_str("\n[[touches]]\n");
            kv_date(out, "date", t.date);
            kv_str(out, "by", self.handle(t.by));
            kv_str(out, "kind", kind);
            kv_str(out, "summary", summary);
        }
    }

    fn render_staff(&self, p: &Person) -> String {
        let mut out = String::with_capacity(256);
        kv_str(&mut out, "name", &p.name);
        kv_str(&mut out, "email", &p.email);
        kv_str(&mut out, "role", p.role.as_str());
        if let Some(r) = p.region {
            kv_str(&mut out, "region", &self.regions[r]);
        }
        kv_str(&mut out, "status", if p.active { "active" } else { "departed" });
        if let Some(d) = p.joined {
            kv_date(&mut out, "joined", d);
        }
        if let Some(d) = p.left {
            kv_date(&mut out, "left", d);
        }
        if let Some(r) = p.rehire {
            let _ = writeln!(out, "rehire = {r}");
        }
        out.push_str("keys = [");
        push_quoted(&mut out, &p.public_key);
        out.push_str("]\n");
        out
    }
}

/// The `release_after_days` of a `[pool]` without exempt tiers that makes
/// at least `wanted` customers due on `today` (as `crm pool release --due`
/// judges them: active and prospect customers, by the latest of their last
/// touch and `since`), and how many it makes due.
fn pool_due(customers: &[Customer], today: Day, wanted: usize) -> (i32, usize) {
    let mut ages: Vec<i32> = customers
        .iter()
        .filter(|c| c.status == S_ACTIVE || c.status == S_PROSPECT)
        .map(|c| today - c.touches.iter().map(|t| t.date).max().unwrap_or(c.since).max(c.since))
        .collect();
    ages.sort_unstable_by(|a, b| b.cmp(a));
    let Some(&days) = ages.get(wanted.clamp(1, ages.len().max(1)) - 1) else { return (0, 0) };
    (days, ages.iter().filter(|a| **a >= days).count())
}

/// `crm.toml` as `crm init` writes it, optionally with the regions an admin
/// later filled in by hand.
fn config_toml(regions: Option<&[String]>) -> String {
    let text = crm::ops::init::config_toml(COMPANY, "CNY", false, &[]);
    match regions {
        None => text,
        Some(list) => {
            let quoted: Vec<String> = list.iter().map(|r| format!("\"{r}\"")).collect();
            text.replace(
                "regions = []                # empty = free text",
                &format!("regions = [{}]   # empty = free text", quoted.join(", ")),
            )
        }
    }
}

/// A commit message as crm renders it.
fn crm_message(subject: &str, action: &str, actor: &str, reason: Option<&str>) -> String {
    crm::ops::Message { subject: subject.to_string(), action, reason }.render(actor)
}

// ---------------------------------------------------------------------------
// --check-format: the same edits, made the way crm makes them.

mod crmdoc {
    //! crm's own `Document` (src/model/document.rs), driven the way crm's
    //! commands drive it: the oracle the fast renderer is compared with.
    use toml_edit::{value, Table, Value};

    /// Which kind of file (its path decides crm's key order).
    pub const CUSTOMER_KEYS: &str = "customers/00/x.toml";
    /// Which kind of file (its path decides crm's key order).
    pub const STAFF_KEYS: &str = "staff/x.toml";

    pub struct Doc(crm::model::document::Document);

    /// One change to a file, as crm's commands make it.
    pub enum Op {
        Set(&'static str, Value),
        Push(&'static str, Table),
    }

    impl Doc {
        pub fn parse(src: &str, kind: &str) -> Doc {
            Doc(crm::model::document::Document::parse(kind, src).expect("generated TOML parses"))
        }
        pub fn new(kind: &str) -> Doc {
            Doc::parse("", kind)
        }
        pub fn apply(&mut self, op: Op) {
            match op {
                Op::Set(k, v) => self.0.set(k, v),
                Op::Push(k, t) => self.0.push_table(k, t),
            }
        }
        pub fn text(&self) -> String {
            self.0.to_string()
        }
    }

    pub fn date(day: super::Day) -> Value {
        crm::model::date::Date(super::date_of(day)).to_toml().into()
    }

    pub fn strings(items: &[&str]) -> Value {
        Value::Array(items.iter().copied().collect())
    }

    pub fn table(pairs: &[(&str, Value)]) -> Table {
        let mut t = Table::new();
        for (k, v) in pairs {
            t.insert(k, value(v.clone()));
        }
        t
    }
}

use crmdoc::Op;

// ---------------------------------------------------------------------------
// The generator.

struct Gen {
    rng: Rng,
    w: World,
    customers: Vec<Customer>,
    ids: HashSet<String>,
    names: HashSet<String>,
    /// Active reps and managers by region (rebuilt on staff changes).
    reps: Vec<Vec<u16>>,
    managers: Vec<Vec<u16>>,
    admins: Vec<u16>,
    big: u16,
    target: u16,
    /// Staff indexes not yet hired, in order.
    to_hire: Vec<u16>,
    /// Regions whose people left, waiting for a replacement.
    vacancies: Vec<usize>,
    schedule: Vec<Slot>,
    big_share: f64,
    adds_left: usize,
    random_left: usize,
    import_sizes: Vec<usize>,
    /// Per-commit timestamps (UTC seconds).
    times: Vec<i64>,
    buf: String,
    /// `--check-format`: compare every file with crm's own edits.
    check: bool,
    checked: usize,
}

struct Plan {
    customers: usize,
    commits: usize,
    staff: usize,
    regions: usize,
    signed_tail: usize,
    end: Day,
    years: u32,
}

impl Gen {
    fn new(seed: u64, plan: &Plan, check: bool) -> Result<Gen> {
        let mut rng = Rng(seed ^ 0x6372_6d2d_6265_6e63);
        ensure!(plan.regions >= 1, "--regions must be at least 1");
        ensure!(
            plan.staff >= 2 + 3 * plan.regions,
            "--staff must be at least {} for {} regions",
            2 + 3 * plan.regions,
            plan.regions
        );
        let regions: Vec<String> = (0..plan.regions)
            .map(|i| REGION_NAMES.get(i).map_or_else(|| format!("区域{}", i + 1), |s| s.to_string()))
            .collect();

        // The roster: two admins, two managers per region where the numbers
        // allow, the rest reps, round robin over the regions.
        let managers_per_region = if plan.staff >= 2 + 5 * plan.regions { 2 } else { 1 };
        let mut roles: Vec<(Role, Option<usize>)> = vec![(Role::Admin, None), (Role::Admin, None)];
        for r in 0..plan.regions {
            for _ in 0..managers_per_region {
                roles.push((Role::Manager, Some(r)));
            }
        }
        let mut r = 0;
        while roles.len() < plan.staff {
            roles.push((Role::Rep, Some(r)));
            r = (r + 1) % plan.regions;
        }
        let mut handles = HashSet::new();
        let mut staff = Vec::with_capacity(plan.staff);
        for (i, (role, region)) in roles.into_iter().enumerate() {
            let latin = region.is_some_and(|r| regions[r] == "Europe" || regions[r] == "拉美");
            let (name, base) = if latin {
                let (f, fs) = *rng.pick(FIRST);
                let (l, ls) = *rng.pick(LAST);
                (format!("{f} {l}"), format!("{fs}.{ls}"))
            } else {
                let (s, ss) = *rng.pick(SURNAMES);
                let (g, gs) = *rng.pick(GIVEN);
                (format!("{s}{g}"), format!("{ss}.{gs}"))
            };
            let mut handle = base.clone();
            let mut n = 2;
            while !handles.insert(handle.clone()) {
                handle = format!("{base}{n}");
                n += 1;
            }
            let mut seed_bytes = Sha256::new();
            seed_bytes.update(seed.to_le_bytes());
            seed_bytes.update(b"crm-bench staff key");
            seed_bytes.update((i as u64).to_le_bytes());
            let seed_bytes: [u8; 32] = seed_bytes.finalize().into();
            let pair = ssh_key::private::Ed25519Keypair::from_seed(&seed_bytes);
            let key =
                ssh_key::PrivateKey::new(ssh_key::private::KeypairData::Ed25519(pair), format!("{handle}@laptop"))?;
            let public_key = key.public_key().to_openssh()?;
            staff.push(Person {
                email: format!("{handle}@example.com"),
                handle,
                name,
                role,
                region,
                exists: false,
                active: true,
                joined: None,
                left: None,
                rehire: None,
                public_key,
                key,
                protected: role == Role::Admin,
            });
        }
        // The owner of >= 5,000 customers and the colleague the reassign
        // scenario moves them to: the first two reps of region 0.
        let region0_reps: Vec<u16> = (0..staff.len())
            .filter(|&i| staff[i].role == Role::Rep && staff[i].region == Some(0))
            .map(|i| i as u16)
            .collect();
        ensure!(region0_reps.len() >= 3, "need at least three reps in the first region");
        let (big, target) = (region0_reps[0], region0_reps[1]);
        staff[big as usize].protected = true;
        staff[target as usize].protected = true;

        // Departures and their replacements: one in fifteen people leave
        // over the years; the replacements are the roster's last reps.
        let departures = (plan.staff / 15).max(1);
        let mut to_hire: Vec<u16> = (0..staff.len())
            .rev()
            .filter(|&i| staff[i].role == Role::Rep && !staff[i].protected)
            .take(departures)
            .map(|i| i as u16)
            .collect();
        to_hire.reverse();
        let initial = plan.staff - to_hire.len();

        // The schedule.
        let fixed = 2 + (initial - 1);
        ensure!(
            plan.commits > fixed + 2 * departures + 2,
            "--commits must be more than {}",
            fixed + 2 * departures + 2
        );
        let zone = plan.commits - fixed;
        let imports = (plan.customers / 8000).clamp(2, 12).min(plan.customers.max(1));
        // init (the first admin), the regions, then everyone else.
        let mut schedule = vec![Slot::Init, Slot::Regions];
        schedule.extend((1..initial).map(|i| Slot::StaffAdd(i as u16)));
        let first_zone = schedule.len();
        schedule.resize(plan.commits, Slot::Random);
        let untouchable = plan.signed_tail.min(zone);
        let usable = zone - untouchable;
        ensure!(usable > imports + 2 * departures + 10, "--signed-tail leaves too few unsigned commits");
        ensure!(usable * 2 / 5 >= imports, "too few commits for {imports} imports");
        for i in 0..imports {
            schedule[first_zone + i * (usable * 2 / 5) / imports] = Slot::Import(i);
        }
        for i in 0..departures {
            let lo = usable * 3 / 20;
            let hi = (usable * 3 / 4).max(lo + 1);
            let mut at = first_zone + lo + i * (hi - lo) / departures;
            while !matches!(schedule[at], Slot::Random) || !matches!(schedule[at + 3], Slot::Random) {
                at += 1;
            }
            schedule[at] = Slot::Departure;
            schedule[at + 3] = Slot::Hire;
        }
        let random_slots = schedule.iter().filter(|s| matches!(s, Slot::Random)).count();
        let adds = (plan.customers * 15 / 100).min(random_slots * 15 / 100);
        let imported = plan.customers - adds;
        let import_sizes: Vec<usize> =
            (0..imports).map(|i| imported / imports + usize::from(i < imported % imports)).collect();

        // Timestamps: evenly spread with jitter, strictly increasing, the
        // last one at 18:00 local on the end date.
        let end_ts = i64::from(plan.end) * 86_400 + 10 * 3600; // 18:00 +0800
        let span = i64::from(plan.years) * 365 * 86_400;
        let start_ts = end_ts - span;
        let slot = (span / plan.commits as i64).max(2);
        let mut times = Vec::with_capacity(plan.commits);
        for k in 0..plan.commits {
            let base = start_ts + span * k as i64 / plan.commits as i64;
            let jitter = if k + 1 == plan.commits { 0 } else { rng.range(0, slot / 2) };
            times.push(base - jitter);
        }
        times[plan.commits - 1] = end_ts;

        let n_regions = plan.regions;
        let mut g = Gen {
            rng,
            w: World { staff, regions },
            customers: Vec::with_capacity(plan.customers),
            ids: HashSet::with_capacity(plan.customers),
            names: HashSet::with_capacity(plan.customers),
            reps: vec![Vec::new(); n_regions],
            managers: vec![Vec::new(); n_regions],
            admins: Vec::new(),
            big,
            target,
            to_hire,
            vacancies: Vec::new(),
            schedule,
            big_share: 0.055,
            adds_left: adds,
            random_left: random_slots,
            import_sizes,
            times,
            buf: String::with_capacity(8192),
            check,
            checked: 0,
        };
        // Historical joining dates for the initial staff.
        let start_day = local_day(start_ts);
        for i in 1..initial {
            let joined = start_day - g.rng.range(30, 12 * 365) as Day;
            g.w.staff[i].joined = Some(joined);
        }
        Ok(g)
    }

    fn rebuild_teams(&mut self) {
        for v in self.reps.iter_mut().chain(self.managers.iter_mut()) {
            v.clear();
        }
        self.admins.clear();
        for (i, p) in self.w.staff.iter().enumerate() {
            if !p.exists || !p.active {
                continue;
            }
            match (p.role, p.region) {
                (Role::Admin, _) => self.admins.push(i as u16),
                (Role::Rep, Some(r)) => self.reps[r].push(i as u16),
                (Role::Manager, Some(r)) => self.managers[r].push(i as u16),
                _ => {}
            }
        }
    }

    fn admin(&mut self) -> u16 {
        self.admins[self.rng.below(self.admins.len())]
    }

    /// A manager of `region`, or an admin when it has none.
    fn manager_of(&mut self, region: Option<usize>) -> u16 {
        match region {
            Some(r) if !self.managers[r].is_empty() => self.managers[r][self.rng.below(self.managers[r].len())],
            _ => self.admin(),
        }
    }

    fn region_of(&self, person: u16) -> Option<usize> {
        self.w.staff[person as usize].region
    }

    /// An active seller (mostly reps, some managers) of `region`, never one
    /// of `not`.
    fn seller(&mut self, region: usize, not: &[u16]) -> Option<u16> {
        for _ in 0..8 {
            let pool = if self.rng.chance(0.1) && !self.managers[region].is_empty() {
                &self.managers[region]
            } else {
                &self.reps[region]
            };
            if pool.is_empty() {
                continue;
            }
            let p = pool[self.rng.below(pool.len())];
            if !not.contains(&p) {
                return Some(p);
            }
        }
        self.reps[region].iter().chain(&self.managers[region]).copied().find(|p| !not.contains(p))
    }

    /// A backup for a customer owned by `owner`: a manager of the region
    /// mostly, else a colleague.
    fn backup_for(&mut self, owner: u16) -> u16 {
        let region = self.region_of(owner).unwrap_or(0);
        if self.rng.chance(0.7) {
            let ms: Vec<u16> = self.managers[region].iter().copied().filter(|m| *m != owner).collect();
            if !ms.is_empty() {
                return ms[self.rng.below(ms.len())];
            }
        }
        if let Some(p) = self.seller(region, &[owner]) {
            return p;
        }
        // A region of one: anyone active from another region.
        (0..self.reps.len())
            .flat_map(|r| self.reps[r].iter().chain(&self.managers[r]).copied().collect::<Vec<_>>())
            .find(|p| *p != owner)
            .expect("an active colleague")
    }

    // -- customers ----------------------------------------------------------

    fn new_name(&mut self, latin: bool) -> (String, String) {
        for attempt in 0.. {
            let (name, id) = if latin {
                let (p, ps) = *self.rng.pick(PLACES);
                let (w, ws) = *self.rng.pick(WORDS);
                let (w2, w2s) = *self.rng.pick(WORDS2);
                let (f, fs) = *self.rng.pick(LATIN_FORMS);
                let name: Vec<&str> = [p, w, w2, f].into_iter().filter(|s| !s.is_empty()).collect();
                let id: Vec<&str> = [ps, ws, w2s, fs].into_iter().filter(|s| !s.is_empty()).collect();
                (name.join(" "), id.join("-"))
            } else {
                let (c, cs) = *self.rng.pick(CITIES);
                let (b, bs) = if self.rng.chance(0.8) { *self.rng.pick(BRANDS) } else { ("", "") };
                let (t, ts) = *self.rng.pick(TRADES);
                let (f, fs) = *self.rng.pick(FORMS);
                let id: Vec<&str> = [cs, bs, ts, fs].into_iter().filter(|s| !s.is_empty()).collect();
                (format!("{c}{b}{t}{f}"), id.join("-"))
            };
            let (name, id) = if attempt < 24 {
                (name, id)
            } else {
                // The space is crowded: a numbered branch office.
                let n = attempt - 22;
                let suffix = format!("-{n}");
                let mut id = id;
                id.truncate(63 - suffix.len());
                let id = format!("{}{suffix}", id.trim_end_matches('-'));
                let name = if latin { format!("{name} {n}") } else { format!("{name}第{n}分公司") };
                (name, id)
            };
            let mut id = id;
            id.truncate(63);
            let id = id.trim_end_matches('-').to_string();
            if !self.ids.contains(&id) && !self.names.contains(&name) {
                self.ids.insert(id.clone());
                self.names.insert(name.clone());
                return (name, id);
            }
        }
        unreachable!()
    }

    fn new_contact(&mut self, latin: bool, domain: &str, taken: &[Contact]) -> Contact {
        let (name, local) = if latin {
            let (f, fs) = *self.rng.pick(FIRST);
            let (l, ls) = *self.rng.pick(LAST);
            (format!("{f} {l}"), format!("{fs}.{ls}"))
        } else {
            let (s, ss) = *self.rng.pick(SURNAMES);
            let (g, gs) = *self.rng.pick(GIVEN);
            (format!("{s}{g}"), format!("{gs}.{ss}"))
        };
        let mut email = format!("{local}@{domain}");
        let mut n = 2;
        while taken.iter().any(|c| c.email.as_deref() == Some(email.as_str())) {
            email = format!("{local}{n}@{domain}");
            n += 1;
        }
        let title =
            self.rng.chance(0.7).then(|| if latin { *self.rng.pick(EN_TITLES) } else { *self.rng.pick(CN_TITLES) });
        let phone = self.rng.chance(0.8).then(|| {
            let (a, b) = (self.rng.range(1000, 9999), self.rng.range(1000, 9999));
            if latin {
                let cc = *self.rng.pick(COUNTRY_CODES);
                format!("+{cc} {} {a} {b}", self.rng.range(2, 99))
            } else {
                format!("+86 {} {a} {b}", self.rng.pick(AREA_CODES))
            }
        });
        let email = (self.rng.chance(0.85) || phone.is_none()).then_some(email);
        Contact { name, title, phone, email }
    }

    fn random_tags(&mut self) -> Vec<u8> {
        let n = [0, 0, 1, 1, 1, 2, 2, 3][self.rng.below(8)];
        let mut tags: Vec<u8> = Vec::new();
        while tags.len() < n {
            let t = self.rng.below(TAGS.len()) as u8;
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        tags
    }

    fn random_value(&mut self, tier: u8) -> u64 {
        let (lo, hi) = match tier {
            KEY => (5_000_000f64, 50_000_000f64),
            STANDARD => (300_000f64, 8_000_000f64),
            _ => (100_000f64, 2_000_000f64),
        };
        let v = lo * (hi / lo).powf(self.rng.unit());
        (v / 10_000.0).round() as u64 * 10_000
    }

    /// A new customer with owner `owner`, created on `day`; imported ones
    /// bring a past: an older `since` and logged touches.
    fn new_customer(&mut self, owner: u16, day: Day, imported: bool) -> Customer {
        let owner_region = self.region_of(owner);
        let region_name = owner_region.map(|r| self.w.regions[r].as_str()).unwrap_or("");
        let latin_share = match region_name {
            "Europe" => 0.85,
            "东南亚" | "中东" | "拉美" | "非洲" => 0.7,
            _ => 0.08,
        };
        let latin = self.rng.chance(latin_share);
        let (name, id) = self.new_name(latin);
        let tier = match self.rng.below(100) {
            0..=7 => KEY,
            8..=69 => STANDARD,
            _ => PROSPECT,
        };
        let status = match (tier, self.rng.below(100)) {
            (PROSPECT, 0..=69) => S_PROSPECT,
            (_, 0..=84) | (PROSPECT, _) => S_ACTIVE,
            (_, 85..=94) => S_DORMANT,
            _ => S_LOST,
        };
        let backup = (tier == KEY || self.rng.chance(0.15)).then(|| self.backup_for(owner));
        let region = if self.rng.chance(0.97) {
            owner_region.map(|r| r as u16)
        } else {
            Some(self.rng.below(self.w.regions.len()) as u16)
        };
        let since = if imported {
            self.rng.range(i64::from(day_of(NaiveDate::from_ymd_opt(2005, 1, 1).unwrap())), i64::from(day) - 30) as Day
        } else {
            day
        };
        let value = self.rng.chance(0.9).then(|| self.random_value(tier));
        let tags = self.random_tags();
        let domain = format!("{id}.example.{}", if latin { "com" } else { "cn" });
        let mut contacts = Vec::new();
        let n_contacts = 2 + self.rng.below(3);
        while contacts.len() < n_contacts {
            let c = self.new_contact(latin, &domain, &contacts);
            contacts.push(c);
        }
        let notes = self.rng.chance(0.2).then(|| self.rng.below(NOTES.len()) as u8);
        let mut c = Customer {
            path: format!("customers/{}/{id}.toml", shard_of(&id)),
            id,
            name,
            owner,
            backup,
            tier,
            status,
            region,
            since,
            value,
            tags,
            next_step: None,
            next_date: None,
            notes: None,
            contacts,
            touches: Vec::new(),
            latin,
            events: 1,
        };
        if imported {
            c.notes = notes;
            // A past: up to 25 touches over the last three years before the import.
            let n = if self.rng.chance(0.15) { 0 } else { 1 + (self.rng.unit().powi(2) * 24.0) as usize };
            let from = since.max(day - 3 * 365);
            let mut dates: Vec<Day> =
                (0..n).map(|_| self.rng.range(i64::from(from), i64::from(day) - 1) as Day).collect();
            dates.sort_unstable();
            for date in dates {
                let by = match c.backup {
                    Some(b) if self.rng.chance(0.15) => b,
                    _ => owner,
                };
                c.touches.push(Touch { date, by, what: self.rng.below(SUMMARIES.len()) as u16 });
            }
            if self.rng.chance(0.3) {
                c.next_step = Some(self.rng.below(NEXT_STEPS.len()) as u8);
                c.next_date = Some(day + self.rng.range(7, 90) as Day);
            }
        }
        c
    }

    /// The owner of a new customer: the big owner now and then, else an
    /// active seller of a random region.
    fn new_owner(&mut self) -> u16 {
        if self.rng.chance(self.big_share) {
            return self.big;
        }
        let r = self.rng.below(self.w.regions.len());
        self.seller(r, &[]).unwrap_or(self.big)
    }

    /// A random existing customer satisfying `ok`, or any if none turns up.
    fn pick_customer(&mut self, ok: impl Fn(&Customer) -> bool) -> usize {
        for _ in 0..64 {
            let i = self.rng.below(self.customers.len());
            if ok(&self.customers[i]) {
                return i;
            }
        }
        self.rng.below(self.customers.len())
    }

    // -- output of one commit -------------------------------------------------

    /// The current text of customer `i`; with --check-format, compared with
    /// what crm's own edits (`ops`) make of `before`.
    fn customer_text(&mut self, i: usize, before: Option<&str>, ops: Vec<Op>) -> Result<String> {
        let mut buf = std::mem::take(&mut self.buf);
        self.w.render_customer(&self.customers[i], &mut buf);
        let text = buf.clone();
        self.buf = buf;
        if self.check {
            let mut doc = match before {
                Some(src) => crmdoc::Doc::parse(src, crmdoc::CUSTOMER_KEYS),
                None => crmdoc::Doc::new(crmdoc::CUSTOMER_KEYS),
            };
            for op in ops {
                doc.apply(op);
            }
            let expected = doc.text();
            if expected != text {
                bail!(
                    "format check failed for {}:\n--- crm would write:\n{expected}\n--- generated:\n{text}",
                    self.customers[i].path
                );
            }
            self.checked += 1;
        }
        Ok(text)
    }

    fn render_current(&mut self, i: usize) -> String {
        let mut buf = std::mem::take(&mut self.buf);
        self.w.render_customer(&self.customers[i], &mut buf);
        let text = buf.clone();
        self.buf = buf;
        text
    }

    /// crm's `customer_toml` for customer `i`, as document operations.
    fn fresh_ops(&self, i: usize) -> Vec<Op> {
        if !self.check {
            return Vec::new();
        }
        let c = &self.customers[i];
        let h = |p: u16| self.w.handle(p).to_string();
        let mut ops = vec![Op::Set("name", c.name.as_str().into()), Op::Set("owner", h(c.owner).into())];
        if let Some(b) = c.backup {
            ops.push(Op::Set("backup", h(b).into()));
        }
        ops.push(Op::Set("tier", TIERS[c.tier as usize].into()));
        ops.push(Op::Set("status", STATUSES[c.status as usize].into()));
        if let Some(r) = c.region {
            ops.push(Op::Set("region", self.w.regions[r as usize].as_str().into()));
        }
        ops.push(Op::Set("since", crmdoc::date(c.since)));
        if let Some(v) = c.value {
            ops.push(Op::Set("value", (v as i64).into()));
        }
        if !c.tags.is_empty() {
            let tags: Vec<&str> = c.tags.iter().map(|t| TAGS[*t as usize]).collect();
            ops.push(Op::Set("tags", crmdoc::strings(&tags)));
        }
        if let Some(s) = c.next_step {
            ops.push(Op::Set("next_step", NEXT_STEPS[s as usize].into()));
        }
        if let Some(d) = c.next_date {
            ops.push(Op::Set("next_date", crmdoc::date(d)));
        }
        if let Some(n) = c.notes {
            ops.push(Op::Set("notes", NOTES[n as usize].into()));
        }
        for ct in &c.contacts {
            ops.push(Op::Push("contacts", self.contact_table(ct)));
        }
        for t in &c.touches {
            ops.push(Op::Push("touches", self.touch_table(t)));
        }
        ops
    }

    fn contact_table(&self, ct: &Contact) -> toml_edit::Table {
        let mut pairs: Vec<(&str, toml_edit::Value)> = vec![("name", ct.name.as_str().into())];
        if let Some(t) = ct.title {
            pairs.push(("title", t.into()));
        }
        if let Some(p) = &ct.phone {
            pairs.push(("phone", p.as_str().into()));
        }
        if let Some(e) = &ct.email {
            pairs.push(("email", e.as_str().into()));
        }
        crmdoc::table(&pairs)
    }

    fn touch_table(&self, t: &Touch) -> toml_edit::Table {
        let (kind, summary) = SUMMARIES[t.what as usize];
        crmdoc::table(&[
            ("date", crmdoc::date(t.date)),
            ("by", self.w.handle(t.by).into()),
            ("kind", kind.into()),
            ("summary", summary.into()),
        ])
    }

    fn staff_text(&self, p: u16, before: Option<&str>, ops: Vec<Op>) -> Result<String> {
        let person = &self.w.staff[p as usize];
        let text = self.w.render_staff(person);
        if self.check {
            let mut doc = match before {
                Some(src) => crmdoc::Doc::parse(src, crmdoc::STAFF_KEYS),
                None => crmdoc::Doc::new(crmdoc::STAFF_KEYS),
            };
            let ops = if before.is_none() {
                let mut fresh = vec![
                    Op::Set("name", person.name.as_str().into()),
                    Op::Set("email", person.email.as_str().into()),
                    Op::Set("role", person.role.as_str().into()),
                ];
                if let Some(r) = person.region {
                    fresh.push(Op::Set("region", self.w.regions[r].as_str().into()));
                }
                fresh.push(Op::Set("status", "active".into()));
                if let Some(j) = person.joined {
                    fresh.push(Op::Set("joined", crmdoc::date(j)));
                }
                fresh.push(Op::Set("keys", crmdoc::strings(&[person.public_key.as_str()])));
                fresh
            } else {
                ops
            };
            for op in ops {
                doc.apply(op);
            }
            ensure!(
                doc.text() == text,
                "format check failed for staff/{}.toml:\n{}\n---\n{text}",
                person.handle,
                doc.text()
            );
        }
        Ok(text)
    }

    fn staff_path(&self, p: u16) -> String {
        format!("staff/{}.toml", self.w.handle(p))
    }

    // -- the commits ------------------------------------------------------------

    /// Commit `k` of the schedule.
    fn commit(&mut self, k: usize) -> Result<CommitOut> {
        let day = local_day(self.times[k]);
        let slot = self.schedule[k];
        let out = match slot {
            Slot::Init => self.init(),
            Slot::Regions => self.regions_commit(),
            Slot::StaffAdd(p) => self.staff_add(p),
            Slot::Import(i) => self.import(i, day),
            Slot::Departure => self.departure(day),
            Slot::Hire => self.hire(day),
            Slot::Random => self.random(day),
        }?;
        Ok(out)
    }

    fn init(&mut self) -> Result<CommitOut> {
        let admin = 0u16;
        self.w.staff[0].exists = true;
        self.rebuild_teams();
        let staff = self.staff_text(admin, None, Vec::new())?;
        let h = self.w.handle(admin).to_string();
        Ok(CommitOut {
            actor: admin,
            message: crm_message(&format!("init store for {COMPANY}"), "init", &h, None),
            changes: vec![("crm.toml".into(), config_toml(None)), (self.staff_path(admin), staff)],
        })
    }

    fn regions_commit(&mut self) -> Result<CommitOut> {
        // A hand edit with plain git: no trailers.
        Ok(CommitOut {
            actor: 0,
            message: "List the sales regions in crm.toml\n".into(),
            changes: vec![("crm.toml".into(), config_toml(Some(&self.w.regions)))],
        })
    }

    fn staff_add(&mut self, p: u16) -> Result<CommitOut> {
        let actor = if p == 1 { 0 } else { self.admin() };
        self.w.staff[p as usize].exists = true;
        self.rebuild_teams();
        let text = self.staff_text(p, None, Vec::new())?;
        let person = &self.w.staff[p as usize];
        let subject = format!("staff add {}: {}", person.handle, person.role.as_str());
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut {
            actor,
            message: crm_message(&subject, "staff-add", &h, None),
            changes: vec![(self.staff_path(p), text)],
        })
    }

    fn import(&mut self, batch: usize, day: Day) -> Result<CommitOut> {
        let actor = self.admin();
        let n = self.import_sizes[batch];
        let mut changes = Vec::with_capacity(n);
        for _ in 0..n {
            let owner = self.new_owner();
            let c = self.new_customer(owner, day, true);
            self.customers.push(c);
            let i = self.customers.len() - 1;
            let ops = self.fresh_ops(i);
            let text = self.customer_text(i, None, ops)?;
            changes.push((self.customers[i].path.clone(), text));
        }
        let d = date_of(day);
        let subject = format!("import {n} customers from customers-{:04}-{:02}.csv", d.year(), d.month());
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut { actor, message: crm_message(&subject, "import", &h, None), changes })
    }

    fn hire(&mut self, day: Day) -> Result<CommitOut> {
        let actor = self.admin();
        let p = self.to_hire.remove(0);
        if let Some(r) = (!self.vacancies.is_empty()).then(|| self.vacancies.remove(0)) {
            self.w.staff[p as usize].region = Some(r);
        }
        let person = &mut self.w.staff[p as usize];
        person.exists = true;
        person.joined = Some(day);
        self.rebuild_teams();
        let text = self.staff_text(p, None, Vec::new())?;
        let subject = format!("staff add {}: rep", self.w.handle(p));
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut {
            actor,
            message: crm_message(&subject, "staff-add", &h, None),
            changes: vec![(self.staff_path(p), text)],
        })
    }

    /// A rep leaves: departed in their staff file, every customer handed over
    /// (spread across the region by value, or to one successor), every
    /// backup duty given to someone else, in one commit by an admin.
    fn departure(&mut self, day: Day) -> Result<CommitOut> {
        let actor = self.admin();
        // Someone unprotected with colleagues left in the region.
        let mut candidates: Vec<u16> = Vec::new();
        for (r, reps) in self.reps.iter().enumerate() {
            let others = reps.len() + self.managers[r].len();
            for &p in reps {
                if !self.w.staff[p as usize].protected && others >= 3 {
                    candidates.push(p);
                }
            }
        }
        ensure!(!candidates.is_empty(), "nobody can leave");
        let leaver = candidates[self.rng.below(candidates.len())];
        let region = self.region_of(leaver).expect("reps have a region");
        self.vacancies.push(region);
        let before_staff = self.w.render_staff(&self.w.staff[leaver as usize]);
        {
            let p = &mut self.w.staff[leaver as usize];
            p.active = false;
            p.left = Some(day);
            p.rehire = Some(self.rng.chance(0.7));
        }
        self.rebuild_teams();
        let successors: Vec<u16> = self.reps[region].iter().chain(&self.managers[region]).copied().collect();
        let single = self.rng.chance(0.3).then(|| successors[self.rng.below(successors.len())]);

        let mut owned: Vec<usize> = (0..self.customers.len()).filter(|&i| self.customers[i].owner == leaver).collect();
        let backed: Vec<usize> = (0..self.customers.len())
            .filter(|&i| self.customers[i].backup == Some(leaver) && self.customers[i].owner != leaver)
            .collect();
        owned.sort_by(|&a, &b| {
            let (ca, cb) = (&self.customers[a], &self.customers[b]);
            cb.value.unwrap_or(0).cmp(&ca.value.unwrap_or(0)).then(ca.id.cmp(&cb.id))
        });
        let mut load: BTreeMap<u16, (u64, usize)> = successors.iter().map(|s| (*s, (0, 0))).collect();
        let mut changes = Vec::with_capacity(1 + owned.len() + backed.len());
        let staff_ops = if self.check {
            vec![
                Op::Set("status", "departed".into()),
                Op::Set("left", crmdoc::date(day)),
                Op::Set("rehire", self.w.staff[leaver as usize].rehire.unwrap_or(true).into()),
            ]
        } else {
            Vec::new()
        };
        let staff_text = self.staff_text(leaver, Some(&before_staff), staff_ops)?;
        changes.push((self.staff_path(leaver), staff_text));
        for &i in &owned {
            let before = self.check.then(|| self.render_current(i));
            let backup = self.customers[i].backup;
            let to = match single {
                Some(s) => s,
                None => *load
                    .iter()
                    .filter(|(h, _)| backup != Some(**h) || load.len() == 1)
                    .min_by_key(|(h, (v, n))| (*v, *n, self.w.handle(**h).to_string()))
                    .map(|(h, _)| h)
                    .expect("a successor"),
            };
            if let Some(l) = load.get_mut(&to) {
                l.0 += self.customers[i].value.unwrap_or(0);
                l.1 += 1;
            }
            let new_backup = match backup {
                Some(b) if b == to || b == leaver => Some(self.backup_for(to)),
                other => other,
            };
            let c = &mut self.customers[i];
            c.owner = to;
            c.events += 1;
            let mut ops = Vec::new();
            if self.check {
                ops.push(Op::Set("owner", self.w.handle(to).into()));
                if new_backup != backup {
                    ops.push(Op::Set("backup", self.w.handle(new_backup.expect("set")).into()));
                }
            }
            self.customers[i].backup = new_backup;
            let text = self.customer_text(i, before.as_deref(), ops)?;
            changes.push((self.customers[i].path.clone(), text));
        }
        for &i in &backed {
            let before = self.check.then(|| self.render_current(i));
            let owner = self.customers[i].owner;
            let b = self.backup_for(owner);
            self.customers[i].backup = Some(b);
            let ops = if self.check { vec![Op::Set("backup", self.w.handle(b).into())] } else { Vec::new() };
            let text = self.customer_text(i, before.as_deref(), ops)?;
            changes.push((self.customers[i].path.clone(), text));
        }
        // crm writes each file once: a customer both owned and backed up by
        // the leaver is impossible (owner != backup), so no path repeats.
        let handle = self.w.handle(leaver).to_string();
        let subject = match single {
            Some(s) => format!("staff leave {handle}: {} customers to {}", owned.len(), self.w.handle(s)),
            None => format!("staff leave {handle}: {} customers spread", owned.len()),
        };
        let reason = format!(
            "{} left the company; handover of the {} accounts",
            self.w.staff[leaver as usize].name, self.w.regions[region]
        );
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut { actor, message: crm_message(&subject, "staff-leave", &h, Some(&reason)), changes })
    }

    fn random(&mut self, day: Day) -> Result<CommitOut> {
        let p_add = self.adds_left as f64 / self.random_left.max(1) as f64;
        self.random_left = self.random_left.saturating_sub(1);
        if self.adds_left > 0 && (self.rng.chance(p_add) || self.customers.is_empty()) {
            self.adds_left -= 1;
            return self.add(day);
        }
        match self.rng.below(100) {
            0..=69 => self.touch(day),
            70..=87 => self.edit(day),
            88..=97 => self.reassign_one(day),
            _ => self.reassign_bulk(day),
        }
    }

    fn add(&mut self, day: Day) -> Result<CommitOut> {
        let owner = self.new_owner();
        let c = self.new_customer(owner, day, false);
        self.customers.push(c);
        let i = self.customers.len() - 1;
        let actor = if self.w.staff[owner as usize].role == Role::Rep && self.rng.chance(0.6) {
            owner
        } else {
            // Managers act within their customers' region (manager_scope).
            let r = self.customers[i].region.map(usize::from);
            self.manager_of(r)
        };
        let ops = self.fresh_ops(i);
        let text = self.customer_text(i, None, ops)?;
        let c = &self.customers[i];
        let subject = format!("add {}: {}", c.id, c.name);
        let path = c.path.clone();
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut { actor, message: crm_message(&subject, "add", &h, None), changes: vec![(path, text)] })
    }

    fn touch(&mut self, day: Day) -> Result<CommitOut> {
        let i = self.pick_customer(|c| c.touches.len() < MAX_TOUCHES && c.status != S_LOST);
        if self.customers[i].touches.len() >= MAX_TOUCHES {
            return self.edit(day);
        }
        let before = self.check.then(|| self.render_current(i));
        let c = &self.customers[i];
        let actor = match c.backup {
            Some(b) if self.rng.chance(0.15) => b,
            _ => c.owner,
        };
        let touch = Touch { date: day, by: actor, what: self.rng.below(SUMMARIES.len()) as u16 };
        let next =
            self.rng.chance(0.3).then(|| (self.rng.below(NEXT_STEPS.len()) as u8, day + self.rng.range(7, 60) as Day));
        let mut ops = Vec::new();
        if self.check {
            ops.push(Op::Push("touches", self.touch_table(&touch)));
            if let Some((s, d)) = next {
                ops.push(Op::Set("next_step", NEXT_STEPS[s as usize].into()));
                ops.push(Op::Set("next_date", crmdoc::date(d)));
            }
        }
        let c = &mut self.customers[i];
        c.touches.push(touch);
        if let Some((s, d)) = next {
            c.next_step = Some(s);
            c.next_date = Some(d);
        }
        let text = self.customer_text(i, before.as_deref(), ops)?;
        let c = &self.customers[i];
        let subject = format!("touch {}: {} by {}", c.id, SUMMARIES[touch.what as usize].0, self.w.handle(actor));
        let path = c.path.clone();
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut { actor, message: crm_message(&subject, "touch", &h, None), changes: vec![(path, text)] })
    }

    /// `crm edit` by the owner or a manager: one or two fields.
    fn edit(&mut self, day: Day) -> Result<CommitOut> {
        let i = self.pick_customer(|_| true);
        let before = self.check.then(|| self.render_current(i));
        let owner = self.customers[i].owner;
        let actor = if self.rng.chance(0.7) {
            owner
        } else {
            let r = self.customers[i].region.map(usize::from);
            self.manager_of(r)
        };
        let mut changed: Vec<&'static str> = Vec::new();
        let mut ops: Vec<Op> = Vec::new();
        let n = 1 + usize::from(self.rng.chance(0.3));
        for _ in 0..8 {
            if changed.len() >= n {
                break;
            }
            let what = self.rng.below(8);
            let c = &self.customers[i];
            let (tier, value, status, n_contacts, latin) = (c.tier, c.value, c.status, c.contacts.len(), c.latin);
            match what {
                0 if !changed.contains(&"value") => {
                    let v = self.random_value(tier) as i64;
                    if Some(v as u64) != value {
                        self.customers[i].value = Some(v as u64);
                        ops.push(Op::Set("value", v.into()));
                        changed.push("value");
                    }
                }
                1 if !changed.contains(&"status") => {
                    let s = match status {
                        S_ACTIVE => S_DORMANT,
                        S_PROSPECT => S_ACTIVE,
                        _ => S_ACTIVE,
                    };
                    self.customers[i].status = s;
                    ops.push(Op::Set("status", STATUSES[s as usize].into()));
                    changed.push("status");
                }
                2 if !changed.contains(&"next_step") => {
                    let s = self.rng.below(NEXT_STEPS.len()) as u8;
                    let d = day + self.rng.range(7, 60) as Day;
                    let c = &mut self.customers[i];
                    if c.next_step != Some(s) || c.next_date != Some(d) {
                        c.next_step = Some(s);
                        c.next_date = Some(d);
                        ops.push(Op::Set("next_step", NEXT_STEPS[s as usize].into()));
                        ops.push(Op::Set("next_date", crmdoc::date(d)));
                        changed.push("next_step");
                        changed.push("next_date");
                    }
                }
                3 if !changed.contains(&"tags") => {
                    let tags = self.random_tags();
                    if !tags.is_empty() && tags != self.customers[i].tags {
                        let names: Vec<&str> = tags.iter().map(|t| TAGS[*t as usize]).collect();
                        ops.push(Op::Set("tags", crmdoc::strings(&names)));
                        self.customers[i].tags = tags;
                        changed.push("tags");
                    }
                }
                4 if !changed.contains(&"notes") => {
                    let note = self.rng.below(NOTES.len()) as u8;
                    if self.customers[i].notes != Some(note) {
                        self.customers[i].notes = Some(note);
                        ops.push(Op::Set("notes", NOTES[note as usize].into()));
                        changed.push("notes");
                    }
                }
                5 if !changed.contains(&"tier") && tier != KEY => {
                    let tier = if tier == PROSPECT { STANDARD } else { KEY };
                    self.customers[i].tier = tier;
                    ops.push(Op::Set("tier", TIERS[tier as usize].into()));
                    changed.push("tier");
                    if tier == KEY && self.customers[i].backup.is_none() && !changed.contains(&"backup") {
                        let b = self.backup_for(owner);
                        self.customers[i].backup = Some(b);
                        ops.push(Op::Set("backup", self.w.handle(b).into()));
                        changed.push("backup");
                    }
                }
                6 if !changed.contains(&"contacts") && n_contacts < 4 => {
                    let domain = format!("{}.example.{}", self.customers[i].id, if latin { "com" } else { "cn" });
                    let taken = std::mem::take(&mut self.customers[i].contacts);
                    let contact = self.new_contact(latin, &domain, &taken);
                    self.customers[i].contacts = taken;
                    if self.check {
                        ops.push(Op::Push("contacts", self.contact_table(&contact)));
                    }
                    self.customers[i].contacts.push(contact);
                    changed.push("contacts");
                }
                7 if !changed.contains(&"backup") => {
                    let b = self.backup_for(owner);
                    if self.customers[i].backup != Some(b) {
                        self.customers[i].backup = Some(b);
                        ops.push(Op::Set("backup", self.w.handle(b).into()));
                        changed.push("backup");
                    }
                }
                _ => {}
            }
        }
        if changed.is_empty() {
            let v = self.customers[i].value.unwrap_or(0) as i64 + 10_000;
            self.customers[i].value = Some(v as u64);
            ops.push(Op::Set("value", v.into()));
            changed.push("value");
        }
        if !self.check {
            ops.clear();
        }
        // crm lists set keys first, then contacts (src/ops/edit.rs).
        if let Some(pos) = changed.iter().position(|k| *k == "contacts") {
            changed.remove(pos);
            changed.push("contacts");
        }
        let text = self.customer_text(i, before.as_deref(), ops)?;
        let c = &self.customers[i];
        let subject = format!("edit {}: {}", c.id, changed.join(", "));
        let path = c.path.clone();
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut { actor, message: crm_message(&subject, "edit", &h, None), changes: vec![(path, text)] })
    }

    /// Moves customer `i` to `to` the way crm does (a backup who becomes the
    /// owner hands the backup role to the previous owner); returns the
    /// document operations for --check-format.
    fn move_customer(&mut self, i: usize, to: u16) -> Vec<Op> {
        let c = &mut self.customers[i];
        let from = c.owner;
        c.owner = to;
        c.events += 1;
        let mut ops = Vec::new();
        if self.check {
            ops.push(Op::Set("owner", self.w.staff[to as usize].handle.as_str().into()));
        }
        if c.backup == Some(to) {
            c.backup = Some(from);
            if self.check {
                ops.push(Op::Set("backup", self.w.staff[from as usize].handle.as_str().into()));
            }
        }
        ops
    }

    fn reassign_one(&mut self, day: Day) -> Result<CommitOut> {
        let big = self.big;
        let i = self.pick_customer(|c| c.owner != big);
        let from = self.customers[i].owner;
        if from == big {
            return self.touch(day);
        }
        let region = self.region_of(from).unwrap_or(0);
        let Some(to) = self.seller(region, &[from]) else { return self.touch(day) };
        let home = self.customers[i].region.map(usize::from);
        let actor = if self.rng.chance(0.1) { from } else { self.manager_of(home) };
        let before = self.check.then(|| self.render_current(i));
        let ops = self.move_customer(i, to);
        let text = self.customer_text(i, before.as_deref(), ops)?;
        let c = &self.customers[i];
        let subject = format!("reassign {}: {} -> {}", c.id, self.w.handle(from), self.w.handle(to));
        let reason = *self.rng.pick(REASONS);
        let path = c.path.clone();
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut {
            actor,
            message: crm_message(&subject, "reassign", &h, Some(reason)),
            changes: vec![(path, text)],
        })
    }

    /// A manager moves a handful of one rep's customers to a colleague.
    fn reassign_bulk(&mut self, day: Day) -> Result<CommitOut> {
        let region = self.rng.below(self.w.regions.len());
        let big = self.big;
        let reps: Vec<u16> = self.reps[region].iter().copied().filter(|p| *p != big).collect();
        if reps.len() < 2 {
            return self.touch(day);
        }
        let from = reps[self.rng.below(reps.len())];
        let Some(to) = self.seller(region, &[from]) else { return self.touch(day) };
        // Only the region's own customers: its manager acts on those.
        let owned: Vec<usize> = (0..self.customers.len())
            .filter(|&i| self.customers[i].owner == from)
            .filter(|&i| self.customers[i].region.is_none_or(|r| usize::from(r) == region))
            .collect();
        if owned.len() < 2 {
            return self.touch(day);
        }
        let want = (5 + self.rng.below(56)).min(owned.len());
        let mut chosen: Vec<usize> = Vec::with_capacity(want);
        while chosen.len() < want {
            let i = owned[self.rng.below(owned.len())];
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        // crm plans `--from` selections in path order.
        chosen.sort_by(|a, b| self.customers[*a].path.cmp(&self.customers[*b].path));
        let actor = self.manager_of(Some(region));
        let mut changes = Vec::with_capacity(chosen.len());
        for &i in &chosen {
            let before = self.check.then(|| self.render_current(i));
            let ops = self.move_customer(i, to);
            let text = self.customer_text(i, before.as_deref(), ops)?;
            changes.push((self.customers[i].path.clone(), text));
        }
        let subject = format!("reassign {} customers: {} -> {}", chosen.len(), self.w.handle(from), self.w.handle(to));
        let reason = *self.rng.pick(REASONS);
        let h = self.w.handle(actor).to_string();
        Ok(CommitOut { actor, message: crm_message(&subject, "reassign", &h, Some(reason)), changes })
    }
}

// ---------------------------------------------------------------------------
// Writing. Every commit goes through one `git fast-import` (it packs as it
// goes; ~1 ms a commit with 390-entry shard trees, which makes it the
// bottleneck), fed from a thread so that the generator can go on to write
// the work tree on the other core meanwhile.

/// One commit in fast-import's language, with the files inline.
fn fast_import_commit(c: &CommitOut, who: &Person, ts: i64, mark: usize) -> Vec<u8> {
    let size: usize = c.changes.iter().map(|(p, t)| p.len() + t.len() + 40).sum();
    let mut o = Vec::with_capacity(size + c.message.len() + 200);
    let ident = format!("{} <{}> {ts} +0800", who.name, who.email);
    let _ = write!(
        o,
        "commit refs/heads/main\nmark :{mark}\nauthor {ident}\ncommitter {ident}\ndata {}\n",
        c.message.len()
    );
    o.extend_from_slice(c.message.as_bytes());
    o.push(b'\n');
    for (path, content) in &c.changes {
        let _ = write!(o, "M 100644 inline {path}\ndata {}\n", content.len());
        o.extend_from_slice(content.as_bytes());
        o.push(b'\n');
    }
    o.push(b'\n');
    o
}

/// Starts fast-import (or a plain file, for profiling) fed by a thread from
/// an unbounded channel.
/// The channel to the fast-import writer thread, and the thread.
type Writer = (Sender<Vec<u8>>, JoinHandle<Result<()>>);

fn spawn_fast_import(dir: &Path, stream_to: Option<&Path>) -> Result<Writer> {
    let (mut child, sink): (Option<Child>, Box<dyn Write + Send>) = match stream_to {
        Some(path) => (None, Box::new(std::fs::File::create(path)?)),
        None => {
            let mut child = Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(["fast-import", "--quiet", "--done"])
                .stdin(Stdio::piped())
                .spawn()
                .context("running git fast-import")?;
            let stdin = child.stdin.take().expect("piped");
            (Some(child), Box::new(stdin))
        }
    };
    let (tx, rx) = channel::<Vec<u8>>();
    let handle = std::thread::spawn(move || -> Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, sink);
        for chunk in rx {
            out.write_all(&chunk)?;
        }
        out.write_all(b"done\n")?;
        out.flush()?;
        drop(out);
        if let Some(child) = child.as_mut() {
            let status = child.wait()?;
            ensure!(status.success(), "git fast-import failed ({status})");
        }
        Ok(())
    });
    Ok((tx, handle))
}

/// The last `metas.len()` commits of `main`, made again with the same trees,
/// messages and dates, each signed by its actor: SSH signatures made
/// in-process (`ssh-key`), the commits written to an in-memory object
/// database and then as one pack. Returns the tail's base and the new head.
///
/// The unsigned originals stay in fast-import's pack, unreachable (git gc
/// would prune them); nothing reads them.
fn sign_tail(dir: &Path, staff: &[Person], metas: &[(u16, i64, String)], merges: Merges) -> Result<Tail> {
    let repo = git2::Repository::open(dir)?;
    let mut walk = repo.revwalk()?;
    walk.push_ref("refs/heads/main")?;
    walk.simplify_first_parent()?;
    let mut originals: Vec<git2::Oid> = walk.take(metas.len()).collect::<std::result::Result<_, _>>()?;
    originals.reverse();
    ensure!(originals.len() == metas.len(), "history shorter than the signed tail");
    let base = repo.find_commit(originals[0])?.parent_id(0)?;
    let odb = repo.odb()?;
    let mempack = odb.add_new_mempack_backend(1000)?;
    let mut signer = Signer { repo: &repo, staff, signed: Vec::new() };
    let mut parent = base;
    let linear = metas.len() - merges.tail.min(metas.len());
    let mut merge_base = base;
    let mut merge_count = 0;
    let mut k = 0;
    while k < metas.len() {
        if k == linear {
            merge_base = parent;
        }
        let block = if k >= linear && merges.every >= 2 { merges.every.min(metas.len() - k) } else { 1 };
        let trees: Vec<git2::Tree> = originals[k..k + block]
            .iter()
            .map(|o| repo.find_commit(*o).and_then(|c| c.tree()))
            .collect::<Result<_, _>>()?;
        let before = repo.find_commit(parent)?.tree()?;
        let side_paths = if block >= 2 { side_paths(&repo, &before, &trees)? } else { None };
        let Some(side_paths) = side_paths else {
            for (i, tree) in trees.iter().enumerate() {
                parent = signer.commit(tree, &[parent], &metas[k + i])?;
            }
            k += block;
            continue;
        };
        // The block's first commit on a side branch, the others on main
        // without its change, then the merge (its tree is the original's).
        let side = signer.commit(&trees[0], &[parent], &metas[k])?;
        for (i, tree) in trees.iter().enumerate().skip(1) {
            let mut update = git2::build::TreeUpdateBuilder::new();
            for path in &side_paths {
                match before.get_path(Path::new(path)) {
                    Ok(e) => update.upsert(path, e.id(), git2::FileMode::Blob),
                    Err(_) => update.remove(path),
                };
            }
            let without = repo.find_tree(update.create_updated(&repo, tree)?)?;
            // The trees the update wrote, to be packed with the commits.
            signer.signed.push(without.id());
            for path in &side_paths {
                let dirs = Path::new(path).ancestors().skip(1).filter(|d| !d.as_os_str().is_empty());
                signer.signed.extend(dirs.filter_map(|d| without.get_path(d).ok()).map(|e| e.id()));
            }
            parent = signer.commit(&without, &[parent], &metas[k + i])?;
        }
        let (author, _, _) = &metas[k];
        let ts = metas[k + block - 1].1;
        let message = format!("Merge branch 'side-{k}'\n");
        parent = signer.commit(&trees[block - 1], &[parent, side], &(*author, ts, message))?;
        merge_count += 1;
        k += block;
    }
    let signed = signer.signed;
    let commits = signed.iter().filter(|o| repo.find_commit(**o).is_ok()).count();
    // Only the new commit objects (mempack's own dump would add every
    // tree and blob they reach).
    let mut builder = repo.packbuilder()?;
    builder.set_threads(0);
    for oid in &signed {
        builder.insert_object(*oid, None)?;
    }
    let mut pack = git2::Buf::new();
    builder.write_buf(&mut pack)?;
    drop(builder);
    let mut index_pack = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["index-pack", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    index_pack.stdin.take().expect("piped").write_all(&pack)?;
    ensure!(index_pack.wait()?.success(), "git index-pack failed");
    mempack.reset()?;
    let old = originals.last().expect("non-empty").to_string();
    git(dir, &["update-ref", "refs/heads/main", &parent.to_string(), &old])?;
    Ok(Tail { base: base.to_string(), merge_base: merge_base.to_string(), merges: merge_count, commits })
}

/// `--merge-tail` and `--merge-every`.
#[derive(Debug, Clone, Copy)]
struct Merges {
    tail: usize,
    every: usize,
}

/// What `sign_tail` made.
struct Tail {
    /// The commit before the signed tail.
    base: String,
    /// The commit before the merge-heavy part.
    merge_base: String,
    merges: usize,
    commits: usize,
}

/// Signs commits as their actors, in memory.
struct Signer<'r> {
    repo: &'r git2::Repository,
    staff: &'r [Person],
    /// The objects written: signed commits and the trees they need.
    signed: Vec<git2::Oid>,
}

impl Signer<'_> {
    fn commit(&mut self, tree: &git2::Tree, parents: &[git2::Oid], meta: &(u16, i64, String)) -> Result<git2::Oid> {
        let (actor, ts, message) = meta;
        let who = &self.staff[*actor as usize];
        let parents: Vec<git2::Commit> = parents.iter().map(|p| self.repo.find_commit(*p)).collect::<Result<_, _>>()?;
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        let sig = git2::Signature::new(&who.name, &who.email, &git2::Time::new(*ts, TZ_MINUTES))?;
        let buffer = self.repo.commit_create_buffer(&sig, &sig, message, tree, &parents)?;
        let armored = who.key.sign("git", ssh_key::HashAlg::Sha512, &buffer)?.to_pem(ssh_key::LineEnding::LF)?;
        let payload = std::str::from_utf8(&buffer).context("commit buffer is UTF-8")?;
        let oid = self.repo.commit_signed(payload, armored.trim_end(), Some("gpgsig"))?;
        self.signed.push(oid);
        Ok(oid)
    }
}

/// The customer files the first of `trees` changes (from `before`), when
/// the block's other commits leave them alone and it touches neither
/// staff nor settings: it can then be a side branch.
fn side_paths(repo: &git2::Repository, before: &git2::Tree, trees: &[git2::Tree]) -> Result<Option<Vec<String>>> {
    // crm's own tree diff: it skips subtrees whose ids are equal (libgit2's
    // walks all 100,000 entries).
    let paths = |a: &git2::Tree, b: &git2::Tree| -> Result<Vec<String>> {
        Ok(crm::store::treediff::diff(repo, Some(a), Some(b), "")?.into_iter().map(|c| c.path).collect())
    };
    let first = paths(before, &trees[0])?;
    if first.is_empty() || first.iter().any(|p| !p.starts_with("customers/")) {
        return Ok(None);
    }
    for pair in trees.windows(2) {
        if paths(&pair[0], &pair[1])?.iter().any(|p| first.contains(p)) {
            return Ok(None);
        }
    }
    Ok(Some(first))
}

/// Writes the final files into the work tree (instead of a checkout, which
/// would inflate 100,000 blobs from the pack), in parallel.
fn write_work_tree(dir: &Path, g: &Gen) -> Result<()> {
    use rayon::prelude::*;
    for shard in 0..256 {
        std::fs::create_dir_all(dir.join(format!("customers/{shard:02x}")))?;
    }
    std::fs::create_dir_all(dir.join("staff"))?;
    std::fs::write(dir.join("crm.toml"), config_toml(Some(&g.w.regions)))?;
    for (i, p) in g.w.staff.iter().enumerate() {
        if p.exists {
            std::fs::write(dir.join(g.staff_path(i as u16)), g.w.render_staff(p))?;
        }
    }
    g.customers.par_iter().try_for_each_init(String::new, |buf, c| -> Result<()> {
        g.w.render_customer(c, buf);
        std::fs::write(dir.join(&c.path), buf.as_bytes())?;
        Ok(())
    })?;
    // Shards nobody lives in (tiny stores) must not be left behind.
    for shard in 0..256 {
        let _ = std::fs::remove_dir(dir.join(format!("customers/{shard:02x}")));
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .with_context(|| format!("running git {}", args.join(" ")))?;
    ensure!(out.status.success(), "git {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn write_keys(dir: &Path, staff: &[Person]) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut allowed = String::new();
    for p in staff {
        let private = dir.join(&p.handle);
        std::fs::write(&private, p.key.to_openssh(ssh_key::LineEnding::LF)?.as_bytes())?;
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600))?;
        std::fs::write(dir.join(format!("{}.pub", p.handle)), format!("{}\n", p.public_key))?;
        let _ = writeln!(allowed, "{} namespaces=\"git\" {}", p.email, p.public_key);
    }
    let path = dir.join("allowed_signers");
    std::fs::write(&path, allowed)?;
    Ok(path)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let (default_customers, default_commits) = if args.small { (10_000, 5_000) } else { (100_000, 100_000) };
    let end = day_of(NaiveDate::parse_from_str(&args.end, "%Y-%m-%d").context("--end must be YYYY-MM-DD")?);
    let plan = Plan {
        customers: args.customers.unwrap_or(default_customers),
        commits: args.commits.unwrap_or(default_commits),
        staff: args.staff,
        regions: args.regions,
        signed_tail: args.signed_tail,
        end,
        years: args.years.max(1),
    };
    ensure!(plan.customers >= 100, "--customers must be at least 100");
    ensure!(plan.signed_tail < plan.commits, "--signed-tail must be less than --commits");

    let dir = &args.dir;
    if dir.exists() {
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !empty {
            ensure!(args.force, "{} exists; pass --force to replace it", dir.display());
            std::fs::remove_dir_all(dir)?;
        }
    }
    std::fs::create_dir_all(dir)?;
    let dir = dir.canonicalize()?;
    git(&dir, &["init", "-q", "-b", "main"])?;

    let mut g = Gen::new(args.seed, &plan, args.check_format)?;
    let admin = &g.w.staff[0];
    for (k, v) in [
        ("user.name", admin.name.as_str()),
        ("user.email", admin.email.as_str()),
        ("gc.auto", "0"),
        ("maintenance.auto", "false"),
        ("core.untrackedCache", "true"),
    ] {
        git(&dir, &["config", k, v])?;
    }
    let keys_dir = args.keys_dir.clone().unwrap_or_else(|| dir.join(".git/bench-keys"));
    let allowed_signers = write_keys(&keys_dir, &g.w.staff)?;

    // The history through fast-import, fed from another thread.
    let t_stream = Instant::now();
    let unsigned = plan.commits - plan.signed_tail;
    let (tx, writer) = spawn_fast_import(&dir, args.stream_to.as_deref())?;
    let mut tail_metas = Vec::with_capacity(plan.signed_tail);
    for k in 0..plan.commits {
        let c = g.commit(k)?;
        let who = &g.w.staff[c.actor as usize];
        if tx.send(fast_import_commit(&c, who, g.times[k], k + 1)).is_err() {
            break; // the writer failed; its error is reported below
        }
        if k >= unsigned {
            tail_metas.push((c.actor, g.times[k], c.message));
        }
    }
    drop(tx);
    let generate_secs = t_stream.elapsed().as_secs_f64();
    if args.stream_to.is_some() {
        writer.join().expect("writer thread")?;
        return Ok(());
    }
    // Meanwhile: the work tree.
    let t_files = Instant::now();
    write_work_tree(&dir, &g)?;
    let files_secs = t_files.elapsed().as_secs_f64();
    writer.join().expect("writer thread")?;
    let stream_secs = t_stream.elapsed().as_secs_f64();

    // The signed tail.
    let t_tail = Instant::now();
    let merges = Merges { tail: args.merge_tail, every: args.merge_every };
    let tail = if plan.signed_tail > 0 {
        sign_tail(&dir, &g.w.staff, &tail_metas, merges)?
    } else {
        let head = git(&dir, &["rev-parse", "refs/heads/main"])?;
        Tail { base: head.clone(), merge_base: head, merges: 0, commits: 0 }
    };
    let tail_secs = t_tail.elapsed().as_secs_f64();

    // The index for the files written above; they must be exactly HEAD's.
    let t_index = Instant::now();
    git(&dir, &["read-tree", "HEAD"])?;
    let _ = git(&dir, &["update-index", "-q", "--refresh"]);
    let dirty = git(&dir, &["status", "--porcelain", "--untracked-files=all"])?;
    ensure!(
        dirty.is_empty(),
        "the written work tree differs from HEAD:\n{}",
        dirty.lines().take(10).collect::<Vec<_>>().join("\n")
    );
    let index_secs = t_index.elapsed().as_secs_f64();

    // Facts for bench/run.sh.
    let head = git(&dir, &["rev-parse", "HEAD"])?;
    let big_count = g.customers.iter().filter(|c| c.owner == g.big).count();
    let log = (0..g.customers.len()).max_by_key(|&i| (g.customers[i].events, std::cmp::Reverse(i))).expect("customers");
    let departed = g.w.staff.iter().filter(|p| p.exists && !p.active).count();
    let wanted = args.pool_due.unwrap_or(if args.small { 500 } else { 5_000 });
    let (pool_days, pool_due) = pool_due(&g.customers, local_day(g.times[plan.commits - 1]), wanted);
    let last_date = date_of(local_day(g.times[plan.commits - 1]));
    let touches: usize = g.customers.iter().map(|c| c.touches.len()).sum();
    let env = format!(
        "FIXTURE_HEAD={head}\nFIXTURE_TAIL_BASE={}\nFIXTURE_SIGNED_TAIL={}\nFIXTURE_CUSTOMERS={}\nFIXTURE_COMMITS={}\n\
         FIXTURE_MERGE_BASE={}\nFIXTURE_MERGES={}\n\
         FIXTURE_STAFF={}\nFIXTURE_ADMIN={}\nFIXTURE_BIG_OWNER={}\nFIXTURE_BIG_OWNER_COUNT={big_count}\nFIXTURE_REASSIGN_TO={}\n\
         FIXTURE_LOG_ID={}\nFIXTURE_LOG_PATH={}\nFIXTURE_LAST_DATE={last_date}\nFIXTURE_KEYS_DIR={}\nFIXTURE_ALLOWED_SIGNERS={}\n\
         FIXTURE_POOL_DAYS={pool_days}\nFIXTURE_POOL_DUE={pool_due}\n",
        tail.base,
        tail.commits,
        g.customers.len(),
        plan.commits + tail.merges,
        tail.merge_base,
        tail.merges,
        g.w.staff.len(),
        g.w.staff[0].handle,
        g.w.handle(g.big),
        g.w.handle(g.target),
        g.customers[log].id,
        g.customers[log].path,
        keys_dir.display(),
        allowed_signers.display(),
    );
    std::fs::write(dir.join(".git/bench-fixture.env"), env)?;

    let checked = if args.check_format { format!(", {} files format-checked", g.checked) } else { String::new() };
    println!(
        "generated {}: {} customers ({} touches), {} staff ({departed} departed), {} commits ({} signed, {} merges){checked} in {:.1}s \
         [generate {generate_secs:.1}s + work tree {files_secs:.1}s while fast-import ran {stream_secs:.1}s, signed tail {tail_secs:.1}s, \
         index {index_secs:.1}s]; {} owns {big_count}",
        dir.display(),
        g.customers.len(),
        touches,
        g.w.staff.len(),
        plan.commits + tail.merges,
        tail.commits,
        tail.merges,
        started.elapsed().as_secs_f64(),
        g.w.handle(g.big),
    );
    Ok(())
}
