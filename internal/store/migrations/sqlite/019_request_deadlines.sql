-- SPDX-License-Identifier: Apache-2.0
-- Deadlines of data-subject requests (GDPR Art 12(3)): an extension by up
-- to two months with the reason the resident is told, when the request was
-- answered, and the reminders sent (the stage reached: '', due_soon,
-- overdue). A request record's step marks an extension ('extended'), with
-- the new deadline in its due_at, both committed to by its leaf. A
-- task remembers when its event was last sent, so that it is sent again
-- until the service answers it.
ALTER TABLE requests ADD COLUMN extension_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN extension_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN answered_at TEXT;
ALTER TABLE requests ADD COLUMN reminded TEXT NOT NULL DEFAULT '';
ALTER TABLE request_records ADD COLUMN step TEXT NOT NULL DEFAULT '';
ALTER TABLE request_records ADD COLUMN due_at TEXT;
ALTER TABLE request_tasks ADD COLUMN sent_at TEXT;
UPDATE request_tasks SET sent_at = created_at;
UPDATE requests SET answered_at = updated_at WHERE status NOT IN ('received', 'in_progress', 'pending');
CREATE INDEX requests_due ON requests (due_at);
