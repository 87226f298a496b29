-- Sealed bags: a production entry records the seal of the bag its stones were sealed in at the
-- pit (empty: not sealed), and a sale slip the seals of the bags it moves, separated by `;`
-- (a seal number holds no `;`). Records stored before seals existed carry none.
ALTER TABLE production ADD COLUMN seal TEXT NOT NULL DEFAULT '';
ALTER TABLE sales ADD COLUMN seals TEXT NOT NULL DEFAULT '';
CREATE INDEX production_seal ON production(seal) WHERE seal <> '';
