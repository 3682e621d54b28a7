// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestServeSIGTERM sends SIGTERM to a real "omadata serve" in the middle
// of a write load of consents over HTTP, on each engine: /readyz turns 503
// while requests are still served, every request sent before the signal
// gets an answer (none is cut off mid-request), every write acknowledged
// with a 2xx is in the database afterwards, the webhook deliveries it had
// claimed (held by a slow receiver) are handed back, and the process exits
// 0 within OMADATA_SHUTDOWN_TIMEOUT, logging each phase.
func TestServeSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts a process per engine")
	}
	bin, keyFile := buildServer(t)
	t.Run("sqlite", func(t *testing.T) {
		testSIGTERM(t, bin, keyFile, "sqlite:"+filepath.Join(t.TempDir(), "omadata.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		testSIGTERM(t, bin, keyFile, storetest.PostgresSchema(t, storetest.PostgresDSN(t)))
	})
}

// The shutdown settings of TestServeSIGTERM: a short delay, and a bound
// that the deliveries held by the receiver outlast, so that they are cut
// short and handed back.
const (
	sigtermDelay   = 500 * time.Millisecond
	sigtermTimeout = 6 * time.Second
)

// ack is a write the server acknowledged: the consent and the status it
// must have in the database.
type ack struct{ id, status string }

func testSIGTERM(t *testing.T, bin, keyFile, dsn string) {
	s := storetest.OpenURL(t, dsn)
	n := storetest.CreateNetwork(t, s)
	ctx := storetest.Admin()

	// A receiver that holds every webhook until its request is cancelled.
	var held atomic.Int32
	stop := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client going away
		held.Add(1)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(stop) }) // first
	if _, err := s.RotateWebhookSecret(ctx, n.Sink.ID); err != nil {
		t.Fatal(err)
	}
	eps := omadata.ServiceEndpoints{Webhook: rcv.URL}
	if _, err := s.UpdateService(ctx, n.Sink.ID, omadata.ServiceUpdate{Endpoints: &eps}); err != nil {
		t.Fatal(err)
	}

	const clients = 8
	sessions := make([]string, clients)
	for i := range sessions {
		r := storetest.CreateResident(t, s, storetest.ChildBornOn(time.Date(1980, 1, 1+i, 0, 0, 0, 0, time.UTC))) // an adult
		sess, err := s.CreateSession(ctx, r.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		sessions[i] = sess.Token
	}

	p := spawnProcess(t, bin, dsn, keyFile, "OMADATA_LOG_LEVEL=info", "OMADATA_WEBHOOK_WORKERS=2",
		"OMADATA_SHUTDOWN_DELAY="+sigtermDelay.String(), "OMADATA_SHUTDOWN_TIMEOUT="+sigtermTimeout.String())
	base := p.wait(t)

	var (
		mu       sync.Mutex
		acks     []ack
		failures []string // requests sent before the signal without an answer
		answered atomic.Int64
		sigAt    atomic.Pointer[time.Time]
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	post := func(path, token string, body any) (int, []byte, error) {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest("POST", base+path, r)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		sent := time.Now()
		res, err := client.Do(req)
		if err != nil {
			if at := sigAt.Load(); at == nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s before the signal: %v", path, err))
				mu.Unlock()
			} else if sent.Before(*at) {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s sent %s before the signal: %v", path, at.Sub(sent), err))
				mu.Unlock()
			}
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err == nil {
			answered.Add(1)
		}
		return res.StatusCode, b, err
	}
	var wg sync.WaitGroup
	for _, token := range sessions {
		wg.Go(func() {
			for {
				code, b, err := post("/api/v1/me/consents", token, map[string]any{"processing_id": n.Processing.ID, "version": 1, "language": "fi"})
				if err != nil || code == http.StatusServiceUnavailable {
					return
				} else if code != http.StatusCreated {
					t.Errorf("give consent: got %d: %s", code, b)
					return
				}
				var c omadata.Consent
				if err := json.Unmarshal(b, &c); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acks = append(acks, ack{c.ID, omadata.ConsentGiven})
				mu.Unlock()
				code, b, err = post("/api/v1/me/consents/"+c.ID+"/withdraw", token, nil)
				if err != nil || code == http.StatusServiceUnavailable {
					return
				} else if code != http.StatusOK {
					t.Errorf("withdraw consent: got %d: %s", code, b)
					return
				}
				mu.Lock()
				acks = append(acks, ack{c.ID, omadata.ConsentWithdrawn})
				mu.Unlock()
			}
		})
	}

	// Signal in the middle of the load, once deliveries are held.
	deadline := time.Now().Add(30 * time.Second)
	for answered.Load() < 200 || held.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d answers, %d webhooks held; want 200 and 1\n%s", answered.Load(), held.Load(), p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	now := time.Now()
	sigAt.Store(&now)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// /readyz says 503 while the instance still answers.
	notReady := false
	for !notReady && time.Since(now) < sigtermDelay {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			break
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		notReady = res.StatusCode == http.StatusServiceUnavailable
	}
	if !notReady {
		t.Errorf("/readyz did not say 503 in the %s after SIGTERM", sigtermDelay)
	}

	select {
	case <-p.exited:
	case <-time.After(sigtermTimeout + 5*time.Second):
		t.Fatalf("still running %s after SIGTERM\n%s", sigtermTimeout+5*time.Second, p.stderr)
	}
	took := time.Since(now)
	wg.Wait()
	logs := p.stderr.String()
	if p.err != nil {
		t.Fatalf("exited with %v, want 0\n%s", p.err, logs)
	} else if took > sigtermTimeout+time.Second {
		t.Errorf("exited %s after SIGTERM, want within OMADATA_SHUTDOWN_TIMEOUT %s", took, sigtermTimeout)
	}
	for _, f := range failures {
		t.Errorf("no answer: %s", f)
	}
	at := 0
	for _, phase := range []string{"shutdown: not ready", "shutdown: no longer accepting", "shutdown: requests finished",
		"webhook deliveries in flight cut short", "shutdown: background work stopped", `"msg":"stopped"`} {
		i := strings.Index(logs[at:], phase)
		if i < 0 {
			t.Fatalf("the log has no %q after the phases before it:\n%s", phase, logs[max(0, len(logs)-4000):])
		}
		at += i
	}

	// Every acknowledged write is there; the latest ack of a consent is its state.
	want := map[string]string{}
	for _, a := range acks {
		want[a.id] = a.status
	}
	for id, status := range want {
		c, err := s.FindConsentByID(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged consent %s: %v", id, err)
		} else if c.Status != status {
			t.Errorf("consent %s is %s, want %s as acknowledged", id, c.Status, status)
		}
	}
	// The held deliveries were handed back: none is leased, none counted.
	ds, _, err := s.FindDeliveries(ctx, omadata.DeliveryFilter{ServiceID: &n.Sink.ID, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.LockedUntil != nil && d.LockedUntil.After(time.Now()) || d.Attempts != 0 || d.Status != omadata.DeliveryPending {
			t.Errorf("delivery %s: %s after %d attempts, leased until %v; want pending, untried, released", d.ID, d.Status, d.Attempts, d.LockedUntil)
		}
	}
	t.Logf("%d writes acknowledged (%d consents), %d webhooks held and handed back, exit %s after SIGTERM",
		len(acks), len(want), held.Load(), took.Round(time.Millisecond))
}
