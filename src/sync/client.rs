//! The device side of sync: enrolment, online/offline login, and `sync` (push the outbox in
//! compressed batches, then pull pages after the cursor). Every step is safe to interrupt:
//! changes are marked sent only after the server's answer, the pull cursor moves in the same
//! transaction as the page it ends, and a retried push changes nothing on the server.

use super::canonical::Form;
use super::codec;
use super::columns::{PUSH_COLUMNS, PushColumns};
use super::error::SyncError;
use super::progress::SyncProgress;
use super::wire::{
    Change, DeviceKeyRequest, DeviceKeysResponse, ErrorBody, Health, Op, PullRequest, PullResponse,
    PushRequest, PushResponse, Verdict,
};
use super::wire_chain::{leave_out_what_the_server_derives, signature_problems};
use crate::domain::OfficerId;
use crate::store::{CachedOfficer, OutboxRow, RemoteChange, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Changes per push request.
pub const PUSH_BATCH: usize = super::limits::MAX_PUSH_CHANGES;

/// The sync setting holding until when (Unix seconds) pushes go as rows: the server answered
/// the columns endpoint 404.
const ROWS_UNTIL: &str = "push_rows_until";

/// Changes per pull page.
pub const PULL_PAGE: u32 = 1_000;
/// Largest response body accepted after decompression.
const MAX_RESPONSE: usize = 256 * 1024 * 1024;

/// What one `sync` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Local changes the server accepted.
    pub pushed: usize,
    /// Changes received from the server.
    pub pulled: usize,
    /// Local changes the server rejected (kept with reasons; see `Store::rejected_changes`).
    pub rejected: usize,
    /// Received changes of a device whose key is known here that were applied as the server
    /// vouches for them because their run's signature was not received: form-2 changes
    /// without a signature of their own whose successors up to the next signature did not
    /// come (see `sync::form::scope_class` for why a puller normally gets them; a run cut by
    /// a page's end waits for the next page instead).
    pub vouched_by_server: usize,
    /// Pictures this device took that the server now holds whole, and the bytes sent for them.
    pub pictures_sent: usize,
    pub picture_bytes_sent: u64,
    /// Pictures received whole, and the bytes received.
    pub pictures_fetched: usize,
    pub picture_bytes_fetched: u64,
    /// Pictures left for a later sync (the budget ran out, or the server does not hold them
    /// yet).
    pub pictures_waiting: usize,
}

/// Exponential back-off between attempts after transient failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry.
    pub first: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(200),
            max: Duration::from_secs(10),
            attempts: 5,
        }
    }
}

impl Backoff {
    /// The delay before retry number `n` (0-based): doubling, capped.
    pub fn delay(&self, n: u32) -> Duration {
        self.first
            .saturating_mul(2u32.saturating_pow(n.min(16)))
            .min(self.max)
    }
}

/// An HTTP client for one server.
pub struct SyncClient {
    http: reqwest::blocking::Client,
    base: String,
    backoff: Backoff,
    /// Most picture bytes one sync fetches.
    photo_budget: u64,
}

fn install_crypto() {
    // Idempotent: fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Checks a server URL: `https://…`, or plain `http://` to a loopback address only (tests,
/// or a server on the same machine) unless `allow_plain_http`.
pub(super) fn check_url(url: &str, allow_plain_http: bool) -> Result<String, SyncError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| SyncError::BadUrl(format!("{url:?} is not a URL: {e}")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback || allow_plain_http => {}
        "http" => {
            return Err(SyncError::BadUrl(format!(
                "{url} is plain HTTP to another machine: use https:// (or --allow-plain-http on a trusted network)"
            )));
        }
        other => {
            return Err(SyncError::BadUrl(format!(
                "{url}: scheme {other:?} is not http or https"
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn describe(e: &reqwest::Error) -> String {
    // The interesting part (e.g. "invalid peer certificate: UnknownIssuer") is deep in the chain.
    let mut parts = vec![e.to_string()];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    let text = parts.join(": ");
    if text.contains("certificate") || text.contains("UnknownIssuer") {
        format!("{text} (the server's TLS certificate is not trusted: check --ca-cert)")
    } else {
        text
    }
}

impl SyncClient {
    /// A client for `base_url`, trusting only `ca_pem` when given (else the system's roots).
    pub fn new(base_url: &str, ca_pem: Option<&[u8]>) -> Result<SyncClient, SyncError> {
        install_crypto();
        let mut b = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("alluvium/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| SyncError::BadCertificate(e.to_string()))?;
            if certs.is_empty() {
                return Err(SyncError::BadCertificate(
                    "the file holds no PEM certificate".into(),
                ));
            }
            b = b.tls_certs_only(certs);
        }
        let http = b
            .build()
            .map_err(|e| SyncError::BadCertificate(describe(&e)))?;
        Ok(SyncClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            backoff: Backoff::default(),
            photo_budget: super::limits::DEFAULT_PHOTO_BUDGET,
        })
    }

    /// The client for the server this device is enrolled with.
    pub fn from_store(store: &Store) -> Result<SyncClient, SyncError> {
        let url = store
            .sync_setting("server_url")?
            .ok_or(SyncError::NotEnrolled)?;
        let ca = store.sync_setting("ca_cert")?;
        SyncClient::new(&url, ca.as_deref().map(str::as_bytes))
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_backoff(mut self, backoff: Backoff) -> SyncClient {
        self.backoff = backoff;
        self
    }

    /// Sets how many picture bytes one sync fetches at most (the rest waits for the next).
    pub fn with_photo_budget(mut self, bytes: u64) -> SyncClient {
        self.photo_budget = bytes;
        self
    }

    pub(super) fn photo_budget(&self) -> u64 {
        self.photo_budget
    }

    pub(super) fn http(&self) -> &reqwest::blocking::Client {
        &self.http
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{}{}", self.base, super::wire::API_PREFIX, path)
    }

    pub(super) fn unreachable(&self, e: &reqwest::Error) -> SyncError {
        SyncError::Unreachable {
            url: self.base.clone(),
            reason: describe(e),
        }
    }

    pub(super) fn read<R: DeserializeOwned>(
        &self,
        resp: reqwest::blocking::Response,
    ) -> Result<R, SyncError> {
        let status = resp.status();
        let zstd = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes() == codec::ZSTD.as_bytes());
        let body = resp.bytes().map_err(|e| self.unreachable(&e))?;
        let body = if zstd {
            codec::decompress(&body, MAX_RESPONSE)
                .map_err(|e| SyncError::BadResponse(e.to_string()))?
        } else {
            body.to_vec()
        };
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(b) => SyncError::Server {
                    status: status.as_u16(),
                    code: b.error,
                    message: b.message,
                },
                Err(_) => SyncError::Server {
                    status: status.as_u16(),
                    code: "http".into(),
                    message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                },
            });
        }
        serde_json::from_slice(&body).map_err(|e| SyncError::BadResponse(e.to_string()))
    }

    pub(super) fn post<Q: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Q,
        compress: bool,
    ) -> Result<R, SyncError> {
        let json = serde_json::to_vec(body).map_err(|e| SyncError::BadResponse(e.to_string()))?;
        let mut req = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT_ENCODING, codec::ZSTD);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req = if compress {
            let z = codec::compress(&json).map_err(|e| SyncError::BadResponse(e.to_string()))?;
            req.header(reqwest::header::CONTENT_ENCODING, codec::ZSTD)
                .body(z)
        } else {
            req.body(json)
        };
        let resp = req.send().map_err(|e| self.unreachable(&e))?;
        self.read(resp)
    }

    /// Runs `f`, retrying transient failures with back-off.
    pub(super) fn retry<R>(
        &self,
        mut f: impl FnMut() -> Result<R, SyncError>,
    ) -> Result<R, SyncError> {
        let mut n = 0;
        loop {
            match f() {
                Err(e) if e.is_transient() && n + 1 < self.backoff.attempts => {
                    std::thread::sleep(self.backoff.delay(n));
                    n += 1;
                }
                other => return other,
            }
        }
    }

    /// `GET /health`.
    pub fn health(&self) -> Result<Health, SyncError> {
        let resp = self
            .http
            .get(self.url("/health"))
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.read(resp)
    }

    /// Sends one push request (no retry).
    pub fn push(&self, session: &str, req: &PushRequest) -> Result<PushResponse, SyncError> {
        self.post("/push", Some(session), req, true)
    }

    /// Sends one push request in columns (no retry); a server older than that form answers
    /// 404.
    pub fn push_columns(
        &self,
        session: &str,
        req: &PushColumns,
    ) -> Result<PushResponse, SyncError> {
        self.post(PUSH_COLUMNS, Some(session), req, true)
    }

    /// Asks for one page of changes (no retry).
    pub fn pull(&self, session: &str, req: &PullRequest) -> Result<PullResponse, SyncError> {
        self.post("/pull", Some(session), req, false)
    }

    /// Registers this device's public key with the server (a device enrolled before devices
    /// had keys), once; the device token authenticates it.
    pub fn register_device_key(&self, store: &mut Store) -> Result<(), SyncError> {
        if store.device_key_registered()? {
            return Ok(());
        }
        let token = store
            .sync_setting("device_token")?
            .ok_or(SyncError::NotEnrolled)?;
        let public_key = match store.device_signing_key()? {
            Some((_, key)) => super::canonical::encode_b64(key.verifying_key().as_bytes()),
            None => return Ok(()),
        };
        let _: serde_json::Value = self.retry(|| {
            self.post(
                "/device-key",
                Some(&token),
                &DeviceKeyRequest {
                    public_key: public_key.clone(),
                },
                false,
            )
        })?;
        store.mark_device_key_registered()?;
        Ok(())
    }

    /// Fetches the public keys of the region's devices (a full refresh, like a registry).
    pub fn fetch_device_keys(&self, store: &mut Store, session: &str) -> Result<(), SyncError> {
        let resp = self.retry(|| {
            let resp = self
                .http
                .get(self.url("/device-keys"))
                .bearer_auth(session)
                .header(reqwest::header::ACCEPT_ENCODING, codec::ZSTD)
                .send()
                .map_err(|e| self.unreachable(&e))?;
            self.read::<DeviceKeysResponse>(resp)
        })?;
        store.replace_device_keys(&resp.keys)?;
        Ok(())
    }

    /// Pushes every unsent change of the logged-in officer, then pulls everything new.
    pub fn sync(&self, store: &mut Store) -> Result<SyncReport, SyncError> {
        self.sync_with_progress(store, &mut |_| {})
    }

    /// [`sync`](Self::sync), telling `progress` how far it has got after each push batch and
    /// each pull page.
    pub fn sync_with_progress(
        &self,
        store: &mut Store,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<SyncReport, SyncError> {
        let result = self.sync_inner(store, progress);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match &result {
            Ok(_) => {
                store.set_sync_setting("last_success", &now)?;
                store.clear_sync_setting("last_error")?;
            }
            Err(e) => store.set_sync_setting("last_error", &format!("{now} {e}"))?,
        }
        result
    }

    fn sync_inner(
        &self,
        store: &mut Store,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<SyncReport, SyncError> {
        let officer = store.session()?.ok_or(SyncError::NotLoggedIn)?;
        let token = officer.session_token.clone().ok_or_else(|| {
            SyncError::SessionExpired(format!(
                "{} logged in offline and has no server session",
                officer.username
            ))
        })?;
        let mut report = SyncReport::default();
        let mut p = SyncProgress {
            to_send: store.unsent_count_by(&officer.officer_id.to_string())?,
            ..SyncProgress::default()
        };
        progress(&p);
        // The server must know the key before it sees the first signed change.
        let result = self.register_device_key(store);
        let result = result
            .and_then(|()| self.push_all(store, &officer, &token, &mut report, &mut p, progress));
        // Keys before changes, so that what other devices signed can be checked on arrival.
        let result = result.and_then(|()| self.fetch_device_keys(store, &token));
        // Pictures after the records that name them, so the server knows who may send them.
        let files = crate::photo::PhotoFiles::of(store);
        let result = result.and_then(|()| match &files {
            Some(f) => self.send_pictures(store, f, &token, &mut report, &mut p, progress),
            None => Ok(()),
        });
        let result =
            result.and_then(|()| self.pull_all(store, &token, &mut report, &mut p, progress));
        let result = result.and_then(|()| match &files {
            Some(f) => self.fetch_pictures(store, f, &token, &mut report, &mut p, progress),
            None => Ok(()),
        });
        if let Err(SyncError::Server {
            status: 401,
            message,
            ..
        }) = &result
        {
            store.drop_session_token(officer.officer_id)?;
            return Err(SyncError::SessionExpired(message.clone()));
        }
        result.map(|()| report)
    }

    fn push_all(
        &self,
        store: &mut Store,
        officer: &CachedOfficer,
        token: &str,
        report: &mut SyncReport,
        p: &mut SyncProgress,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<(), SyncError> {
        let author = officer.officer_id.to_string();
        let origin = store.device_id().0;
        let own_key = store.device_signing_key()?.map(|(_, k)| k.verifying_key());
        // Columns while the server takes them (see `columns`); rows to an older server, for a
        // day after it said so, so that each sync does not send one batch twice.
        let now = chrono::Utc::now().timestamp();
        let mut in_columns = store
            .sync_setting(ROWS_UNTIL)?
            .and_then(|t| t.parse::<i64>().ok())
            .is_none_or(|until| now >= until);
        loop {
            let batch = store.unsent_changes_by(&author, PUSH_BATCH)?;
            if batch.is_empty() {
                return Ok(());
            }
            let mut changes = batch
                .iter()
                .map(|row| to_wire(row, origin, officer.officer_id))
                .collect::<Result<Vec<_>, _>>()?;
            leave_out_what_the_server_derives(&batch, &mut changes, own_key.as_ref());
            let columns = if in_columns {
                PushColumns::of(&changes)
            } else {
                None
            };
            let req = PushRequest { changes };
            let resp = match columns {
                Some(columns) => match self.retry(|| self.push_columns(token, &columns)) {
                    Err(SyncError::Server { status: 404, .. }) => {
                        in_columns = false;
                        store.set_sync_setting(ROWS_UNTIL, &(now + 24 * 3600).to_string())?;
                        self.retry(|| self.push(token, &req))?
                    }
                    other => other?,
                },
                None => self.retry(|| self.push(token, &req))?,
            };
            // One answer per change, in order; a rejection also names its change.
            if resp.results.len() != batch.len() {
                return Err(SyncError::BadResponse(format!(
                    "the push answer has {} results for {} changes",
                    resp.results.len(),
                    batch.len()
                )));
            }
            let mut accepted = Vec::new();
            let mut rejected = Vec::new();
            for (row, r) in batch.iter().zip(&resp.results) {
                if r.change_id
                    .is_some_and(|id| id.to_string() != row.change_id)
                {
                    return Err(SyncError::BadResponse(
                        "the push answer is not in the order of the changes sent".into(),
                    ));
                }
                match &r.verdict {
                    Verdict::Accepted => accepted.push(row.change_id.clone()),
                    Verdict::Rejected { reason } => {
                        rejected.push((row.change_id.clone(), reason.clone()))
                    }
                }
            }
            report.pushed += accepted.len();
            report.rejected += rejected.len();
            store.record_push_answer(&accepted, &rejected)?;
            p.sent += batch.len();
            // Changes written while the sync runs go in this sync too.
            p.to_send = p.to_send.max(p.sent);
            progress(p);
        }
    }

    fn pull_all(
        &self,
        store: &mut Store,
        token: &str,
        report: &mut SyncReport,
        p: &mut SyncProgress,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<(), SyncError> {
        p.receiving = true;
        progress(p);
        let mut ask_count = true;
        loop {
            let cursor: i64 = store
                .sync_setting("pull_cursor")?
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let mut req = PullRequest {
                cursor,
                limit: Some(PULL_PAGE),
                // The first page says how many wait in all.
                count: ask_count && p.to_receive.is_none(),
            };
            let page = match self.retry(|| self.pull(token, &req)) {
                // A server older than the count refuses the field: ask as before.
                Err(SyncError::Server { status: 400, .. }) if req.count => {
                    ask_count = false;
                    req.count = false;
                    self.retry(|| self.pull(token, &req))?
                }
                other => other?,
            };
            if page.cursor < cursor {
                return Err(SyncError::BadResponse(format!(
                    "the server moved the cursor back from {cursor} to {}",
                    page.cursor
                )));
            }
            let wire: Vec<&Change> = page.changes.iter().map(|p| &p.change).collect();
            let (refused, open) = signature_problems(&wire, store)?;
            // A run cut by the page's end is vouched for by the next page: the page is applied
            // up to its first open change, and the cursor stops just before it, so that change
            // comes again with its run. (Not when that is the page's first change: the cursor
            // must move; it is then applied as the server vouches for it.)
            let (take, new_cursor) = match open.iter().position(|&o| o) {
                Some(i) if page.has_more && i > 0 => (i, page.changes[i].seq - 1),
                _ => (wire.len(), page.cursor),
            };
            report.vouched_by_server += open[..take].iter().filter(|&&o| o).count();
            let changes: Vec<RemoteChange> = wire
                .into_iter()
                .zip(refused)
                .take(take)
                .map(|(c, refused)| to_remote(c, refused))
                .collect();
            store.apply_remote(&changes, Some(new_cursor))?;
            report.pulled += changes.len();
            if let Some(waiting) = page.waiting {
                p.to_receive = Some(waiting);
            }
            p.received += changes.len();
            progress(p);
            if !page.has_more {
                return Ok(());
            }
        }
    }
}

fn to_wire(row: &OutboxRow, origin: uuid::Uuid, author: OfficerId) -> Result<Change, SyncError> {
    let bad = |what: &str| {
        SyncError::Store(crate::store::StoreError::Conflict(format!(
            "outbox change {} has a bad {what}",
            row.change_id
        )))
    };
    let chain = row.chain.as_ref().map(|c| c.to_wire());
    Ok(Change {
        change_id: row.change_id.parse().map_err(|_| bad("id"))?,
        entity: row.entity,
        record_id: row.record_id.clone(),
        region: row.region.clone(),
        hlc: row.hlc,
        base_hlc: row.base_hlc,
        origin,
        author: Some(author.0),
        op: Op::of(row.entity),
        payload: serde_json::from_str(&row.payload).map_err(|_| bad("payload"))?,
        form: row.chain.as_ref().map_or(Form::V1, |c| c.form),
        chain_seq: chain.as_ref().map(|c| c.0),
        prev: chain.as_ref().map(|c| c.1.clone()),
        sig: chain.map(|c| c.2),
    })
}

fn to_remote(c: &Change, refused: Option<String>) -> RemoteChange {
    RemoteChange {
        refused,
        change_id: c.change_id.to_string(),
        entity: c.entity,
        record_id: c.record_id.clone(),
        hlc: c.hlc,
        base_hlc: c.base_hlc,
        origin: c.origin.to_string(),
        author: c.author.map(|a| a.to_string()),
        payload: c.payload.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("http://127.0.0.1:8080", false).is_ok());
        assert!(check_url("http://localhost:8080/", false).is_ok());
        assert!(check_url("https://sync.example.org", false).is_ok());
        let e = check_url("http://sync.example.org", false).unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
        assert!(check_url("http://sync.example.org", true).is_ok());
        assert!(check_url("ftp://x", true).is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_secs(1),
            attempts: 5,
        };
        assert_eq!(b.delay(0), Duration::from_millis(100));
        assert_eq!(b.delay(2), Duration::from_millis(400));
        assert_eq!(b.delay(10), Duration::from_secs(1));
    }
}
