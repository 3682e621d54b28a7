// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/webhook"
)

type deliveryList struct {
	Items      []omadata.Delivery `json:"items"`
	NextCursor string             `json:"next_cursor"`
}

func deliveryIDs(l deliveryList) []string {
	var out []string
	for _, d := range l.Items {
		out = append(out, d.ID)
	}
	return out
}

func TestWebhookSecretAPI(t *testing.T) {
	e := newEnv(t, nil)
	_, tokHooks := e.credential(t, e.svcA, omadata.ScopeWebhooks)
	secretRE := regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)
	tests := []struct {
		name, token, svc string
		status           int
	}{
		{"admin", e.admin, e.svcB, 201},
		{"service for itself", tokHooks, e.svcA, 201},
		{"service for another", tokHooks, e.svcB, 404},
		{"service without the webhooks scope", e.tokA, e.svcA, 403},
		{"unknown service", e.admin, omadata.NewID(omadata.PrefixService), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/services/"+tt.svc+"/webhook-secret", tt.token, nil)
			wantStatus(t, r, tt.status)
			if tt.status != 201 {
				return
			}
			var s omadata.WebhookSecret
			r.decode(t, &s)
			if s.ServiceID != tt.svc || !secretRE.MatchString(s.Secret) {
				t.Fatalf("got %+v, want a whsec_ secret for %s", s, tt.svc)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("got Cache-Control %q, want no-store: the response holds a secret", got)
			}
			if strings.Contains(e.dump(t), strings.TrimPrefix(s.Secret, "whsec_")) {
				t.Fatal("the secret is stored in the clear")
			}
			if strings.Contains(e.logs.String(), strings.TrimPrefix(s.Secret, "whsec_")) {
				t.Fatal("the secret is in the logs")
			}
		})
	}
}

func TestDeliveriesAPI(t *testing.T) {
	e := newEnv(t, nil)
	_, tokHooks := e.credential(t, e.svcA, omadata.ScopeWebhooks)
	var own []string
	for range 3 {
		own = append(own, storetest.InsertDelivery(t, e.store, e.svcA, omadata.EventConsentGiven, time.Now()))
		time.Sleep(2 * time.Millisecond) // IDs sort by their millisecond
	}
	other := storetest.InsertDelivery(t, e.store, e.svcB, omadata.EventConsentGiven, time.Now())

	var l deliveryList
	r := e.do(t, "GET", "/api/v1/deliveries", e.admin, nil)
	wantStatus(t, r, 200)
	r.decode(t, &l)
	if len(l.Items) != 4 {
		t.Fatalf("admin got %v, want 4 deliveries", deliveryIDs(l))
	}

	r = e.do(t, "GET", "/api/v1/deliveries?limit=2", tokHooks, nil)
	wantStatus(t, r, 200)
	r.decode(t, &l)
	first := deliveryIDs(l)
	r = e.do(t, "GET", "/api/v1/deliveries?limit=2&cursor="+l.NextCursor, tokHooks, nil)
	wantStatus(t, r, 200)
	l = deliveryList{}
	r.decode(t, &l)
	if got := strings.Join(append(first, deliveryIDs(l)...), ","); got != strings.Join(own, ",") || l.NextCursor != "" {
		t.Fatalf("service pages got %s, want its own %v", got, own)
	}
	if l.Items[0].Payload == nil || l.Items[0].Type != omadata.EventConsentGiven {
		t.Fatalf("got %+v, want the event and its payload", l.Items[0])
	}

	l = deliveryList{}
	r = e.do(t, "GET", "/api/v1/deliveries?service_id="+e.svcB, tokHooks, nil)
	wantStatus(t, r, 200)
	r.decode(t, &l)
	if len(l.Items) != 0 {
		t.Fatalf("a service asking for another's deliveries got %v, want none", deliveryIDs(l))
	}
	r = e.do(t, "GET", "/api/v1/deliveries?service_id="+e.svcB, e.admin, nil)
	r.decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != other {
		t.Fatalf("admin filtering by B got %v, want %s", deliveryIDs(l), other)
	}

	for _, q := range []struct{ query, field string }{
		{"status=lost", "status"}, {"service_id=nope", "service_id"}, {"cursor=xyz", "cursor"}, {"limit=0", "limit"},
	} {
		r := e.do(t, "GET", "/api/v1/deliveries?"+q.query, e.admin, nil)
		wantStatus(t, r, 400)
		if got := r.err(t).Field; got != q.field {
			t.Errorf("%s: got field %q, want %q", q.query, got, q.field)
		}
	}
	wantStatus(t, e.do(t, "GET", "/api/v1/deliveries", e.tokA, nil), 403)
}

// TestDeadLetterRedeliver: a receiver that answered 410 Gone leaves a dead
// letter; an admin finds it and replays it, and it arrives, with the same
// webhook-id, once the receiver is back.
func TestDeadLetterRedeliver(t *testing.T) {
	e := newEnv(t, nil)
	_, tokHooks := e.credential(t, e.svcA, omadata.ScopeWebhooks)

	var mu sync.Mutex
	var secret []byte
	gone := true
	var received []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		received = append(received, r.Header.Get(webhook.HeaderID))
		if gone {
			w.WriteHeader(http.StatusGone)
		}
	}))
	t.Cleanup(rcv.Close)

	r := e.do(t, "PATCH", "/api/v1/services/"+e.svcA, e.admin, map[string]any{"endpoints": map[string]string{"webhook": rcv.URL}})
	wantStatus(t, r, 200)
	r = e.do(t, "POST", "/api/v1/services/"+e.svcA+"/webhook-secret", tokHooks, nil)
	wantStatus(t, r, 201)
	var s omadata.WebhookSecret
	r.decode(t, &s)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s.Secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = key
	mu.Unlock()

	id := storetest.InsertDelivery(t, e.store, e.svcA, omadata.EventConsentWithdrawn, time.Now())
	d := webhook.New(webhook.Options{Queue: e.store})
	if n, err := d.RunOnce(adminCtx()); err != nil || n != 1 {
		t.Fatalf("sent %d (%v), want 1", n, err)
	}

	var l deliveryList
	r = e.do(t, "GET", "/api/v1/deliveries?status=dead", tokHooks, nil)
	wantStatus(t, r, 200)
	r.decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != id || l.Items[0].LastStatus != 410 || l.Items[0].Attempts != 1 {
		t.Fatalf("dead letters got %+v, want %s dead after one 410", l.Items, id)
	}

	wantStatus(t, e.do(t, "POST", "/api/v1/deliveries/"+id+"/redeliver", tokHooks, nil), 403)
	wantStatus(t, e.do(t, "POST", "/api/v1/deliveries/"+omadata.NewID(omadata.PrefixEvent)+"/redeliver", e.admin, nil), 404)
	mu.Lock()
	gone = false
	mu.Unlock()
	r = e.do(t, "POST", "/api/v1/deliveries/"+id+"/redeliver", e.admin, nil)
	wantStatus(t, r, 200)
	var got omadata.Delivery
	r.decode(t, &got)
	if got.ID != id || got.Status != omadata.DeliveryPending || got.Attempts != 0 {
		t.Fatalf("got %+v, want %s pending with attempts reset", got, id)
	}
	if r := e.do(t, "POST", "/api/v1/deliveries/"+id+"/redeliver", e.admin, nil); r.status != 409 || r.err(t).Field != "status" {
		t.Fatalf("redelivering a pending delivery got %d %s, want 409 on status", r.status, r.body)
	}

	if n, err := d.RunOnce(adminCtx()); err != nil || n != 1 {
		t.Fatalf("sent %d (%v), want 1", n, err)
	}
	r = e.do(t, "GET", "/api/v1/deliveries?status=delivered", e.admin, nil)
	l = deliveryList{}
	r.decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != id {
		t.Fatalf("delivered got %v, want %s", deliveryIDs(l), id)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(received, ",") != id+","+id {
		t.Fatalf("receiver got %v, want %s twice, signed", received, id)
	}
}
