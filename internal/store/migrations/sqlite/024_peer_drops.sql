-- SPDX-License-Identifier: Apache-2.0
-- How many times each peer's cached chain was dropped (a membership
-- event, docs/network.md §2.6). A resolution reads it before it starts
-- and records its chain only if it has not moved since: a resolution that
-- began before a drop cannot trust the peer again. No reference to peers:
-- a peer never resolved may be dropped while its first resolution runs.
CREATE TABLE peer_drops (
	operator_id TEXT PRIMARY KEY,
	generation  BIGINT NOT NULL
);
