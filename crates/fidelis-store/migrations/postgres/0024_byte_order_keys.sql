-- Keys compared millions of times an import (bill numbers and their claims, identifier
-- values) compare as bytes: with the "C" collation PostgreSQL compares with memcmp
-- instead of calling the C library's strcoll. Equality is the same under any
-- deterministic collation, and no query orders by these columns. (SQLite compares text
-- as bytes already.)
ALTER TABLE loyalty_bill_numbers
    ALTER COLUMN scope_key TYPE TEXT COLLATE "C",
    ALTER COLUMN bill_number TYPE TEXT COLLATE "C";
ALTER TABLE loyalty_transactions ALTER COLUMN bill_number TYPE TEXT COLLATE "C";
ALTER TABLE customer_identifier_owners
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN value TYPE TEXT COLLATE "C";
