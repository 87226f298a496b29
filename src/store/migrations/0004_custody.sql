-- Chain of custody: the earlier slips a resale or export draws on (its seller's purchases),
-- and the indexes that tracing and the mass balance walk. Append-only like the sales.
CREATE TABLE sale_sources (
    sale_id        TEXT NOT NULL REFERENCES sales(id),
    source_sale_id TEXT NOT NULL REFERENCES sales(id),
    position       INTEGER NOT NULL,
    PRIMARY KEY (sale_id, source_sale_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sale_sources_source ON sale_sources(source_sale_id);
CREATE INDEX sale_production_production ON sale_production(production_id);
CREATE INDEX sales_day ON sales(day);
CREATE INDEX sales_slip_number ON sales(slip_number);
