-- Lots of small stones: a stones row may weigh several stones of one sieve class together
-- (`stone_count` > 1, `centicarats` their total, `sieve` the class). Every stone stored before
-- is one stone of no sieve class.
ALTER TABLE stones ADD COLUMN stone_count INTEGER NOT NULL DEFAULT 1 CHECK (stone_count >= 1);
ALTER TABLE stones ADD COLUMN sieve TEXT NOT NULL DEFAULT '';

-- The tallies count a lot's stones at its mean weight in whole centicarats: total ÷ count
-- rounded down for (count − remainder) stones and one centicarat more for the remainder, so
-- the stones add up to the count and their weights to the total exactly. A single stone is
-- the same as before (remainder 0). Production totals add the lot's carats and stones.
DROP TRIGGER stone_tallies_add;
DROP TRIGGER stone_tallies_correct;
DROP TRIGGER production_totals_add;

CREATE TRIGGER stone_tallies_add AFTER INSERT ON stones
WHEN NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = NEW.production_id)
BEGIN
    INSERT INTO stone_tallies (site_id, day, class, centicarats, stones)
    SELECT p.site_id, p.day, NEW.class, NEW.centicarats / NEW.stone_count,
           NEW.stone_count - NEW.centicarats % NEW.stone_count
    FROM production p
    WHERE p.id = NEW.production_id AND NEW.stone_count - NEW.centicarats % NEW.stone_count > 0
    ON CONFLICT DO UPDATE SET stones = stones + excluded.stones;
    INSERT INTO stone_tallies (site_id, day, class, centicarats, stones)
    SELECT p.site_id, p.day, NEW.class, NEW.centicarats / NEW.stone_count + 1,
           NEW.centicarats % NEW.stone_count
    FROM production p
    WHERE p.id = NEW.production_id AND NEW.centicarats % NEW.stone_count > 0
    ON CONFLICT DO UPDATE SET stones = stones + excluded.stones;
END;

CREATE TRIGGER stone_tallies_correct AFTER INSERT ON production
WHEN NEW.replaces IS NOT NULL
BEGIN
    UPDATE stone_tallies SET stones = stones - (
        SELECT coalesce(sum(
            CASE WHEN st.centicarats / st.stone_count = stone_tallies.centicarats
                 THEN st.stone_count - st.centicarats % st.stone_count ELSE 0 END
          + CASE WHEN st.centicarats % st.stone_count > 0
                  AND st.centicarats / st.stone_count + 1 = stone_tallies.centicarats
                 THEN st.centicarats % st.stone_count ELSE 0 END), 0)
        FROM stones st
        WHERE st.production_id = NEW.replaces AND st.class = stone_tallies.class)
    WHERE site_id = (SELECT site_id FROM production WHERE id = NEW.replaces)
      AND day = (SELECT day FROM production WHERE id = NEW.replaces);
    DELETE FROM stone_tallies
    WHERE site_id = (SELECT site_id FROM production WHERE id = NEW.replaces)
      AND day = (SELECT day FROM production WHERE id = NEW.replaces)
      AND stones = 0;
END;

CREATE TRIGGER production_totals_add AFTER INSERT ON stones
WHEN NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = NEW.production_id)
BEGIN
    INSERT INTO production_totals (site_id, day, production_id, centicarats, stones)
    SELECT p.site_id, p.day, p.id, NEW.centicarats, NEW.stone_count FROM production p
    WHERE p.id = NEW.production_id
    ON CONFLICT DO UPDATE SET centicarats = centicarats + excluded.centicarats,
                              stones = stones + excluded.stones;
END;
