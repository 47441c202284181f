-- Every write of a balance row is an update, one new version per unit of work. With half
-- of each page kept free, that version fits on the row's own page: an update in place
-- (HOT), which adds no index entries and whose dead versions the page reclaims itself. Full
-- pages sent every new version to the end of the table, with a new key index entry each.
ALTER TABLE loyalty_balances SET (fillfactor = 50);
