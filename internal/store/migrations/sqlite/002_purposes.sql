-- SPDX-License-Identifier: Apache-2.0
-- The city purpose taxonomy of the Helsinki, Espoo and Turku MyData concepts,
-- mapped to W3C DPV purposes (see docs/catalogue.md). Admins may add more.

INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000001', 'proactive-services', '{"fi":"Proaktiiviset palvelut","sv":"Proaktiva tjänster","en":"Proactive services"}',
	'{"fi":"Kaupunki tarjoaa palvelua oma-aloitteisesti silloin, kun tietojen perusteella näyttää, että tarvitset sitä.","sv":"Staden erbjuder en tjänst på eget initiativ när uppgifterna visar att du kan behöva den.","en":"The city offers a service on its own initiative when the data shows you may need it."}',
	'["dpv:ImprovePublicServices","dpv:ServiceProvision"]', '1 - Core Function', '["A6-1-a","A6-1-e"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000002', 'recommendations', '{"fi":"Suosittelupalvelut","sv":"Rekommendationstjänster","en":"Recommendation services"}',
	'{"fi":"Palvelu suosittelee sinulle sisältöjä tai palveluja tietojesi perusteella.","sv":"Tjänsten rekommenderar innehåll eller tjänster för dig utifrån dina uppgifter.","en":"A service recommends content or services to you based on your data."}',
	'["dpv:ProvidePersonalisedRecommendations"]', '5 - Personalized Experience', '["A6-1-a"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000003', 'research', '{"fi":"Tutkimuskäyttö","sv":"Forskningsändamål","en":"Research use"}',
	'{"fi":"Tutkimuslaitos käyttää tietoja tieteelliseen tutkimukseen tai tilastointiin.","sv":"En forskningsinstitution använder uppgifterna för vetenskaplig forskning eller statistik.","en":"A research institute uses the data for scientific research or statistics."}',
	'["dpv:ScientificResearch","dpv:AcademicResearch"]', '', '["A6-1-a","A6-1-e"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000004', 'provider-transfer', '{"fi":"Datan siirto palveluntuottajalta toiselle","sv":"Överföring av data från en tjänsteleverantör till en annan","en":"Transfer from one service provider to another"}',
	'{"fi":"Tietosi siirretään pyynnöstäsi toiselle palveluntuottajalle, jotta sinun ei tarvitse antaa niitä uudelleen.","sv":"Dina uppgifter överförs på din begäran till en annan tjänsteleverantör så att du inte behöver lämna dem på nytt.","en":"Your data is moved at your request to another service provider, so you need not give it again."}',
	'["dpv:ServiceProvision"]', '10 - 3rd-Party Sharing for Core Function', '["A6-1-a"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000005', 'third-party-platform', '{"fi":"Kolmansien osapuolten alustapalvelut","sv":"Plattformstjänster från tredje part","en":"Third-party platform services"}',
	'{"fi":"Kolmannen osapuolen alustapalvelu käyttää tietojasi tarjotakseen sinulle palvelunsa.","sv":"En plattformstjänst från tredje part använder dina uppgifter för att erbjuda dig sin tjänst.","en":"A third-party platform uses your data to provide its service to you."}',
	'["dpv:ServiceProvision"]', '11 - 3rd-Party Sharing for Others', '["A6-1-a"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000006', 'marketing-cooperation', '{"fi":"Markkinointiyhteistyö","sv":"Marknadsföringssamarbete","en":"Marketing cooperation"}',
	'{"fi":"Yhteistyökumppani käyttää tietojasi tarjotakseen sinulle markkinointia.","sv":"En samarbetspartner använder dina uppgifter för att rikta marknadsföring till dig.","en":"A partner uses your data to send you marketing."}',
	'["dpv:Marketing","dpv:DirectMarketing"]', '7 - Marketing Third Parties', '["A6-1-a"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000007', 'co-production', '{"fi":"Yhteistuotantopalvelut","sv":"Samproduktionstjänster","en":"Co-production services"}',
	'{"fi":"Useampi toimija tuottaa yhdessä palvelukokonaisuuden, esimerkiksi kuljetus, tapahtuma, tarjoilu ja paluukuljetus.","sv":"Flera aktörer producerar tillsammans en tjänstehelhet, till exempel transport, evenemang, servering och returtransport.","en":"Several providers produce a service package together, for example transport, an event, catering and the journey home."}',
	'["dpv:ImproveExistingProductsAndServices","dpv:ServiceOptimisation"]', '16 - Improve Performance', '["A6-1-a"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at) VALUES
	('pur_00000000000000000000000008', 'statutory-services', '{"fi":"Lakisääteisten palvelujen tuottaminen","sv":"Tillhandahållande av lagstadgade tjänster","en":"Statutory service provision"}',
	'{"fi":"Kaupunki käsittelee tietoja lakisääteisen tehtävänsä hoitamiseksi, esimerkiksi kun muutat toiseen kuntaan.","sv":"Staden behandlar uppgifterna för att sköta en lagstadgad uppgift, till exempel när du flyttar till en annan kommun.","en":"The city processes the data to carry out a statutory task, for example when you move to another municipality."}',
	'["dpv:ServiceProvision","dpv:LegalCompliance"]', '13 - Required by Law Enforcement or Government', '["A6-1-c","A6-1-e"]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
