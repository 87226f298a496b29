-- The first-sale slips that value production, read by every KP report: kind, id, day and price
-- from one index (no visit to the table), in id order, which is also the order of their links
-- in `sale_production`, so a million-stone report reads both front to back instead of looking
-- each slip up at random.
CREATE INDEX sales_kind_id ON sales(kind, id, day, price_cents);
