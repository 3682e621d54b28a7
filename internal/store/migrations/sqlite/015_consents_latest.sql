-- SPDX-License-Identifier: Apache-2.0
-- A decision reads the resident's most recent consent on each candidate
-- processing. consents_resident_processing (resident_id, processing_id,
-- status) has no created_at, so finding the most recent read every consent
-- of the pair, and the old query compared each with every newer one: a
-- resident who gave and withdrew consent thousands of times made each
-- decision on that processing slower with the square of their history.
-- consents_latest ends at the most recent consent of the pair, which the
-- decision now reads by seeking to it. It replaces the old index, which
-- served the same lookups by pair; kept beside it, a planner without
-- statistics on a long history may still pick the old one and sort.
DROP INDEX consents_resident_processing;
CREATE INDEX consents_latest ON consents (resident_id, processing_id, created_at, id);
