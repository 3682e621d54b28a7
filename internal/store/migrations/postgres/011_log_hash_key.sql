-- SPDX-License-Identifier: Apache-2.0
-- Leaves are found by their hash through log_leaf_keys, not through a
-- unique index on log_index.leaf_hash. A leaf hash lands at a random place
-- in any index of it; at millions of leaves that index no longer fits the
-- cache and integration slows down. The new key is the hash's first 60
-- bits as an integer (8 bytes, not the 44 characters of base64), and the
-- index is split into parts of 2^20 leaves (part = idx >> 20): an
-- integration inserts only into the newest part, which stays cached; a
-- lookup seeks once per part and compares the full hash in log_index, so
-- a key shared by two leaves is harmless.
ALTER TABLE log_index DROP CONSTRAINT log_index_leaf_hash_key;

CREATE TABLE log_leaf_keys (
	part     BIGINT NOT NULL, -- idx >> 20
	hash_key BIGINT NOT NULL, -- the leaf hash's first 60 bits
	idx      BIGINT NOT NULL,
	PRIMARY KEY (part, hash_key, idx)
);
INSERT INTO log_leaf_keys (part, hash_key, idx)
SELECT idx >> 20, (('x' || encode(substring(decode(leaf_hash, 'base64') FROM 1 FOR 8), 'hex'))::bit(64) >> 4)::bigint, idx
FROM log_index;
CREATE TRIGGER log_leaf_keys_append_only BEFORE UPDATE OR DELETE ON log_leaf_keys FOR EACH ROW EXECUTE FUNCTION log_append_only();
