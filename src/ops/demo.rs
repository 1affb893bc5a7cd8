//! `crm demo`: a realistic sample store to try `crm` on: five regions,
//! forty customers with Chinese and Latin names, two years of touches, a
//! reorganisation, and a departed rep whose customers were only partly
//! handed over. Every commit is signed with a per-person SSH key that the
//! demo makes inside the repository's `.git/` (never committed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::add::AddCustomer;
use super::leave::{Handover, LeaveRequest};
use super::reassign::{ReassignRequest, Selection};
use super::staff::AddStaff;
use super::touch::TouchRequest;
use super::{init, WriteOptions};
use crate::model::customer::TouchKind;
use crate::model::date::Date;
use crate::model::timestamp::Timestamp;
use crate::model::{Contact, CustomerId, Handle, Role};
use crate::seal::record::KeySource;
use crate::store::write::Stamps;
use crate::store::{Repo, Store};
use crate::{Error, Result};

/// What the demo built.
#[derive(Debug, Clone, Serialize)]
pub struct DemoOutcome {
    /// The store's root.
    pub root: PathBuf,
    /// Number of customers.
    pub customers: usize,
    /// Number of staff (including the departed one).
    pub staff: usize,
    /// Number of commits.
    pub commits: usize,
}

/// The file name of the demo's recovery key (beside everyone's keys).
pub const RECOVERY: &str = "recovery";

/// Everyone's private keys: the demo acts as each person in turn.
struct DemoKeys(Vec<age::ssh::Identity>);

impl DemoKeys {
    fn load(dir: &Path) -> Result<DemoKeys> {
        let mut list = Vec::new();
        for handle in PEOPLE.iter().map(|p| p.0) {
            let path = dir.join(handle);
            let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
            list.push(crate::seal::identity::parse(&text, handle, || Ok(None))?);
        }
        Ok(DemoKeys(list))
    }
}

impl KeySource for DemoKeys {
    fn identities(&self) -> Result<&[age::ssh::Identity]> {
        Ok(&self.0)
    }
}

/// (handle, name, role, region)
const PEOPLE: &[(&str, &str, Role, &str)] = &[
    ("liu.yang", "刘洋", Role::Admin, "总部"),
    ("li.na", "李娜", Role::Manager, "华中"),
    ("sun.li", "孙丽", Role::Manager, "华东"),
    ("zhang.wei", "张伟", Role::Rep, "华中"),
    ("wang.fang", "王芳", Role::Rep, "华南"),
    ("chen.jie", "陈杰", Role::Rep, "华东"),
    ("zhao.lei", "赵磊", Role::Rep, "华北"),
    ("anna.berg", "Anna Berg", Role::Rep, "Europe"),
];

/// (name, owner, region, tier, value in CNY, contact)
const CUSTOMERS: &[(&str, &str, &str, &str, u64, &str)] = &[
    ("郑州宇通客运集团", "zhang.wei", "华中", "key", 12_000_000, "王建国 <wang.jg@example.cn> +86 371 5555 0101"),
    ("武汉公交集团", "zhang.wei", "华中", "key", 8_500_000, "刘明 <liu.ming@example.cn> +86 27 5555 0102"),
    ("长沙城市公交", "zhang.wei", "华中", "standard", 2_400_000, "周平 +86 731 5555 0103"),
    ("洛阳公交集团", "zhang.wei", "华中", "standard", 1_800_000, "马骏 <ma.jun@example.cn>"),
    ("南昌公交运输集团", "li.na", "华中", "standard", 1_500_000, "吴静 +86 791 5555 0105"),
    ("合肥公交集团", "zhang.wei", "华中", "prospect", 600_000, "何伟 <he.wei@example.cn>"),
    ("广州第二公共汽车公司", "wang.fang", "华南", "key", 9_800_000, "陈志强 <chen.zq@example.cn> +86 20 5555 0201"),
    ("深圳巴士集团", "wang.fang", "华南", "key", 11_200_000, "林小红 <lin.xh@example.cn> +86 755 5555 0202"),
    ("东莞巴士有限公司", "wang.fang", "华南", "standard", 2_100_000, "黄海 +86 769 5555 0203"),
    ("佛山公交集团", "wang.fang", "华南", "standard", 1_900_000, "梁伟 <liang.w@example.cn>"),
    ("南宁公交集团", "wang.fang", "华南", "prospect", 500_000, "韦强 +86 771 5555 0205"),
    ("海口公交集团", "wang.fang", "华南", "standard", 1_100_000, "符明 <fu.ming@example.cn>"),
    ("上海巴士第一公交", "chen.jie", "华东", "key", 10_500_000, "徐峰 <xu.feng@example.cn> +86 21 5555 0301"),
    ("杭州公交集团", "chen.jie", "华东", "key", 7_600_000, "沈洁 <shen.jie@example.cn> +86 571 5555 0302"),
    ("南京公共交通集团", "chen.jie", "华东", "standard", 3_200_000, "顾磊 +86 25 5555 0303"),
    ("苏州公交集团", "chen.jie", "华东", "standard", 2_700_000, "陆芳 <lu.fang@example.cn>"),
    ("宁波公交集团", "chen.jie", "华东", "standard", 2_300_000, "邵军 +86 574 5555 0305"),
    ("青岛公交集团", "sun.li", "华东", "standard", 2_900_000, "于涛 <yu.tao@example.cn>"),
    ("福州公交集团", "chen.jie", "华东", "prospect", 700_000, "郑宇 +86 591 5555 0307"),
    ("北京公交集团", "zhao.lei", "华北", "key", 13_500_000, "赵刚 <zhao.gang@example.cn> +86 10 5555 0401"),
    ("天津公交集团", "zhao.lei", "华北", "key", 6_800_000, "孟强 <meng.q@example.cn> +86 22 5555 0402"),
    ("石家庄公交总公司", "zhao.lei", "华北", "standard", 2_200_000, "高峰 +86 311 5555 0403"),
    ("太原公交公司", "zhao.lei", "华北", "standard", 1_600_000, "郭亮 <guo.liang@example.cn>"),
    ("济南公交总公司", "zhao.lei", "华北", "standard", 2_500_000, "孔宁 +86 531 5555 0405"),
    ("呼和浩特公交集团", "zhao.lei", "华北", "prospect", 400_000, "乌兰 <wu.lan@example.cn>"),
    ("大连公交客运集团", "zhao.lei", "华北", "standard", 1_700_000, "姜波 +86 411 5555 0407"),
    ("Nordic Coach AB", "anna.berg", "Europe", "key", 5_400_000, "Erik Lund <erik.lund@example.se> +46 8 5555 0501"),
    (
        "Autobuses del Sur",
        "anna.berg",
        "Europe",
        "standard",
        2_600_000,
        "Lucía Gómez <lucia@example.es> +34 91 555 0502",
    ),
    ("Arriva Danmark", "anna.berg", "Europe", "standard", 3_100_000, "Mette Holm <mette@example.dk>"),
    ("Keolis Lyon", "anna.berg", "Europe", "standard", 2_800_000, "Claire Martin <claire@example.fr> +33 4 5555 0504"),
    (
        "Hamburger Hochbahn",
        "anna.berg",
        "Europe",
        "key",
        6_100_000,
        "Jonas Weber <j.weber@example.de> +49 40 5555 0505",
    ),
    ("Müller Reisen GmbH", "anna.berg", "Europe", "prospect", 450_000, "Petra Müller <petra@example.de>"),
    ("Go-Ahead London", "anna.berg", "Europe", "standard", 2_000_000, "Tom Hughes <tom.hughes@example.co.uk>"),
    ("Kowloon Motor Bus", "wang.fang", "华南", "key", 8_900_000, "Raymond Chan <r.chan@example.hk> +852 5555 0601"),
    ("SBS Transit Singapore", "wang.fang", "华南", "standard", 3_300_000, "Tan Wei Ming <tan.wm@example.sg>"),
    ("Almaty Avtobus", "zhao.lei", "华北", "prospect", 900_000, "Aigerim Sadykova <aigerim@example.kz>"),
    ("成都公交集团", "li.na", "华中", "key", 7_200_000, "杨帆 <yang.fan@example.cn> +86 28 5555 0701"),
    ("重庆公交集团", "li.na", "华中", "standard", 3_600_000, "罗斌 +86 23 5555 0702"),
    ("西安公交总公司", "zhang.wei", "华中", "standard", 2_900_000, "张磊 <zhang.lei@example.cn>"),
    ("贵阳公交集团", "li.na", "华中", "prospect", 650_000, "潘静 +86 851 5555 0704"),
];

/// The backup for a key account in each region.
fn backup_for(region: &str, owner: &str) -> &'static str {
    match (region, owner) {
        ("华中", "li.na") => "zhang.wei",
        ("华中", _) => "li.na",
        ("华东", "sun.li") => "chen.jie",
        ("华东", _) | ("华北", _) => "sun.li",
        _ => "li.na",
    }
}

const SUMMARIES: &[(TouchKind, &str)] = &[
    (TouchKind::Visit, "Site visit at the depot; reviewed fleet age"),
    (TouchKind::Call, "Call about spare parts pricing"),
    (TouchKind::Meeting, "Annual review with the procurement team"),
    (TouchKind::Email, "Sent updated electric coach brochure"),
    (TouchKind::Visit, "Test drive of the 12 m electric bus"),
    (TouchKind::Call, "Follow-up on the tender timetable"),
    (TouchKind::Meeting, "Workshop on charging infrastructure"),
    (TouchKind::Other, "Met at the Beijing bus expo"),
];

/// A small deterministic generator (so every demo is the same).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Refuses a directory that holds anything: the demo never mixes with
/// someone's files.
pub fn check_target(dir: &Path) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir).map_err(Error::io(dir))?.next().is_some() {
        let shown = dir.display().to_string();
        return Err(Error::invalid("directory", shown, "is not empty; choose a new or empty directory"));
    }
    Ok(())
}

/// Builds the demo store in `dir` (which must not exist or be empty),
/// with history ending at `today`.
pub fn run(dir: &Path, today: Date) -> Result<DemoOutcome> {
    check_target(dir)?;
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let (repo, _) = Repo::create_or_open(dir)?;
    let keys = repo.git_dir().join("crm-demo-keys");
    let demo = Demo { public: make_keys(&repo, &keys)?, repo, keys, start: today.plus_days(-730) };
    demo.act_as("liu.yang")?;
    let store = demo.found(dir)?;
    demo.hire(&store)?;
    let mut rng = Lcg(2026);
    let ids = demo.add_customers(&store, &mut rng)?;
    demo.log_touches(&store, &ids, &mut rng)?;
    demo.reorganise(&store, &ids, today)?;
    demo.depart(&store, &ids, today)?;
    demo.act_as("liu.yang")?;
    let commits = demo.repo.commit_count()?;
    Ok(DemoOutcome { root: store.root().to_path_buf(), customers: ids.len(), staff: PEOPLE.len(), commits })
}

/// A demo being built: its repository, everyone's keys, and when its
/// history starts.
struct Demo {
    repo: Repo,
    keys: PathBuf,
    public: BTreeMap<&'static str, String>,
    start: Date,
}

/// Makes everyone's SSH key in `keys` and lists them as git's allowed
/// signers; returns the public keys by handle.
fn make_keys(repo: &Repo, keys: &Path) -> Result<BTreeMap<&'static str, String>> {
    std::fs::create_dir_all(keys).map_err(Error::io(keys))?;
    let mut public = BTreeMap::new();
    for handle in PEOPLE.iter().map(|p| p.0).chain([RECOVERY]) {
        public.insert(handle, make_key(keys, handle)?);
    }
    let signers: String =
        PEOPLE.iter().map(|(h, ..)| format!("{} namespaces=\"git\" {}\n", email(h), public[h])).collect();
    let allowed = keys.join("allowed_signers");
    std::fs::write(&allowed, signers).map_err(Error::io(&allowed))?;
    repo.set_config("gpg.ssh.allowedSignersFile", &allowed.to_string_lossy())?;
    Ok(public)
}

impl Demo {
    /// Makes git act (and sign) as `handle`.
    fn act_as(&self, handle: &str) -> Result<()> {
        let (_, name, ..) = PEOPLE.iter().find(|p| p.0 == handle).copied().unwrap_or(PEOPLE[0]);
        self.repo.set_config("user.name", name)?;
        self.repo.set_config("user.email", &email(handle))?;
        self.repo.set_config("gpg.format", "ssh")?;
        self.repo.set_config("user.signingkey", &self.keys.join(format!("{handle}.pub")).to_string_lossy())?;
        self.repo.set_config("commit.gpgsign", "true")
    }

    /// Commits dated `day`, `minute` minutes after 09:00 UTC.
    fn at(&self, minute: i64, day: Date) -> WriteOptions {
        let secs = day.0.and_hms_opt(9, 0, 0).map(|t| t.and_utc().timestamp() + minute * 60).unwrap_or(0);
        WriteOptions { stamps: Stamps::at(Timestamp::utc(secs)), ..WriteOptions::default() }
    }

    /// `crm init` by the admin.
    fn found(&self, dir: &Path) -> Result<Store> {
        let req = init::InitRequest {
            dir: dir.to_path_buf(),
            company: "Example Coach Co.".into(),
            admin: Handle::parse("liu.yang")?,
            name: "刘洋".into(),
            email: email("liu.yang"),
            key: Some(self.public["liu.yang"].clone()),
            require_signed: true,
            currency: "CNY".into(),
            recovery: vec![self.public[RECOVERY].clone()],
        };
        init::run(&req, &self.at(0, self.start))?;
        let mut store = Store::open(dir)?;
        store.set_keys(Box::new(DemoKeys::load(&self.keys)?));
        Ok(store)
    }

    /// Everyone else joins on the first day.
    fn hire(&self, store: &Store) -> Result<()> {
        for (i, (handle, name, role, region)) in PEOPLE.iter().enumerate().skip(1) {
            let req = AddStaff {
                handle: Handle::parse(handle)?,
                name: name.to_string(),
                email: email(handle),
                role: *role,
                region: Some(region.to_string()),
                keys: vec![self.public[handle].clone()],
                joined: self.start,
            };
            super::staff::add(store, &req, &self.at(i as i64, self.start))?;
        }
        Ok(())
    }

    /// Each owner adds their customers, five days apart.
    fn add_customers(&self, store: &Store, rng: &mut Lcg) -> Result<Vec<(CustomerId, &'static str)>> {
        let mut ids = Vec::new();
        for (i, (name, owner, region, tier, value, contact)) in CUSTOMERS.iter().enumerate() {
            let day = self.start.plus_days(7 + i as i64 * 5);
            self.act_as(owner)?;
            let req = AddCustomer {
                name: name.to_string(),
                owner: owner.to_string(),
                backup: (*tier == "key").then(|| backup_for(region, owner).to_string()),
                tier: Some(tier.to_string()),
                region: Some(region.to_string()),
                value: Some(*value),
                contacts: contacts(contact, (*tier == "key" && !name.starts_with("Hamburger")).then_some(i))?,
                tags: vec![if *tier == "prospect" { "lead" } else { "fleet" }.to_string()],
                since: Some(day.plus_days(-(rng.below(2000) as i64))),
                ..AddCustomer::default()
            };
            let added = super::add::run(store, &req, day, &self.at(0, day))?;
            ids.push((added.customer.id, *owner));
        }
        Ok(ids)
    }

    /// Two years of touches by the owners, oldest first, leaving a few
    /// relationships stale.
    fn log_touches(&self, store: &Store, ids: &[(CustomerId, &'static str)], rng: &mut Lcg) -> Result<()> {
        let mut touches = Vec::new();
        for (i, (id, owner)) in ids.iter().enumerate() {
            let n = if i % 9 == 4 { 1 } else { 2 + rng.below(4) };
            for _ in 0..n {
                let offset = 729 - (rng.below(480) * rng.below(480) / 480) as i64;
                let (kind, summary) = SUMMARIES[rng.below(SUMMARIES.len() as u64) as usize];
                touches.push((self.start.plus_days(offset), id.clone(), *owner, kind, summary));
            }
        }
        touches.sort_by_key(|t| t.0);
        for (n, (day, id, owner, kind, summary)) in touches.into_iter().enumerate() {
            self.act_as(owner)?;
            let due = (n % 4 == 0).then(|| day.plus_days(30 + rng.below(90) as i64));
            let req = TouchRequest {
                id,
                kind,
                summary: summary.to_string(),
                date: Some(day),
                next_step: due.map(|_| "Send a quote for the 2027 fleet renewal".to_string()),
                next_date: due,
            };
            super::touch::run(store, &req, day, &self.at(n as i64 % 600, day))?;
        }
        Ok(())
    }

    /// A reorganisation: the Qingdao account moves from the manager to a rep.
    fn reorganise(&self, store: &Store, ids: &[(CustomerId, &'static str)], today: Date) -> Result<()> {
        self.act_as("sun.li")?;
        let qingdao = ids.iter().find(|(id, _)| id.as_str().starts_with("qingdao")).map(|(id, _)| id.clone());
        let req = ReassignRequest {
            selection: Selection::Ids(qingdao.into_iter().collect()),
            to: "chen.jie".into(),
            reason: "Region 华东 reorganised: managers hand their accounts to reps".into(),
            today,
        };
        super::reassign::run(store, &req, &self.at(0, today.plus_days(-120)))?;
        Ok(())
    }

    /// zhao.lei leaves; half of his customers are handed over so far.
    fn depart(&self, store: &Store, ids: &[(CustomerId, &'static str)], today: Date) -> Result<()> {
        let left = today.plus_days(-9);
        self.act_as("liu.yang")?;
        let departure = LeaveRequest {
            handle: Handle::parse("zhao.lei")?,
            on: Some(left),
            handover: Handover::Later,
            rehire: false,
            reason: Some("Left for a competitor".into()),
        };
        super::leave::run(store, &departure, left, &self.at(0, left))?;
        let handover: Vec<CustomerId> =
            ids.iter().filter(|(_, o)| *o == "zhao.lei").map(|(id, _)| id.clone()).step_by(2).collect();
        // 华北 has no manager of its own, so the admin hands over (managers
        // act within their own region).
        let req = ReassignRequest {
            selection: Selection::Ids(handover),
            to: "chen.jie".into(),
            reason: "zhao.lei left the company; handover of 华北 accounts".into(),
            today,
        };
        super::reassign::run(store, &req, &self.at(0, left.plus_days(2)))?;
        Ok(())
    }
}

/// The customer's contact, plus a second one for key accounts (one key
/// account is left single-threaded, for `crm check` to find).
fn contacts(first: &str, second: Option<usize>) -> Result<Vec<Contact>> {
    let mut out = vec![Contact::parse_spec(first)?];
    if let Some(n) = second {
        out.push(Contact {
            title: Some("Fleet engineering".into()),
            ..Contact::parse_spec(&format!("Fleet Desk <fleet{n}@example.org>"))?
        });
    }
    Ok(out)
}

fn email(handle: &str) -> String {
    format!("{handle}@example.com")
}

/// Makes an unencrypted ed25519 key `<dir>/<handle>` and returns the public
/// key line.
fn make_key(dir: &Path, handle: &str) -> Result<String> {
    let path = dir.join(handle);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", &format!("{handle}@demo"), "-f"])
        .arg(&path)
        .output()
        .map_err(|e| Error::SigningUnavailable(format!("the demo needs ssh-keygen (from openssh-client): {e}")))?;
    if !out.status.success() {
        return Err(Error::SigningFailed {
            program: "ssh-keygen".into(),
            message: String::from_utf8_lossy(&out.stderr).into(),
        });
    }
    let public = dir.join(format!("{handle}.pub"));
    let text = std::fs::read_to_string(&public).map_err(Error::io(&public))?;
    Ok(text.trim().to_string())
}
