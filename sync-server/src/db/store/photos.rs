//! Who may send and fetch which picture, and which pictures are held whole, from the photo
//! records accepted by push (`photo_names`). The bytes are the vault's (`photo_vault`).

use crate::db::sql::{Sql, vals};
use crate::db::{DbError, Session};
use crate::photo_vault::{Appended, PhotoVault, VaultError};
use alluvium::domain::{Photo, RecordKind};
use alluvium::sync::scope;
use alluvium::sync::wire::PhotoStatus;

/// Records which picture a newly accepted photo record names (in the push transaction).
pub(super) fn name(tx: &dyn Sql, p: &Photo, region: &str) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO photo_names(photo_id, sha256, region, target_entity, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        vals![
            &p.id.to_string(),
            &p.sha256,
            region,
            p.target_entity.as_str(),
            p.bytes as i64
        ],
    )?;
    Ok(())
}

/// What a session may do with a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Access {
    /// The size the photo records declare.
    pub bytes: u64,
    pub may_send: bool,
    pub may_fetch: bool,
}

/// The session's access to the picture `sha` through the photo records naming it; refused
/// (not found, so that a guess learns nothing) when no record it may see or write names it.
pub(super) fn access(db: &dyn Sql, s: &Session, sha: &str) -> Result<Access, DbError> {
    let role = s.role();
    // The size expected is the first record's in id order, the same on both backends (a
    // record declaring another size names a picture that will not hash to its name).
    let rows = db.all(
        "SELECT region, target_entity, bytes FROM photo_names WHERE sha256 = ?1 ORDER BY photo_id",
        vals![sha],
        |r| Ok((r.text_(0)?, r.text_(1)?, r.int_(2)?)),
    )?;
    let mut access: Option<Access> = None;
    for (region, target, bytes) in rows {
        let Ok(target) = target.parse::<RecordKind>() else {
            continue;
        };
        if !scope::in_region(role, &s.officer.regions, &region) {
            continue;
        }
        let a = access.get_or_insert(Access {
            bytes: bytes.max(0) as u64,
            may_send: false,
            may_fetch: false,
        });
        a.may_send |= scope::may_photograph(role, target);
        a.may_fetch |= scope::may_see_photo(role, target);
    }
    access.filter(|a| a.may_send || a.may_fetch).ok_or_else(|| {
        DbError::NotFound(
            "no photo record you may see names this picture; push the photo's record first".into(),
        )
    })
}

/// The status of a picture as the vault holds it.
pub(super) fn status(vault: &PhotoVault, sha: &str, bytes: u64) -> Result<PhotoStatus, DbError> {
    let held = vault.held(sha).map_err(vault_error)?;
    Ok(PhotoStatus {
        sha256: sha.to_string(),
        bytes,
        received: held.min(bytes),
        complete: vault.has(sha),
    })
}

/// Appends a chunk; `whole` records the picture as held once it is complete.
pub(super) fn append(
    whole: impl FnOnce(&str, u64) -> Result<(), DbError>,
    vault: &PhotoVault,
    sha: &str,
    a: Access,
    offset: u64,
    chunk: &[u8],
) -> Result<PhotoStatus, DbError> {
    if !a.may_send {
        return Err(DbError::Forbidden(
            "your role may not send the pictures of these records".into(),
        ));
    }
    match vault
        .append(sha, a.bytes, offset, chunk)
        .map_err(vault_error)?
    {
        Appended::Partial(_) => {}
        Appended::Complete => whole(sha, a.bytes)?,
        Appended::Mismatch => {
            return Err(DbError::Invalid(
                "the photo's bytes do not hash to its name; send it again from the start".into(),
            ));
        }
    }
    status(vault, sha, a.bytes)
}

/// Records a whole picture (again: harmless).
pub(super) fn record_whole(db: &dyn Sql, sha: &str, bytes: u64) -> Result<(), DbError> {
    db.exec(
        "INSERT INTO photo_blobs(sha256, bytes, stored_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        vals![sha, bytes as i64, super::now()],
    )?;
    Ok(())
}

/// Up to `len` bytes of a whole picture from `offset`.
pub(super) fn read(
    vault: &PhotoVault,
    sha: &str,
    a: Access,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, DbError> {
    if !a.may_fetch {
        return Err(DbError::Forbidden(
            "your role may not receive the pictures of these records".into(),
        ));
    }
    if !vault.has(sha) {
        return Err(DbError::NotFound(
            "the server does not hold this picture yet; the device that took it has not sent it"
                .into(),
        ));
    }
    if offset > a.bytes {
        return Err(DbError::Invalid(format!(
            "offset {offset} is past the photo's {} bytes",
            a.bytes
        )));
    }
    vault.read(sha, offset, len).map_err(vault_error)
}

/// Pictures held whole and their bytes, for `admin stats`.
pub(super) fn held(db: &dyn Sql) -> Result<(i64, i64), DbError> {
    Ok(db
        .one(
            "SELECT count(*), CAST(coalesce(sum(bytes), 0) AS BIGINT) FROM photo_blobs",
            vals![],
            |r| Ok((r.int_(0)?, r.int_(1)?)),
        )?
        .unwrap_or((0, 0)))
}

fn vault_error(e: VaultError) -> DbError {
    match e {
        VaultError::WrongOffset { .. } => DbError::Conflict(e.to_string()),
        VaultError::PastTheEnd { .. } | VaultError::BadName(_) => DbError::Invalid(e.to_string()),
        VaultError::Io { .. } => DbError::Storage(e.to_string()),
    }
}
