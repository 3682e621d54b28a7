-- SPDX-License-Identifier: Apache-2.0
-- A representation's scope made explicit. Until now an empty scope list
-- meant "every purpose", for guardians and for mandates recorded without
-- purposes. all_purposes says it instead, and an empty list now covers
-- nothing. Rows already stored keep their meaning: a guardianship, and a
-- mandate recorded with no purposes (a general mandate), cover all.
ALTER TABLE representations ADD COLUMN all_purposes BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE representations SET all_purposes = TRUE WHERE kind = 'guardian' OR scope = '[]';

-- The services the operator designated to record representations of a
-- kind (a population register: guardian). Admins change them, audited.
CREATE TABLE representation_recorders (
	service_id TEXT NOT NULL REFERENCES services (id),
	kind       TEXT NOT NULL CHECK (kind = 'guardian' OR kind = 'mandate'),
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (service_id, kind)
);
