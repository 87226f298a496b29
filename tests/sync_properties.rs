//! Properties over arbitrary input: CSV import never panics and is all or nothing; any
//! sequence of offline registry edits on two devices, exchanged in any order and in any
//! slices, converges to the same state on both (the merge by clock and `Store::apply_remote`,
//! without a server: each device's outbox is applied to the other as the server would pass it).

use alluvium::domain::*;
use alluvium::interchange::import_csv;
use alluvium::store::{RemoteChange, Store};
use proptest::prelude::*;

fn digger(i: usize) -> Digger {
    Digger {
        id: DiggerId::new(),
        national_id: format!("SL-P{i}"),
        full_name: format!("Digger {i}"),
        sex: Sex::Male,
        birth_date: chrono::NaiveDate::from_ymd_opt(1985, 1, 1).unwrap(),
        village: "Koidu".into(),
        chiefdom: "Gbense".into(),
        phone: String::new(),
        region: "SL-KONO".into(),
        status: DiggerStatus::Active,
    }
}

/// Sends `from`'s first `limit` unsent changes to `to`, then marks them sent on `from`.
fn exchange(from: &mut Store, to: &mut Store, limit: usize) {
    let rows = from.unsent_changes(limit).unwrap();
    let origin = from.device_id().to_string();
    let changes: Vec<RemoteChange> = rows
        .iter()
        .map(|r| RemoteChange {
            change_id: r.change_id.clone(),
            entity: r.entity,
            record_id: r.record_id.clone(),
            hlc: r.hlc,
            base_hlc: r.base_hlc,
            origin: origin.clone(),
            author: r.author.clone(),
            payload: r.payload.clone(),
            refused: None,
        })
        .collect();
    let applied = to.apply_remote(&changes, None).unwrap();
    for a in &applied {
        assert!(!matches!(a, alluvium::store::Applied::Failed(_)), "{a:?}");
    }
    let ids: Vec<String> = rows.into_iter().map(|r| r.change_id).collect();
    from.mark_sent(&ids).unwrap();
}

#[derive(Debug, Clone)]
enum Step {
    /// Device `dev` edits digger `who` (if it knows it): name and village.
    Edit {
        dev: usize,
        who: usize,
        name: u8,
        village: u8,
    },
    /// Device `dev` registers a new digger.
    Create { dev: usize },
    /// Device `from` passes up to `limit` changes to the other.
    Sync { from: usize, limit: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..2usize, 0..8usize, any::<u8>(), any::<u8>())
            .prop_map(|(dev, who, name, village)| Step::Edit { dev, who, name, village }),
        1 => (0..2usize).prop_map(|dev| Step::Create { dev }),
        2 => (0..2usize, 1..6usize).prop_map(|(from, limit)| Step::Sync { from, limit }),
    ]
}

fn pair(stores: &mut [Store; 2], from: usize) -> (&mut Store, &mut Store) {
    let [a, b] = stores;
    if from == 0 { (a, b) } else { (b, a) }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn offline_edits_converge_in_any_order(steps in prop::collection::vec(step(), 1..40), last_first in 0..2usize) {
        let mut stores = [Store::open_in_memory().unwrap(), Store::open_in_memory().unwrap()];
        // Both start from the same three diggers.
        let mut known: Vec<Digger> = (0..3).map(digger).collect();
        for s in &mut stores {
            s.write(|w| w.ensure_known_region("SL-KONO")).unwrap();
        }
        stores[0].write(|w| known.iter().try_for_each(|d| w.put_digger(d))).unwrap();
        let (a, b) = pair(&mut stores, 0);
        exchange(a, b, usize::MAX);
        for s in steps {
            match s {
                Step::Edit { dev, who, name, village } => {
                    let Some(d) = known.get(who) else { continue };
                    // A device edits only what it has (a record it has not received is not on
                    // its screen), starting from its own version.
                    let Some(mut mine) = stores[dev].digger(d.id).unwrap() else { continue };
                    mine.full_name = format!("Name {name}");
                    mine.village = format!("Village {village}");
                    stores[dev].write(|w| w.put_digger(&mine)).unwrap();
                }
                Step::Create { dev } => {
                    let d = digger(known.len());
                    stores[dev].write(|w| w.put_digger(&d)).unwrap();
                    known.push(d);
                }
                Step::Sync { from, limit } => {
                    let (f, t) = pair(&mut stores, from);
                    exchange(f, t, limit);
                }
            }
        }
        // Final sync, in either order.
        let (f, t) = pair(&mut stores, last_first);
        exchange(f, t, usize::MAX);
        let (f, t) = pair(&mut stores, 1 - last_first);
        exchange(f, t, usize::MAX);
        prop_assert_eq!(stores[0].pending_changes().unwrap(), 0);
        prop_assert_eq!(stores[1].pending_changes().unwrap(), 0);
        let mut on_a = stores[0].diggers().unwrap();
        let mut on_b = stores[1].diggers().unwrap();
        on_a.sort_by_key(|d| d.id.to_string());
        on_b.sort_by_key(|d| d.id.to_string());
        prop_assert_eq!(on_a.len(), known.len());
        prop_assert_eq!(on_a, on_b);
    }

    #[test]
    fn csv_import_never_panics_and_is_all_or_nothing(
        entity in prop::sample::select(RecordKind::ALL.to_vec()),
        header_kind in 0..3usize,
        rows in prop::collection::vec(prop::collection::vec("[ -~\"\n\r,é]{0,12}", 0..12), 0..6),
    ) {
        let header = match header_kind {
            // The contract's own columns: rows reach validation.
            0 => alluvium::interchange::header(entity).join(","),
            // Another kind's columns, or nothing recognisable.
            1 => alluvium::interchange::header(RecordKind::Digger).join(","),
            _ => "a,b,c".to_string(),
        };
        let mut text = header;
        for r in &rows {
            text.push('\n');
            text.push_str(&r.join(","));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, text).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        match import_csv(&mut store, entity, &path) {
            Ok(_) => {}
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                prop_assert!(store.is_empty().unwrap(), "a failed import wrote something");
                prop_assert_eq!(store.pending_changes().unwrap(), 0);
            }
        }
    }
}
