-- The carats and stone count of each current production entry, for the value of production:
-- a first-sale slip's price is shared among the entries it lists in proportion to their
-- carats, and a KP report over a million stones must read entries, not stones. Kept by the
-- triggers below like `stone_tallies`: a stone counts while its entry is current, a correction
-- takes its predecessor's row out, and a stone that arrives for an entry already replaced
-- (sync order) never counts. Rows are clustered by site then day, so a region's span of days
-- is a few contiguous ranges; the second index finds an entry a slip names.
CREATE TABLE production_totals (
    site_id       TEXT NOT NULL,
    day           TEXT NOT NULL,
    production_id TEXT NOT NULL,
    centicarats   INTEGER NOT NULL,
    stones        INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, production_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX production_totals_entry ON production_totals(production_id);

INSERT INTO production_totals (site_id, day, production_id, centicarats, stones)
SELECT p.site_id, p.day, p.id, sum(st.centicarats), count(*)
FROM production p JOIN stones st ON st.production_id = p.id
WHERE NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id)
GROUP BY p.id;

CREATE TRIGGER production_totals_add AFTER INSERT ON stones
WHEN NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = NEW.production_id)
BEGIN
    INSERT INTO production_totals (site_id, day, production_id, centicarats, stones)
    SELECT p.site_id, p.day, p.id, NEW.centicarats, 1 FROM production p
    WHERE p.id = NEW.production_id
    ON CONFLICT DO UPDATE SET centicarats = centicarats + excluded.centicarats,
                              stones = stones + 1;
END;

CREATE TRIGGER production_totals_correct AFTER INSERT ON production
WHEN NEW.replaces IS NOT NULL
BEGIN
    DELETE FROM production_totals WHERE production_id = NEW.replaces;
END;
