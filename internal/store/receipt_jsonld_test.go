// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/piprate/json-gold/ld"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// receiptContextURL names the receipts' context document in this test
// only; receipts carry the context inline and nothing is fetched.
const receiptContextURL = "https://omadata.invalid/dpv-receipt-context.jsonld"

// offlineLoader serves the context document from testdata and refuses
// every other URL, so that expansion never touches the network.
type offlineLoader struct{ doc any }

func (l offlineLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if u != receiptContextURL {
		return nil, fmt.Errorf("offline: refusing to load %s", u)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: l.doc}, nil
}

// TestReceiptJSONLD: the receipt of every kind of record (requested,
// given, refused, suspended, resumed, withdrawn, revoked, expired, paper)
// has no empty member, carries the context of
// testdata/dpv-receipt-context.jsonld, and loses nothing when a JSON-LD
// 1.1 processor we did not write (piprate/json-gold) expands it: every
// key maps to an absolute IRI, every type is one, and every value is
// still there. Expanding with the context by reference (served offline
// from testdata) gives the same graph. On SQLite, and on PostgreSQL when
// OMADATA_TEST_POSTGRES_DSN is set.
func TestReceiptJSONLD(t *testing.T) {
	b, err := os.ReadFile("testdata/dpv-receipt-context.jsonld")
	if err != nil {
		t.Fatal(err)
	}
	var ctxDoc map[string]any
	if err := json.Unmarshal(b, &ctxDoc); err != nil {
		t.Fatal(err)
	}
	engines := map[string]func(testing.TB) *store.Store{"sqlite": storetest.OpenSQLite}
	if os.Getenv("OMADATA_TEST_POSTGRES_DSN") != "" {
		engines["postgres"] = storetest.OpenPostgres
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			receipts := everyReceiptKind(t, open(t))
			proc := ld.NewJsonLdProcessor()
			opts := ld.NewJsonLdOptions("")
			opts.ProcessingMode = ld.JsonLd_1_1
			opts.DocumentLoader = offlineLoader{doc: ctxDoc}
			for kind, receipt := range receipts {
				t.Run(kind, func(t *testing.T) {
					payload := receiptJSON(t, receipt)
					status := map[string]string{"given": "dpv:ConsentGiven", "resumed": "dpv:ConsentGiven", "paper": "dpv:ConsentGiven",
						"suspended": "omadata:ConsentSuspended", "withdrawn": "dpv:ConsentWithdrawn", "refused": "dpv:ConsentRefused",
						"requested": "dpv:ConsentRequested", "revoked": "dpv:ConsentRevoked", "expired": "dpv:ConsentExpired"}[kind]
					if types, _ := payload["dpv:hasConsentStatus"].(map[string]any)["@type"].([]any); len(types) == 0 || types[0] != status {
						t.Fatalf("got status %v, want %s", types, status)
					}
					if e := store.EmptyMembers("", payload); len(e) > 0 {
						t.Errorf("empty members: %v", e)
					}
					if !reflect.DeepEqual(payload["@context"], ctxDoc["@context"]) {
						t.Fatalf("got @context %v, want testdata/dpv-receipt-context.jsonld", payload["@context"])
					}
					expanded, err := proc.Expand(payload, opts)
					if err != nil {
						t.Fatalf("expand: %v", err)
					}
					ctx := payload["@context"].(map[string]any)
					var want, got []string
					wantValues, gotValues := compactIRIs(t, ctx, payload, &want), 0
					expandedIRIs(t, expanded, &got, &gotValues)
					slices.Sort(want)
					slices.Sort(got)
					if !slices.Equal(got, want) {
						t.Errorf("expansion changed the properties:\n got %v\nwant %v", got, want)
					}
					if gotValues != wantValues {
						t.Errorf("expansion kept %d values of %d", gotValues, wantValues)
					}
					byRef := map[string]any{}
					for k, v := range payload {
						byRef[k] = v
					}
					byRef["@context"] = receiptContextURL
					again, err := proc.Expand(byRef, opts)
					if err != nil {
						t.Fatalf("expand with the context by reference: %v", err)
					}
					if !reflect.DeepEqual(again, expanded) {
						t.Error("the context by reference expands to another graph than the inline one")
					}
				})
			}
		})
	}
}

// everyReceiptKind records one consent history of each kind and returns
// the receipts by kind.
func everyReceiptKind(t *testing.T, s *store.Store) map[string]string {
	t.Helper()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s.DB().Now = func() time.Time { return now }
	n := storetest.CreateNetwork(t, s)
	sink := storetest.As(n.Sink.ID)
	give := func() *omadata.ConsentInput {
		return &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "sv"}
	}
	residents := 0
	resident := func() (*omadata.Resident, context.Context) {
		residents++
		r := storetest.CreateResident(t, s, storetest.ChildBornOn(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, residents)))
		return r, storetest.AsResidentVia(r.ID, omadata.ChannelAPI)
	}
	check := func(c *omadata.Consent, err error) *omadata.Consent {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	out := map[string]string{}
	keep := func(kind string, c *omadata.Consent) {
		t.Helper()
		c = check(s.FindConsentByID(storetest.Admin(), c.ID))
		out[kind] = c.Records[len(c.Records)-1].Receipt
	}

	_, as := resident()
	c := check(s.GiveConsent(as, give()))
	keep("given", c)
	keep("suspended", check(s.ChangeConsent(as, c.ID, omadata.ConsentSuspended, "On holiday")))
	keep("resumed", check(s.ChangeConsent(as, c.ID, omadata.ConsentGiven, "")))
	keep("withdrawn", check(s.ChangeConsent(as, c.ID, omadata.ConsentWithdrawn, "")))

	_, as = resident()
	keep("refused", check(s.RefuseConsent(as, give())))

	r, _ := resident()
	psn, err := s.Pseudonym(storetest.Admin(), n.Sink.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	keep("requested", check(s.RequestConsent(sink, &omadata.ConsentRequestInput{ProcessingID: n.Processing.ID, Pseudonym: psn,
		Message: omadata.Text{"fi": "Saisimmeko?", "sv": "Får vi?", "en": "May we?"}})))

	_, as = resident()
	c = check(s.GiveConsent(as, give()))
	keep("revoked", check(s.ChangeConsent(sink, c.ID, omadata.ConsentRevoked, "The service closes.")))

	r, _ = resident()
	in := give()
	in.OnBehalfOf, in.Evidence = r.ID, "HEL 2026-12"
	keep("paper", check(s.GiveConsent(storetest.Admin(), in)))

	_, as = resident()
	c = check(s.GiveConsent(as, give()))
	now = c.ValidUntil.Add(time.Second)
	if _, err := s.ExpireConsents(storetest.Admin()); err != nil {
		t.Fatal(err)
	}
	keep("expired", c)
	return out
}

// receiptJSON returns the payload of a compact JWS, decoded.
func receiptJSON(t *testing.T, jws string) map[string]any {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jws)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// compactIRIs appends the IRI each property key of v maps to under ctx
// (a term of the context, or a prefix and a suffix) and returns how many
// values the properties hold. It fails on a key it cannot map.
func compactIRIs(t *testing.T, ctx map[string]any, v any, out *[]string) int {
	t.Helper()
	values := 0
	switch x := v.(type) {
	case []any:
		for _, c := range x {
			values += compactIRIs(t, ctx, c, out)
		}
	case map[string]any:
		for k, c := range x {
			if strings.HasPrefix(k, "@") {
				continue
			}
			*out = append(*out, expandTerm(t, ctx, k))
			switch c := c.(type) {
			case []any:
				for _, e := range c {
					if _, node := e.(map[string]any); node {
						values += compactIRIs(t, ctx, e, out)
					} else {
						values++
					}
				}
			case map[string]any:
				values += compactIRIs(t, ctx, c, out)
			default:
				values++
			}
		}
	}
	return values
}

func expandTerm(t *testing.T, ctx map[string]any, key string) string {
	t.Helper()
	switch d := ctx[key].(type) {
	case string:
		return expandTerm(t, ctx, d)
	case map[string]any:
		return expandTerm(t, ctx, d["@id"].(string))
	}
	prefix, suffix, ok := strings.Cut(key, ":")
	base, known := ctx[prefix].(string)
	if !ok || !known {
		if strings.HasPrefix(key, "https://") || strings.HasPrefix(key, "http://") {
			return key
		}
		t.Fatalf("key %q maps to no IRI under the context", key)
	}
	return base + suffix
}

// expandedIRIs appends every property IRI of an expanded document and
// counts its values (value objects and node references); every property
// and type must be an absolute IRI.
func expandedIRIs(t *testing.T, v any, out *[]string, values *int) {
	t.Helper()
	switch x := v.(type) {
	case []any:
		for _, c := range x {
			expandedIRIs(t, c, out, values)
		}
	case map[string]any:
		if _, ok := x["@value"]; ok {
			*values++
			return
		}
		if _, ok := x["@id"]; ok && len(x) == 1 {
			*values++
			return
		}
		for k, c := range x {
			switch {
			case k == "@type":
				for _, typ := range c.([]any) {
					if s := typ.(string); !absolute(s) {
						t.Errorf("type %q is no absolute IRI", s)
					}
				}
			case strings.HasPrefix(k, "@"):
			case !absolute(k):
				t.Errorf("property %q is no absolute IRI", k)
			default:
				*out = append(*out, k)
				expandedIRIs(t, c, out, values)
			}
		}
	}
}

func absolute(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
