//! `alluvium licence card` and `alluvium licence verify` on real database files: failures are
//! one line and a non-zero exit; a readable card code prints its verdict as JSON.

use alluvium::domain::card_statement::{CardStatement, area_hash};
use alluvium::store::Store;
use ed25519_dalek::SigningKey;
use std::path::Path;
use test_kit::cli::{alluvium, fails, stderr_line};
use test_kit::fixtures::{digger, licence, plot};
use uuid::Uuid;

const NUMBER: &str = "KONO/AM/2026/0042";

fn db_with_licence(db: &Path) -> CardStatement {
    let mut store = Store::open(db).unwrap();
    let holder = digger("SL-KONO", "SL-0042-KN", "Fatmata Kamara");
    let l = licence("SL-KONO", NUMBER, &holder);
    store
        .write(|w| {
            w.ensure_known_region("SL-KONO")?;
            w.put_digger(&holder)?;
            w.put_licence(&l)
        })
        .unwrap();
    CardStatement {
        number: NUMBER.into(),
        holder_id: holder.national_id,
        holder_name: holder.full_name,
        valid_until: l.expires_on,
        area_hash: area_hash(&plot().corners()),
        device: Uuid::now_v7(),
    }
}

#[test]
fn a_card_for_an_unknown_licence_is_one_line_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    db_with_licence(&db);
    let out = dir.path().join("card.pdf");
    let err = fails(
        &db,
        &[
            "licence",
            "card",
            "NO/SUCH/1",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no licence numbered NO/SUCH/1"), "{err}");
    assert!(!out.exists());
}

#[test]
fn malformed_and_tampered_codes_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let statement = db_with_licence(&db);
    let code = statement.sign(&SigningKey::from_bytes(&[7; 32])).unwrap();
    // Cut short, and with one character of the signature changed to a non-canonical form.
    let truncated = &code[..code.len() - 5];
    let mut tampered = code.clone();
    tampered.pop();
    tampered.push(if code.ends_with('B') { 'C' } else { 'B' });
    for bad in ["hello", "ALV1.%%%.x", truncated, &tampered] {
        let out = alluvium(&db, &["licence", "verify", "--qr", bad]);
        assert!(!out.status.success(), "{bad} accepted");
        let err = stderr_line(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("card code") || err.contains("card not valid"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_readable_code_from_a_device_this_one_does_not_know_is_reported_but_not_valid() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let statement = db_with_licence(&db);
    let code = statement.sign(&SigningKey::from_bytes(&[7; 32])).unwrap();
    let out = alluvium(&db, &["licence", "verify", "--qr", &code]);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["number"], NUMBER);
    assert_eq!(v["holder"], "Fatmata Kamara");
    assert_eq!(v["valid_until"], statement.valid_until.to_string());
    assert_eq!(v["standing_today"], "active");
    assert_eq!(v["signed_by"], statement.device.to_string());
    let err = stderr_line(&out);
    assert!(err.contains("does not know"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
