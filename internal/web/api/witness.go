// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// witnessRoutes are the witnessed log (docs/witnessing.md §3: the own
// checkpoints with the cosignatures collected, the witness policy) and
// the admin's view of the operator as a witness (§2, §4: the logs it
// witnesses and the forks it caught). Publishing is public, as the log
// is; the witness's logs and evidence are the admin's.
func (h *Handler) witnessRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/public/log/checkpoints/{size}", AuthPublic, h.fn(h.checkpointAt)},
		{"GET", "/api/v1/public/log/witness-policy", AuthPublic, h.fn(h.witnessPolicy)},
		{"GET", "/api/v1/admin/witness/logs", AuthAdmin, h.fn(h.listWitnessedLogs)},
		{"POST", "/api/v1/admin/witness/logs", AuthAdmin, h.fn(h.addWitnessedLog)},
		{"DELETE", "/api/v1/admin/witness/logs", AuthAdmin, h.fn(noBody(h.removeWitnessedLog))},
		{"GET", "/api/v1/admin/witness/forks", AuthAdmin, h.fn(h.listWitnessForks)},
		{"POST", "/api/v1/admin/witness/forks/{id}/resolve", AuthAdmin, h.fn(h.resolveWitnessFork)},
	}
}

// logCheckpoint serves the latest checkpoint as the signed note followed by
// the cosignature lines collected for it so far, which
// golang.org/x/mod/sumdb/note opens as it is (a line of an unknown key is
// ignored). With witnessed=true it is the newest checkpoint that meets
// the witness policy instead, not found while none does.
func (h *Handler) logCheckpoint(w http.ResponseWriter, r *http.Request) error {
	witnessed, err := boolParam(r, "witnessed")
	if err != nil {
		return err
	}
	if witnessed {
		if h.Witnessed == nil {
			return omadata.NotFound("Witnessed checkpoint")
		}
		wc, err := h.Witnessed.WitnessedCheckpoint(r.Context())
		if err != nil {
			return err
		}
		writeNote(w, wc.Note)
		return nil
	}
	cp, err := h.Log.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	return h.writeCosigned(w, r, cp)
}

// checkpointAt serves the own checkpoint of a size with its cosignatures.
func (h *Handler) checkpointAt(w http.ResponseWriter, r *http.Request) error {
	size, err := strconv.ParseInt(r.PathValue("size"), 10, 64)
	if err != nil || size < 1 {
		return omadata.Invalidf("size", "The size must be a whole number, 1 or more.")
	} else if h.Witness == nil {
		return omadata.NotFound("Checkpoint")
	}
	cp, err := h.Witness.CheckpointAt(r.Context(), size)
	if err != nil {
		return err
	}
	return h.writeCosigned(w, r, cp)
}

// writeCosigned writes a checkpoint's note with the cosignature lines
// stored for its size.
func (h *Handler) writeCosigned(w http.ResponseWriter, r *http.Request, cp *omadata.Checkpoint) error {
	var b strings.Builder
	b.WriteString(cp.Note)
	if h.Witness != nil {
		cs, err := h.Witness.FindCosignatures(r.Context(), cp.Size)
		if err != nil {
			return err
		}
		for _, c := range cs {
			b.WriteString(c.Line)
		}
	}
	writeNote(w, b.String())
	return nil
}

func writeNote(w http.ResponseWriter, note string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(note))
}

// witnessPolicy serves the policy that says when a checkpoint counts as
// witnessed (docs/witnessing.md §5), as text.
func (h *Handler) witnessPolicy(w http.ResponseWriter, r *http.Request) error {
	if h.Witnessed == nil {
		return omadata.NotFound("Witness policy")
	}
	p, err := h.Witnessed.WitnessPolicy(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(p)
	return nil
}

func (h *Handler) listWitnessedLogs(w http.ResponseWriter, r *http.Request) error {
	if h.Witness == nil {
		return omadata.NotFound("Witnessed logs")
	}
	ls, err := h.Witness.FindWitnessedLogs(r.Context())
	if err != nil {
		return err
	}
	respond.List(w, r, ls, "")
	return nil
}

// witnessedLogInput is a log an admin adds to the witness.
type witnessedLogInput struct {
	Origin       string   `json:"origin"`
	VerifierKeys []string `json:"verifier_keys"`
	Label        string   `json:"label"`
	Reason       string   `json:"reason"`
}

// addWitnessedLog adds a log (any C2SP tlog-checkpoint log) to those the
// operator witnesses, or replaces its keys and label; the store audits it.
func (h *Handler) addWitnessedLog(w http.ResponseWriter, r *http.Request) error {
	var in witnessedLogInput
	if err := decode(r, &in); err != nil {
		return err
	} else if h.Witness == nil {
		return omadata.NotFound("Witnessed logs")
	}
	l := &omadata.WitnessedLog{Origin: in.Origin, VerifierKeys: in.VerifierKeys, Label: in.Label, Reason: in.Reason,
		Source: omadata.WitnessLogAdmin, Active: true}
	if err := h.Witness.PutWitnessedLog(r.Context(), l); err != nil {
		return err
	}
	l, err := h.Witness.WitnessedLog(r.Context(), in.Origin)
	if err != nil {
		return err
	}
	respond.Created(w, r, l)
	return nil
}

// removeWitnessedLog stops witnessing a log an admin added; its state is
// kept, and the witness answers its requests 404.
func (h *Handler) removeWitnessedLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	origin, reason := q.Get("origin"), q.Get("reason")
	if origin == "" {
		return omadata.Invalidf("origin", "Name the log by its origin.")
	} else if h.Witness == nil {
		return omadata.NotFound("Witnessed log")
	}
	if err := h.Witness.RemoveWitnessedLog(r.Context(), origin, reason); err != nil {
		return err
	}
	l, err := h.Witness.WitnessedLog(r.Context(), origin)
	if err != nil {
		return err
	}
	respond.OK(w, r, l)
	return nil
}

func (h *Handler) listWitnessForks(w http.ResponseWriter, r *http.Request) error {
	if h.Witness == nil {
		return omadata.NotFound("Forks")
	}
	fs, err := h.Witness.FindWitnessForks(r.Context())
	if err != nil {
		return err
	}
	respond.List(w, r, fs, "")
	return nil
}

// forkResolution is how an admin resolves a fork: the checkpoint kept as
// the latest cosigned ("old" or "new") and why.
type forkResolution struct {
	Keep   string `json:"keep"`
	Reason string `json:"reason"`
}

// resolveWitnessFork unfreezes a fork's origin (docs/witnessing.md §4).
func (h *Handler) resolveWitnessFork(w http.ResponseWriter, r *http.Request) error {
	var in forkResolution
	id := r.PathValue("id")
	if !omadata.ValidID(omadata.PrefixWitnessFork, id) {
		return omadata.NotFound("Fork")
	} else if err := decode(r, &in); err != nil {
		return err
	} else if h.Witness == nil {
		return omadata.NotFound("Fork")
	}
	if err := h.Witness.ResolveWitnessFork(r.Context(), id, in.Keep, in.Reason); err != nil {
		return err
	}
	fs, err := h.Witness.FindWitnessForks(r.Context())
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.ID == id {
			respond.OK(w, r, f)
			return nil
		}
	}
	return omadata.NotFound("Fork")
}

// boolParam reads an optional query parameter that is true or false.
func boolParam(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, omadata.Invalidf(name, "Use true or false.")
}
