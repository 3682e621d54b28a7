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
CREATE TABLE log_leaves (
	seq         INTEGER PRIMARY KEY,
	txid        INTEGER NOT NULL DEFAULT 0, -- PostgreSQL's transaction ID; always 0 here (one writer)
	kind        TEXT NOT NULL,
	record_kind TEXT NOT NULL,
	record_id   TEXT NOT NULL,
	data        TEXT NOT NULL, -- the leaf bytes (canonical JSON)
	created_at  TEXT NOT NULL
);
CREATE INDEX log_leaves_record ON log_leaves (record_id);

-- The services a leaf concerns (sink, sources), for their own view.
CREATE TABLE log_parties (
	service_id TEXT NOT NULL,
	leaf_seq   INTEGER NOT NULL REFERENCES log_leaves (seq),
	PRIMARY KEY (service_id, leaf_seq)
);

CREATE TABLE log_index (
	idx       INTEGER PRIMARY KEY,
	leaf_seq  INTEGER NOT NULL UNIQUE REFERENCES log_leaves (seq),
	leaf_hash TEXT NOT NULL UNIQUE
);

CREATE TABLE log_hashes (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);

CREATE TABLE log_checkpoints (
	seq        INTEGER PRIMARY KEY, -- 0, 1, 2, ... without gaps
	size       INTEGER NOT NULL,
	root_hash  TEXT NOT NULL,
	note       TEXT NOT NULL,
	last_txid  INTEGER NOT NULL,    -- the last integrated leaf, for the next integration
	last_seq   INTEGER NOT NULL,
	created_at TEXT NOT NULL
);

-- The erasable side of the log: which leaves are about which resident, and
-- each resident's commitment key. Erasure deletes both; the leaves stay.
CREATE TABLE log_subjects (
	resident_id TEXT NOT NULL,
	leaf_seq    INTEGER NOT NULL REFERENCES log_leaves (seq),
	PRIMARY KEY (resident_id, leaf_seq)
);
CREATE TABLE resident_log_keys (
	resident_id TEXT PRIMARY KEY,
	key_sealed  TEXT NOT NULL,
	created_at  TEXT NOT NULL
);

-- Admin changes: the record an admin leaf commits to.
CREATE TABLE admin_changes (
	id          TEXT PRIMARY KEY,
	actor_id    TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_kind TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	details     TEXT NOT NULL,
	created_at  TEXT NOT NULL
);

CREATE TRIGGER log_leaves_no_update BEFORE UPDATE ON log_leaves BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_leaves_no_delete BEFORE DELETE ON log_leaves BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_parties_no_update BEFORE UPDATE ON log_parties BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_parties_no_delete BEFORE DELETE ON log_parties BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_index_no_update BEFORE UPDATE ON log_index BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_index_no_delete BEFORE DELETE ON log_index BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_hashes_no_update BEFORE UPDATE ON log_hashes BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_hashes_no_delete BEFORE DELETE ON log_hashes BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_subjects_no_update BEFORE UPDATE ON log_subjects BEGIN SELECT RAISE(ABORT, 'log subjects are only added or erased'); END;
CREATE TRIGGER admin_changes_no_update BEFORE UPDATE ON admin_changes BEGIN SELECT RAISE(ABORT, 'admin changes are immutable'); END;
CREATE TRIGGER admin_changes_no_delete BEFORE DELETE ON admin_changes BEGIN SELECT RAISE(ABORT, 'admin changes are immutable'); END;
