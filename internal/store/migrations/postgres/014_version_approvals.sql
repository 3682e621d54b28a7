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
	created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX processing_version_approvals_version ON processing_version_approvals (version_id, created_at);

CREATE FUNCTION approvals_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'approvals are immutable';
END $$;
CREATE TRIGGER processing_version_approvals_immutable BEFORE UPDATE OR DELETE ON processing_version_approvals
	FOR EACH ROW EXECUTE FUNCTION approvals_immutable();

-- Decisions read approvals: an approval is a catalogue change (009).
CREATE TRIGGER processing_version_approvals_catalogue AFTER INSERT ON processing_version_approvals
	FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
