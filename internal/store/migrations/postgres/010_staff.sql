-- SPDX-License-Identifier: Apache-2.0
-- The staff of the admin console and their sessions. A staff member is
-- found by the blind index of the identity code their OpenID provider
-- verified; the code itself is not stored.
CREATE TABLE staff (
	id              TEXT PRIMARY KEY,
	identity_hash   TEXT NOT NULL UNIQUE,
	name            TEXT NOT NULL,
	role            TEXT NOT NULL CHECK (role IN ('operator_admin', 'organisation_admin', 'auditor')),
	organisation_id TEXT REFERENCES organisations (id),
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	CHECK ((role = 'organisation_admin') = (organisation_id IS NOT NULL))
);

CREATE TABLE staff_sessions (
	id         TEXT PRIMARY KEY,
	staff_id   TEXT NOT NULL REFERENCES staff (id),
	token_hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	ended_at   TIMESTAMPTZ
);
