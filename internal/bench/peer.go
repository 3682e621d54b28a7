// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PeerOptions says which outside authorization server Run asks the W1
// questions beside omadata, in the same run, with the same generator and
// client.
type PeerOptions struct {
	// OpenFGA is the path of an openfga binary the user built; it is
	// started as a child process once per engine (sqlite, memory).
	OpenFGA string
	// LoadTimeout bounds the time an engine may take to start and take
	// the dataset's tuples; an engine that takes longer is reported as
	// not loaded and not measured.
	LoadTimeout time.Duration
	// Warmup and Window are each closed loop's unmeasured warm-up and
	// measured window, W1's own (Run sets them); 0 takes them from the
	// probe: the probe and 10/3 of it.
	Warmup, Window time.Duration
	// Dir is where each engine's log file (kept) and SQLite file (deleted)
	// go; os.TempDir() if empty.
	Dir string
}

// ParsePeer reads a --peer value, openfga=PATH, and returns the path of
// the binary, which must be an executable file.
func ParsePeer(v string) (string, error) {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name != "openfga" || path == "" {
		return "", fmt.Errorf("want openfga=PATH, the path of an openfga binary; got %q", v)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("openfga binary: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("openfga binary %s is not an executable file", path)
	}
	return path, nil
}

// The OpenFGA engines the peer runs.
var fgaEngines = []string{"sqlite", "memory"}

// Closed-loop measurement of the peer comparison: as the issue measured
// it, 16 clients for 10 s after a 3 s warm-up at the default 3 s probe;
// both scale with --probe.
const peerClients = 16

func (o *PeerOptions) warmup(probe time.Duration) time.Duration { return cmp.Or(o.Warmup, probe) }
func (o *PeerOptions) window(probe time.Duration) time.Duration { return cmp.Or(o.Window, probe*10/3) }

// fgaTuple is an OpenFGA relationship tuple, user consented on object.
type fgaTuple struct {
	User     string `json:"user"`
	Relation string `json:"relation"`
	Object   string `json:"object"`
}

// The OpenFGA model of a consent: type user; type processing with
// define consented: [user].
const fgaModel = `{"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"processing",
"relations":{"consented":{"this":{}}},"metadata":{"relations":{"consented":{"directly_related_user_types":[{"type":"user"}]}}}}]}`

// fgaTuples returns the tuples of resident k of the decision mix: the
// sink's pseudonym consented on the processing where omadata would permit
// a decision on it. Kinds 0–3 and 6 hold a given, valid consent on the
// recommendations processing (6 is asked about the other one); an expired
// (4) or withdrawn (5) consent, or none (7), is no tuple, as an
// application keeping OpenFGA in step would have deleted it.
func (d *Dataset) fgaTuples(k int) []fgaTuple {
	switch d.kind(k) {
	case kindGiven, kindWrongPurp:
		return []fgaTuple{{User: "user:" + d.SinkPseudonym(k), Relation: "consented", Object: "processing:" + d.Processing.ID}}
	}
	return nil
}

// fgaQuestion returns W1's question about resident k as an OpenFGA check
// and the answer it must get.
func (d *Dataset) fgaQuestion(k int) (fgaTuple, bool) {
	q, permit, _ := d.Question(k)
	object := d.Processing.ID
	if q.PurposeID != d.Recommendations.ID {
		object = d.OtherProcessing.ID
	}
	return fgaTuple{User: "user:" + q.Pseudonym, Relation: "consented", Object: "processing:" + object}, permit
}

// fgaServer is an openfga run child process serving one store.
type fgaServer struct {
	engine  string
	base    string // http://127.0.0.1:port
	store   string // store ID
	model   string // authorization model ID
	logPath string
	dbPath  string // sqlite: the database file
	batch   int    // tuples a write while loading
	writers int    // writes in flight while loading
	tuples  int
	load    time.Duration
	stop    func() error
}

// startOpenFGA starts bin on engine with its HTTP and gRPC servers on free
// loopback ports and the playground and metrics off, after migrating a
// fresh SQLite file for the sqlite engine, and returns once /healthz says
// it is serving. Its output goes to a log file in dir, which is kept; the
// child and its database are gone once stop returns, and stop is called
// on every path that fails here.
func startOpenFGA(ctx context.Context, bin, engine, dir, tag string, requestTimeout time.Duration) (_ *fgaServer, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	logFile, err := os.CreateTemp(dir, "omadata-bench-openfga-"+engine+"-"+tag+"-*.log")
	if err != nil {
		return nil, err
	}
	s := &fgaServer{engine: engine, logPath: logFile.Name(), batch: fgaBatch, writers: fgaWriters}
	if engine == "memory" {
		// Its writes take one lock: more in flight would only queue.
		s.writers = 1
	}
	var cleanups []func() error
	s.stop = func() error {
		var errs []error
		for i := len(cleanups) - 1; i >= 0; i-- {
			errs = append(errs, cleanups[i]())
		}
		cleanups = nil
		return errors.Join(errs...)
	}
	cleanups = append(cleanups, logFile.Close)
	defer func() {
		if err != nil {
			s.stop()
			err = fmt.Errorf("openfga %s (log %s): %w", engine, s.logPath, err)
		}
	}()

	args := []string{"--datastore-engine", engine}
	if engine == "sqlite" {
		dbDir, err := os.MkdirTemp(dir, "omadata-bench-openfga-")
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, func() error { return os.RemoveAll(dbDir) })
		// OpenFGA's default busy_timeout, 100 ms with ten retries that do
		// not pause, fails parallel writes with SQLITE_BUSY; with a longer
		// one they wait for the write lock.
		s.dbPath = filepath.Join(dbDir, "openfga.db")
		args = append(args, "--datastore-uri", "file:"+s.dbPath+"?_pragma=busy_timeout(10000)")
		migrate := command(ctx, bin, append([]string{"migrate"}, args...)...)
		migrate.Stdout, migrate.Stderr = logFile, logFile
		if err := migrate.Run(); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	grpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s.base = "http://" + httpAddr
	run := command(context.WithoutCancel(ctx), bin, append([]string{"run", "--http-addr", httpAddr, "--grpc-addr", grpcAddr,
		"--playground-enabled=false", "--metrics-enabled=false", "--datastore-metrics-enabled=false", "--log-level", "warn",
		"--max-tuples-per-write", fmt.Sprint(fgaBatch), "--request-timeout", requestTimeout.String()}, args...)...)
	run.Stdout, run.Stderr = logFile, logFile
	if err := run.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- run.Wait() }()
	cleanups = append(cleanups, func() error {
		run.Process.Kill()
		<-exited
		return nil
	})

	c := Client()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get(s.base + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte("SERVING")) {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			return nil, fmt.Errorf("exited before serving: %v", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.New("not serving after 30 s")
		}
	}

	var created struct{ ID string }
	if err := fgaPost(ctx, c, s.base+"/stores", map[string]string{"name": "omadata-bench"}, &created); err != nil {
		return nil, fmt.Errorf("create store: %w", err)
	}
	s.store = created.ID
	var model struct {
		ID string `json:"authorization_model_id"`
	}
	if err := fgaPost(ctx, c, s.base+"/stores/"+s.store+"/authorization-models", json.RawMessage(fgaModel), &model); err != nil {
		return nil, fmt.Errorf("write authorization model: %w", err)
	}
	s.model = model.ID
	return s, nil
}

// fgaBatch is how many tuples one write carries (OpenFGA's default limit
// is 100; the child is started with this one), and fgaWriters how many
// writes are in flight at once while loading SQLite.
const (
	fgaBatch   = 1000
	fgaWriters = 4
)

// loadMix writes the tuples of the decision mix, s.batch a write with
// s.writers writes in flight, and times it; only ctx bounds a write. It
// says how many tuples were written when it fails or ctx ends.
func (s *fgaServer) loadMix(ctx context.Context, d *Dataset) error {
	c := Client()
	c.Timeout = 0
	start := time.Now()
	batches := make(chan []fgaTuple)
	var written atomic.Int64
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for range s.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				body := map[string]any{"writes": map[string]any{"tuple_keys": b}, "authorization_model_id": s.model}
				if err := fgaPost(ctx, c, s.base+"/stores/"+s.store+"/write", body, nil); err != nil {
					cancel(err)
					continue
				}
				written.Add(int64(len(b)))
			}
		}()
	}
	batch := make([]fgaTuple, 0, s.batch)
	for k := 0; k < d.Mix && ctx.Err() == nil; k++ {
		batch = append(batch, d.fgaTuples(k)...)
		if len(batch) >= s.batch || k == d.Mix-1 && len(batch) > 0 {
			select {
			case batches <- batch:
			case <-ctx.Done():
			}
			batch = make([]fgaTuple, 0, s.batch)
		}
	}
	close(batches)
	wg.Wait()
	s.tuples, s.load = int(written.Load()), time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("%d tuples written in %s, then: %w", s.tuples, dur(s.load), err)
	}
	return nil
}

// CheckOp asks W1's questions of the OpenFGA store, one check each, and
// fails on any answer other than the one the mix expects.
func (s *fgaServer) CheckOp(c *http.Client, d *Dataset) Op {
	var seq atomic.Uint64
	return func(ctx context.Context, i int) error { return s.check(ctx, c, d, d.pick(seq.Add(1))) }
}

// check asks OpenFGA W1's question about resident k and fails unless the
// answer is the one the mix expects.
func (s *fgaServer) check(ctx context.Context, c *http.Client, d *Dataset, k int) error {
	t, want := d.fgaQuestion(k)
	body, _ := json.Marshal(map[string]any{"tuple_key": t, "authorization_model_id": s.model})
	var got struct{ Allowed bool }
	if err := fgaPost(ctx, c, s.base+"/stores/"+s.store+"/check", json.RawMessage(body), &got); err != nil {
		return err
	}
	if got.Allowed != want {
		return fmt.Errorf("check of resident %d (%s on %s): got allowed %v, want %v", k, t.User, t.Object, got.Allowed, want)
	}
	return nil
}

// fgaPost posts body as JSON to url and decodes a 200 answer into out
// (when not nil).
func fgaPost(ctx context.Context, c *http.Client, url string, body, out any) error {
	b, ok := body.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: status %d: %.300s", req.URL.Path, resp.StatusCode, got)
	}
	if out != nil {
		return json.Unmarshal(got, out)
	}
	return nil
}
