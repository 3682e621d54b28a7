// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testConsentChain: each record links to the one before it, the consent
// keeps the last hash, the database refuses to change records, and
// altering any field of any record breaks verification.
func testConsentChain(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	r := e.adult(t)
	c := e.give(t, r, e.n.Processing)
	e.change(t, AsResident(r.ID), c.ID, omadata.ConsentSuspended, "travelling")
	e.change(t, AsResident(r.ID), c.ID, omadata.ConsentGiven, "")
	e.change(t, AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, "no longer needed\n\t\"quoted\" \\ ok")
	got := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), c.ID))
	recs := got.Records
	if len(recs) != 4 {
		t.Fatalf("got %d records, want 4", len(recs))
	}
	ok(t, omadata.VerifyConsentChain(got.ResidentID, recs))
	for i, rec := range recs {
		prev := ""
		if i > 0 {
			prev = recs[i-1].Hash
		}
		if rec.Seq != i+1 || rec.PrevHash != prev || len(rec.Hash) != 64 {
			t.Fatalf("record %d: got seq %d, prev %q, hash %q", i+1, rec.Seq, rec.PrevHash, rec.Hash)
		}
	}
	stored := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT last_hash, status FROM consents WHERE id = ?`, c.ID))
	if stored[0][0] != recs[3].Hash || stored[0][1] != omadata.ConsentWithdrawn {
		t.Fatalf("got consent row %v, want the last record's hash and status", stored[0])
	}
	subject := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT DISTINCT subject_id FROM consent_records WHERE consent_id = ?`, c.ID))
	if len(subject) != 1 || subject[0][0] != r.ID {
		t.Fatalf("got subjects %v, want %s", subject, r.ID)
	}
	if err := s.DB().Exec(context.Background(), `UPDATE consent_records SET reason = 'changed' WHERE consent_id = ?`, c.ID); err == nil {
		t.Fatal("the database let a consent record change")
	}
	if err := s.DB().Exec(context.Background(), `DELETE FROM consent_records WHERE consent_id = ?`, c.ID); err == nil {
		t.Fatal("the database let a consent record be deleted")
	}

	later := consentNow.Add(time.Hour)
	tampers := []struct {
		name string
		edit func([]*omadata.ConsentRecord) []*omadata.ConsentRecord
	}{
		{"id", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[1].ID = omadata.NewID(omadata.PrefixConsentRecord)
			return rs
		}},
		{"consent_id", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[0].ConsentID = omadata.NewID(omadata.PrefixConsent)
			return rs
		}},
		{"seq", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[2].Seq = 5; return rs }},
		{"status", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[3].Status = omadata.ConsentRevoked
			return rs
		}},
		{"prev_hash", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[2].PrevHash = rs[0].Hash; return rs }},
		{"hash", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[3].Hash = strings.Repeat("0", 64)
			return rs
		}},
		{"actor_kind", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[0].ActorKind = "admin"; return rs }},
		{"actor_id", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[1].ActorID = "res_other"; return rs }},
		{"actor_role", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[0].ActorRole = omadata.ActorGuardian
			return rs
		}},
		{"notice_sha256", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[0].NoticeSHA256 = strings.Repeat("a", 64)
			return rs
		}},
		{"notice_language", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[0].NoticeLanguage = "sv"; return rs }},
		{"collection_method", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[0].CollectionMethod = omadata.CollectedPaper
			return rs
		}},
		{"valid_from", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[1].ValidFrom = &later; return rs }},
		{"valid_from removed", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[1].ValidFrom = nil; return rs }},
		{"valid_until", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[2].ValidUntil = &later; return rs }},
		{"reason", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord {
			rs[3].Reason = "no longer needed"
			return rs
		}},
		{"created_at", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[2].CreatedAt = later; return rs }},
		{"a record dropped", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { return slices.Delete(rs, 1, 2) }},
		{"records swapped", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { rs[1], rs[2] = rs[2], rs[1]; return rs }},
		{"no records", func(rs []*omadata.ConsentRecord) []*omadata.ConsentRecord { return nil }},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			copies := make([]*omadata.ConsentRecord, len(recs))
			for i, rec := range recs {
				cp := *rec
				copies[i] = &cp
			}
			if err := omadata.VerifyConsentChain(got.ResidentID, tc.edit(copies)); err == nil {
				t.Fatal("a tampered chain verifies")
			}
		})
	}
	t.Run("another subject", func(t *testing.T) {
		if err := omadata.VerifyConsentChain(e.adult(t).ID, recs); err == nil {
			t.Fatal("the chain verifies for another resident")
		}
	})
}

// receiptPayload verifies a compact JWS with go-jose against the operator's
// published signing keys and returns its header and payload.
func receiptPayload(t *testing.T, s *store.Store, receipt string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSigned(receipt, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatalf("parse receipt: %v", err)
	}
	h := jws.Signatures[0].Header
	var key *omadata.SigningKey
	for _, k := range must[[]*omadata.SigningKey](t)(s.FindSigningKeys(context.Background())) {
		if k.ID == h.KeyID {
			key = k
		}
	}
	if key == nil {
		t.Fatalf("the receipt's kid %q is no published signing key", h.KeyID)
	}
	var jwk jose.JSONWebKey
	ok(t, jwk.UnmarshalJSON([]byte(key.PublicJWK)))
	pub, isEd := jwk.Key.(ed25519.PublicKey)
	if !isEd {
		t.Fatalf("got a %T public key, want Ed25519", jwk.Key)
	}
	b, err := jws.Verify(pub)
	if err != nil {
		t.Fatalf("verify receipt: %v", err)
	}
	if typ := h.ExtraHeaders[jose.HeaderType]; typ != store.ReceiptType {
		t.Fatalf("got typ %v, want %s", typ, store.ReceiptType)
	}
	var payload map[string]any
	ok(t, json.Unmarshal(b, &payload))
	return h, payload
}

// field walks a decoded JSON object along keys.
func field(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func wantJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("%s: got %s, want %s", what, g, w)
	}
}

// testConsentReceipt: every record carries a receipt that verifies with
// go-jose against the published key and holds the DPV record; the Kantara
// export too.
// testConsentReceiptAfterCatalogueChange: receipts describe the controller
// as it is when the change is recorded, also right after an update, and a
// sink that is no longer approved takes no new consents.
func testConsentReceiptAfterCatalogueChange(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing
	r := e.adult(t)
	c := e.give(t, r, p)
	name := omadata.Text{"fi": "Uusi nimi Oy", "sv": "Nytt namn Ab", "en": "New Name Ltd"}
	must[*omadata.Organisation](t)(s.UpdateOrganisation(Admin(), e.n.Company.ID, omadata.OrganisationUpdate{Name: &name}))
	controller := func(receipt string) any {
		_, pl := receiptPayload(t, s, receipt)
		return field(pl, "dpv:hasProcess", "dpv:hasDataController", "dpv:hasName")
	}
	again := e.give(t, e.adult(t), p)
	wantJSON(t, "controller of a new consent", controller(again.Records[0].Receipt), name["fi"])
	w := e.change(t, AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, "")
	wantJSON(t, "controller of a withdrawal", controller(w.Records[1].Receipt), name["fi"])

	must[*omadata.Service](t)(s.SetServiceStatus(Admin(), e.n.Sink.ID, omadata.ServiceSuspended))
	_, err := s.GiveConsent(AsResident(e.adult(t).ID), input(p))
	wantCode(t, err, omadata.ENOTFOUND)
}

func testConsentReceipt(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	r := e.adult(t)
	p := e.n.Processing
	c := e.give(t, r, p)
	c = e.change(t, AsResident(r.ID), c.ID, omadata.ConsentSuspended, "")
	sinkPsn := must[string](t)(s.Pseudonym(Admin(), e.n.Sink.ID, r.ID))
	notice := input(p).NoticeSHA256

	for i, rec := range c.Records {
		h, pl := receiptPayload(t, s, rec.Receipt)
		if h.Algorithm != "EdDSA" {
			t.Fatalf("got alg %s, want EdDSA", h.Algorithm)
		}
		status := [][]string{{"dpv:ConsentGiven", "dpv:ExpressedConsent"}, {"omadata:ConsentSuspended"}}[i]
		var prev any // the first record has none, and no empty member for it
		if rec.PrevHash != "" {
			prev = rec.PrevHash
		}
		manage := "https://omadata.test/fi/consents/" + c.ID
		for _, w := range []struct {
			what string
			got  any
			want any
		}{
			{"@type", pl["@type"], "dpv:ConsentRecord"},
			{"conformsTo", pl["dct:conformsTo"], "https://w3id.org/dpv/schema/dpv-27560#record-eu-gdpr"},
			{"identifier", pl["dct:identifier"], rec.ID},
			{"data subject", field(pl, "dpv:hasDataSubject", "dct:identifier"), sinkPsn},
			{"notice hash", field(pl, "dpv:hasNotice", "omadata:sha256"), notice},
			{"notice language", field(pl, "dpv:hasNotice", "dct:language"), "fi"},
			{"purposes", field(pl, "dpv:hasProcess", "dpv:hasPurpose"), []string{"dpv:ProvidePersonalisedRecommendations"}},
			{"personal data", field(pl, "dpv:hasProcess", "dpv:hasPersonalData"), []string{"pd:ServiceConsumptionBehavior"}},
			{"legal basis", field(pl, "dpv:hasProcess", "dpv:hasLegalBasis"), []string{"eu-gdpr:A6-1-a"}},
			{"applicable law", field(pl, "dpv:hasProcess", "dpv:hasApplicableLaw"), "eu-gdpr:GDPR"},
			{"jurisdiction", field(pl, "dpv:hasProcess", "dpv:hasJurisdiction"), "loc:FI"},
			{"controller", field(pl, "dpv:hasProcess", "dpv:hasDataController", "dpv:hasName"), e.n.Company.Name["fi"]},
			{"controller ID", field(pl, "dpv:hasProcess", "dpv:hasDataController", "dpv:hasIdentifier"), e.n.Company.BusinessID},
			{"controller email", field(pl, "dpv:hasProcess", "dpv:hasDataController", "schema:contactPoint", "schema:email"), e.n.Company.Email},
			{"controller telephone", field(pl, "dpv:hasProcess", "dpv:hasDataController", "schema:contactPoint", "schema:telephone"), nil},
			{"recipients", field(pl, "dpv:hasProcess", "dpv:hasRecipient"), []any{map[string]any{"@type": "dpv:DataController", "dpv:hasName": "Kirjasuositus Oy"}}},
			{"service", field(pl, "dpv:hasProcess", "dpv:hasService", "dct:identifier"), e.n.Sink.ID},
			{"storage", field(pl, "dpv:hasProcess", "dpv:hasStorageCondition"), []any{map[string]any{"@type": "dpv:StorageDuration",
				"dpv:hasDuration": map[string]any{"@type": "dpv:TemporalDuration", "rdf:value": "P1Y"}}}},
			{"withdraw at", field(pl, "dpv:hasProcess", "dpv:hasConsentControl"), map[string]any{"@type": "dpv:WithdrawConsent", "dpv:isExercisedAt": manage}},
			{"right", field(pl, "dpv:hasProcess", "dpv:hasRight"), []any{map[string]any{"@type": []string{"dpv:DataSubjectRight", "eu-gdpr:A7-3"},
				"dct:title": "Right to withdraw consent", "dpv:isExercisedAt": manage}}},
			{"status", field(pl, "dpv:hasConsentStatus", "@type"), status},
			{"indicated by", field(pl, "dpv:hasConsentStatus", "dpv:isIndicatedBy", "omadata:role"), omadata.ActorSelf},
			{"indicated at", field(pl, "dpv:hasConsentStatus", "dpv:isIndicatedAtTime"), consentNow.Format(time.RFC3339)},
			{"method", field(pl, "dpv:hasConsentStatus", "dpv:hasIndicationMethod"), omadata.CollectedPortal},
			{"valid until", field(pl, "dpv:hasConsentStatus", "dpv:hasDuration"), map[string]any{"@type": "dpv:UntilTimeDuration",
				"rdf:value": consentNow.AddDate(2, 0, 0).Format(time.RFC3339)}},
			{"iss", pl["iss"], "https://omadata.test"},
			{"iat", pl["iat"], consentNow.Unix()},
			{"record hash", pl["record_hash"], rec.Hash},
			{"prev hash", pl["prev_hash"], prev},
		} {
			wantJSON(t, w.what, w.got, w.want)
		}
	}

	// The stored receipt is what the dpv export returns; the sink reads it too.
	for _, ctx := range []context.Context{AsResident(r.ID), Admin(), As(e.n.Sink.ID)} {
		got := must[string](t)(s.ExportReceipt(ctx, c.ID, 1, ""))
		if got != c.Records[0].Receipt {
			t.Fatal("the dpv export is not the stored receipt")
		}
	}
	sinkView := must[*omadata.Consent](t)(s.FindConsentByID(As(e.n.Sink.ID), c.ID))
	if sinkView.Records[0].Receipt == "" {
		t.Fatal("the sink does not see the receipts")
	}

	k1 := must[string](t)(s.ExportReceipt(AsResident(r.ID), c.ID, 1, omadata.ReceiptKantara))
	_, kr := receiptPayload(t, s, k1)
	for _, w := range []struct {
		what string
		got  any
		want any
	}{
		{"version", kr["version"], "KI-CR-v1.1.0"},
		{"jurisdiction", kr["jurisdiction"], "FI"},
		{"consentTimestamp", kr["consentTimestamp"], consentNow.Unix()},
		{"piiPrincipalId", kr["piiPrincipalId"], sinkPsn},
		{"language", kr["language"], "fi"},
		{"policyUrl", kr["policyUrl"], e.n.Company.PrivacyPolicyURL},
		{"piiController", field(kr["piiControllers"].([]any)[0], "piiController"), e.n.Company.Name["fi"]},
		{"onBehalf", field(kr["piiControllers"].([]any)[0], "onBehalf"), false},
		{"contact", field(kr["piiControllers"].([]any)[0], "contact"), e.n.Company.DPO.Name},
		{"email", field(kr["piiControllers"].([]any)[0], "email"), e.n.Company.DPO.Email},
		{"purposeCategory", field(field(kr["services"].([]any)[0], "purposes").([]any)[0], "purposeCategory"), []string{"5 - Personalized Experience"}},
		{"piiCategory", field(field(kr["services"].([]any)[0], "purposes").([]any)[0], "piiCategory"), []string{"15 - Behavioral"}},
		{"thirdPartyDisclosure", field(field(kr["services"].([]any)[0], "purposes").([]any)[0], "thirdPartyDisclosure"), true},
		{"thirdPartyName", field(field(kr["services"].([]any)[0], "purposes").([]any)[0], "thirdPartyName"), "Kirjasuositus Oy"},
		{"sensitive", kr["sensitive"], false},
		{"spiCat", kr["spiCat"], []string{}},
		{"iss", kr["iss"], "https://omadata.test"},
	} {
		wantJSON(t, w.what, w.got, w.want)
	}
	for _, k := range []string{"policyURL", "on_behalf"} {
		if strings.Contains(k1, k) || strings.Contains(mustJSON(t, kr), `"`+k+`"`) {
			t.Fatalf("the Kantara receipt uses the spelling %s", k)
		}
	}
	if id, _ := kr["consentReceiptID"].(string); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("got consentReceiptID %q, want a UUID v4", id)
	}
	_, again := receiptPayload(t, s, must[string](t)(s.ExportReceipt(Admin(), c.ID, 1, omadata.ReceiptKantara)))
	if again["consentReceiptID"] != kr["consentReceiptID"] {
		t.Fatal("the receipt ID of a record changes between exports")
	}

	_, err := s.ExportReceipt(AsResident(r.ID), c.ID, 2, omadata.ReceiptKantara)
	wantField(t, err, omadata.ECONFLICT, "format")
	_, err = s.ExportReceipt(AsResident(r.ID), c.ID, 1, "pdf")
	wantField(t, err, omadata.EINVALID, "format")
	_, err = s.ExportReceipt(AsResident(r.ID), c.ID, 3, "")
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.ExportReceipt(AsResident(e.adult(t).ID), c.ID, 1, "")
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.ExportReceipt(As(e.n.Source.ID), c.ID, 1, "")
	wantCode(t, err, omadata.EFORBIDDEN)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	ok(t, err)
	return string(b)
}
