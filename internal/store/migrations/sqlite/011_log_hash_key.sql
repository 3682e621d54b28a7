-- SPDX-License-Identifier: Apache-2.0
-- Leaves are found by their hash through log_leaf_keys, not through a
-- unique index on log_index.leaf_hash. A leaf hash lands at a random place
-- in any index of it; at millions of leaves that index no longer fitted
-- the writer's page cache and integration slowed to ~3,500 leaves/s. The
-- new key is the hash's first 60 bits as an integer (8 bytes, not the 44
-- characters of base64), and the index is split into parts of 2^20 leaves
-- (part = idx >> 20): an integration inserts only into the newest part,
-- which stays cached; a lookup seeks once per part and compares the full
-- hash in log_index, so a key shared by two leaves is harmless.
--
-- SQLite cannot drop a column's UNIQUE constraint, so log_index is rebuilt
-- (dropping it drops its triggers, which are made again below).
CREATE TABLE log_index_new (
	idx       INTEGER PRIMARY KEY,
	leaf_seq  INTEGER NOT NULL UNIQUE REFERENCES log_leaves (seq),
	leaf_hash TEXT NOT NULL
);
INSERT INTO log_index_new (idx, leaf_seq, leaf_hash) SELECT idx, leaf_seq, leaf_hash FROM log_index ORDER BY idx;
DROP TABLE log_index;
ALTER TABLE log_index_new RENAME TO log_index;
CREATE TRIGGER log_index_no_update BEFORE UPDATE ON log_index BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_index_no_delete BEFORE DELETE ON log_index BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;

CREATE TABLE log_leaf_keys (
	part     INTEGER NOT NULL, -- idx >> 20
	hash_key INTEGER NOT NULL, -- the leaf hash's first 60 bits
	idx      INTEGER NOT NULL,
	PRIMARY KEY (part, hash_key, idx)
) WITHOUT ROWID;
-- The keys of the leaves already in the tree, decoded from base64 ten
-- characters (60 bits) at a time; SQLite has no base64 decoder.
INSERT INTO log_leaf_keys (part, hash_key, idx)
WITH b64 (c) AS (SELECT 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
SELECT idx >> 20,
	((instr(c, substr(leaf_hash, 1, 1)) - 1) << 54) | ((instr(c, substr(leaf_hash, 2, 1)) - 1) << 48) |
	((instr(c, substr(leaf_hash, 3, 1)) - 1) << 42) | ((instr(c, substr(leaf_hash, 4, 1)) - 1) << 36) |
	((instr(c, substr(leaf_hash, 5, 1)) - 1) << 30) | ((instr(c, substr(leaf_hash, 6, 1)) - 1) << 24) |
	((instr(c, substr(leaf_hash, 7, 1)) - 1) << 18) | ((instr(c, substr(leaf_hash, 8, 1)) - 1) << 12) |
	((instr(c, substr(leaf_hash, 9, 1)) - 1) << 6) | (instr(c, substr(leaf_hash, 10, 1)) - 1),
	idx
FROM log_index, b64;
CREATE TRIGGER log_leaf_keys_no_update BEFORE UPDATE ON log_leaf_keys BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_leaf_keys_no_delete BEFORE DELETE ON log_leaf_keys BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
