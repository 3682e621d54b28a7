-- SPDX-License-Identifier: Apache-2.0
-- A counter of catalogue changes. Every change to a table a decision reads
-- besides the resident's own rows (services, data groups, processings,
-- their versions and data groups) bumps it in the same transaction, by
-- trigger, so that no write path can forget to. A decision reads it in the
-- statement that reads the consent, and uses its in-memory copy of the
-- catalogue only when that copy is of the same count: a suspended service
-- or a retired processing takes effect on the next decision of every
-- process sharing the database.

CREATE TABLE catalogue_version (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  BIGINT NOT NULL
);
INSERT INTO catalogue_version (id, n) VALUES (1, 1);

CREATE TRIGGER services_catalogue_insert AFTER INSERT ON services
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER services_catalogue_update AFTER UPDATE ON services
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER services_catalogue_delete AFTER DELETE ON services
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER data_groups_catalogue_insert AFTER INSERT ON data_groups
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER data_groups_catalogue_update AFTER UPDATE ON data_groups
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER data_groups_catalogue_delete AFTER DELETE ON data_groups
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processings_catalogue_insert AFTER INSERT ON processings
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processings_catalogue_update AFTER UPDATE ON processings
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processings_catalogue_delete AFTER DELETE ON processings
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processing_versions_catalogue_insert AFTER INSERT ON processing_versions
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processing_versions_catalogue_update AFTER UPDATE ON processing_versions
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processing_versions_catalogue_delete AFTER DELETE ON processing_versions
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processing_version_data_groups_catalogue_insert AFTER INSERT ON processing_version_data_groups
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processing_version_data_groups_catalogue_update AFTER UPDATE ON processing_version_data_groups
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;

CREATE TRIGGER processing_version_data_groups_catalogue_delete AFTER DELETE ON processing_version_data_groups
BEGIN
	UPDATE catalogue_version SET n = n + 1;
END;
