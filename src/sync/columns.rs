//! A push in columns (`POST /push/columns`): the same changes as a [`PushRequest`], each field's
//! values side by side and each kind's payload fields side by side, so that zstd sees runs of
//! like values (consecutive clocks, ids drawn on the same day, weights, colours) instead of
//! every field of one change interleaved with every other. What every change of a push shares
//! (the device, the officer) goes once; what a change repeats goes not at all: its record id
//! where it is its payload's `id`, its op (its kind decides it) and its region (the server
//! derives its own). On a year of one region's demo data this takes the push from 49.4 to
//! about 36 bytes per record on the wire (docs/BENCHMARKS.md, "Wire").
//!
//! A batch that does not fit the shape (changes of several devices or officers, an op its kind
//! does not take) is sent as rows; so is every batch to a server that answers the columns
//! endpoint 404 (one older than this form).

use super::form::Form;
use super::wire::{Change, Op, PushRequest};
use crate::domain::{Hlc, RecordKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The path of a push in columns, under [`super::wire::API_PREFIX`].
pub const PUSH_COLUMNS: &str = "/push/columns";

/// `POST /push/columns`. Every list has one entry per change, in push order. Field names are
/// protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushColumns {
    /// The device every change was made on.
    pub origin: Uuid,
    /// The officer every change was made by.
    #[serde(default)]
    pub author: Option<Uuid>,
    pub change_id: Vec<Uuid>,
    pub entity: Vec<RecordKind>,
    /// The record id, or null where it is the payload's `id`.
    pub record_id: Vec<Option<String>>,
    /// Each change's clock less the one before (the first less 0), wrapping.
    pub hlc: Vec<i64>,
    pub base_hlc: Vec<Hlc>,
    /// The canonical form's number (1 or 2).
    pub form: Vec<i64>,
    pub chain_seq: Vec<Option<u64>>,
    pub prev: Vec<Option<String>>,
    pub sig: Vec<Option<String>>,
    /// The payloads of each kind, in the order of that kind's changes.
    pub payload: BTreeMap<RecordKind, KindPayloads>,
}

/// The payloads of one kind, all objects: each field's values side by side. Payloads of one
/// kind mostly have the same fields, but not always (a field left out when empty), so each
/// payload names its set of fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPayloads {
    /// The distinct sets of field names among the payloads.
    pub shapes: Vec<Vec<String>>,
    /// Each payload's set of fields, as a position in `shapes`.
    pub shape: Vec<usize>,
    /// Each field's values, in payload order, for the payloads that have the field.
    pub fields: BTreeMap<String, Vec<Value>>,
}

impl PushColumns {
    /// The batch in columns, or `None` when it does not fit the shape (see the module).
    pub fn of(changes: &[Change]) -> Option<PushColumns> {
        let first = changes.first()?;
        let (origin, author) = (first.origin, first.author);
        if changes
            .iter()
            .any(|c| c.origin != origin || c.author != author || c.op != Op::of(c.entity))
        {
            return None;
        }
        let mut by_kind: BTreeMap<RecordKind, Vec<&Value>> = BTreeMap::new();
        let mut prev_hlc = 0u64;
        let mut cols = PushColumns {
            origin,
            author,
            change_id: Vec::with_capacity(changes.len()),
            entity: Vec::with_capacity(changes.len()),
            record_id: Vec::with_capacity(changes.len()),
            hlc: Vec::with_capacity(changes.len()),
            base_hlc: Vec::with_capacity(changes.len()),
            form: Vec::with_capacity(changes.len()),
            chain_seq: Vec::with_capacity(changes.len()),
            prev: Vec::with_capacity(changes.len()),
            sig: Vec::with_capacity(changes.len()),
            payload: BTreeMap::new(),
        };
        for c in changes {
            cols.change_id.push(c.change_id);
            cols.entity.push(c.entity);
            let payload_id = c.payload.get("id").and_then(Value::as_str);
            cols.record_id
                .push((payload_id != Some(c.record_id.as_str())).then(|| c.record_id.clone()));
            cols.hlc.push(c.hlc.0.wrapping_sub(prev_hlc) as i64);
            prev_hlc = c.hlc.0;
            cols.base_hlc.push(c.base_hlc);
            cols.form.push(c.form.number());
            cols.chain_seq.push(c.chain_seq);
            cols.prev.push(c.prev.clone());
            cols.sig.push(c.sig.clone());
            by_kind.entry(c.entity).or_default().push(&c.payload);
        }
        cols.payload = by_kind
            .into_iter()
            .map(|(kind, payloads)| Some((kind, KindPayloads::of(&payloads)?)))
            .collect::<Option<_>>()?;
        Some(cols)
    }

    /// The changes again, as [`PushRequest`] holds them (region unset: the server derives it).
    /// Fails, saying why, when the lists do not agree.
    pub fn into_request(self) -> Result<PushRequest, String> {
        let n = self.change_id.len();
        let lengths = [
            ("entity", self.entity.len()),
            ("record_id", self.record_id.len()),
            ("hlc", self.hlc.len()),
            ("base_hlc", self.base_hlc.len()),
            ("form", self.form.len()),
            ("chain_seq", self.chain_seq.len()),
            ("prev", self.prev.len()),
            ("sig", self.sig.len()),
        ];
        if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != n) {
            return Err(format!(
                "the push has {n} change ids but {len} values of {name}; every list has one per change"
            ));
        }
        let mut payloads: BTreeMap<RecordKind, std::vec::IntoIter<Value>> = BTreeMap::new();
        for (kind, p) in self.payload {
            let want = self.entity.iter().filter(|e| **e == kind).count();
            if p.shape.len() != want {
                return Err(format!(
                    "the push has {want} {kind} changes but {} {kind} payloads",
                    p.shape.len()
                ));
            }
            let rows = p.into_rows().map_err(|e| format!("{kind} payloads: {e}"))?;
            payloads.insert(kind, rows.into_iter());
        }
        let mut changes = Vec::with_capacity(n);
        let mut hlc = 0u64;
        for i in 0..n {
            let entity = self.entity[i];
            let payload = payloads
                .get_mut(&entity)
                .and_then(Iterator::next)
                .ok_or_else(|| format!("the push has no payload for its {entity} changes"))?;
            let record_id = match &self.record_id[i] {
                Some(id) => id.clone(),
                None => payload
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        format!(
                            "change {} leaves out its record id, and its payload has no id",
                            self.change_id[i]
                        )
                    })?
                    .to_string(),
            };
            hlc = hlc.wrapping_add(self.hlc[i] as u64);
            changes.push(Change {
                change_id: self.change_id[i],
                entity,
                record_id,
                region: None,
                hlc: Hlc(hlc),
                base_hlc: self.base_hlc[i],
                origin: self.origin,
                author: self.author,
                op: Op::of(entity),
                payload,
                form: Form::from_number(self.form[i])
                    .ok_or_else(|| format!("form {} is not known", self.form[i]))?,
                chain_seq: self.chain_seq[i],
                prev: self.prev[i].clone(),
                sig: self.sig[i].clone(),
            });
        }
        Ok(PushRequest { changes })
    }
}

impl KindPayloads {
    /// `None` when a payload is not an object.
    fn of(payloads: &[&Value]) -> Option<KindPayloads> {
        let mut out = KindPayloads {
            shapes: Vec::new(),
            shape: Vec::with_capacity(payloads.len()),
            fields: BTreeMap::new(),
        };
        for p in payloads {
            let object = p.as_object()?;
            let keys: Vec<&String> = object.keys().collect();
            let shape = match out
                .shapes
                .iter()
                .position(|s| s.iter().eq(keys.iter().copied()))
            {
                Some(i) => i,
                None => {
                    out.shapes.push(keys.into_iter().cloned().collect());
                    out.shapes.len() - 1
                }
            };
            out.shape.push(shape);
            for (k, v) in object {
                out.fields.entry(k.clone()).or_default().push(v.clone());
            }
        }
        Some(out)
    }

    fn into_rows(self) -> Result<Vec<Value>, String> {
        let mut fields: BTreeMap<String, std::vec::IntoIter<Value>> = self
            .fields
            .into_iter()
            .map(|(k, v)| (k, v.into_iter()))
            .collect();
        let mut rows = Vec::with_capacity(self.shape.len());
        for &i in &self.shape {
            let keys = self
                .shapes
                .get(i)
                .ok_or_else(|| format!("shape {i} is not among the {} given", self.shapes.len()))?;
            let mut row = Map::new();
            for k in keys {
                let v = fields
                    .get_mut(k)
                    .and_then(Iterator::next)
                    .ok_or_else(|| format!("field {k:?} has fewer values than payloads with it"))?;
                row.insert(k.clone(), v);
            }
            rows.push(Value::Object(row));
        }
        if let Some((k, _)) = fields.iter().find(|(_, v)| v.len() > 0) {
            return Err(format!("field {k:?} has more values than payloads with it"));
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(entity: RecordKind, payload: Value, hlc: u64) -> Change {
        let record_id = payload
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("SL-KONO")
            .to_string();
        Change {
            change_id: Uuid::now_v7(),
            entity,
            record_id,
            region: None,
            hlc: Hlc(hlc),
            base_hlc: Hlc::default(),
            origin: Uuid::from_u128(7),
            author: Some(Uuid::from_u128(9)),
            op: Op::of(entity),
            payload,
            form: Form::V2,
            chain_seq: None,
            prev: None,
            sig: None,
        }
    }

    fn round_trip(changes: &[Change]) -> Vec<Change> {
        let cols = PushColumns::of(changes).expect("fits the shape");
        let json = serde_json::to_vec(&cols).unwrap();
        let back: PushColumns = serde_json::from_slice(&json).unwrap();
        back.into_request().unwrap().changes
    }

    #[test]
    fn a_mixed_push_comes_back_as_it_was_sent() {
        let p = json!({"id": "p-1", "day": "2026-05-04", "digger_ids": ["d-1", "d-2"],
                       "fix": {"lat": 8.1, "lon": -11.2}, "replaces": null});
        let s1 = json!({"id": "s-1", "production_id": "p-1", "weight": 13, "colour": "grey"});
        let s2 = json!({"id": "s-2", "production_id": "p-1", "weight": 7, "colour": "white"});
        // A stone with a field the others lack: a second shape.
        let s3 =
            json!({"id": "s-3", "production_id": "p-1", "weight": 7, "colour": "white", "lot": 3});
        let mut changes = vec![
            change(RecordKind::Production, p, 1 << 40),
            change(RecordKind::Stone, s1, (1 << 40) + 1),
            change(RecordKind::Stone, s2, 5),
            change(
                RecordKind::Digger,
                json!({"id": "d-9", "name": "Ama"}),
                u64::MAX,
            ),
            change(RecordKind::Region, json!({"code": "SL-KONO"}), 3),
        ];
        changes[2].record_id = "not-the-payload-id".into();
        changes[2].form = Form::V1;
        changes[3].base_hlc = Hlc(77);
        changes[4].chain_seq = Some(12);
        changes[4].prev = Some("cHJldg".into());
        changes[4].sig = Some("c2ln".into());
        let cols = PushColumns::of(&changes).unwrap();
        assert_eq!(cols.payload[&RecordKind::Stone].shapes.len(), 1);
        assert_eq!(
            cols.record_id[1], None,
            "the payload's id is not sent twice"
        );
        assert_eq!(round_trip(&changes), changes);
        changes.push(change(RecordKind::Stone, s3, 6));
        assert_eq!(round_trip(&changes), changes);
        let stones = &PushColumns::of(&changes).unwrap().payload[&RecordKind::Stone];
        assert_eq!(
            (stones.shapes.len(), &stones.shape[..]),
            (2, &[0, 0, 1][..])
        );
        assert_eq!(stones.fields["lot"], vec![json!(3)]);
    }

    #[test]
    fn changes_of_two_officers_or_a_wrong_op_go_as_rows() {
        let mut changes = vec![
            change(RecordKind::Digger, json!({"id": "d-1"}), 1),
            change(RecordKind::Digger, json!({"id": "d-2"}), 2),
        ];
        assert!(PushColumns::of(&changes).is_some());
        changes[1].author = Some(Uuid::from_u128(10));
        assert!(PushColumns::of(&changes).is_none());
        changes[1].author = changes[0].author;
        changes[1].op = Op::Insert;
        assert!(PushColumns::of(&changes).is_none());
        changes[1].op = Op::Upsert;
        changes[1].payload = json!(["not", "an", "object"]);
        assert!(PushColumns::of(&changes).is_none());
        assert!(PushColumns::of(&[]).is_none());
    }

    #[test]
    fn lists_that_do_not_agree_are_refused_with_a_reason() {
        let changes = vec![
            change(RecordKind::Stone, json!({"id": "s-1", "weight": 1}), 1),
            change(RecordKind::Stone, json!({"id": "s-2", "weight": 2}), 2),
        ];
        let mut cols = PushColumns::of(&changes).unwrap();
        cols.hlc.pop();
        let e = cols.into_request().unwrap_err();
        assert!(e.contains("2 change ids but 1 values of hlc"), "{e}");

        let mut cols = PushColumns::of(&changes).unwrap();
        let stones = cols.payload.get_mut(&RecordKind::Stone).unwrap();
        stones.fields.get_mut("weight").unwrap().pop();
        let e = cols.clone().into_request().unwrap_err();
        assert!(e.contains("\"weight\" has fewer values"), "{e}");
        let stones = cols.payload.get_mut(&RecordKind::Stone).unwrap();
        stones
            .fields
            .get_mut("weight")
            .unwrap()
            .extend([json!(2), json!(3)]);
        let e = cols.clone().into_request().unwrap_err();
        assert!(e.contains("\"weight\" has more values"), "{e}");
        cols.payload.get_mut(&RecordKind::Stone).unwrap().shape[0] = 5;
        let e = cols.into_request().unwrap_err();
        assert!(e.contains("shape 5 is not among the 1 given"), "{e}");
        let mut cols = PushColumns::of(&changes).unwrap();
        cols.payload
            .get_mut(&RecordKind::Stone)
            .unwrap()
            .shape
            .push(0);
        let e = cols.into_request().unwrap_err();
        assert!(e.contains("2 stone changes but 3 stone payloads"), "{e}");

        let mut cols = PushColumns::of(&changes).unwrap();
        cols.payload.clear();
        let e = cols.into_request().unwrap_err();
        assert!(e.contains("no payload for its stone changes"), "{e}");

        let no_ids = [
            change(RecordKind::Stone, json!({"weight": 1}), 1),
            change(RecordKind::Stone, json!({"weight": 2}), 2),
        ];
        let mut cols = PushColumns::of(&no_ids).unwrap();
        cols.record_id = vec![None, None];
        let e = cols.into_request().unwrap_err();
        assert!(e.contains("payload has no id"), "{e}");
    }
}
