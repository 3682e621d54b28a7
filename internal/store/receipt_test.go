// SPDX-License-Identifier: Apache-2.0

package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// TestDPVRecordBytes: the receipt payload encodes byte for byte as the
// same value decoded into maps and encoded again (keys sorted), with and
// without every optional member, and has no empty member.
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
			p.org.BusinessID, p.org.Phone, p.org.Address, p.org.DPO, p.org.PrivacyPolicyURL = "", "", omadata.Address{}, omadata.Contact{}, ""
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
			var m any
			if err := json.Unmarshal(got, &m); err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("payload's members are not in the order of their names:\n got %s\nwant %s", got, want)
			}
			if e := emptyMembers("", m); len(e) > 0 {
				t.Errorf("payload has empty members %v: %s", e, got)
			}
		})
	}
}

// emptyMembers returns the paths of the empty strings, lists and objects
// in a decoded JSON value.
func emptyMembers(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		if x == "" {
			out = append(out, path)
		}
	case []any:
		if len(x) == 0 {
			out = append(out, path)
		}
		for i, c := range x {
			out = append(out, emptyMembers(fmt.Sprintf("%s[%d]", path, i), c)...)
		}
	case map[string]any:
		if len(x) == 0 {
			out = append(out, path)
		}
		for k, c := range x {
			out = append(out, emptyMembers(path+"/"+k, c)...)
		}
	}
	return out
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
