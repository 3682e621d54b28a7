-- SPDX-License-Identifier: Apache-2.0
-- Witnessed logs (docs/witnessing.md). As a witness: the logs this
-- operator witnesses, each with the latest checkpoint it cosigned, which
-- AdvanceWitness moves by compare-and-swap; and fork evidence, kept
-- forever. As a log: the cosignatures collected for its own checkpoints
-- and what it knows of each witness.
CREATE TABLE witness_logs (
	origin        TEXT PRIMARY KEY,
	verifier_keys TEXT NOT NULL,             -- JSON array of signed-note verifier keys
	source        TEXT NOT NULL,             -- peer, admin
	operator_id   TEXT NOT NULL DEFAULT '',  -- for a peer
	label         TEXT NOT NULL DEFAULT '',
	active        INTEGER NOT NULL,
	forked        INTEGER NOT NULL DEFAULT 0,
	size          BIGINT NOT NULL DEFAULT 0, -- latest cosigned checkpoint: 0 and '' when none
	root_hash     TEXT NOT NULL DEFAULT '',
	checkpoint    TEXT NOT NULL DEFAULT '',
	cosigned_at   TEXT,
	updated_at    TEXT NOT NULL
);

CREATE TABLE witness_forks (
	id          TEXT PRIMARY KEY,
	origin      TEXT NOT NULL REFERENCES witness_logs (origin),
	seen        TEXT NOT NULL,          -- add_checkpoint, peer_record
	known       TEXT NOT NULL,          -- the checkpoint cosigned before, verbatim
	conflicting TEXT NOT NULL,          -- the other one, verbatim
	proof       TEXT NOT NULL,          -- JSON array of base64 hashes
	detected_at TEXT NOT NULL,
	resolved_at TEXT,
	resolved_by TEXT NOT NULL DEFAULT '',
	resolution  TEXT NOT NULL DEFAULT '', -- old, new
	reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX witness_forks_origin ON witness_forks (origin, detected_at);
CREATE TRIGGER witness_forks_no_delete BEFORE DELETE ON witness_forks BEGIN SELECT RAISE(ABORT, 'fork evidence is kept'); END;
CREATE TRIGGER witness_forks_evidence BEFORE UPDATE OF id, origin, seen, known, conflicting, proof, detected_at ON witness_forks
	BEGIN SELECT RAISE(ABORT, 'fork evidence is kept'); END;
CREATE TRIGGER witness_forks_resolved_once BEFORE UPDATE ON witness_forks WHEN OLD.resolved_at IS NOT NULL
	BEGIN SELECT RAISE(ABORT, 'a fork is resolved once'); END;

CREATE TABLE log_cosignatures (
	size        BIGINT NOT NULL,  -- of the own checkpoint cosigned
	witness     TEXT NOT NULL,    -- the witness's name
	key_hash    BIGINT NOT NULL,
	signed_at   TEXT NOT NULL,    -- the cosignature's timestamp
	line        TEXT NOT NULL,    -- the note signature line, verbatim
	received_at TEXT NOT NULL,
	PRIMARY KEY (size, witness)
);

CREATE TABLE log_witness_progress (
	witness     TEXT PRIMARY KEY,
	size        BIGINT NOT NULL,
	cosigned_at TEXT,
	last_error  TEXT NOT NULL DEFAULT '',
	tried_at    TEXT
);

-- The network's witnesses of the own log as last known (docs/witnessing.md
-- §3): the members' and the trust anchor's, kept across restarts so that
-- an anchor that cannot be reached shrinks no policy. Replaced whole by
-- the witness log sync; a witness leaves only when the anchor says so.
CREATE TABLE network_witnesses (
	name         TEXT PRIMARY KEY,         -- the witness's key name
	position     INTEGER NOT NULL,         -- the order of docs/witnessing.md §3
	verifier_key TEXT NOT NULL,            -- cosignature/v1 verifier key
	url          TEXT NOT NULL,            -- the submission prefix
	label        TEXT NOT NULL,            -- JSON {fi, sv, en}
	operator_id  TEXT NOT NULL DEFAULT '', -- the member's; '' for the trust anchor's
	updated_at   TEXT NOT NULL
);

-- The checkpoint of a size (CheckpointAt: the collector, the published checkpoints).
CREATE INDEX log_checkpoints_size ON log_checkpoints (size);
