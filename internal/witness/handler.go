// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// State is the witness's state and evidence (docs/witnessing.md §2, §4);
// omadata.WitnessService implements it.
type State interface {
	WitnessedLog(ctx context.Context, origin string) (*omadata.WitnessedLog, error)
	AdvanceWitness(ctx context.Context, a omadata.WitnessAdvance) error
	RecordWitnessFork(ctx context.Context, f *omadata.WitnessFork) error
}

// HTTPError is a refusal of an add-checkpoint request: the status of
// tlog-witness §add-checkpoint (docs/witnessing.md §2), Size for 409, and
// a one-line reason.
type HTTPError struct {
	Status int
	Size   int64 // the size the witness holds, for 409
	Msg    string
	Err    error // the cause, for the log only
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Msg)
}

func (e *HTTPError) Unwrap() error { return e.Err }

// ForkError says a checkpoint forks from the one the witness cosigned
// (docs/witnessing.md §4); Fork is the evidence, recorded unless the
// origin was frozen already.
type ForkError struct {
	Fork     *omadata.WitnessFork
	Recorded bool
}

func (e *ForkError) Error() string {
	return "witness: fork of " + e.Fork.Origin + ": " + forkSummary(e.Fork)
}

// frozenMsg is the 403 reason for an origin frozen by a fork.
const frozenMsg = "forked: frozen until an admin resolves it"

// Handler is the witness: it answers tlog-witness add-checkpoint requests
// (docs/witnessing.md §2) and refuses and records forks (§4).
type Handler struct {
	State    State
	Cosigner *Cosigner
	Logger   *slog.Logger
	// OnFork, if set, is called after a fork is recorded.
	OnFork func(*omadata.WitnessFork)
	// OnAnswer, if set, is called with the status of every answer.
	OnAnswer func(status int)
	// FetchProof, if set, gets a consistency proof between two sizes of
	// origin from the log itself (PeerLogProofs: a peer's log_endpoint).
	// A submitted proof that fails is a fork only if the log's own proof
	// fails too, or the log answers 400 (a *StatusError) for sizes it
	// signed: anyone can submit a log's public checkpoint with a wrong
	// proof, and that must not freeze the log (docs/witnessing.md §4).
	// Without it, or when the log cannot be reached, a failed proof is
	// refused with 422 and logged, not recorded. Its outcome is kept for
	// ProofCacheTTL per (origin, both sizes and roots), and concurrent
	// identical requests share one call: anyone may post a wrong proof,
	// and the witness asks the log once, not once per request.
	FetchProof func(ctx context.Context, origin string, old, new int64) (tlog.TreeProof, error)

	proofMu sync.Mutex
	proofs  map[proofKey]*proofCall
	now     func() time.Time // nil: time.Now; tests set it
}

// ProofCacheTTL is how long the witness keeps the log's answer to a
// consistency proof it asked for (Handler.FetchProof), and
// maxCachedProofs how many answers it keeps; with that many fresh ones,
// a failed proof is not checked with the log (docs/witnessing.md §4).
const (
	ProofCacheTTL   = time.Minute
	maxCachedProofs = 1024
)

// proofKey names a consistency proof the witness asks a log for: from
// the checkpoint it holds to the one submitted.
type proofKey struct {
	origin           string
	old, new         int64
	oldRoot, newRoot tlog.Hash
}

// proofCall is one request for a proof: done is closed once proof and
// err are set, at the time done.
type proofCall struct {
	done  chan struct{}
	proof tlog.TreeProof
	err   error
	at    time.Time
}

func (h *Handler) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// fetchProof is FetchProof with its outcome cached for ProofCacheTTL and
// concurrent identical calls collapsed into one. The call runs apart from
// ctx (one requester going away does not fail the others' answer), within
// DefaultTimeout; each caller waits for it as long as its ctx allows.
func (h *Handler) fetchProof(ctx context.Context, k proofKey) (tlog.TreeProof, error) {
	h.proofMu.Lock()
	now := h.clock()
	c, ok := h.proofs[k]
	if ok && !c.at.IsZero() && now.Sub(c.at) >= ProofCacheTTL {
		delete(h.proofs, k)
		ok = false
	}
	if !ok {
		if h.proofs == nil {
			h.proofs = map[proofKey]*proofCall{}
		}
		if len(h.proofs) >= maxCachedProofs {
			for key, old := range h.proofs {
				if !old.at.IsZero() && now.Sub(old.at) >= ProofCacheTTL {
					delete(h.proofs, key)
				}
			}
		}
		if len(h.proofs) >= maxCachedProofs {
			h.proofMu.Unlock()
			return nil, errors.New("witness: too many consistency proofs asked of logs in the last minute")
		}
		c = &proofCall{done: make(chan struct{})}
		h.proofs[k] = c
		go func() {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
			defer cancel()
			proof, err := h.FetchProof(fctx, k.origin, k.old, k.new)
			h.proofMu.Lock()
			c.proof, c.err, c.at = proof, err, h.clock()
			h.proofMu.Unlock()
			close(c.done)
		}()
	}
	h.proofMu.Unlock()
	select {
	case <-c.done:
		return c.proof, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ServeHTTP answers "POST {prefix}/add-checkpoint" (tlog-witness
// §add-checkpoint; the answers of docs/witnessing.md §2): 200 with one
// cosignature line, 409 with text/x.tlog.size, other refusals with a
// one-line text/plain reason, 405 for a method other than POST.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status := h.serve(w, r)
	if h.OnAnswer != nil {
		h.OnAnswer(status)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) int {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return writeText(w, http.StatusMethodNotAllowed, "add-checkpoint takes POST")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return writeText(w, http.StatusBadRequest, fmt.Sprintf("the request is larger than %d bytes", MaxRequestSize))
		}
		return writeText(w, http.StatusBadRequest, "the request body could not be read")
	}
	req, err := ParseRequest(body)
	if err != nil {
		return writeText(w, http.StatusBadRequest, omadata.ErrorMessage(err))
	}
	line, err := h.AddCheckpoint(r.Context(), req)
	if err != nil {
		var he *HTTPError
		if !errors.As(err, &he) {
			h.logger().ErrorContext(r.Context(), "witness: add-checkpoint", "error", err)
			return writeText(w, http.StatusInternalServerError, "internal error")
		}
		if he.Status == http.StatusConflict {
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, "%d\n", he.Size)
			return http.StatusConflict
		}
		if he.Status >= 500 {
			h.logger().ErrorContext(r.Context(), "witness: add-checkpoint", "error", err)
		}
		return writeText(w, he.Status, he.Msg)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, line)
	return http.StatusOK
}

func writeText(w http.ResponseWriter, status int, msg string) int {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, strings.ReplaceAll(msg, "\n", " ")+"\n")
	return status
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// AddCheckpoint runs the checks of tlog-witness §add-checkpoint in the
// order of docs/witnessing.md §2 and §4, and returns the cosignature line
// once the new state is stored. A refusal is an *HTTPError:
//
//   - 404: the origin is unknown or no longer witnessed;
//   - 403: no signature among the first 16 verifies with a key trusted
//     for the origin (others are ignored), or the origin is frozen by a
//     fork;
//   - 409 with the size held: the checkpoint has the size held but
//     another root (a fork, recorded, whatever the old size), or old is
//     not the size held, or another request moved the state first;
//   - 422: the consistency proof from the checkpoint held does not
//     verify (a fork, recorded, when the log's own proof fails too: see
//     FetchProof).
func (h *Handler) AddCheckpoint(ctx context.Context, req *Request) (string, error) {
	text, _, err := splitNote(req.Checkpoint)
	if err != nil {
		return "", &HTTPError{Status: http.StatusBadRequest, Msg: omadata.ErrorMessage(err)}
	}
	cp, err := ParseCheckpoint(text)
	if err != nil {
		return "", &HTTPError{Status: http.StatusBadRequest, Msg: omadata.ErrorMessage(err)}
	}
	if req.OldSize > cp.Size {
		return "", &HTTPError{Status: http.StatusBadRequest, Msg: "old is greater than the checkpoint's size"}
	}
	l, err := h.State.WitnessedLog(ctx, cp.Origin)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND || err == nil && !l.Active {
		return "", &HTTPError{Status: http.StatusNotFound, Msg: "unknown origin " + strconv.Quote(cp.Origin)}
	} else if err != nil {
		return "", fmt.Errorf("witnessed log: %w", err)
	}
	if _, _, err := OpenCheckpoint(req.Checkpoint, l.VerifierKeys); err != nil {
		if omadata.ErrorCode(err) == omadata.EFORBIDDEN {
			return "", &HTTPError{Status: http.StatusForbidden, Msg: "no signature verifies with a key trusted for " + strconv.Quote(cp.Origin)}
		}
		return "", fmt.Errorf("open checkpoint of %s: %w", cp.Origin, err)
	}
	if l.Forked {
		return "", &HTTPError{Status: http.StatusForbidden, Msg: frozenMsg}
	}
	held, err := heldRoot(l)
	if err != nil {
		return "", err
	}
	known := l.Checkpoint != ""
	// The same size with another root is a fork whatever old says: both
	// checkpoints are signed with a trusted key.
	if known && cp.Size == l.Size && cp.Root != held {
		h.fork(ctx, l, req, omadata.ForkSeenAddCheckpoint)
		return "", &HTTPError{Status: http.StatusConflict, Size: l.Size, Msg: "same size, another root hash"}
	}
	if req.OldSize != l.Size {
		return "", &HTTPError{Status: http.StatusConflict, Size: l.Size, Msg: "old is not the size cosigned last"}
	}
	if known && req.OldSize > 0 {
		if err := tlog.CheckTree(req.Proof, cp.Size, cp.Root, l.Size, held); err != nil {
			if cp.Size != l.Size {
				h.badProof(ctx, l, cp, held, req)
			}
			return "", &HTTPError{Status: http.StatusUnprocessableEntity, Msg: "the consistency proof does not verify"}
		}
	}
	// Sign before storing, so that a failed signature moves nothing; the
	// line goes out only once the state is stored (tlog-witness: persist
	// before responding).
	line, err := h.Cosigner.Cosign(cp.Text)
	if err != nil {
		return "", err
	}
	err = h.State.AdvanceWitness(ctx, omadata.WitnessAdvance{
		Origin: cp.Origin, OldSize: l.Size, OldRoot: l.RootHash,
		Size: cp.Size, RootHash: cp.RootHash(), Checkpoint: string(req.Checkpoint),
	})
	var conflict *omadata.WitnessConflict
	switch {
	case errors.As(err, &conflict):
		// Another request moved the state first. If it moved to this size
		// with another root, the two checkpoints are a fork (docs/
		// witnessing.md §4), caught here as it is above: the evidence is
		// not lost to the race.
		if now, err := h.State.WitnessedLog(ctx, cp.Origin); err == nil && now.Active && !now.Forked && now.Checkpoint != "" && now.Size == cp.Size {
			if root, err := heldRoot(now); err == nil && root != cp.Root {
				h.fork(ctx, now, req, omadata.ForkSeenAddCheckpoint)
				return "", &HTTPError{Status: http.StatusConflict, Size: now.Size, Msg: "same size, another root hash"}
			}
		}
		return "", &HTTPError{Status: http.StatusConflict, Size: conflict.Size, Msg: "the state moved on"}
	case omadata.ErrorCode(err) == omadata.EFORBIDDEN:
		return "", &HTTPError{Status: http.StatusForbidden, Msg: frozenMsg}
	case omadata.ErrorCode(err) == omadata.ENOTFOUND:
		return "", &HTTPError{Status: http.StatusNotFound, Msg: "unknown origin " + strconv.Quote(cp.Origin)}
	case err != nil:
		return "", fmt.Errorf("advance witness of %s: %w", cp.Origin, err)
	}
	return line, nil
}

// heldRoot returns the root hash of the checkpoint the witness holds.
func heldRoot(l *omadata.WitnessedLog) (tlog.Hash, error) {
	var h tlog.Hash
	if l.RootHash == "" {
		return h, nil
	}
	h, err := parseHash(l.RootHash)
	if err != nil {
		return h, fmt.Errorf("witnessed log %s: stored root hash: %w", l.Origin, err)
	}
	return h, nil
}

// badProof decides whether a checkpoint whose submitted proof failed is a
// fork: only if the log's own proof, from FetchProof, fails too, or the
// log refuses (400) to prove sizes it signed. A proof that verifies, from
// wherever it comes, shows the two checkpoints consistent; a log that
// cannot be reached proves nothing either way.
func (h *Handler) badProof(ctx context.Context, l *omadata.WitnessedLog, cp *Checkpoint, held tlog.Hash, req *Request) {
	warn := func(msg string, err error) {
		h.logger().WarnContext(ctx, "witness: consistency proof failed", "origin", l.Origin,
			"size", l.Size, "root", l.RootHash, "new_size", cp.Size, "new_root", cp.RootHash(), "outcome", msg, "error", err)
	}
	if h.FetchProof == nil {
		warn("not checked with the log", nil)
		return
	}
	proof, err := h.fetchProof(ctx, proofKey{origin: l.Origin, old: l.Size, oldRoot: held, new: cp.Size, newRoot: cp.Root})
	switch {
	case refused(err):
		// The log says it has no such trees, yet it signed both.
	case err != nil:
		warn("the log's proof could not be fetched", err)
		return
	case tlog.CheckTree(proof, cp.Size, cp.Root, l.Size, held) == nil:
		warn("the log's own proof verifies: the submitted one was wrong", nil)
		return
	}
	h.fork(ctx, l, req, omadata.ForkSeenAddCheckpoint)
}

// PeerLogProofs returns a Handler.FetchProof that asks a peer's log
// (a witnessed log of source omadata.WitnessLogPeer) through its public
// API at its operator ID + "/api/v1/public/log", the log_endpoint every
// omadata operator publishes (network.md §2.1). Other logs are not
// asked: a failed proof of theirs is refused and not recorded
// (docs/witnessing.md §4).
func PeerLogProofs(st State, c *Client) func(ctx context.Context, origin string, old, new int64) (tlog.TreeProof, error) {
	return func(ctx context.Context, origin string, old, new int64) (tlog.TreeProof, error) {
		l, err := st.WitnessedLog(ctx, origin)
		if err != nil {
			return nil, err
		}
		if l.Source != omadata.WitnessLogPeer || l.OperatorID == "" {
			return nil, fmt.Errorf("witness: no log endpoint known for %s", origin)
		}
		return c.ConsistencyProof(ctx, strings.TrimSuffix(l.OperatorID, "/")+"/api/v1/public/log", old, new)
	}
}

// fork records and reports a fork (docs/witnessing.md §4): the evidence,
// a line at level ERROR, and OnFork. A failure to record is logged; the
// request is refused all the same.
func (h *Handler) fork(ctx context.Context, l *omadata.WitnessedLog, req *Request, seen string) {
	f := newFork(l, string(req.Checkpoint), req.Proof, seen)
	if err := h.State.RecordWitnessFork(ctx, f); err != nil {
		h.logger().ErrorContext(ctx, "witness: record fork", "origin", l.Origin, "error", err)
		return
	}
	LogFork(ctx, h.logger(), f)
	if h.OnFork != nil {
		h.OnFork(f)
	}
}

func newFork(l *omadata.WitnessedLog, conflicting string, proof tlog.TreeProof, seen string) *omadata.WitnessFork {
	f := &omadata.WitnessFork{
		ID: omadata.NewID(omadata.PrefixWitnessFork), Origin: l.Origin, Seen: seen, Known: l.Checkpoint, Conflicting: conflicting,
		DetectedAt: time.Now().UTC(),
	}
	for _, p := range proof {
		f.Proof = append(f.Proof, base64.StdEncoding.EncodeToString(p[:]))
	}
	return f
}

// LogFork writes the ERROR line of docs/witnessing.md §4, the one every
// witness writes for a fork, whoever saw it (the add-checkpoint handler,
// netnode's peer-record check, the anchor): "witness: fork" with id,
// origin, seen, known_size, known_root, conflicting_size and
// conflicting_root.
func LogFork(ctx context.Context, log *slog.Logger, f *omadata.WitnessFork) {
	attrs := []any{"id", f.ID, "origin", f.Origin, "seen", f.Seen}
	for _, c := range []struct{ name, signed string }{{"known", f.Known}, {"conflicting", f.Conflicting}} {
		if text, _, err := splitNote([]byte(c.signed)); err == nil {
			if cp, err := ParseCheckpoint(text); err == nil {
				attrs = append(attrs, c.name+"_size", cp.Size, c.name+"_root", cp.RootHash())
			}
		}
	}
	log.ErrorContext(ctx, "witness: fork", attrs...)
}

func forkSummary(f *omadata.WitnessFork) string {
	var parts []string
	for _, signed := range []string{f.Known, f.Conflicting} {
		if text, _, err := splitNote([]byte(signed)); err == nil {
			if cp, err := ParseCheckpoint(text); err == nil {
				parts = append(parts, fmt.Sprintf("size %d root %s", cp.Size, cp.RootHash()))
			}
		}
	}
	return strings.Join(parts, " vs ")
}
