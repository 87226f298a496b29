-- The canonical form each stored signed change is in (schema version 2). Released migrations
-- are never edited; append a new one.
--
-- Changes stored before this version are form 1 (their link covers their signature). Form 2
-- changes are linked by the hash of their canonical bytes only, so most arrive without a
-- signature of their own (sig NULL): the signature of the last change of their run vouches for
-- them (see alluvium::sync::canonical).
ALTER TABLE changes ADD COLUMN form INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rejected ADD COLUMN form INTEGER NOT NULL DEFAULT 1;
ALTER TABLE acknowledged ADD COLUMN form INTEGER NOT NULL DEFAULT 1;
