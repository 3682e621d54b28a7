-- SPDX-License-Identifier: Apache-2.0
-- A counter of changes to what a credential check reads: credentials
-- (created, revoked, any change) and services (suspended, moved to another
-- organisation, any change). Every change bumps it in the same
-- transaction, by trigger, so that no write path can forget to. A process
-- keeps the callers of tokens it has checked in memory, each with the
-- count it was checked at, and serves one only while the database's count
-- is still the same: a credential revoked or a service suspended through
-- any process fails on the next call to every process sharing the
-- database (docs/authorization.md).

CREATE TABLE credential_version (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  BIGINT NOT NULL
);
INSERT INTO credential_version (id, n) VALUES (1, 1);

CREATE FUNCTION credential_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE credential_version SET n = n + 1;
	RETURN NULL;
END;
$$;

CREATE TRIGGER credentials_version AFTER INSERT OR UPDATE OR DELETE ON credentials
	FOR EACH STATEMENT EXECUTE FUNCTION credential_changed();

CREATE TRIGGER services_credential_version AFTER UPDATE OR DELETE ON services
	FOR EACH STATEMENT EXECUTE FUNCTION credential_changed();
