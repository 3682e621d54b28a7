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
	due_at        TIMESTAMPTZ NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
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
	created_at TIMESTAMPTZ NOT NULL,
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
	due_at       TIMESTAMPTZ NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	completed_at TIMESTAMPTZ
);
CREATE INDEX request_tasks_service ON request_tasks (service_id, id);
CREATE INDEX request_tasks_request ON request_tasks (request_id);

ALTER TABLE residents ADD COLUMN erased_at TIMESTAMPTZ;

CREATE TRIGGER request_records_append_only BEFORE UPDATE OR DELETE ON request_records
FOR EACH ROW EXECUTE FUNCTION append_only();

-- Erasure redacts the receipts of the resident's consent records (they name
-- the sink's pseudonym). Receipts are outside the chain hash, so this one
-- update, to the fixed marker with every other column unchanged, is allowed.
CREATE FUNCTION consent_records_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.receipt = 'redacted:erased'
		AND (to_jsonb(NEW) - 'receipt') = (to_jsonb(OLD) - 'receipt') THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'consent_records is append-only';
END $$;
DROP TRIGGER consent_records_append_only ON consent_records;
CREATE TRIGGER consent_records_immutable BEFORE UPDATE OR DELETE ON consent_records
FOR EACH ROW EXECUTE FUNCTION consent_records_immutable();
