//! Reading a sealed store: each customer opened as far as the acting
//! user's key allows; what it cannot open reads `sealed`. A read never
//! fails for a value the reader may not see.

use rayon::prelude::*;

use crate::model::config::SealConfig;
use crate::model::{Customer, StoreConfig};
use crate::seal::record::{self, Openness};
use crate::seal::ring::Keyring;
use crate::store::Store;
use crate::Result;

/// Opens customers with the acting user's key.
pub struct Opener<'s> {
    /// `[seal]` and the rings of the current commit, in a sealed store.
    sealed: Option<(SealConfig, Keyring<'s>)>,
}

impl<'s> Opener<'s> {
    /// The opener for `store` under `config`; loads the key (asking its
    /// passphrase) only in a sealed store. Fails when a key is configured
    /// but cannot be used.
    pub fn new(store: &'s Store, config: &StoreConfig) -> Result<Opener<'s>> {
        let Some(seal) = &config.seal else {
            return Ok(Opener { sealed: None });
        };
        store.keys().identities()?;
        Ok(Opener { sealed: Some((seal.clone(), store.keyring(&store.head()?)?)) })
    }

    /// Opens `c` in place.
    pub fn open(&self, c: &mut Customer) -> Openness {
        match &self.sealed {
            Some((seal, keyring)) => record::open(c, seal, keyring),
            None => Openness::Clear,
        }
    }

    /// Opens every customer of `list` (on all cores); returns how many
    /// stayed sealed.
    pub fn open_all(&self, list: &mut [Customer]) -> usize {
        if self.sealed.is_none() {
            return 0;
        }
        list.par_iter_mut().filter(|c| c.seal.is_some()).map(|c| usize::from(self.open(c) == Openness::Sealed)).sum()
    }
}
