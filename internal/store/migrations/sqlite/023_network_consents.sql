-- SPDX-License-Identifier: Apache-2.0
-- The consents of a peer's residents to our processings, as their home
-- operator announced them (docs/network.md §5.2): a consent ID belongs to
-- the operator and pairwise pseudonym of its first event, and only they
-- may send its later events.
CREATE TABLE network_consents (
	consent_id  TEXT PRIMARY KEY,
	operator_id TEXT NOT NULL REFERENCES peers (operator_id),
	pseudonym   TEXT NOT NULL,
	created_at  TEXT NOT NULL
);
