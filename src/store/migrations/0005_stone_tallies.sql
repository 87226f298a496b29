-- The stones of current production counted per site, day, class and weight, for KP statistics
-- and footprints: a report over a million stones must come back within a second, and walking
-- the stones through their entries costs several times that. Kept by the triggers below as
-- stones and corrections are written (stones and production are append-only): a stone counts
-- while its entry is current; a correction takes its predecessor's stones out, and a stone
-- that arrives for an entry already replaced (sync order) never counts. Rows are clustered by
-- site then day, so a region's or a site's span of days is a few contiguous ranges.
CREATE TABLE stone_tallies (
    site_id     TEXT NOT NULL,
    day         TEXT NOT NULL,
    class       TEXT NOT NULL,
    centicarats INTEGER NOT NULL,
    stones      INTEGER NOT NULL CHECK (stones >= 0),
    PRIMARY KEY (site_id, day, class, centicarats)
) STRICT, WITHOUT ROWID;

INSERT INTO stone_tallies (site_id, day, class, centicarats, stones)
SELECT p.site_id, p.day, st.class, st.centicarats, count(*)
FROM production p JOIN stones st ON st.production_id = p.id
WHERE NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id)
GROUP BY p.site_id, p.day, st.class, st.centicarats;

CREATE TRIGGER stone_tallies_add AFTER INSERT ON stones
WHEN NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = NEW.production_id)
BEGIN
    INSERT INTO stone_tallies (site_id, day, class, centicarats, stones)
    SELECT p.site_id, p.day, NEW.class, NEW.centicarats, 1 FROM production p
    WHERE p.id = NEW.production_id
    ON CONFLICT DO UPDATE SET stones = stones + 1;
END;

CREATE TRIGGER stone_tallies_correct AFTER INSERT ON production
WHEN NEW.replaces IS NOT NULL
BEGIN
    UPDATE stone_tallies SET stones = stones - (
        SELECT count(*) FROM stones st
        WHERE st.production_id = NEW.replaces
          AND st.class = stone_tallies.class AND st.centicarats = stone_tallies.centicarats)
    WHERE site_id = (SELECT site_id FROM production WHERE id = NEW.replaces)
      AND day = (SELECT day FROM production WHERE id = NEW.replaces);
    DELETE FROM stone_tallies
    WHERE site_id = (SELECT site_id FROM production WHERE id = NEW.replaces)
      AND day = (SELECT day FROM production WHERE id = NEW.replaces)
      AND stones = 0;
END;
