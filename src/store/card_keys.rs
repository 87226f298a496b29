//! The keys this device signs and checks licence cards with, as the card code sees them
//! ([`CardKeys`]). The CLI and the GUI take them from here and nowhere else, so cards follow
//! the device's key store wherever it lives.

use super::{Store, StoreError};
use crate::domain::card_statement::CardKeys;
use ed25519_dalek::{SigningKey, VerifyingKey};
use uuid::Uuid;

/// This device's card keys, read from its store.
pub struct DeviceCardKeys<'a> {
    store: &'a Store,
}

impl Store {
    /// The keys licence cards are signed and checked with on this device.
    pub fn card_keys(&self) -> DeviceCardKeys<'_> {
        DeviceCardKeys { store: self }
    }
}

impl CardKeys for DeviceCardKeys<'_> {
    type Error = StoreError;

    /// This device's own signing key (the one its changes are signed with).
    fn signer(&self) -> Result<Option<(Uuid, SigningKey)>, StoreError> {
        self.store.device_signing_key()
    }

    /// The public key of `device`: this device's own, or one synced from the region's devices
    /// (a revoked device's key stays known, so the cards it signed before still verify).
    fn verifying_key(&self, device: Uuid) -> Result<Option<VerifyingKey>, StoreError> {
        self.store.known_device_key(device)
    }
}
