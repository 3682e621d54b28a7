-- SPDX-License-Identifier: Apache-2.0
-- The catalogue: organisations, services, credentials, purposes, data groups,
-- processings with versions and notices, the AI system register, signing keys.
-- Times are RFC 3339 UTC text with microseconds, fixed width so they sort.
-- Localised texts and lists are JSON text.

CREATE TABLE organisations (
	id                 TEXT PRIMARY KEY,
	kind               TEXT NOT NULL,
	name               TEXT NOT NULL,
	business_id        TEXT,
	parent_id          TEXT REFERENCES organisations (id),
	email              TEXT NOT NULL,
	phone              TEXT NOT NULL DEFAULT '',
	address            TEXT NOT NULL,
	website            TEXT NOT NULL DEFAULT '',
	privacy_policy_url TEXT NOT NULL,
	dpo                TEXT NOT NULL,
	created_at         TEXT NOT NULL,
	updated_at         TEXT NOT NULL
);
-- Divisions share their city's business ID; everyone else is unique.
CREATE UNIQUE INDEX organisations_business_id ON organisations (business_id) WHERE kind <> 'division';

CREATE TABLE services (
	id              TEXT PRIMARY KEY,
	organisation_id TEXT NOT NULL REFERENCES organisations (id),
	name            TEXT NOT NULL,
	description     TEXT NOT NULL,
	roles           TEXT NOT NULL,
	endpoints       TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'suspended')),
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
CREATE INDEX services_organisation ON services (organisation_id);

CREATE TABLE credentials (
	id         TEXT PRIMARY KEY,
	service_id TEXT NOT NULL REFERENCES services (id),
	name       TEXT NOT NULL,
	scopes     TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	expires_at TEXT,
	revoked_at TEXT
);
CREATE INDEX credentials_service ON credentials (service_id);

CREATE TABLE admin_tokens (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	revoked_at TEXT
);

CREATE TABLE purposes (
	id               TEXT PRIMARY KEY,
	code             TEXT NOT NULL UNIQUE,
	name             TEXT NOT NULL,
	description      TEXT NOT NULL,
	dpv_purposes     TEXT NOT NULL,
	kantara_category TEXT NOT NULL DEFAULT '',
	legal_bases      TEXT NOT NULL,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL
);

CREATE TABLE data_groups (
	id                       TEXT PRIMARY KEY,
	service_id               TEXT NOT NULL REFERENCES services (id),
	code                     TEXT NOT NULL,
	name                     TEXT NOT NULL,
	description              TEXT NOT NULL,
	special_category         INTEGER NOT NULL,
	personal_data_categories TEXT NOT NULL,
	retention                TEXT NOT NULL,
	created_at               TEXT NOT NULL,
	updated_at               TEXT NOT NULL,
	UNIQUE (service_id, code)
);

CREATE TABLE processings (
	id         TEXT PRIMARY KEY,
	service_id TEXT NOT NULL REFERENCES services (id),
	code       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (service_id, code)
);

CREATE TABLE processing_versions (
	id                  TEXT PRIMARY KEY,
	processing_id       TEXT NOT NULL REFERENCES processings (id),
	version             INTEGER NOT NULL,
	status              TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
	title               TEXT NOT NULL,
	description         TEXT NOT NULL,
	purpose_id          TEXT NOT NULL REFERENCES purposes (id),
	legal_basis         TEXT NOT NULL,
	art9_condition      TEXT NOT NULL DEFAULT '',
	legal_basis_note    TEXT NOT NULL DEFAULT '',
	retention           TEXT NOT NULL,
	recipients          TEXT NOT NULL,
	automated_decisions INTEGER NOT NULL,
	compatible          INTEGER NOT NULL,
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL,
	published_at        TEXT,
	retired_at          TEXT,
	UNIQUE (processing_id, version)
);
-- At most one published and one draft version per processing.
CREATE UNIQUE INDEX processing_versions_published ON processing_versions (processing_id) WHERE status = 'published';
CREATE UNIQUE INDEX processing_versions_draft ON processing_versions (processing_id) WHERE status = 'draft';

CREATE TABLE processing_version_data_groups (
	version_id    TEXT NOT NULL REFERENCES processing_versions (id),
	data_group_id TEXT NOT NULL REFERENCES data_groups (id),
	position      INTEGER NOT NULL,
	PRIMARY KEY (version_id, data_group_id)
);
CREATE INDEX processing_version_data_groups_group ON processing_version_data_groups (data_group_id);

CREATE TABLE notices (
	version_id TEXT NOT NULL REFERENCES processing_versions (id),
	language   TEXT NOT NULL,
	title      TEXT NOT NULL,
	body       TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (version_id, language)
);

CREATE TABLE ai_systems (
	id              TEXT PRIMARY KEY,
	organisation_id TEXT NOT NULL REFERENCES organisations (id),
	name            TEXT NOT NULL,
	description     TEXT NOT NULL,
	purpose         TEXT NOT NULL,
	legal_basis     TEXT NOT NULL,
	human_oversight TEXT NOT NULL,
	risk_level      TEXT NOT NULL,
	status          TEXT NOT NULL,
	contact         TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);

CREATE TABLE ai_system_processings (
	ai_system_id  TEXT NOT NULL REFERENCES ai_systems (id),
	processing_id TEXT NOT NULL REFERENCES processings (id),
	position      INTEGER NOT NULL,
	PRIMARY KEY (ai_system_id, processing_id)
);

CREATE TABLE ai_system_data_groups (
	ai_system_id  TEXT NOT NULL REFERENCES ai_systems (id),
	data_group_id TEXT NOT NULL REFERENCES data_groups (id),
	position      INTEGER NOT NULL,
	PRIMARY KEY (ai_system_id, data_group_id)
);

-- Operator signing keys. Private keys are sealed with the operator's secret
-- key (AES-256-GCM); retired keys stay so old signatures still verify.
CREATE TABLE signing_keys (
	id          TEXT PRIMARY KEY,
	purpose     TEXT NOT NULL,
	alg         TEXT NOT NULL,
	public_jwk  TEXT NOT NULL,
	private_key TEXT NOT NULL,
	status      TEXT NOT NULL CHECK (status IN ('active', 'retired')),
	created_at  TEXT NOT NULL,
	retired_at  TEXT
);
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (purpose) WHERE status = 'active';
