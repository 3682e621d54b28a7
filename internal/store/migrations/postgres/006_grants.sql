-- SPDX-License-Identifier: Apache-2.0
-- DPoP proofs seen on grant requests, so that a replayed proof is refused
-- on every operator instance that shares the database. Rows are kept a
-- little longer than a proof is accepted, then pruned by the next request.
CREATE TABLE dpop_proofs (
	jkt        TEXT NOT NULL,
	jti        TEXT NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (jkt, jti)
);
CREATE INDEX dpop_proofs_expiry ON dpop_proofs (expires_at);

-- Grant status and transfers look grants up by their parties.
CREATE INDEX grants_source ON grants (source_id, issued_at);
CREATE INDEX grants_sink ON grants (sink_id, issued_at);
