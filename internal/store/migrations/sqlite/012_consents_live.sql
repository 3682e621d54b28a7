-- SPDX-License-Identifier: Apache-2.0
-- The partial indexes on live consents, with their condition written as
-- equalities instead of an IN list: SQLite evaluates a partial index's
-- condition on every insert and on every update of the row's status, and
-- an IN list of more than two constants makes it build a temporary table
-- for the list each time the statement runs (two per index on an update).
-- Same rows, same uniqueness; PostgreSQL needs no such change.

DROP INDEX consents_expiry;
CREATE INDEX consents_expiry ON consents (valid_until) WHERE status = 'given' OR status = 'suspended' OR status = 'requested';

DROP INDEX consents_one_live;
CREATE UNIQUE INDEX consents_one_live ON consents (resident_id, processing_id)
	WHERE status = 'requested' OR status = 'given' OR status = 'suspended';
