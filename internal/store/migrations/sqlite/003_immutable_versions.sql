-- SPDX-License-Identifier: Apache-2.0
-- Published and retired processing versions are immutable in the database
-- too, not only in the store code: consents and receipts point at them, and
-- notices are proven by their hash. The only change allowed is retiring a
-- published version.

CREATE TRIGGER processing_versions_immutable BEFORE UPDATE ON processing_versions
WHEN OLD.status <> 'draft' AND NOT (
	OLD.status = 'published' AND NEW.status = 'retired'
	AND NEW.id = OLD.id AND NEW.processing_id = OLD.processing_id AND NEW.version = OLD.version
	AND NEW.title = OLD.title AND NEW.description = OLD.description AND NEW.purpose_id = OLD.purpose_id
	AND NEW.legal_basis = OLD.legal_basis AND NEW.art9_condition = OLD.art9_condition
	AND NEW.legal_basis_note = OLD.legal_basis_note AND NEW.retention = OLD.retention
	AND NEW.recipients = OLD.recipients AND NEW.automated_decisions = OLD.automated_decisions
	AND NEW.compatible = OLD.compatible AND NEW.published_at IS OLD.published_at
)
BEGIN
	SELECT RAISE(ABORT, 'published processing versions are immutable');
END;

CREATE TRIGGER processing_versions_no_delete BEFORE DELETE ON processing_versions
WHEN OLD.status <> 'draft'
BEGIN
	SELECT RAISE(ABORT, 'published processing versions are immutable');
END;

CREATE TRIGGER notices_immutable_insert BEFORE INSERT ON notices
WHEN (SELECT status FROM processing_versions WHERE id = NEW.version_id) <> 'draft'
BEGIN
	SELECT RAISE(ABORT, 'notices of published processing versions are immutable');
END;

CREATE TRIGGER notices_immutable_update BEFORE UPDATE ON notices
WHEN (SELECT status FROM processing_versions WHERE id = OLD.version_id) <> 'draft'
BEGIN
	SELECT RAISE(ABORT, 'notices of published processing versions are immutable');
END;

CREATE TRIGGER notices_immutable_delete BEFORE DELETE ON notices
WHEN (SELECT status FROM processing_versions WHERE id = OLD.version_id) <> 'draft'
BEGIN
	SELECT RAISE(ABORT, 'notices of published processing versions are immutable');
END;

CREATE TRIGGER version_groups_immutable_insert BEFORE INSERT ON processing_version_data_groups
WHEN (SELECT status FROM processing_versions WHERE id = NEW.version_id) <> 'draft'
BEGIN
	SELECT RAISE(ABORT, 'data groups of published processing versions are immutable');
END;

CREATE TRIGGER version_groups_immutable_delete BEFORE DELETE ON processing_version_data_groups
WHEN (SELECT status FROM processing_versions WHERE id = OLD.version_id) <> 'draft'
BEGIN
	SELECT RAISE(ABORT, 'data groups of published processing versions are immutable');
END;
