-- SPDX-License-Identifier: Apache-2.0
-- What GDPR Articles 13 and 14 require residents be told about a
-- processing version beyond its other columns: the legitimate interest,
-- third-country transfers, whether providing the data is required and what
-- follows from not providing it, and the logic of automated decisions, as
-- one JSON object (omadata.Transparency). Versions made before hold '{}'.
-- The immutability trigger of 003 compares whole rows, so it covers the
-- new column too.
ALTER TABLE processing_versions ADD COLUMN transparency TEXT NOT NULL DEFAULT '{}';
