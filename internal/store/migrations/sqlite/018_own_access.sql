-- SPDX-License-Identifier: Apache-2.0
-- The purpose under which the operator fetches a resident's own data from
-- a source for them to see or take with them (docs/own-data.md): GDPR Art
-- 15 and 20, on the operator's legal obligation (Art 6(1)(c)), never a
-- consent. Its ID is omadata.OwnAccessPurposeID.
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_000000000000000000000acc15', 'own-access', '{"fi":"Omien tietojen katselu","sv":"Visning av egna uppgifter","en":"Viewing your own data"}',
	'{"fi":"OmaData hakee sinulle tiedot, joita kaupungin palvelut sinusta pitävät, jotta voit katsoa ne tai ottaa ne mukaasi (EU:n tietosuoja-asetuksen 15 ja 20 artikla).","sv":"MinData hämtar de uppgifter som stadens tjänster har om dig, så att du kan se dem eller ta dem med dig (artiklarna 15 och 20 i EU:s dataskyddsförordning).","en":"MyData fetches the data the city''s services hold about you, for you to see or take with you (Articles 15 and 20 of the GDPR)."}',
	'["dpv:ServiceProvision"]', '', '["A6-1-c"]', '2026-12-07T00:00:00.000000Z', '2026-12-07T00:00:00.000000Z');

-- Why a source holds a data group (a GDPR Art 6 code), which "My data"
-- shows before any data is fetched; '' where the catalogue does not say.
ALTER TABLE data_groups ADD COLUMN legal_basis TEXT NOT NULL DEFAULT '';
