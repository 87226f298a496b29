//! Pictures travel after the records that name them, apart from them, in chunks: sent from
//! the bytes the server says it holds (so a cut connection or a killed device resumes where it
//! stopped and never sends a finished chunk again), each picture once however many records
//! show it, checked by hash on arrival at both ends. Fetched lazily: only the pictures of
//! records this device holds (diggers' first, for identity checks), at most a budget of bytes
//! per sync, the rest at the next one.

use super::SyncReport;
use super::client::SyncClient;
use super::error::SyncError;
use super::limits::{PHOTO_CHUNK, PHOTO_DOWNLOAD_CHUNK};
use super::progress::{PictureProgress, SyncProgress};
use super::wire::PhotoStatus;
use crate::photo::PhotoFiles;
use crate::store::Store;

impl SyncClient {
    fn picture_url(&self, sha: &str, tail: &str) -> String {
        self.url(&format!("/photos/{sha}{tail}"))
    }

    /// `GET /photos/{sha256}`: how much of the picture the server holds.
    pub fn picture_status(&self, token: &str, sha: &str) -> Result<PhotoStatus, SyncError> {
        let resp = self
            .http()
            .get(self.picture_url(sha, ""))
            .bearer_auth(token)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.read(resp)
    }

    /// `PUT /photos/{sha256}?offset=N` with one chunk.
    pub fn send_chunk(
        &self,
        token: &str,
        sha: &str,
        offset: u64,
        chunk: &[u8],
    ) -> Result<PhotoStatus, SyncError> {
        let resp = self
            .http()
            .put(self.picture_url(sha, &format!("?offset={offset}")))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(chunk.to_vec())
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.read(resp)
    }

    /// `GET /photos/{sha256}/bytes?offset=N&len=L`.
    pub fn fetch_chunk(
        &self,
        token: &str,
        sha: &str,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, SyncError> {
        let resp = self
            .http()
            .get(self.picture_url(sha, &format!("/bytes?offset={offset}&len={len}")))
            .bearer_auth(token)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        if !resp.status().is_success() {
            return Err(self
                .read::<serde_json::Value>(resp)
                .err()
                .unwrap_or_else(|| SyncError::BadResponse("an error without a body".into())));
        }
        Ok(resp.bytes().map_err(|e| self.unreachable(&e))?.to_vec())
    }

    /// Sends every picture this device owes the server.
    pub(super) fn send_pictures(
        &self,
        store: &mut Store,
        files: &PhotoFiles,
        token: &str,
        report: &mut SyncReport,
        p: &mut SyncProgress,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<(), SyncError> {
        let owed = store.pictures_to_send()?;
        if owed.is_empty() {
            return Ok(());
        }
        let mut pp = PictureProgress {
            receiving: false,
            done: 0,
            total: owed.len(),
            bytes_done: 0,
            bytes_total: owed.iter().map(|(_, b)| b).sum(),
        };
        p.pictures = Some(pp);
        progress(p);
        for (sha, bytes) in owed {
            let sent = self.send_picture(files, token, &sha, bytes, report, &mut |n| {
                pp.bytes_done += n;
                p.pictures = Some(pp);
                progress(p);
            })?;
            if sent {
                store.picture_sent(&sha)?;
                report.pictures_sent += 1;
            }
            pp.done += 1;
            p.pictures = Some(pp);
            progress(p);
        }
        // The records' pull comes next and shows its own progress.
        p.pictures = None;
        Ok(())
    }

    /// Sends one picture from where the server's copy stops; whether the server now holds it
    /// whole (false: its record is not on the server, or the bytes here are not the picture).
    fn send_picture(
        &self,
        files: &PhotoFiles,
        token: &str,
        sha: &str,
        bytes: u64,
        report: &mut SyncReport,
        sent: &mut dyn FnMut(u64),
    ) -> Result<bool, SyncError> {
        let mut status = match self.retry(|| self.picture_status(token, sha)) {
            Ok(s) => s,
            // The record naming it was refused or not sent yet: nothing to send it against.
            Err(SyncError::Server { status: 404, .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        if status.complete {
            return Ok(true);
        }
        let Ok(picture) = files.read(sha) else {
            return Ok(false);
        };
        if picture.len() as u64 != bytes || status.bytes != bytes {
            return Ok(false);
        }
        let mut started_again = false;
        while !status.complete {
            let from = status.received.min(bytes) as usize;
            let to = (from + PHOTO_CHUNK).min(picture.len());
            match self.retry(|| self.send_chunk(token, sha, from as u64, &picture[from..to])) {
                Ok(s) => {
                    report.picture_bytes_sent += (to - from) as u64;
                    sent((to - from) as u64);
                    status = s;
                }
                // The server holds another amount (an answer was lost on the way): ask.
                Err(SyncError::Server { status: 409, .. }) => {
                    status = self.retry(|| self.picture_status(token, sha))?;
                }
                // The whole did not hash to its name on arrival and was dropped: once more
                // from the start, then give up on it until the next sync.
                Err(SyncError::Server { status: 422, .. }) if !started_again => {
                    started_again = true;
                    status = self.retry(|| self.picture_status(token, sha))?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Fetches the pictures of the records this device holds, within the sync's budget.
    pub(super) fn fetch_pictures(
        &self,
        store: &mut Store,
        files: &PhotoFiles,
        token: &str,
        report: &mut SyncReport,
        p: &mut SyncProgress,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<(), SyncError> {
        let wanted: Vec<_> = store
            .pictures_to_fetch()?
            .into_iter()
            .filter(|w| !files.has(&w.sha256))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let mut pp = PictureProgress {
            receiving: true,
            done: 0,
            total: wanted.len(),
            bytes_done: 0,
            bytes_total: wanted.iter().map(|w| w.bytes).sum(),
        };
        p.pictures = Some(pp);
        progress(p);
        let mut budget = self.photo_budget();
        for (i, w) in wanted.iter().enumerate() {
            let sha = w.sha256.as_str();
            let mut have = files.partial_len(sha).map_err(photo_error)?;
            pp.bytes_done += have;
            while have < w.bytes {
                if budget == 0 {
                    report.pictures_waiting += wanted.len() - i;
                    return Ok(());
                }
                let len = (w.bytes - have)
                    .min(PHOTO_DOWNLOAD_CHUNK as u64)
                    .min(budget) as usize;
                let chunk = match self.retry(|| self.fetch_chunk(token, sha, have, len)) {
                    Ok(c) if !c.is_empty() => c,
                    // Not sent by the device that took it yet, or not for this officer.
                    Ok(_)
                    | Err(SyncError::Server {
                        status: 403 | 404, ..
                    }) => break,
                    Err(e) => return Err(e),
                };
                have = files
                    .append_partial(sha, have, &chunk)
                    .map_err(photo_error)?;
                budget = budget.saturating_sub(chunk.len() as u64);
                report.picture_bytes_fetched += chunk.len() as u64;
                pp.bytes_done += chunk.len() as u64;
                p.pictures = Some(pp);
                progress(p);
            }
            if have >= w.bytes {
                if files.finish_partial(sha).map_err(photo_error)? {
                    report.pictures_fetched += 1;
                }
            } else {
                report.pictures_waiting += 1;
            }
            pp.done += 1;
            p.pictures = Some(pp);
            progress(p);
        }
        Ok(())
    }
}

fn photo_error(e: crate::photo::PhotoError) -> SyncError {
    SyncError::Photo(e.to_string())
}
