-- SPDX-License-Identifier: Apache-2.0
-- What GDPR Articles 13 and 14 require residents be told about a
-- processing version beyond its other columns: the legitimate interest,
-- third-country transfers, whether providing the data is required and what
-- follows from not providing it, and the logic of automated decisions, as
-- one JSON object (omadata.Transparency). Versions made before hold '{}'.
ALTER TABLE processing_versions ADD COLUMN transparency TEXT NOT NULL DEFAULT '{}';

-- The trigger of 003 lists the columns it compares; this one keeps the new
-- column of published and retired versions as immutable as the rest.
CREATE TRIGGER processing_versions_transparency_immutable BEFORE UPDATE OF transparency ON processing_versions
WHEN OLD.status <> 'draft' AND NEW.transparency <> OLD.transparency
BEGIN
	SELECT RAISE(ABORT, 'published processing versions are immutable');
END;
