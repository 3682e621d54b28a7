-- SPDX-License-Identifier: Apache-2.0
-- Status conditions written as equalities instead of IN lists. SQLite
-- evaluates an IN list of more than two constants by building a temporary
-- table for it, anew each time the statement runs: every consent insert
-- and status update built up to five (the status CHECK, and the condition
-- of both partial indexes on live consents for the old and the new row),
-- every outbox insert one. The rows and what they may hold stay the same;
-- PostgreSQL needs no such change.
--
-- The CHECK constraints are changed in place, as SQLite documents for
-- changing a CHECK constraint (lang_altertable.html, "Making Other Kinds
-- Of Table Schema Changes"): the new condition accepts exactly the rows
-- the old one did, so the stored rows need no change. writable_schema=RESET
-- makes this connection read the schema again; the index changes below
-- bump the schema version, so that other connections read it again too.

PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
	'CHECK (status IN (''requested'', ''given'', ''refused'', ''suspended'', ''withdrawn'', ''revoked'', ''expired''))',
	'CHECK (status = ''requested'' OR status = ''given'' OR status = ''refused'' OR status = ''suspended'' OR status = ''withdrawn'' OR status = ''revoked'' OR status = ''expired'')')
	WHERE type = 'table' AND name = 'consents';
UPDATE sqlite_schema SET sql = replace(sql,
	'CHECK (status IN (''pending'', ''delivered'', ''dead''))',
	'CHECK (status = ''pending'' OR status = ''delivered'' OR status = ''dead'')')
	WHERE type = 'table' AND name = 'outbox';
PRAGMA writable_schema = RESET;

DROP INDEX consents_expiry;
CREATE INDEX consents_expiry ON consents (valid_until) WHERE status = 'given' OR status = 'suspended' OR status = 'requested';

DROP INDEX consents_one_live;
CREATE UNIQUE INDEX consents_one_live ON consents (resident_id, processing_id)
	WHERE status = 'requested' OR status = 'given' OR status = 'suspended';
