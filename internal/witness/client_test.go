// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/witness"
)

func TestClientAddCheckpoint(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 8)
	e := newWitnessEnv(t, "espoo.example/witness", l)
	c := &witness.Client{}

	req := request(t, l, 0)
	lines, err := c.AddCheckpoint(ctx, e.URL()+"/", req)
	if err != nil || len(lines) != 1 {
		t.Fatalf("got %q, %v; want one line", lines, err)
	}
	expectCosigned(t, e, 200, "text/plain; charset=utf-8", lines[0], req.Checkpoint)

	_, err = c.AddCheckpoint(ctx, e.URL(), request(t, l, 0))
	var conflict *witness.ConflictError
	if !errors.As(err, &conflict) || conflict.Size != 8 {
		t.Fatalf("got %v, want ConflictError{8}", err)
	}

	other := testLog(t, "other.example/log", 2)
	_, err = c.AddCheckpoint(ctx, e.URL(), request(t, other, 0))
	var se *witness.StatusError
	if !errors.As(err, &se) || se.Status != 404 || !strings.Contains(se.Body, "other.example/log") {
		t.Fatalf("got %v, want StatusError 404 with the reason", err)
	}
}

func TestClientRefusesAnswers(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 8)
	e := newWitnessEnv(t, "espoo.example/witness", l)
	for _, c := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		status int // of a StatusError; 0: another error
	}{
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, e.URL()+"/add-checkpoint", http.StatusPermanentRedirect)
		}, 308},
		{"409 without its content type", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(409)
			w.Write([]byte("8\n"))
		}, 409},
		{"409 with a bad size", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(409)
			w.Write([]byte("08\n"))
		}, 409},
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, 500},
		{"200 not signature lines", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello\n")) }, 0},
		{"200 empty", func(w http.ResponseWriter, r *http.Request) {}, 0},
		{"200 too large", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Repeat("— w AAAAAAAAAAAA\n", 5000)))
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(c.answer))
			defer srv.Close()
			lines, err := (&witness.Client{HTTP: srv.Client()}).AddCheckpoint(ctx, srv.URL, request(t, l, 0))
			var se *witness.StatusError
			if err == nil || lines != nil {
				t.Fatalf("got %q, %v; want an error", lines, err)
			}
			if c.status != 0 && (!errors.As(err, &se) || se.Status != c.status) {
				t.Fatalf("got %v, want StatusError %d", err, c.status)
			}
			var ce *witness.ConflictError
			if errors.As(err, &ce) {
				t.Fatalf("got ConflictError from %v", err)
			}
		})
	}
	// The redirect was not followed: the witness saw no request.
	if len(e.Statuses) != 0 {
		t.Fatalf("the witness answered %v", e.Statuses)
	}
}
