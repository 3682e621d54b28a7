-- SPDX-License-Identifier: Apache-2.0
-- The transparency log: an append-only RFC 6962 Merkle tree of leaves that
-- commit to the records of consents, decisions, grants, transfers,
-- data-subject requests and admin changes.
--
-- A change appends its leaf to log_leaves in its own transaction. The
-- integrator then gives leaves their tree index (log_index), stores the
-- tree's hashes (log_hashes, numbered as golang.org/x/mod/sumdb/tlog
-- numbers them) and signs a checkpoint (log_checkpoints), all in one
-- transaction. None of these tables has an update or delete path.
--
-- Transactions commit in another order than they draw sequence numbers, so
-- the integrator orders leaves by the ID of the transaction that appended
-- them and takes only those of transactions older than every one still
-- running (pg_snapshot_xmin): no leaf can later appear before them.
CREATE TABLE log_leaves (
	seq         BIGSERIAL PRIMARY KEY,
	txid        BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
	kind        TEXT NOT NULL,
	record_kind TEXT NOT NULL,
	record_id   TEXT NOT NULL,
	data        TEXT NOT NULL, -- the leaf bytes (canonical JSON)
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX log_leaves_order ON log_leaves (txid, seq);
CREATE INDEX log_leaves_record ON log_leaves (record_id);

CREATE TABLE log_parties (
	service_id TEXT NOT NULL,
	leaf_seq   BIGINT NOT NULL REFERENCES log_leaves (seq),
	PRIMARY KEY (service_id, leaf_seq)
);

CREATE TABLE log_index (
	idx       BIGINT PRIMARY KEY,
	leaf_seq  BIGINT NOT NULL UNIQUE REFERENCES log_leaves (seq),
	leaf_hash TEXT NOT NULL UNIQUE
);

CREATE TABLE log_hashes (
	id   BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);

CREATE TABLE log_checkpoints (
	seq        BIGINT PRIMARY KEY,
	size       BIGINT NOT NULL,
	root_hash  TEXT NOT NULL,
	note       TEXT NOT NULL,
	last_txid  BIGINT NOT NULL,
	last_seq   BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE log_subjects (
	resident_id TEXT NOT NULL,
	leaf_seq    BIGINT NOT NULL REFERENCES log_leaves (seq),
	PRIMARY KEY (resident_id, leaf_seq)
);
CREATE TABLE resident_log_keys (
	resident_id TEXT PRIMARY KEY,
	key_sealed  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE admin_changes (
	id          TEXT PRIMARY KEY,
	actor_id    TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_kind TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	details     TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the log is append-only';
END $$;
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_parties_append_only BEFORE UPDATE OR DELETE ON log_parties FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_index_append_only BEFORE UPDATE OR DELETE ON log_index FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_hashes_append_only BEFORE UPDATE OR DELETE ON log_hashes FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_subjects_no_update BEFORE UPDATE ON log_subjects FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER admin_changes_append_only BEFORE UPDATE OR DELETE ON admin_changes FOR EACH ROW EXECUTE FUNCTION log_append_only();
