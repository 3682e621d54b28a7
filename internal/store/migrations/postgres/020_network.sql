-- SPDX-License-Identifier: Apache-2.0
-- The operator network (docs/network.md). Peers are other operators as
-- this one last resolved them through the network's trust anchor; their
-- catalogues are mirrored into the catalogue tables with the peer's
-- operator ID on the organisation and service rows (NULL: this
-- operator's own). A resident known only through a peer (a resident of
-- the peer who consented to a processing of our sink) has a row of their
-- own with the peer as home operator, and no identity code.
CREATE TABLE peers (
	operator_id          TEXT PRIMARY KEY,
	name                 TEXT NOT NULL,          -- JSON Text
	metadata             TEXT NOT NULL,          -- JSON omadata.OperatorMetadata after policy
	rulebook_version     INTEGER NOT NULL,
	jwks                 TEXT NOT NULL,          -- JSON JWK set of the anchor's subordinate statement
	chain_expires_at     TIMESTAMPTZ NOT NULL,          -- the resolved chain is believed until then
	catalogue_etag       TEXT NOT NULL DEFAULT '',
	catalogue_expires_at TIMESTAMPTZ,
	updated_at           TIMESTAMPTZ NOT NULL
);

ALTER TABLE organisations ADD COLUMN operator_id TEXT REFERENCES peers (operator_id);
ALTER TABLE services ADD COLUMN operator_id TEXT REFERENCES peers (operator_id);
ALTER TABLE residents ADD COLUMN home_operator_id TEXT REFERENCES peers (operator_id);
CREATE INDEX services_operator ON services (operator_id);

-- Pairwise pseudonyms between this operator and a peer: for our own
-- residents, those we issued to the peer; for a peer's resident, the one
-- the peer (their home operator) issued to us.
CREATE TABLE peer_pseudonyms (
	operator_id TEXT NOT NULL REFERENCES peers (operator_id),
	resident_id TEXT NOT NULL REFERENCES residents (id),
	pseudonym   TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (operator_id, resident_id),
	UNIQUE (operator_id, pseudonym)
);

-- Requests of our sinks relayed to a resident's home operator, with the
-- home operator's signed answer kept as evidence.
CREATE TABLE network_relays (
	id             TEXT PRIMARY KEY,
	operator_id    TEXT NOT NULL REFERENCES peers (operator_id),
	kind           TEXT NOT NULL CHECK (kind IN ('decision', 'grant')),
	sink_id        TEXT NOT NULL REFERENCES services (id),
	source_id      TEXT NOT NULL REFERENCES services (id),
	resident_id    TEXT NOT NULL REFERENCES residents (id),
	purpose_id     TEXT NOT NULL,
	data_group_ids TEXT NOT NULL,
	decision       TEXT NOT NULL,          -- permit or deny, as answered
	reason         TEXT NOT NULL DEFAULT '',
	peer_record    TEXT NOT NULL DEFAULT '', -- the home operator's decision or grant ID
	answer         TEXT NOT NULL,          -- the answer JWS, verbatim
	created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX network_relays_resident ON network_relays (resident_id, created_at);

-- A peer's signed request behind a decision or grant of ours: the
-- RFC 9421 signature and the body it covers, kept as evidence.
CREATE TABLE network_requests (
	record_id       TEXT PRIMARY KEY,       -- our decision or grant ID
	operator_id     TEXT NOT NULL REFERENCES peers (operator_id),
	relay_id        TEXT NOT NULL,          -- the peer's record
	signature_input TEXT NOT NULL,
	signature       TEXT NOT NULL,
	body            TEXT NOT NULL,
	created_at      TIMESTAMPTZ NOT NULL
);

-- Messages to peers (consent events), delivered with retries.
CREATE TABLE network_outbox (
	id              TEXT PRIMARY KEY,
	operator_id     TEXT NOT NULL REFERENCES peers (operator_id),
	kind            TEXT NOT NULL,
	body            TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMPTZ NOT NULL,
	delivered_at    TIMESTAMPTZ,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX network_outbox_due ON network_outbox (next_attempt_at) WHERE delivered_at IS NULL;

-- Messages received from peers, by their idempotency key.
CREATE TABLE network_inbox (
	id          TEXT NOT NULL,
	operator_id TEXT NOT NULL REFERENCES peers (operator_id),
	received_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (operator_id, id)
);
