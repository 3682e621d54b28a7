-- SPDX-License-Identifier: Apache-2.0
-- Approvals of processing versions on a basis other than consent: who
-- approved which version, when, and the digest of the content they saw.
-- A version is published, and decisions permit under it, only with an
-- approval whose digest matches its content. Approvals are never changed
-- or removed; a changed draft needs a new one.
CREATE TABLE processing_version_approvals (
	id             TEXT PRIMARY KEY,
	version_id     TEXT NOT NULL REFERENCES processing_versions (id),
	content_sha256 TEXT NOT NULL,
	actor_id       TEXT NOT NULL,
	change_id      TEXT NOT NULL REFERENCES admin_changes (id),
	created_at     TEXT NOT NULL
);
CREATE INDEX processing_version_approvals_version ON processing_version_approvals (version_id, created_at);

CREATE TRIGGER processing_version_approvals_no_update BEFORE UPDATE ON processing_version_approvals
BEGIN SELECT RAISE(ABORT, 'approvals are immutable'); END;
CREATE TRIGGER processing_version_approvals_no_delete BEFORE DELETE ON processing_version_approvals
BEGIN SELECT RAISE(ABORT, 'approvals are immutable'); END;

-- Decisions read approvals: an approval is a catalogue change (009).
CREATE TRIGGER processing_version_approvals_catalogue_insert AFTER INSERT ON processing_version_approvals
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;
