-- Exports and imports as their KP certificate declares them: the HS code of the parcel, the
-- importer and, for an import, the country of origin. Slips stored before carry none (empty
-- text); the trade statistics show an export without a declared code as `undeclared`.
-- The index serves the trade statistics, which read the exports and imports of a span of days
-- without touching the rest of the chain.
ALTER TABLE sales ADD COLUMN hs_code TEXT NOT NULL DEFAULT '';
ALTER TABLE sales ADD COLUMN importer TEXT NOT NULL DEFAULT '';
ALTER TABLE sales ADD COLUMN origin_country TEXT NOT NULL DEFAULT '';
CREATE INDEX sales_kind_day ON sales(kind, day);
