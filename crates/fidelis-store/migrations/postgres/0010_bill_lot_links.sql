-- A bill's lot and ledger entry are found through their source (`BILL`, the bill's id), so
-- the bill row no longer points at them: it is written once, complete.
ALTER TABLE loyalty_transactions DROP COLUMN lot_id;
ALTER TABLE loyalty_transactions DROP COLUMN entry_id;
