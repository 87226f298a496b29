//! The keys this device signs and checks licence cards with, as the card code sees them
//! ([`CardKeys`]). The CLI and the GUI take them from here and nowhere else, so cards follow
//! the device's key store wherever it lives.

use super::{Store, StoreError};
use crate::domain::card_statement::CardKeys;
use ed25519_dalek::{SigningKey, VerifyingKey};
use uuid::Uuid;

/// This device's card keys, read from its store.
pub struct DeviceCardKeys<'a> {
    #[allow(dead_code)] // read once the device key store answers (see below)
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

    /// This device's own signing key. The device key store does not exist yet, so the device
    /// has none and refuses to sign; it becomes `self.store.device_signing_key()`.
    fn signer(&self) -> Result<Option<(Uuid, SigningKey)>, StoreError> {
        Ok(None)
    }

    /// The public key of `device`. Unknown for every device until the device key store exists;
    /// it becomes `self.store.known_device_key(device)`.
    fn verifying_key(&self, _device: Uuid) -> Result<Option<VerifyingKey>, StoreError> {
        Ok(None)
    }
}
