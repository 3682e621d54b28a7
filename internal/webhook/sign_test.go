// SPDX-License-Identifier: Apache-2.0

package webhook_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/omadata/omadata/internal/webhook"
)

// The test vector of standards.md §9.1.
const (
	vectorSecret = "whsec_b21hZGF0YS13ZWJob29rLXRlc3Qta2V5"
	vectorID     = "evt_0001"
	vectorTS     = 1767225600
	vectorBody   = `{"specversion":"1.0","type":"fi.omadata.consent.withdrawn","source":"https://omadata.example/consents","id":"evt_0001"}`
	vectorSig    = "v1,NeOaNhj0P15fBqhOqigVGsnn410eX3Yi4Zf2vnKrwU8="
)

func secretBytes(t *testing.T, whsec string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func headers(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(webhook.HeaderID, id)
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(webhook.HeaderSignature, sig)
	return h
}

func TestSignVector(t *testing.T) {
	got := webhook.Sign(secretBytes(t, vectorSecret), vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if got != vectorSig {
		t.Fatalf("got %s, want %s", got, vectorSig)
	}
}

// TestOfficialVerifier checks our signatures with the Standard Webhooks
// reference library, and its signatures with our Verify.
func TestOfficialVerifier(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	key := secretBytes(t, vectorSecret)
	vectorAt := time.Unix(vectorTS, 0)
	if err := wh.VerifyIgnoringTimestamp([]byte(vectorBody), headers(vectorID, vectorAt, webhook.Sign(key, vectorID, vectorAt, []byte(vectorBody)))); err != nil {
		t.Fatalf("the reference library rejects the vector: %v", err)
	}
	now := time.Now()
	body := []byte(`{"specversion":"1.0","id":"evt_01jq8m2k3n4p5q6r7s8t9v0w1x","data":{"status":"given"}}`)
	if err := wh.Verify(body, headers("evt_01jq8m2k3n4p5q6r7s8t9v0w1x", now, webhook.Sign(key, "evt_01jq8m2k3n4p5q6r7s8t9v0w1x", now, body))); err != nil {
		t.Fatalf("the reference library rejects a fresh signature: %v", err)
	}
	theirs, err := wh.Sign("evt_x", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(key, headers("evt_x", now, theirs), body, now, 5*time.Minute); err != nil {
		t.Fatalf("Verify rejects the reference library's signature: %v", err)
	}
}

func TestVerify(t *testing.T) {
	key := secretBytes(t, vectorSecret)
	now := time.Unix(vectorTS, 0)
	body := []byte(vectorBody)
	good := webhook.Sign(key, vectorID, now, body)
	other := webhook.Sign([]byte("another secret of enough bytes!!"), vectorID, now, body)
	tests := []struct {
		name string
		h    http.Header
		body string
		at   time.Time
		want error
	}{
		{"valid", headers(vectorID, now, good), vectorBody, now, nil},
		{"valid among rotated signatures", headers(vectorID, now, other+" v1a,xyz "+good), vectorBody, now, nil},
		{"within tolerance", headers(vectorID, now, good), vectorBody, now.Add(4 * time.Minute), nil},
		{"changed body", headers(vectorID, now, good), vectorBody + " ", now, webhook.ErrSignature},
		{"other id", headers("evt_0002", now, good), vectorBody, now, webhook.ErrSignature},
		{"other secret", headers(vectorID, now, other), vectorBody, now, webhook.ErrSignature},
		{"not base64", headers(vectorID, now, "v1,***"), vectorBody, now, webhook.ErrSignature},
		{"other version only", headers(vectorID, now, "v2,"+strings.TrimPrefix(good, "v1,")), vectorBody, now, webhook.ErrSignature},
		{"too old", headers(vectorID, now, good), vectorBody, now.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"too new", headers(vectorID, now, good), vectorBody, now.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"no signature", headers(vectorID, now, ""), vectorBody, now, webhook.ErrMissingHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := webhook.Verify(key, tt.h, []byte(tt.body), tt.at, 5*time.Minute); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	h := headers(vectorID, now, good)
	h.Set(webhook.HeaderTimestamp, "soon")
	if got := webhook.Verify(key, h, body, now, 5*time.Minute); got != webhook.ErrTimestamp {
		t.Fatalf("bad timestamp: got %v, want %v", got, webhook.ErrTimestamp)
	}
}
