-- SPDX-License-Identifier: Apache-2.0
-- Data-subject requests: access, erasure, rectification, restriction and
-- objection, each with an immutable history (request_records, each with its
-- log leaf) and, for erasure and rectification, tasks sent to services.
CREATE TABLE requests (
	id            TEXT PRIMARY KEY,
	resident_id   TEXT NOT NULL REFERENCES residents (id),
	kind          TEXT NOT NULL CHECK (kind IN ('access', 'erasure', 'rectification', 'restriction', 'objection')),
	processing_id TEXT REFERENCES processings (id),
	objection_id  TEXT REFERENCES objections (id),
	status        TEXT NOT NULL CHECK (status IN ('received', 'in_progress', 'completed', 'rejected', 'pending', 'upheld', 'lifted')),
	details       TEXT NOT NULL, -- the resident's words: erased with them
	resolution    TEXT NOT NULL,
	due_at        TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);
CREATE INDEX requests_resident ON requests (resident_id, id);

-- The history of a request. No free text: the leaf commits to every column.
CREATE TABLE request_records (
	id         TEXT PRIMARY KEY,
	request_id TEXT NOT NULL REFERENCES requests (id),
	seq        INTEGER NOT NULL,
	status     TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor_id   TEXT NOT NULL,
	task_id    TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (request_id, seq)
);

-- What each service must do. The pseudonym is kept only while the task is
-- open: the service needs it to find the resident.
CREATE TABLE request_tasks (
	id           TEXT PRIMARY KEY,
	request_id   TEXT NOT NULL REFERENCES requests (id),
	service_id   TEXT NOT NULL REFERENCES services (id),
	role         TEXT NOT NULL CHECK (role IN ('source', 'sink')),
	pseudonym    TEXT NOT NULL,
	details      TEXT NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('open', 'completed', 'rejected')),
	note         TEXT NOT NULL,
	due_at       TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	completed_at TEXT
);
CREATE INDEX request_tasks_service ON request_tasks (service_id, id);
CREATE INDEX request_tasks_request ON request_tasks (request_id);

ALTER TABLE residents ADD COLUMN erased_at TEXT;

CREATE TRIGGER request_records_no_update BEFORE UPDATE ON request_records BEGIN SELECT RAISE(ABORT, 'request records are immutable'); END;
CREATE TRIGGER request_records_no_delete BEFORE DELETE ON request_records BEGIN SELECT RAISE(ABORT, 'request records are immutable'); END;

-- Erasure redacts the receipts of the resident's consent records (they name
-- the sink's pseudonym). Receipts are outside the chain hash, so this one
-- update, to the fixed marker with every other column unchanged, is allowed.
DROP TRIGGER consent_records_no_update;
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
WHEN NOT (NEW.receipt = 'redacted:erased'
	AND NEW.id IS OLD.id AND NEW.consent_id IS OLD.consent_id AND NEW.seq IS OLD.seq AND NEW.status IS OLD.status
	AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash AND NEW.actor_kind IS OLD.actor_kind
	AND NEW.actor_id IS OLD.actor_id AND NEW.actor_role IS OLD.actor_role AND NEW.subject_id IS OLD.subject_id
	AND NEW.notice_sha256 IS OLD.notice_sha256 AND NEW.notice_language IS OLD.notice_language
	AND NEW.collection_method IS OLD.collection_method AND NEW.valid_from IS OLD.valid_from
	AND NEW.valid_until IS OLD.valid_until AND NEW.reason IS OLD.reason AND NEW.created_at IS OLD.created_at)
BEGIN
	SELECT RAISE(ABORT, 'consent records are immutable');
END;
