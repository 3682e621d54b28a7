// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// AsScoped returns a context carrying a service caller with only scopes.
func AsScoped(serviceID string, scopes ...string) context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{
		Kind: omadata.CallerService, TokenID: "cred_test", ServiceID: serviceID, Scopes: scopes,
	})
}

// InsertDelivery writes a pending outbox row for a service, due at due, as
// the store's enqueue does, and returns its ID.
func InsertDelivery(t testing.TB, s *store.Store, serviceID, eventType string, due time.Time) string {
	t.Helper()
	id := omadata.NewID(omadata.PrefixEvent)
	payload := `{"specversion":"1.0","id":"` + id + `","source":"https://omadata.test","type":"fi.omadata.` + eventType + `","data":{}}`
	if err := s.DB().Exec(context.Background(), `INSERT INTO outbox (id, service_id, type, payload, status, attempts, next_attempt_at, last_status, last_error, created_at)
		VALUES (?, ?, ?, ?, 'pending', 0, ?, 0, '', ?)`, id, serviceID, eventType, payload, due, due); err != nil {
		t.Fatal(err)
	}
	return id
}

// findDelivery returns the admin's view of one delivery.
func findDelivery(t *testing.T, s *store.Store, id string) *omadata.Delivery {
	t.Helper()
	ds, _, err := s.FindDeliveries(Admin(), omadata.DeliveryFilter{Limit: store.MaxLimit})
	ok(t, err)
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("delivery %s not found", id)
	return nil
}

func deliveryIDs(ds []*omadata.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func testDeliveryClaim(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	first := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0.Add(-3*time.Second))
	second := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentWithdrawn, t0.Add(-2*time.Second))
	third := InsertDelivery(t, s, n.Source.ID, omadata.EventConsentGiven, t0.Add(-time.Second))
	later := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0.Add(time.Minute))

	got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 2, time.Minute))
	if strings.Join(deliveryIDs(got), ",") != first+","+second {
		t.Fatalf("got %v, want the two oldest due rows %s, %s", deliveryIDs(got), first, second)
	}
	for _, d := range got {
		if d.LockedUntil == nil || !d.LockedUntil.Equal(t0.Add(time.Minute)) {
			t.Fatalf("got lease %v, want %v", d.LockedUntil, t0.Add(time.Minute))
		}
	}
	got = must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute))
	if len(got) != 1 || got[0].ID != third {
		t.Fatalf("second claim got %v, want only %s", deliveryIDs(got), third)
	}
	if got = must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute)); len(got) != 0 {
		t.Fatalf("third claim got %v, want none: every due row is leased", deliveryIDs(got))
	}

	// A lease that ran out (the deliverer died) frees the row; the row
	// not yet due is claimed once it is.
	fixedClock(s, t0.Add(time.Minute))
	got = must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, 30*time.Second))
	if strings.Join(deliveryIDs(got), ",") != first+","+second+","+third+","+later {
		t.Fatalf("after the lease got %v, want all four rows", deliveryIDs(got))
	}

	_, err := s.ClaimDeliveries(As(n.Sink.ID), 1, time.Minute)
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.ClaimDeliveries(Admin(), 0, time.Minute)
	wantField(t, err, omadata.EINVALID, "limit")
	_, err = s.ClaimDeliveries(Admin(), 1, 0)
	wantField(t, err, omadata.EINVALID, "lease")
}

func testDeliveryComplete(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	id := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0)
	claim := func() *omadata.Delivery {
		t.Helper()
		got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute))
		if len(got) != 1 || got[0].ID != id {
			t.Fatalf("claimed %v, want %s", deliveryIDs(got), id)
		}
		return got[0]
	}

	d := claim()
	ok(t, s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: omadata.DeliveryPending, RetryIn: 5 * time.Second,
		HTTPStatus: 500, Error: "HTTP 500", Lease: *d.LockedUntil}))
	d = findDelivery(t, s, id)
	if d.Status != omadata.DeliveryPending || d.Attempts != 1 || !d.NextAttemptAt.Equal(t0.Add(5*time.Second)) ||
		d.LastStatus != 500 || d.LastError != "HTTP 500" || d.DeliveredAt != nil {
		t.Fatalf("after a failed attempt got %+v, want pending, 1 attempt, due in 5 s, status 500", d)
	}
	if got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute)); len(got) != 0 {
		t.Fatalf("claimed %v before the retry was due", deliveryIDs(got))
	}

	// A deliverer that outlived its lease cannot record over the next one.
	fixedClock(s, t0.Add(5*time.Second))
	stale := claim()
	fixedClock(s, t0.Add(5*time.Second+time.Minute))
	fresh := claim()
	err := s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: omadata.DeliveryDelivered, HTTPStatus: 200, Lease: *stale.LockedUntil})
	wantField(t, err, omadata.ECONFLICT, "lease")
	ok(t, s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: omadata.DeliveryDelivered, HTTPStatus: 204, Lease: *fresh.LockedUntil}))
	d = findDelivery(t, s, id)
	if d.Status != omadata.DeliveryDelivered || d.Attempts != 2 || d.LastStatus != 204 || d.LastError != "" ||
		d.DeliveredAt == nil || !d.DeliveredAt.Equal(t0.Add(5*time.Second+time.Minute)) {
		t.Fatalf("after delivery got %+v, want delivered on attempt 2 with status 204", d)
	}
	err = s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: omadata.DeliveryDead, Lease: *fresh.LockedUntil})
	wantField(t, err, omadata.ECONFLICT, "lease")

	dead := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0)
	got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute))
	long := strings.Repeat("x", 2000)
	ok(t, s.CompleteDelivery(Admin(), dead, omadata.DeliveryResult{Status: omadata.DeliveryDead, HTTPStatus: 410, Error: long, Lease: *got[0].LockedUntil}))
	d = findDelivery(t, s, dead)
	if d.Status != omadata.DeliveryDead || d.Attempts != 1 || d.LastStatus != 410 || len(d.LastError) == 0 || len(d.LastError) > 500 {
		t.Fatalf("got %+v, want dead after one attempt with status 410 and a bounded error", d)
	}
	if got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Hour)); len(got) != 0 {
		t.Fatalf("claimed %v, want nothing: dead and delivered rows are never claimed", deliveryIDs(got))
	}

	wantCode(t, s.CompleteDelivery(Admin(), omadata.NewID(omadata.PrefixEvent), omadata.DeliveryResult{Status: omadata.DeliveryDead}), omadata.ENOTFOUND)
	wantField(t, s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: "lost"}), omadata.EINVALID, "status")
	wantCode(t, s.CompleteDelivery(As(n.Sink.ID), id, omadata.DeliveryResult{Status: omadata.DeliveryDead}), omadata.EFORBIDDEN)
}

// testDeliveryRelease: a deliverer shutting down hands back what it
// claimed: the next claim takes the row at once, with no attempt counted;
// a lease that ran out and went to another deliverer is not released.
func testDeliveryRelease(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	id := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0)
	got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute))
	if len(got) != 1 {
		t.Fatalf("claimed %v, want %s", deliveryIDs(got), id)
	}
	ok(t, s.ReleaseDelivery(Admin(), id, *got[0].LockedUntil))
	fixedClock(s, t0.Add(time.Second))
	again := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute))
	if len(again) != 1 || again[0].ID != id || again[0].Attempts != 0 {
		t.Fatalf("after the release claimed %+v, want %s at once with 0 attempts", again, id)
	}
	// Released twice, or after the lease ran out and another claimed it:
	// the other's claim stands.
	wantField(t, s.ReleaseDelivery(Admin(), id, *got[0].LockedUntil), omadata.ECONFLICT, "lease")
	fixedClock(s, t0.Add(2*time.Minute))
	other := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute))
	if len(other) != 1 {
		t.Fatalf("claimed %v after the lease ran out, want %s", deliveryIDs(other), id)
	}
	wantField(t, s.ReleaseDelivery(Admin(), id, *again[0].LockedUntil), omadata.ECONFLICT, "lease")
	if got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 10, time.Minute)); len(got) != 0 {
		t.Fatalf("claimed %v, want nothing: the other deliverer's lease holds", deliveryIDs(got))
	}

	ok(t, s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: omadata.DeliveryDelivered, HTTPStatus: 200, Lease: *other[0].LockedUntil}))
	wantField(t, s.ReleaseDelivery(Admin(), id, *other[0].LockedUntil), omadata.ECONFLICT, "lease")
	wantCode(t, s.ReleaseDelivery(Admin(), omadata.NewID(omadata.PrefixEvent), t0), omadata.ENOTFOUND)
	wantCode(t, s.ReleaseDelivery(As(n.Sink.ID), id, t0), omadata.EFORBIDDEN)
}

func testDeliveryRedeliver(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	id := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentWithdrawn, t0)

	_, err := s.Redeliver(Admin(), id)
	wantField(t, err, omadata.ECONFLICT, "status")

	got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 1, time.Minute))
	ok(t, s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: omadata.DeliveryDead, HTTPStatus: 410, Error: "HTTP 410", Lease: *got[0].LockedUntil}))

	_, err = s.Redeliver(As(n.Sink.ID), id)
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.Redeliver(Admin(), omadata.NewID(omadata.PrefixEvent))
	wantCode(t, err, omadata.ENOTFOUND)

	fixedClock(s, t0.Add(time.Hour))
	d := must[*omadata.Delivery](t)(s.Redeliver(Admin(), id))
	if d.ID != id || d.Status != omadata.DeliveryPending || d.Attempts != 0 || !d.NextAttemptAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("got %+v, want the same delivery pending, 0 attempts, due now", d)
	}
	if stored := findDelivery(t, s, id); stored.Status != omadata.DeliveryPending || stored.Attempts != 0 || stored.LastStatus != 410 {
		t.Fatalf("stored %+v, want pending with the last failure kept for the record", stored)
	}
	got = must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 1, time.Minute))
	if len(got) != 1 || got[0].ID != id {
		t.Fatalf("claimed %v, want the redelivered row", deliveryIDs(got))
	}
	ok(t, s.CompleteDelivery(Admin(), id, omadata.DeliveryResult{Status: omadata.DeliveryDelivered, HTTPStatus: 200, Lease: *got[0].LockedUntil}))
	if d = must[*omadata.Delivery](t)(s.Redeliver(Admin(), id)); d.Status != omadata.DeliveryPending || d.DeliveredAt != nil {
		t.Fatalf("redelivering a delivered row got %+v, want pending without delivered_at", d)
	}
}

func testDeliveryVisibility(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	var sinkIDs []string
	for range 3 {
		sinkIDs = append(sinkIDs, InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0))
		time.Sleep(2 * time.Millisecond) // IDs sort by their millisecond
	}
	srcID := InsertDelivery(t, s, n.Source.ID, omadata.EventReleaseRecorded, t0)

	all, next := mustDeliveries(t)(s.FindDeliveries(Admin(), omadata.DeliveryFilter{}))
	if len(all) != 4 || next != "" {
		t.Fatalf("admin got %d deliveries (next %q), want 4 on one page", len(all), next)
	}
	sink := AsScoped(n.Sink.ID, omadata.ScopeWebhooks)
	own, _ := mustDeliveries(t)(s.FindDeliveries(sink, omadata.DeliveryFilter{}))
	if strings.Join(deliveryIDs(own), ",") != strings.Join(sinkIDs, ",") {
		t.Fatalf("sink got %v, want its own %v", deliveryIDs(own), sinkIDs)
	}
	other, _ := mustDeliveries(t)(s.FindDeliveries(sink, omadata.DeliveryFilter{ServiceID: &n.Source.ID}))
	if len(other) != 0 {
		t.Fatalf("sink asking for the source's deliveries got %v, want none", deliveryIDs(other))
	}
	bySvc, _ := mustDeliveries(t)(s.FindDeliveries(Admin(), omadata.DeliveryFilter{ServiceID: &n.Source.ID}))
	if len(bySvc) != 1 || bySvc[0].ID != srcID || string(bySvc[0].Payload) == "" {
		t.Fatalf("admin filtering by the source got %v, want %s with its payload", deliveryIDs(bySvc), srcID)
	}

	p1, next := mustDeliveries(t)(s.FindDeliveries(sink, omadata.DeliveryFilter{Limit: 2}))
	p2, last := mustDeliveries(t)(s.FindDeliveries(sink, omadata.DeliveryFilter{Limit: 2, After: next}))
	if len(p1) != 2 || next != p1[1].ID || len(p2) != 1 || p2[0].ID != sinkIDs[2] || last != "" {
		t.Fatalf("pages got %v (next %q) and %v (next %q), want 2 then 1", deliveryIDs(p1), next, deliveryIDs(p2), last)
	}

	got := must[[]*omadata.Delivery](t)(s.ClaimDeliveries(Admin(), 1, time.Minute))
	ok(t, s.CompleteDelivery(Admin(), got[0].ID, omadata.DeliveryResult{Status: omadata.DeliveryDead, Lease: *got[0].LockedUntil}))
	dead := omadata.DeliveryDead
	deads, _ := mustDeliveries(t)(s.FindDeliveries(Admin(), omadata.DeliveryFilter{Status: &dead}))
	if len(deads) != 1 || deads[0].ID != got[0].ID {
		t.Fatalf("dead letters got %v, want %s", deliveryIDs(deads), got[0].ID)
	}
	bad := "lost"
	_, _, err := s.FindDeliveries(Admin(), omadata.DeliveryFilter{Status: &bad})
	wantField(t, err, omadata.EINVALID, "status")

	for name, ctx := range map[string]context.Context{
		"service without webhooks": AsScoped(n.Sink.ID, omadata.ScopeCatalogueRead),
		"resident":                 AsResident("res_x"),
		"anonymous":                Public(),
	} {
		if _, _, err := s.FindDeliveries(ctx, omadata.DeliveryFilter{}); omadata.ErrorCode(err) != omadata.EFORBIDDEN {
			t.Errorf("%s: got %v, want forbidden", name, err)
		}
	}
}

func mustDeliveries(t *testing.T) func([]*omadata.Delivery, string, error) ([]*omadata.Delivery, string) {
	return func(ds []*omadata.Delivery, next string, err error) ([]*omadata.Delivery, string) {
		t.Helper()
		ok(t, err)
		return ds, next
	}
}

func testWebhookSecret(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	ctx := context.Background()

	_, _, err := s.WebhookTarget(Admin(), n.Sink.ID)
	wantField(t, err, omadata.ECONFLICT, "webhook_secret")

	sec := must[*omadata.WebhookSecret](t)(s.RotateWebhookSecret(AsScoped(n.Sink.ID, omadata.ScopeWebhooks), n.Sink.ID))
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sec.Secret, "whsec_"))
	if !strings.HasPrefix(sec.Secret, "whsec_") || err != nil || len(raw) != 32 || sec.ServiceID != n.Sink.ID {
		t.Fatalf("got secret %q for %s, want whsec_ and 32 bytes in base64 for %s", sec.Secret, sec.ServiceID, n.Sink.ID)
	}
	rows := must[[][]string](t)(s.DB().QueryStrings(ctx, `SELECT * FROM webhook_secrets`))
	if len(rows) != 1 {
		t.Fatalf("got %d secret rows, want 1", len(rows))
	}
	for _, v := range rows[0] {
		if strings.Contains(v, strings.TrimPrefix(sec.Secret, "whsec_")) || strings.Contains(v, string(raw)) {
			t.Fatalf("the webhook secret is stored in the clear: %q", rows[0])
		}
	}
	url, key := mustTarget(t)(s.WebhookTarget(Admin(), n.Sink.ID))
	if url != n.Sink.Endpoints.Webhook || string(key) != string(raw) {
		t.Fatalf("got target %q with key %x, want %q with the secret's bytes", url, key, n.Sink.Endpoints.Webhook)
	}

	again := must[*omadata.WebhookSecret](t)(s.RotateWebhookSecret(Admin(), n.Sink.ID))
	if again.Secret == sec.Secret {
		t.Fatal("rotation returned the same secret")
	}
	if _, key = mustTarget(t)(s.WebhookTarget(Admin(), n.Sink.ID)); base64.StdEncoding.EncodeToString(key) != strings.TrimPrefix(again.Secret, "whsec_") {
		t.Fatal("the target does not sign with the rotated secret")
	}

	_, err = s.RotateWebhookSecret(As(n.Source.ID), n.Sink.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.RotateWebhookSecret(AsScoped(n.Sink.ID, omadata.ScopeCatalogueWrite), n.Sink.ID)
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.RotateWebhookSecret(AsResident("res_x"), n.Sink.ID)
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.RotateWebhookSecret(Admin(), "svc_nope")
	wantCode(t, err, omadata.ENOTFOUND)
	_, _, err = s.WebhookTarget(As(n.Sink.ID), n.Sink.ID)
	wantCode(t, err, omadata.EFORBIDDEN)

	// A sealed secret is bound to its service: copied to another, it does not open.
	must[*omadata.WebhookSecret](t)(s.RotateWebhookSecret(Admin(), n.Source.ID))
	ok(t, s.DB().Exec(ctx, `UPDATE webhook_secrets SET secret_sealed = (SELECT secret_sealed FROM webhook_secrets WHERE service_id = ?) WHERE service_id = ?`, n.Sink.ID, n.Source.ID))
	_, _, err = s.WebhookTarget(Admin(), n.Source.ID)
	wantField(t, err, omadata.ECONFLICT, "webhook_secret")

	// Services that cannot take deliveries now say why.
	none := ""
	noHook := omadata.ServiceEndpoints{API: n.Sink.Endpoints.API, Webhook: none}
	must[*omadata.Service](t)(s.UpdateService(Admin(), n.Sink.ID, omadata.ServiceUpdate{Endpoints: &noHook}))
	_, _, err = s.WebhookTarget(Admin(), n.Sink.ID)
	wantField(t, err, omadata.ECONFLICT, "endpoints.webhook")
	must[*omadata.Service](t)(s.SetServiceStatus(Admin(), n.Sink.ID, omadata.ServiceSuspended))
	_, _, err = s.WebhookTarget(Admin(), n.Sink.ID)
	wantField(t, err, omadata.ECONFLICT, "status")
	_, _, err = s.WebhookTarget(Admin(), omadata.NewID(omadata.PrefixService))
	wantCode(t, err, omadata.ENOTFOUND)
}

func mustTarget(t *testing.T) func(string, []byte, error) (string, []byte) {
	return func(s string, b []byte, err error) (string, []byte) {
		t.Helper()
		ok(t, err)
		return s, b
	}
}
