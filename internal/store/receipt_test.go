// SPDX-License-Identifier: Apache-2.0

package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// dpvRecordMap is the receipt payload as a map, as it was built before it
// became structs: encoding/json writes a map's keys sorted, and the
// structs must write the same bytes.
func dpvRecordMap(issuer string, c *consentRow, p *consentParts, rec *omadata.ConsentRecord, subject string, notice omadata.Notice) map[string]any {
	v := p.version
	lang := notice.Language
	if lang == "" {
		lang = omadata.Languages[0]
	}
	bases := []string{"eu-gdpr:" + v.LegalBasis}
	consentType := "dpv:ExpressedConsent"
	if v.Art9Condition != "" {
		bases = append(bases, "eu-gdpr:"+v.Art9Condition)
		consentType = "dpv:ExplicitlyExpressedConsent"
	}
	recipients := []any{}
	for _, r := range v.Recipients {
		recipients = append(recipients, map[string]any{"@type": dpvRecipient[r.Role], "dct:title": r.Name})
	}
	controller := map[string]any{
		"@type":           "dpv:DataController",
		"dct:title":       p.org.Name.In(lang),
		"dpv:hasAddress":  postalAddress(p.org.Address),
		"dpv:hasContact":  map[string]any{"schema:email": p.org.Email, "schema:telephone": p.org.Phone},
		"dpv:hasPolicy":   p.org.PrivacyPolicyURL,
		"omadata:service": p.sink.ID,
		"dpv:hasDataProtectionOfficer": map[string]any{
			"@type": "dpv:DataProtectionOfficer", "dct:title": p.org.DPO.Name, "schema:email": p.org.DPO.Email,
		},
	}
	if p.org.BusinessID != "" {
		controller["dct:identifier"] = p.org.BusinessID
	}
	status := map[string]any{
		"@type":                   dpvStatus[rec.Status],
		"dpv:isIndicatedBy":       map[string]any{"@type": dpvActor[rec.ActorRole], "omadata:role": rec.ActorRole},
		"dpv:isIndicatedAtTime":   rfc3339(rec.CreatedAt),
		"dpv:hasIndicationMethod": rec.CollectionMethod,
	}
	if rec.ValidUntil != nil {
		d := map[string]any{"@type": "dpv:UntilTimeDuration", "time:hasEnd": rfc3339(*rec.ValidUntil)}
		if rec.ValidFrom != nil {
			d["time:hasBeginning"] = rfc3339(*rec.ValidFrom)
		}
		status["dpv:hasDuration"] = d
	}
	if rec.Reason != "" {
		status["dct:description"] = rec.Reason
	}
	return map[string]any{
		"@context":           dpvContext,
		"@type":              "dpv:ConsentRecord",
		"dct:conformsTo":     DPVRecordProfile,
		"dct:identifier":     rec.ID,
		"dct:created":        rfc3339(rec.CreatedAt),
		"omadata:consent":    c.ID,
		"omadata:seq":        rec.Seq,
		"dpv:hasDataSubject": map[string]any{"@type": "dpv:DataSubject", "dct:identifier": subject},
		"dpv:hasNotice": map[string]any{
			"@type": "dpv:ConsentNotice", "omadata:sha256": notice.SHA256, "dct:language": notice.Language,
		},
		"dpv:hasProcess": map[string]any{
			"@type":                   "dpv:Process",
			"dct:identifier":          c.ProcessingID,
			"dct:hasVersion":          v.Version,
			"dct:title":               v.Title.In(lang),
			"dpv:hasPurpose":          p.purpose.DPVPurposes,
			"dpv:hasPersonalData":     personalData(p.groups),
			"dpv:hasProcessing":       []string{"dpv:Transfer"},
			"dpv:hasLegalBasis":       bases,
			"dpv:hasDataController":   controller,
			"dpv:hasRecipient":        recipients,
			"dpv:hasStorageCondition": map[string]any{"@type": "dpv:StorageDuration", "dpv:hasDuration": map[string]any{"@type": "dpv:TemporalDuration", "rdf:value": v.Retention}},
			"dpv:hasJurisdiction":     "loc:FI",
			"omadata:sources":         p.sources(c.SourceIDs),
		},
		"dpv:hasConsentType":    consentType,
		"dpv:hasConsentStatus":  status,
		"dpv:hasConsentControl": []any{map[string]any{"@type": "dpv:WithdrawConsent", "dpv:isExercisedAt": issuer}},
		"dpv:hasRight":          "eu-gdpr:A7-3",
		"iss":                   issuer,
		"iat":                   rec.CreatedAt.Unix(),
		"record_hash":           rec.Hash,
		"prev_hash":             rec.PrevHash,
	}
}

// TestDPVRecordBytes: the receipt payload encodes byte for byte as the map
// it replaced, with and without every optional member.
func TestDPVRecordBytes(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 0, 0, 123456000, time.UTC)
	until := at.AddDate(2, 0, 0)
	full := func() (*consentRow, *consentParts, *omadata.ConsentRecord, omadata.Notice) {
		c := &consentRow{Consent: omadata.Consent{ID: "cns_1", ProcessingID: "proc_1", SinkID: "svc_sink", SourceIDs: []string{"svc_b"}}}
		p := &consentParts{
			version: &omadata.ProcessingVersion{Version: 3, Title: omadata.Text{"fi": "Suositukset", "en": "Recommendations <&>"},
				LegalBasis: "A6-1-a", Art9Condition: "A9-2-a", Retention: "P2Y",
				Recipients: []omadata.Recipient{{Name: "Kumppani Oy", Role: omadata.RecipientProcessor}, {Name: "\"Third\"", Role: omadata.RecipientThirdParty}}},
			groups: []*omadata.DataGroup{
				{ServiceID: "svc_a", PersonalDataCategories: []string{"pd:Interest", "pd:Health"}},
				{ServiceID: "svc_b", PersonalDataCategories: []string{"pd:Health", "pd:Location"}},
			},
			purpose: &omadata.Purpose{DPVPurposes: []string{"dpv:ServicePersonalisation"}},
			sink:    &omadata.Service{ID: "svc_sink"},
			org: &omadata.Organisation{Name: omadata.Text{"fi": "Yritys Oy", "sv": "Företag Ab"}, BusinessID: "1234567-8", Email: "a@example.fi",
				Phone: "+358 1", Address: omadata.Address{Street: "Katu 1", PostalCode: "00100", City: "Helsinki", Country: "FI"},
				PrivacyPolicyURL: "https://example.fi/privacy?a=1&b=2", DPO: omadata.Contact{Name: "DPO", Email: "dpo@example.fi"}},
		}
		rec := &omadata.ConsentRecord{ID: "cnr_1", Seq: 2, Status: omadata.ConsentWithdrawn, PrevHash: "prev", Hash: "hash",
			ActorRole: omadata.ActorSelf, CollectionMethod: omadata.CollectedPortal, ValidFrom: &at, ValidUntil: &until,
			Reason: "changed my mind", CreatedAt: at}
		return c, p, rec, omadata.Notice{Language: "sv", SHA256: "abc"}
	}
	cases := map[string]func(c *consentRow, p *consentParts, rec *omadata.ConsentRecord, n *omadata.Notice){
		"every member": func(*consentRow, *consentParts, *omadata.ConsentRecord, *omadata.Notice) {},
		"bare": func(c *consentRow, p *consentParts, rec *omadata.ConsentRecord, n *omadata.Notice) {
			c.SourceIDs = nil
			p.version.Art9Condition, p.version.Recipients = "", nil
			p.groups, p.purpose.DPVPurposes = nil, nil
			p.org.BusinessID = ""
			rec.ValidFrom, rec.ValidUntil, rec.Reason, rec.PrevHash = nil, nil, "", ""
			*n = omadata.Notice{}
		},
		"until without from": func(c *consentRow, p *consentParts, rec *omadata.ConsentRecord, n *omadata.Notice) {
			rec.ValidFrom = nil
			rec.Status, rec.ActorRole = omadata.ConsentSuspended, omadata.ActorMandate
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			c, p, rec, n := full()
			change(c, p, rec, &n)
			got, err := json.Marshal(dpvRecord("https://omadata.example", c, p, rec, "psn_1", n))
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(dpvRecordMap("https://omadata.example", c, p, rec, "psn_1", n))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("payload differs from the map's:\n got %s\nwant %s", got, want)
			}
		})
	}
}

type testSigner struct {
	kid string
	key ed25519.PrivateKey
}

func (s testSigner) SigningKey() (string, ed25519.PrivateKey) { return s.kid, s.key }

// TestSignAsGoJose: a receipt is the compact JWS go-jose makes of the same
// payload with the same key, byte for byte.
func TestSignAsGoJose(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	s := &Store{signer: testSigner{kid: "key_01\"<kid>", key: key}}
	payload := []byte(`{"a":"b","c":[1,2,3],"d":"\u003cx\u003e"}`)
	got, err := s.signJSON(payload)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType(ReceiptType).WithHeader("kid", "key_01\"<kid>"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	want, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
