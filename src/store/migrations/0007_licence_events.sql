-- Dated licence history and supporters.
--
-- licence_events is append-only: an event is never edited, a mistake is answered by a new
-- event (a suspension by a reinstatement). A licence's standing on a day is replayed from its
-- events (domain::LicenceHistory). Licences registered before this table existed have no rows
-- here and are read as one `issued` event on their issued_on until their expires_on, plus a
-- suspension or revocation from the same day when their status says so; no row is written for
-- them, so every device reads the same record the same way and nothing is pushed twice.
CREATE TABLE licence_events (
    id         TEXT PRIMARY KEY,
    licence_id TEXT NOT NULL REFERENCES licences(id),
    kind       TEXT NOT NULL,
    on_day     TEXT NOT NULL,
    until      TEXT,
    fee_cents  INTEGER CHECK (fee_cents IS NULL OR fee_cents >= 0),
    receipt    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT,
    CHECK (until IS NULL OR until >= on_day)
) STRICT;
CREATE INDEX licence_events_licence ON licence_events(licence_id, on_day);
-- The fee report reads the paid events of a period.
CREATE INDEX licence_events_fees ON licence_events(on_day) WHERE fee_cents IS NOT NULL;

-- The supporters (financiers) named on an artisanal licence: a registered digger, or a named
-- person with a national id. A registry record merged by clock.
CREATE TABLE supporters (
    id          TEXT PRIMARY KEY,
    licence_id  TEXT NOT NULL REFERENCES licences(id),
    digger_id   TEXT REFERENCES diggers(id),
    full_name   TEXT NOT NULL,
    national_id TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX supporters_licence ON supporters(licence_id);
