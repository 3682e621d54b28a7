-- SPDX-License-Identifier: Apache-2.0
-- Residents, representation, consents with their record chains, decisions,
-- grants, transfers and the webhook outbox.

-- The identity code is never a key: residents are found by a keyed hash of
-- it (blind index) and it is kept only sealed, to show the resident.
CREATE TABLE residents (
	id              TEXT PRIMARY KEY,
	identity_hash   TEXT NOT NULL UNIQUE,
	identity_sealed TEXT NOT NULL,
	name_sealed     TEXT NOT NULL DEFAULT '',
	birth_date      TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);

-- Earlier identity codes of re-keyed residents, as keyed hashes.
CREATE TABLE resident_identity_history (
	resident_id   TEXT NOT NULL REFERENCES residents (id),
	identity_hash TEXT NOT NULL,
	replaced_at   TEXT NOT NULL
);

-- Each service knows a resident only by its own pairwise pseudonym.
CREATE TABLE pseudonyms (
	service_id  TEXT NOT NULL REFERENCES services (id),
	resident_id TEXT NOT NULL REFERENCES residents (id),
	pseudonym   TEXT NOT NULL UNIQUE,
	created_at  TEXT NOT NULL,
	PRIMARY KEY (service_id, resident_id)
);

CREATE TABLE sessions (
	id          TEXT PRIMARY KEY,
	resident_id TEXT NOT NULL REFERENCES residents (id),
	token_hash  TEXT NOT NULL UNIQUE,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	ended_at    TEXT
);

CREATE TABLE representations (
	id                TEXT PRIMARY KEY,
	kind              TEXT NOT NULL CHECK (kind IN ('guardian', 'mandate')),
	representative_id TEXT NOT NULL REFERENCES residents (id),
	principal_id      TEXT NOT NULL REFERENCES residents (id),
	scope             TEXT NOT NULL,
	basis             TEXT NOT NULL,
	valid_from        TEXT NOT NULL,
	valid_until       TEXT,
	ended_at          TEXT,
	created_at        TEXT NOT NULL
);
CREATE INDEX representations_representative ON representations (representative_id);
CREATE INDEX representations_principal ON representations (principal_id);

CREATE TABLE consents (
	id            TEXT PRIMARY KEY,
	resident_id   TEXT NOT NULL REFERENCES residents (id),
	processing_id TEXT NOT NULL REFERENCES processings (id),
	version_id    TEXT NOT NULL REFERENCES processing_versions (id),
	sink_id       TEXT NOT NULL REFERENCES services (id),
	source_ids    TEXT NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('requested', 'given', 'refused', 'suspended', 'withdrawn', 'revoked', 'expired')),
	valid_from    TEXT,
	valid_until   TEXT,
	last_hash     TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);
-- Decisions look consents up by resident and processing.
CREATE INDEX consents_resident_processing ON consents (resident_id, processing_id, status);
CREATE INDEX consents_processing ON consents (processing_id, status);
CREATE INDEX consents_expiry ON consents (valid_until) WHERE status IN ('given', 'suspended', 'requested');

-- Status records: append-only, each hash chained to the one before.
CREATE TABLE consent_records (
	id                TEXT PRIMARY KEY,
	consent_id        TEXT NOT NULL REFERENCES consents (id),
	seq               INTEGER NOT NULL,
	status            TEXT NOT NULL,
	prev_hash         TEXT NOT NULL,
	hash              TEXT NOT NULL,
	actor_kind        TEXT NOT NULL,
	actor_id          TEXT NOT NULL,
	actor_role        TEXT NOT NULL,
	subject_id        TEXT NOT NULL,
	notice_sha256     TEXT NOT NULL,
	notice_language   TEXT NOT NULL,
	collection_method TEXT NOT NULL,
	valid_from        TEXT,
	valid_until       TEXT,
	reason            TEXT NOT NULL,
	receipt           TEXT NOT NULL,
	created_at        TEXT NOT NULL,
	UNIQUE (consent_id, seq)
);

-- Objections and restrictions block non-consent processing while pending
-- or upheld (data-subject requests write them).
CREATE TABLE objections (
	id            TEXT PRIMARY KEY,
	resident_id   TEXT NOT NULL REFERENCES residents (id),
	processing_id TEXT NOT NULL REFERENCES processings (id),
	kind          TEXT NOT NULL CHECK (kind IN ('objection', 'restriction')),
	status        TEXT NOT NULL CHECK (status IN ('pending', 'upheld', 'rejected', 'lifted')),
	created_at    TEXT NOT NULL,
	resolved_at   TEXT
);
CREATE INDEX objections_resident_processing ON objections (resident_id, processing_id);

-- Evidence of every decision, written before the answer.
CREATE TABLE decisions (
	id             TEXT PRIMARY KEY,
	decided_at     TEXT NOT NULL,
	caller_id      TEXT NOT NULL,
	sink_id        TEXT NOT NULL,
	source_id      TEXT NOT NULL,
	resident_id    TEXT NOT NULL,
	purpose_id     TEXT NOT NULL,
	data_group_ids TEXT NOT NULL,
	processing_id  TEXT NOT NULL,
	version_id     TEXT NOT NULL,
	permit         INTEGER NOT NULL,
	consent_id     TEXT NOT NULL,
	legal_basis    TEXT NOT NULL,
	reason         TEXT NOT NULL
);
CREATE INDEX decisions_resident ON decisions (resident_id, decided_at);

CREATE TABLE grants (
	id             TEXT PRIMARY KEY,
	decision_id    TEXT NOT NULL REFERENCES decisions (id),
	sink_id        TEXT NOT NULL REFERENCES services (id),
	source_id      TEXT NOT NULL REFERENCES services (id),
	resident_id    TEXT NOT NULL REFERENCES residents (id),
	processing_id  TEXT NOT NULL,
	purpose_id     TEXT NOT NULL,
	data_group_ids TEXT NOT NULL,
	consent_id     TEXT NOT NULL,
	jkt            TEXT NOT NULL,
	issued_at      TEXT NOT NULL,
	expires_at     TEXT NOT NULL,
	revoked_at     TEXT
);

CREATE TABLE transfers (
	id                  TEXT PRIMARY KEY,
	grant_id            TEXT NOT NULL REFERENCES grants (id),
	decision_id         TEXT NOT NULL REFERENCES decisions (id),
	sink_id             TEXT NOT NULL,
	source_id           TEXT NOT NULL,
	resident_id         TEXT NOT NULL,
	data_group_ids      TEXT NOT NULL,
	x_road_id           TEXT NOT NULL,
	x_road_request_hash TEXT NOT NULL,
	transferred_at      TEXT NOT NULL
);
CREATE INDEX transfers_resident ON transfers (resident_id, transferred_at);

-- Webhook signing secrets, sealed, one per service endpoint.
CREATE TABLE webhook_secrets (
	service_id    TEXT PRIMARY KEY REFERENCES services (id),
	secret_sealed TEXT NOT NULL,
	created_at    TEXT NOT NULL
);

-- The outbox: one row per event per recipient, written in the transaction
-- of the change; the deliverer sends them.
CREATE TABLE outbox (
	id              TEXT PRIMARY KEY,
	service_id      TEXT NOT NULL REFERENCES services (id),
	type            TEXT NOT NULL,
	payload         TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts        INTEGER NOT NULL,
	next_attempt_at TEXT NOT NULL,
	locked_until    TEXT,
	last_status     INTEGER NOT NULL,
	last_error      TEXT NOT NULL,
	delivered_at    TEXT,
	created_at      TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_service ON outbox (service_id, id);

CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN
	SELECT RAISE(ABORT, 'consent records are immutable');
END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN
	SELECT RAISE(ABORT, 'consent records are immutable');
END;
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN
	SELECT RAISE(ABORT, 'decision evidence is immutable');
END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN
	SELECT RAISE(ABORT, 'decision evidence is immutable');
END;
CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN
	SELECT RAISE(ABORT, 'transfer records are immutable');
END;
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN
	SELECT RAISE(ABORT, 'transfer records are immutable');
END;
