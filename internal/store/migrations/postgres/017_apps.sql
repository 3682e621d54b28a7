-- SPDX-License-Identifier: Apache-2.0
-- Residents' own apps (docs/apps.md): the registered OAuth public clients,
-- residents' connections of them, the authorization codes and the tokens
-- issued on a connection, and the DPoP proofs seen (jti replay).
-- Codes and tokens are stored as their SHA-256 hashes only.
CREATE TABLE apps (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL,
	publisher     TEXT NOT NULL,
	redirect_uris TEXT NOT NULL,
	scopes        TEXT NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE app_connections (
	id           TEXT PRIMARY KEY,
	app_id       TEXT NOT NULL REFERENCES apps (id),
	resident_id  TEXT NOT NULL REFERENCES residents (id),
	scopes       TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ,
	ended_at     TIMESTAMPTZ
);
CREATE INDEX app_connections_resident ON app_connections (resident_id, ended_at);

-- A code is one authorization: the tokens issued from it carry its hash,
-- so that a second use of the code revokes them (RFC 6749 §4.1.2).
CREATE TABLE app_codes (
	code_hash      TEXT PRIMARY KEY,
	connection_id  TEXT NOT NULL REFERENCES app_connections (id),
	redirect_uri   TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	dpop_jkt       TEXT NOT NULL,
	scopes         TEXT NOT NULL,
	created_at     TIMESTAMPTZ NOT NULL,
	expires_at     TIMESTAMPTZ NOT NULL,
	used_at        TIMESTAMPTZ
);

-- Access and refresh tokens, bound to a DPoP key (jkt). A rotated refresh
-- token keeps its row with rotated_at set, so that its reuse is seen.
CREATE TABLE app_tokens (
	token_hash    TEXT PRIMARY KEY,
	kind          TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
	connection_id TEXT NOT NULL REFERENCES app_connections (id),
	code_hash     TEXT NOT NULL,
	jkt           TEXT NOT NULL,
	scopes        TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	expires_at    TIMESTAMPTZ NOT NULL,
	rotated_at    TIMESTAMPTZ,
	revoked_at    TIMESTAMPTZ
);
CREATE INDEX app_tokens_connection ON app_tokens (connection_id);
CREATE INDEX app_tokens_code ON app_tokens (code_hash);
