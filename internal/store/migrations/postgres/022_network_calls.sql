-- SPDX-License-Identifier: Apache-2.0
-- The signed messages of a call between operators, kept once for all the
-- records of the call (a batch of 100 questions is one call, docs/
-- network.md §5.3): at the home operator the peer's signed request (the
-- covered components, the signature and the body), at the sink's
-- operator the home operator's signed answer (the JWS). The records
-- (network_requests, network_relays) reference their call.
CREATE TABLE network_calls (
	id              TEXT PRIMARY KEY,
	operator_id     TEXT NOT NULL REFERENCES peers (operator_id), -- the other operator
	method          TEXT NOT NULL DEFAULT '',   -- a request's @method,
	target_uri      TEXT NOT NULL DEFAULT '',   -- its @target-uri,
	content_digest  TEXT NOT NULL DEFAULT '',   -- its Content-Digest field,
	signature_input TEXT NOT NULL DEFAULT '',   -- its Signature-Input and
	signature       TEXT NOT NULL DEFAULT '',   -- Signature fields ('' for an answer)
	body            TEXT NOT NULL,              -- the request body, or the answer JWS, verbatim
	created_at      TIMESTAMPTZ NOT NULL
);

-- The records kept before: each its own call (its ID the record's).
INSERT INTO network_calls (id, operator_id, signature_input, signature, body, created_at)
	SELECT record_id, operator_id, signature_input, signature, body, created_at FROM network_requests;
INSERT INTO network_calls (id, operator_id, body, created_at)
	SELECT id, operator_id, answer, created_at FROM network_relays;

ALTER TABLE network_requests ADD COLUMN call_id TEXT REFERENCES network_calls (id);
UPDATE network_requests SET call_id = record_id;
ALTER TABLE network_requests DROP COLUMN signature_input;
ALTER TABLE network_requests DROP COLUMN signature;
ALTER TABLE network_requests DROP COLUMN body;

ALTER TABLE network_relays ADD COLUMN call_id TEXT REFERENCES network_calls (id);
UPDATE network_relays SET call_id = id;
ALTER TABLE network_relays DROP COLUMN answer;
