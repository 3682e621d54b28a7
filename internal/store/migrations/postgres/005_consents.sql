-- SPDX-License-Identifier: Apache-2.0
-- Consents: the sink's message with a request, and at most one live
-- (requested, given or suspended) consent per resident and processing,
-- enforced here too so that two concurrent gives cannot both succeed.

ALTER TABLE consents ADD COLUMN message TEXT NOT NULL DEFAULT '{}';

CREATE UNIQUE INDEX consents_one_live ON consents (resident_id, processing_id)
	WHERE status IN ('requested', 'given', 'suspended');
