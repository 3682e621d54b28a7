// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/skips"
)

// peerDataset is a Dataset with its catalogue's IDs and no database, for
// the parts of the peer that need only the mix.
func peerDataset(mix, pool int) *Dataset {
	return &Dataset{
		Mix: mix, Pool: pool, ids: newIDGen(),
		Source: &omadata.Service{ID: "svc_source"}, Sink: &omadata.Service{ID: "svc_sink"},
		Loans:           &omadata.DataGroup{ID: "dgr_loans"},
		Recommendations: &omadata.Purpose{ID: "pur_recommendations"}, OtherPurpose: &omadata.Purpose{ID: "pur_marketing"},
		Processing: &omadata.Processing{ID: "prc_recommendations"}, OtherProcessing: &omadata.Processing{ID: "prc_offers"},
	}
}

// TestFGATuples checks the tuples written to OpenFGA against the mix: a
// check of W1's question about any resident of the mix, answered as
// OpenFGA answers a direct relation (allowed when the tuple exists), is
// the answer Dataset.Question expects, for every kind of resident.
func TestFGATuples(t *testing.T) {
	d := peerDataset(800, 40)
	tuples := map[fgaTuple]int{}
	for k := range d.Mix {
		for _, tu := range d.fgaTuples(k) {
			if prev, ok := tuples[tu]; ok {
				t.Fatalf("residents %d and %d have the same tuple %v", prev, k, tu)
			}
			tuples[tu] = k
		}
	}
	if want := d.Mix * 5 / 8; len(tuples) != want {
		t.Errorf("got %d tuples, want %d (kinds 0–3 and 6 of %d residents)", len(tuples), want, d.Mix)
	}
	kinds := map[int]int{}
	for k := range d.Mix {
		q, permit, reason := d.Question(k)
		check, want := d.fgaQuestion(k)
		_, allowed := tuples[check]
		if want != permit || allowed != permit {
			t.Errorf("resident %d (kind %d, %q): check %v is allowed %v, expected %v; Question says permit %v", k, d.kind(k), reason, check, allowed, want, permit)
		}
		if check.User != "user:"+q.Pseudonym || check.Relation != "consented" {
			t.Errorf("resident %d: check %v asks about %s", k, check, q.Pseudonym)
		}
		wantObject := map[string]string{d.Recommendations.ID: d.Processing.ID, d.OtherPurpose.ID: d.OtherProcessing.ID}[q.PurposeID]
		if check.Object != "processing:"+wantObject {
			t.Errorf("resident %d: check on %s, want processing:%s for purpose %s", k, check.Object, wantObject, q.PurposeID)
		}
		kinds[d.kind(k)]++
	}
	for kind, want := range map[int]int{kindGiven: 400, kindExpired: 100, kindWithdrawn: 100, kindWrongPurp: 100, kindNone: 100} {
		if kinds[kind] != want {
			t.Errorf("kind %d: got %d residents, want %d", kind, kinds[kind], want)
		}
	}
}

func TestParsePeer(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "openfga")
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, nil, 0o644)
	if got, err := ParsePeer("openfga=" + bin); err != nil || got != bin {
		t.Errorf("ParsePeer(openfga=%s): got %q, %v", bin, got, err)
	}
	for _, v := range []string{"", "openfga", "openfga=", "spicedb=" + bin, "openfga=" + filepath.Join(dir, "missing"), "openfga=" + plain, "openfga=" + dir} {
		if _, err := ParsePeer(v); err == nil {
			t.Errorf("ParsePeer(%q): no error", v)
		}
	}
}

// openfgaBinary returns the OpenFGA binary named by OMADATA_TEST_OPENFGA,
// or skips.
func openfgaBinary(t *testing.T) string {
	bin := os.Getenv("OMADATA_TEST_OPENFGA")
	if bin == "" {
		skips.Skip(t, skips.OpenFGA, "OMADATA_TEST_OPENFGA is not set to the path of an openfga binary; nothing is built here, docs/performance.md says how to build one")
	}
	if _, err := ParsePeer("openfga=" + bin); err != nil {
		t.Fatalf("OMADATA_TEST_OPENFGA: %v", err)
	}
	return bin
}

// TestOpenFGAEngines loads the mix of a small dataset into OpenFGA on each
// engine, in many parallel writes, and asks about every resident: each
// answer must be the mix's.
// Once stopped, the child no longer answers and its SQLite file is gone.
func TestOpenFGAEngines(t *testing.T) {
	bin := openfgaBinary(t)
	d := peerDataset(1144, 40)
	ctx := context.Background()
	for _, engine := range fgaEngines {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			s, err := startOpenFGA(ctx, bin, engine, dir, "test", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			defer s.stop()
			// Small writes, fgaWriters at once on SQLite, where they first wait
			// 2 s for a write lock held by another connection (longer than
			// OpenFGA's own retries on SQLITE_BUSY, about 1.1 s).
			s.batch = 3
			if engine == "sqlite" {
				release := holdWriteLock(t, s.dbPath, 2*time.Second)
				defer release()
			}
			if err := s.loadMix(ctx, d); err != nil {
				t.Fatal(err)
			}
			if want := d.Mix * 5 / 8; s.tuples != want {
				t.Errorf("loaded %d tuples, want %d", s.tuples, want)
			}
			c := Client()
			for k := range d.Mix {
				if err := s.check(ctx, c, d, k); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			if resp, err := c.Get(s.base + "/healthz"); err == nil {
				resp.Body.Close()
				t.Errorf("OpenFGA still answers at %s after stop", s.base)
			}
			left, _ := filepath.Glob(filepath.Join(dir, "*"))
			if len(left) != 1 || left[0] != s.logPath {
				t.Errorf("left in the directory: %v, want only the log %s", left, s.logPath)
			}
		})
	}
}

// holdWriteLock takes the write lock of the SQLite database at path and
// lets it go after d, or when release is called.
func holdWriteLock(t *testing.T, path string, d time.Duration) (release func()) {
	t.Helper()
	driver := ""
	for _, name := range sql.Drivers() {
		if name == "sqlite" || name == "sqlite3" {
			driver = name
		}
	}
	if driver == "" {
		t.Fatalf("no SQLite driver among %v", sql.Drivers())
	}
	db, err := sql.Open(driver, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(ctx, "COMMIT")
			conn.Close()
			db.Close()
		})
	}
	time.AfterFunc(d, release)
	return release
}

// TestRunPeers runs the comparison on a 1e3 dataset with 200 ms probes:
// both engines are measured beside omadata's W1, with no failed
// operation; and an engine that cannot load in time is reported so.
func TestRunPeers(t *testing.T) {
	bin := openfgaBinary(t)
	ctx := context.Background()
	d, err := Load(ctx, LoadOptions{Engine: "sqlite", Dir: t.TempDir(), Records: 1000, Pool: 40})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	_, base, stop, err := serve(ctx, d, newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	r := &Report{}
	if err := runPeers(ctx, r, d, base, 200*time.Millisecond, &PeerOptions{OpenFGA: bin, LoadTimeout: time.Minute, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	r.Markdown(&sb)
	if len(r.Figures) != 4 {
		t.Fatalf("got %d figures, want 4:\n%s", len(r.Figures), sb.String())
	}
	for i, engine := range fgaEngines {
		closed, open := r.Figures[2*i], r.Figures[2*i+1]
		if closed.Workload != "W1 / OpenFGA "+engine || open.Workload != closed.Workload {
			t.Errorf("figures %d, %d: %q, %q", 2*i, 2*i+1, closed.Workload, open.Workload)
		}
		if closed.Value <= 0 || closed.Baseline <= 0 || open.Value <= 0 || open.Baseline <= 0 {
			t.Errorf("%s: a figure is missing:\n%s", engine, sb.String())
		}
	}
	if want := fmt.Sprintf("OpenFGA sqlite: %d tuples", d.Mix*5/8); !strings.Contains(sb.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, sb.String())
	}
	for _, bad := range []string{"first failed operation", "not measured"} {
		if strings.Contains(sb.String(), bad) {
			t.Errorf("report says %q:\n%s", bad, sb.String())
		}
	}

	r = &Report{}
	if err := runPeers(ctx, r, d, base, 200*time.Millisecond, &PeerOptions{OpenFGA: bin, LoadTimeout: time.Millisecond, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if len(r.Figures) != 2 || !strings.Contains(r.Figures[0].Measure, "not loaded within 1ms") || r.Figures[0].Met != -1 {
		t.Errorf("with a 1 ms load timeout: got %+v", r.Figures)
	}
}
