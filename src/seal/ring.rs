//! Rings: one key per set of readers, wrapped with age for each of them,
//! under which the data keys of all the customers sealed to that set are
//! wrapped.
//!
//! Wrapping a customer's data key with age for every reader costs two
//! X25519 multiplications per reader and customer; a reassign of 5,000
//! customers to six readers would spend most of its time there, and every
//! read would spend one more per customer. A ring costs that once per set
//! of readers: the ring file `rings/<id>.age` holds the ring's key wrapped
//! for each reader (base64 of an age file), and each customer's
//! `sealed_key` holds its data key sealed under the ring's key
//! ([`WrappedKey`]).
//!
//! A ring's id is the hash of its file, so a ring never changes: the same
//! id names the same readers in every tree, and a key opened once serves
//! every version that uses it. A ring names its maker (`made-by`), and is
//! reused for the same readers only when its maker is among them and the
//! acting user can open it; `crm verify` holds `made-by` to the committer's
//! own key, so nobody can plant a ring others would then seal to, and a
//! ring made by someone handing customers away serves that write alone.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::envelope::{self, Recipient, UnwrapError};
use super::record::KeySource;
use super::value::{DataKey, WRAPPED_KEY_LEN};
use crate::Result;

/// The directory of ring files.
pub const RINGS_DIR: &str = "rings";

/// Length of a ring id in hex digits (the first 16 bytes of the SHA-256 of
/// the file).
const ID_LEN: usize = 32;

/// `rings/<id>.age`.
pub fn ring_path(id: &str) -> String {
    format!("{RINGS_DIR}/{id}.age")
}

/// The ring id of a path under `rings/`, if it names one.
pub fn ring_of_path(path: &str) -> Option<&str> {
    let id = path.strip_prefix(RINGS_DIR)?.strip_prefix('/')?.strip_suffix(".age")?;
    is_ring_id(id).then_some(id)
}

/// Whether `id` has the shape of a ring id.
pub fn is_ring_id(id: &str) -> bool {
    id.len() == ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The id of a ring file with content `bytes`.
pub fn ring_id(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..ID_LEN / 2].iter().map(|b| format!("{b:02x}")).collect()
}

/// What a ring file says: its readers' stanza tags, and the key tag of
/// who made it (`None`: someone without an SSH key of their own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingInfo {
    /// The stanza tags of its readers' keys.
    pub tags: BTreeSet<String>,
    /// `made-by`: the key tag of its maker, as the file claims it.
    pub maker: Option<String>,
}

impl RingInfo {
    /// Whether later writes may seal to this ring: only when its maker is
    /// among its readers (a ring made by someone handing customers away
    /// serves that one write only).
    pub fn reusable(&self) -> bool {
        self.maker.as_ref().is_some_and(|m| self.tags.contains(m))
    }
}

/// The content of a ring file: `made-by TAG` (or `made-by -`), then the
/// base64 of the age file, each on its own line.
fn ring_file(maker: Option<&str>, age: &str) -> String {
    format!("made-by {}\n{age}\n", maker.unwrap_or("-"))
}

/// Ring files larger than this are not read (a ring for 300 readers is
/// about 50 KB).
pub const MAX_RING: usize = 1 << 20;

/// What ring file `bytes` says, or `None` when it is not a ring: not named
/// by its hash, not `made-by` and the base64 of an age file, or the same
/// reader twice.
pub fn ring_info(id: &str, bytes: &[u8]) -> Option<RingInfo> {
    if bytes.len() > MAX_RING || ring_id(bytes) != id {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let (first, age) = text.strip_suffix('\n')?.split_once('\n')?;
    let maker = match first.strip_prefix("made-by ")? {
        "-" => None,
        tag => Some(tag.to_string()),
    };
    let stanzas = envelope::stanzas(age)?;
    let tags: BTreeSet<String> = stanzas.iter().map(|s| s.tag.clone()).collect();
    (tags.len() == stanzas.len()).then_some(RingInfo { tags, maker })
}

/// The base64 age file of ring file `bytes` (checked by [`ring_info`]).
fn ring_age(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()?.trim_end().split_once('\n').map(|(_, age)| age)
}

/// A customer's data key as `sealed_key` holds it:
/// `v2:<ring id>:<tag>,<tag>…:<base64>`, the tags being those of the
/// ring's readers in ascending order (so who may read a customer is known
/// from its file alone) and the base64 the data key sealed under the
/// ring's key. Read in place: `crm check` reads one per customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey<'a> {
    /// The ring.
    pub ring: &'a str,
    /// The stanza tags of the ring's readers, as the customer file claims
    /// them (`crm check` compares them with the ring file): comma-separated,
    /// ascending, each once.
    tags: &'a str,
    /// `v2:RING:TAGS`.
    head: &'a str,
    /// The base64 of the sealed key (checked, decoded when opened).
    sealed: &'a str,
}

impl<'a> WrappedKey<'a> {
    /// Reads `sealed_key`; `None` when it is not in this shape.
    pub fn parse(text: &'a str) -> Option<WrappedKey<'a>> {
        let rest = text.strip_prefix("v2:")?;
        let (ring, rest) = rest.split_at_checked(ID_LEN)?;
        let (tags, sealed) = rest.strip_prefix(':')?.split_once(':')?;
        // Split as bytes (the order of UTF-8 is that of its bytes): `crm
        // check` reads one wrapped key per customer.
        let mut previous: Option<&[u8]> = None;
        for tag in tags.as_bytes().split(|&b| b == b',') {
            if tag.is_empty() || previous.is_some_and(|p| p >= tag) {
                return None;
            }
            previous = Some(tag);
        }
        let whole = super::value::base64_len(sealed) == Some(WRAPPED_KEY_LEN);
        let head = &text[..text.len() - sealed.len() - 1];
        (is_ring_id(ring) && whole).then_some(WrappedKey { ring, tags, head, sealed })
    }

    /// `v2:RING:TAGS`: the ring and the readers it is claimed for.
    pub fn ring_and_tags(&self) -> &'a str {
        self.head
    }

    /// The tags it names as `sealed_key` spells them: comma-separated,
    /// ascending.
    pub fn tag_list(&self) -> &'a str {
        self.tags
    }

    /// The stanza tags it names, ascending.
    pub fn tags(&self) -> impl Iterator<Item = &'a str> + Clone {
        self.tags.split(',')
    }

    /// The same, as a set.
    pub fn tag_set(&self) -> BTreeSet<String> {
        self.tags().map(str::to_string).collect()
    }

    /// Whether it names exactly the tags `tags` (ascending, each once).
    pub fn names<'t>(&self, tags: impl IntoIterator<Item = &'t str>) -> bool {
        tags.into_iter().eq(self.tags())
    }

    /// `key`, the data key of customer `customer`, sealed under `ring`.
    pub fn seal(customer: &str, key: &DataKey, ring: &Ring) -> String {
        let sealed = ring.key.wrap_key(&context(customer, &ring.id), key);
        let tags = ring.tags.iter().map(String::as_str).collect::<Vec<_>>().join(",");
        format!("v2:{}:{tags}:{}", ring.id, STANDARD_NO_PAD.encode(sealed))
    }

    /// The data key of customer `customer`, opened with its ring's key.
    pub fn open(&self, customer: &str, ring_key: &DataKey) -> Option<DataKey> {
        let mut sealed = [0u8; WRAPPED_KEY_LEN];
        STANDARD_NO_PAD.decode_slice(self.sealed, &mut sealed).ok()?;
        ring_key.unwrap_key(&context(customer, self.ring), &sealed)
    }
}

/// What a data key sealed under a ring is bound to.
fn context(customer: &str, ring: &str) -> String {
    format!("crm sealed key v2\0{customer}\0{ring}")
}

/// A ring the acting user holds the key of.
#[derive(Clone)]
pub struct Ring {
    /// Its id.
    pub id: String,
    /// Its readers' stanza tags.
    pub tags: BTreeSet<String>,
    key: DataKey,
}

/// Where ring files are read from: a tree of the repository, or files
/// already read.
pub trait RingFiles: Sync {
    /// The content of ring `id`, if the tree has it.
    fn read(&self, id: &str) -> Option<Vec<u8>>;
    /// The ids of every ring in the tree.
    fn ids(&self) -> Vec<String>;
    /// Whether the tree has ring `id`.
    fn has(&self, id: &str) -> bool;
    /// What ring `id` said when it was last read, as kept outside the tree:
    /// a hint, for finding a ring to reuse without reading them all (the
    /// ring picked is read before it is used).
    fn remembered(&self, _id: &str) -> Option<RingInfo> {
        None
    }
    /// Keeps what rings said, for [`RingFiles::remembered`].
    fn remember(&self, _infos: &[(String, RingInfo)]) {}
}

/// Ring files already read, by id.
#[derive(Default)]
pub struct RingMap(pub HashMap<String, Vec<u8>>);

impl RingFiles for RingMap {
    fn read(&self, id: &str) -> Option<Vec<u8>> {
        self.0.get(id).cloned()
    }

    fn ids(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    fn has(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }
}

/// The rings' readers and opened keys a command has worked out, by id:
/// what a ring file says depends only on its content, which its id names,
/// so this holds for every tree the command reads. Only what was found is
/// kept; a ring missing from one tree is looked for again in the next.
#[derive(Default)]
pub struct RingCache {
    // Read-mostly, by every thread of a check or an export: locked for
    // reading.
    infos: RwLock<HashMap<String, Arc<RingInfo>>>,
    keys: RwLock<HashMap<String, std::result::Result<DataKey, UnwrapError>>>,
}

impl RingCache {
    /// A cache that knows what the rings `infos` say (read by whoever
    /// listed them).
    pub fn knowing(infos: impl IntoIterator<Item = (String, RingInfo)>) -> RingCache {
        let infos = infos.into_iter().map(|(id, info)| (id, Arc::new(info))).collect();
        RingCache { infos: RwLock::new(infos), keys: RwLock::default() }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

/// The rings of one tree, opened with the acting user's key: what opens a
/// customer's data key, and, for a write, the ring a customer is to be
/// sealed under (one the user can open, or a new one).
pub struct Keyring<'a> {
    files: Box<dyn RingFiles + 'a>,
    keys: &'a dyn KeySource,
    cache: Arc<RingCache>,
    /// The key tag of the acting user's own SSH key, recorded as the maker
    /// of the rings this command makes.
    maker: Option<String>,
    /// The tree's reusable rings by their readers' tags, read on the first
    /// write that needs a ring.
    by_tags: OnceLock<HashMap<BTreeSet<String>, Vec<String>>>,
    /// The ring this command seals to each set of readers.
    usable: Mutex<HashMap<BTreeSet<String>, Ring>>,
    /// Rings made by this command and not yet taken: id and file content.
    made: Mutex<Vec<(String, String)>>,
    /// Every ring made by this command (taken or not).
    made_ids: Mutex<std::collections::HashSet<String>>,
}

impl<'a> Keyring<'a> {
    /// The rings of `files`, opened with `keys`, sharing what `cache`
    /// knows.
    pub fn new(files: Box<dyn RingFiles + 'a>, keys: &'a dyn KeySource, cache: Arc<RingCache>) -> Keyring<'a> {
        let (by_tags, usable) = (OnceLock::new(), Mutex::default());
        Keyring { files, keys, cache, maker: None, by_tags, usable, made: Mutex::default(), made_ids: Mutex::default() }
    }

    /// The same, making rings as the person whose SSH key has tag `maker`.
    pub fn made_by(mut self, maker: Option<String>) -> Keyring<'a> {
        self.maker = maker;
        self
    }

    /// The acting user's keys.
    pub fn keys(&self) -> &'a dyn KeySource {
        self.keys
    }

    /// What ring `id` of this tree says; `None` when the tree has no such
    /// ring or its file is not one.
    pub fn info(&self, id: &str) -> Option<Arc<RingInfo>> {
        if !self.present(id) {
            return None;
        }
        if let Some(info) = read(&self.cache.infos).get(id) {
            return Some(Arc::clone(info));
        }
        let info = Arc::new(ring_info(id, &self.files.read(id)?)?);
        write(&self.cache.infos).insert(id.to_string(), Arc::clone(&info));
        Some(info)
    }

    /// Whether the ring of `wrapped` is in this tree and wrapped for
    /// exactly the keys `wrapped` names.
    pub fn names(&self, wrapped: &WrappedKey<'_>) -> bool {
        self.info(wrapped.ring).is_some_and(|i| wrapped.names(i.tags.iter().map(String::as_str)))
    }

    /// The key of ring `id`, opened with the acting user's keys.
    pub fn ring_key(&self, id: &str) -> Result<std::result::Result<DataKey, UnwrapError>> {
        let identities = self.keys.identities()?;
        if !self.present(id) {
            return Ok(Err(UnwrapError::Malformed));
        }
        if let Some(found) = read(&self.cache.keys).get(id) {
            return Ok(found.clone());
        }
        let Some(bytes) = self.files.read(id).filter(|b| ring_info(id, b).is_some()) else {
            return Ok(Err(UnwrapError::Malformed));
        };
        let opened = envelope::unwrap(ring_age(&bytes).unwrap_or_default(), identities);
        write(&self.cache.keys).insert(id.to_string(), opened.clone());
        Ok(opened)
    }

    /// The data key of customer `customer` from its `sealed_key`.
    pub fn data_key(
        &self,
        customer: &str,
        wrapped: &WrappedKey<'_>,
    ) -> Result<std::result::Result<DataKey, UnwrapError>> {
        Ok(self.ring_key(wrapped.ring)?.and_then(|k| wrapped.open(customer, &k).ok_or(UnwrapError::Malformed)))
    }

    /// A ring for exactly the readers `recipients` (whose tags are
    /// `tags`): a reusable one of the tree's that the acting user opens,
    /// or one this command made, else a new one.
    pub fn ring_for(&self, tags: &BTreeSet<String>, recipients: &[&Recipient]) -> Result<Ring> {
        if recipients.is_empty() {
            return Err(crate::Error::Identity("nobody with a usable key may read it, so it cannot be sealed; add a recovery key (crm seal --recovery-key KEY)".into()));
        }
        let by_tags = self.by_tags.get_or_init(|| self.index());
        let mut usable = lock(&self.usable);
        if let Some(ring) = usable.get(tags) {
            return Ok(ring.clone());
        }
        for id in by_tags.get(tags).into_iter().flatten() {
            // What the index remembered of it, checked against its file.
            if !self.info(id).is_some_and(|i| i.reusable() && i.tags == *tags) {
                continue;
            }
            if let Ok(key) = self.ring_key(id)? {
                let ring = Ring { id: id.clone(), tags: tags.clone(), key };
                usable.insert(tags.clone(), ring.clone());
                return Ok(ring);
            }
        }
        let key = DataKey::generate();
        let file = ring_file(self.maker.as_deref(), &envelope::wrap(&key, recipients));
        let id = ring_id(file.as_bytes());
        let ring = Ring { id: id.clone(), tags: tags.clone(), key: key.clone() };
        // A new id names what it was just made of.
        write(&self.cache.keys).insert(id.clone(), Ok(key));
        let info = RingInfo { tags: tags.clone(), maker: self.maker.clone() };
        write(&self.cache.infos).insert(id.clone(), Arc::new(info));
        lock(&self.made_ids).insert(id.clone());
        lock(&self.made).push((id, file));
        usable.insert(tags.clone(), ring.clone());
        Ok(ring)
    }

    /// The tree's reusable rings by their readers' tags.
    /// A ring's file is read only when nothing remembers what it says (a
    /// store has thousands, and a single `crm add` may need this).
    fn index(&self) -> HashMap<BTreeSet<String>, Vec<String>> {
        let mut ids = self.files.ids();
        ids.sort();
        let mut out: HashMap<BTreeSet<String>, Vec<String>> = HashMap::new();
        let mut learned = Vec::new();
        for id in ids {
            let info = match self.files.remembered(&id) {
                Some(info) => info,
                None => {
                    let Some(info) = self.info(&id) else { continue };
                    learned.push((id.clone(), RingInfo::clone(&info)));
                    RingInfo::clone(&info)
                }
            };
            if info.reusable() {
                out.entry(info.tags).or_default().push(id);
            }
        }
        if !learned.is_empty() {
            self.files.remember(&learned);
        }
        out
    }

    /// Whether ring `id` is in the tree, or was made by this command (and
    /// so is in no tree yet).
    fn present(&self, id: &str) -> bool {
        self.files.has(id) || lock(&self.made_ids).contains(id)
    }

    /// The rings this command made: path and content of each file to
    /// write (and what they say, remembered for later writes).
    pub fn take_made(&self) -> Vec<(String, String)> {
        let made = std::mem::take(&mut *lock(&self.made));
        let infos: Vec<(String, RingInfo)> =
            made.iter().filter_map(|(id, _)| Some((id.clone(), RingInfo::clone(self.info(id)?.as_ref())))).collect();
        if !infos.is_empty() {
            self.files.remember(&infos);
        }
        made.into_iter().map(|(id, file)| (ring_path(&id), file)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::envelope::test_key::{identity, PUBLIC};
    use crate::seal::record::KeyList;

    fn ring_made(keyring: &Keyring<'_>, me: &Recipient) -> Ring {
        let tags = BTreeSet::from([me.tag().to_string()]);
        keyring.ring_for(&tags, &[me]).unwrap()
    }

    #[test]
    fn a_data_key_opens_only_for_its_customer_under_its_ring() {
        let me = Recipient::parse(PUBLIC).unwrap();
        let ids = [identity()];
        let keys = KeyList(&ids);
        let keyring = Keyring::new(Box::new(RingMap::default()), &keys, Default::default());
        let ring = ring_made(&keyring, &me);
        let data = DataKey::generate();
        let text = WrappedKey::seal("yutong", &data, &ring);
        let wrapped = WrappedKey::parse(&text).unwrap();
        assert_eq!((wrapped.ring, wrapped.tag_set()), (ring.id.as_str(), ring.tags.clone()));
        assert_eq!(wrapped.open("yutong", &ring.key).unwrap().as_bytes(), data.as_bytes());
        assert!(wrapped.open("kinglong", &ring.key).is_none(), "bound to its customer");
        assert!(wrapped.open("yutong", &DataKey::generate()).is_none());
        assert_eq!(WrappedKey::parse("v2:nothex:tag:AAAA"), None);
        assert_eq!(WrappedKey::parse(&text.replacen("v2:", "v1:", 1)), None);
        // The tags ascending and each once, the key whole: else no wrapped key.
        let key = text.rsplit_once(':').unwrap().1;
        let with = |tags: &str, key: &str| format!("v2:{}:{tags}:{key}", ring.id);
        assert!(WrappedKey::parse(&with("AAAAAA,BBBBBB", key)).is_some());
        for tags in ["BBBBBB,AAAAAA", "AAAAAA,AAAAAA", "AAAAAA,", ",AAAAAA", ""] {
            assert_eq!(WrappedKey::parse(&with(tags, key)), None, "tags {tags:?}");
        }
        for short in [&key[..key.len() - 1], &key[..key.len() - 4], &format!("{key}AAAA")] {
            assert_eq!(WrappedKey::parse(&with("AAAAAA", short)), None, "key {short:?}");
        }
    }

    #[test]
    fn a_ring_is_made_once_per_readers_and_found_again_by_the_next_command() {
        let me = Recipient::parse(PUBLIC).unwrap();
        let ids = [identity()];
        let keys = KeyList(&ids);
        let first =
            Keyring::new(Box::new(RingMap::default()), &keys, Default::default()).made_by(Some(me.tag().into()));
        let ring = ring_made(&first, &me);
        assert_eq!(ring_made(&first, &me).id, ring.id, "one ring per set of readers in a command");
        let made = first.take_made();
        assert_eq!(made.len(), 1);
        let (path, file) = &made[0];
        assert_eq!(ring_of_path(path), Some(ring.id.as_str()));
        let info = ring_info(&ring.id, file.as_bytes()).unwrap();
        assert_eq!(info.tags, ring.tags);
        assert!(info.reusable(), "made by one of its readers");
        assert_eq!(ring_info(&ring.id, format!("{file}\n").as_bytes()), None, "named by its hash");
        // The next command finds it in the tree and makes none.
        let tree = RingMap(HashMap::from([(ring.id.clone(), file.clone().into_bytes())]));
        let next = Keyring::new(Box::new(tree), &keys, Default::default());
        assert_eq!(ring_made(&next, &me).id, ring.id);
        assert!(next.take_made().is_empty());
        // Someone who cannot open it makes a ring of their own.
        let none = KeyList(&[]);
        let tree = RingMap(HashMap::from([(ring.id.clone(), file.clone().into_bytes())]));
        let stranger = Keyring::new(Box::new(tree), &none, Default::default());
        assert_ne!(ring_made(&stranger, &me).id, ring.id);
        // A ring its maker does not read is never reused.
        let theirs =
            Keyring::new(Box::new(RingMap::default()), &keys, Default::default()).made_by(Some("other".into()));
        let (_, file) = {
            ring_made(&theirs, &me);
            theirs.take_made().remove(0)
        };
        let id = ring_id(file.as_bytes());
        assert!(!ring_info(&id, file.as_bytes()).unwrap().reusable());
        let tree = RingMap(HashMap::from([(id.clone(), file.into_bytes())]));
        let next = Keyring::new(Box::new(tree), &keys, Default::default());
        assert_ne!(ring_made(&next, &me).id, id);
    }
}
