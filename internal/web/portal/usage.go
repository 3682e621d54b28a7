// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

// usagePage is how many uses one page of "who used my data" shows.
const usagePage = 20

// names maps the IDs a log entry carries to what the catalogue calls them,
// in the reader's language.
type names struct {
	services, groups, purposes map[string]omadata.Text
	entries                    map[string]*omadata.CatalogueEntry
}

func (p *Portal) names(ctx context.Context, lang string) (*names, error) {
	entries, err := p.fullCatalogue(ctx, lang)
	if err != nil {
		return nil, err
	}
	n := &names{services: map[string]omadata.Text{}, groups: map[string]omadata.Text{}, purposes: map[string]omadata.Text{},
		entries: map[string]*omadata.CatalogueEntry{}}
	for _, e := range entries {
		n.entries[e.ProcessingID] = e
		n.services[e.Sink.ID] = e.Sink.Name
		n.purposes[e.Purpose.ID] = e.Purpose.Name
		for _, g := range e.DataGroups {
			n.groups[g.ID] = g.Name
			n.services[g.Source.ID] = g.Source.Name
		}
	}
	return n, nil
}

// row writes one use in plain words in lang.
func (nm *names) row(lang string, u *omadata.Usage) *usageRow {
	unknown := msg(lang, "usage.unknown")
	name := func(m map[string]omadata.Text, id string) string {
		if t, ok := m[id]; ok {
			return t.In(lang)
		}
		return unknown
	}
	row := &usageRow{U: u, Kind: "usage.kind." + u.Kind, Sink: name(nm.services, u.SinkID), Source: name(nm.services, u.SourceID),
		Purpose: name(nm.purposes, u.PurposeID), Index: u.Log.Index, Waiting: u.Log.Index == nil,
		Consent: u.ConsentID, Basis: u.LegalBasis}
	if u.OwnView {
		// The operator fetched the data for the resident to see or take
		// (GDPR Art 15, 20): no one else received it.
		row.Sink, row.Purpose = msg(lang, "usage.own-view"), msg(lang, "usage.own-access")
	}
	if e := nm.entries[u.ProcessingID]; e != nil {
		row.Title = e.Title.In(lang)
		row.Entry = e
	}
	for _, g := range u.DataGroupIDs {
		row.Groups = append(row.Groups, name(nm.groups, g))
	}
	if u.Time.IsZero() {
		u.Time = u.Log.AppendedAt
	}
	if u.SinkOperator != nil {
		row.Operator = u.SinkOperator.Name.In(lang)
		if row.Operator == "" {
			row.Operator = u.SinkOperator.ID
		}
	}
	if u.Log.Leaf != nil && u.Log.Leaf.Peer != nil {
		row.Peer = u.Log.Leaf.Peer
		row.PeerName = row.Operator
		if row.PeerName == "" {
			row.PeerName = row.Peer.Origin
		}
	}
	if u.Log.Index != nil {
		row.N = *u.Log.Index
		row.LogIndex = webui.FormatNumber(lang, *u.Log.Index)
	}
	return row
}

// usageRow is one use of the subject's data in plain words.
type usageRow struct {
	U       *omadata.Usage
	Kind    string // message key
	Sink    string
	Source  string
	Groups  []string
	Purpose string
	Title   string                  // the processing's title, when still published
	Entry   *omadata.CatalogueEntry // the processing, when still published
	Index   *int64
	N       int64 // *Index
	Waiting bool  // not yet in a checkpoint
	// WaitingWitnesses: in a checkpoint, but newer than the newest one
	// that meets the witness policy.
	WaitingWitnesses bool
	// WitnessFailed: its inclusion in the witnessed checkpoint did not
	// check out.
	WitnessFailed bool
	Consent       string
	Basis         string // a legal basis code, when the ground is not a consent
	LogIndex      string // the index as the language writes numbers
	// Operator names the peer operator of a peer's sink, in the page's
	// language; "" for our own sink.
	Operator string
	// Peer is the leaf of the same release in the peer's log (its origin
	// and record), shown beside our own proof; PeerCheck is what asking
	// the peer's log for its proof gave (peerChecked…), "" when not asked.
	Peer      *omadata.LeafPeer
	PeerName  string // the peer as the check's message names it
	PeerCheck string
}

type usageData struct {
	// Witnessed names the newest checkpoint that meets the witness policy
	// (its size and cosigners), "" when none does or the portal knows no
	// witnesses; NotWitnessed, the message key saying why the policy has
	// no quorum (quorum none): the operator has no witnesses, or does not
	// require them.
	Witnessed    string
	NotWitnessed string
	Rows         []*usageRow
	Older        string // the query of the next page, "" at the end
	Paged        bool   // not the first page
}

// usage shows who used the subject's data: the permitting decisions,
// grants and transfers the log records about them, newest first, each with
// the way to check its proof.
func (p *Portal) usage(w http.ResponseWriter, r *http.Request, q *req) error {
	f := omadata.UsageFilter{ResidentID: q.V.Subject().ID, Limit: usagePage}
	if s := r.URL.Query().Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return omadata.NotFound("Page")
		}
		f.Before = n
	}
	list, next, err := p.o.Usage.FindUsage(r.Context(), f)
	if err != nil {
		return err
	}
	nm, err := p.names(r.Context(), q.Lang)
	if err != nil {
		return err
	}
	d := &usageData{Paged: f.Before > 0}
	if next != "" {
		d.Older = "?" + url.Values{"before": {next}}.Encode()
	}
	wc, err := p.witnessed(r.Context())
	if err != nil {
		return err
	}
	switch {
	case p.o.Witnessed == nil:
	case wc != nil && wc.Quorum == 0, wc == nil && p.policyNone(r.Context()):
		d.NotWitnessed = "usage.not-witnessed"
		if p.noQuorum(r.Context(), wc) == witnessNotRequired {
			d.NotWitnessed = "usage.witnesses-not-required"
		}
	case wc != nil && len(wc.Cosigners) > 0:
		var labels []string
		for _, c := range wc.Cosigners {
			l := c.Label.In(q.Lang)
			if l == "" {
				l = c.Name
			}
			labels = append(labels, l)
		}
		d.Witnessed = msgf(q.Lang, "usage.witnessed", webui.FormatNumber(q.Lang, wc.Size-1), listWords(q.Lang, labels))
	}
	for _, u := range list {
		row := nm.row(q.Lang, u)
		row.WaitingWitnesses = p.o.Witnessed != nil && d.NotWitnessed == "" && row.Index != nil && (wc == nil || *row.Index >= wc.Size)
		d.Rows = append(d.Rows, row)
	}
	if d.Witnessed != "" {
		p.checkWitnessed(r.Context(), wc, d.Rows)
	}
	p.checkPeers(r.Context(), d.Rows)
	p.render(w, r, q, http.StatusOK, "usage", msg(q.Lang, "page.usage"), d)
	return nil
}

// checkWitnessed checks each row's leaf for inclusion in the witnessed
// checkpoint wc, as the proof page does: wc's log signature with the log
// key, then the inclusion proof at wc's size. A row that does not check
// out says so.
func (p *Portal) checkWitnessed(ctx context.Context, wc *omadata.WitnessedCheckpoint, rows []*usageRow) {
	size, root, err := openCheckpoint([]byte(wc.Note), p.o.LogVerifierKey)
	for _, row := range rows {
		if row.Index == nil || *row.Index >= wc.Size {
			continue
		}
		if err != nil || size != wc.Size {
			row.WitnessFailed = true
			continue
		}
		leaf, err := base64.StdEncoding.DecodeString(row.U.Log.LeafData)
		if err != nil {
			row.WitnessFailed = true
			continue
		}
		ip, err := p.o.Log.ProveInclusion(ctx, *row.Index, size)
		if err != nil {
			row.WitnessFailed = true
			continue
		}
		var proof tlog.RecordProof
		for _, s := range ip.Hashes {
			h, err := tlog.ParseHash(s)
			if err != nil {
				break
			}
			proof = append(proof, h)
		}
		row.WitnessFailed = len(proof) != len(ip.Hashes) || tlog.CheckRecord(proof, size, root, *row.Index, tlog.RecordHash(leaf)) != nil
	}
}

// proofData is the check of one inclusion proof, step by step.
type proofData struct {
	Index       int64
	Entry       *omadata.LogEntry
	LeafJSON    string
	LeafHash    string
	Checkpoint  *omadata.Checkpoint
	Size        int64
	Root        string
	Hashes      []string
	VerifierKey string
	Waiting     bool   // the leaf is not yet in a signed checkpoint
	OK          bool   // the proof checks out
	Failure     string // message key of what did not
	Links       []proofLink
	// Witness says what the witnesses vouch for (docs/witnessing.md §5):
	// witnessWitnessed, witnessWaiting, witnessNone, witnessNotRequired,
	// or "" when the portal knows nothing of witnesses.
	Witness   string
	Cosigners string // the cosigners' labels as the language lists them
	// Browser is what /static/proofcheck.js checks again in the
	// resident's browser; nil when there is nothing to check.
	Browser *browserData
}

// What the witnesses vouch for, on the proof page.
const (
	witnessWitnessed = "witnessed" // checked against a checkpoint that meets the policy
	witnessWaiting   = "waiting"   // the leaf is newer than the newest witnessed checkpoint
	witnessNone      = "none"      // the operator has no witnesses (quorum none)
	// The operator has witnesses but does not require them (quorum none,
	// OMADATA_WITNESS_QUORUM=0).
	witnessNotRequired = "not-required"
)

// browserData is the proof page's <script type="application/json"> for
// /static/proofcheck.js: the proof and the server's result. The script
// takes no key from it (docs/witnessing.md §5).
type browserData struct {
	Index      int64    `json:"index"`
	Leaf       string   `json:"leaf"` // the leaf's bytes, standard base64
	Size       int64    `json:"size"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"` // the signed note with its cosignature lines
	Server     bool     `json:"server_ok"`
	Witness    string   `json:"witness"`
	Cosigners  []string `json:"cosigners"` // the names of the witnesses whose cosignature the server counted
	Quorum     int      `json:"quorum"`
	// Text is what the script writes, in the page's language.
	Text map[string]string `json:"text"`
}

// browserTexts are the message keys the script shows.
var browserTexts = []string{"proof.browser-checking", "proof.browser-ok", "proof.browser-failed", "proof.browser-agrees",
	"proof.browser-disagrees", "proof.browser-keys-operator", "proof.browser-keys-anchor", "proof.browser-witnessed",
	"proof.browser-not-witnessed", "proof.browser-unsupported", "proof.browser-incomplete"}

type proofLink struct{ Label, Href string }

// docsURL is where the public reads omadata's documentation, as the OAuth
// metadata's service_documentation (internal/web) links it.
const docsURL = "https://github.com/omadata/omadata/blob/main/docs/"

// ByHandDocs is the documentation of the check by hand, for the proof
// page without JavaScript (docs/witnessing.md §6).
func (*proofData) ByHandDocs() string { return docsURL + "witnessing.md#6-checking-by-hand" }

// proofCSP is the proof page's Content-Security-Policy: the pages' own,
// with the portal's script and its fetches to the operator itself and,
// in a network, to the trust anchor's origin and the origins of the
// members whose witness keys the script takes from the trust chain: the
// witnesses the collector asks and the cosigners of the witnessed
// checkpoint wc (docs/witnessing.md §5). Never a whole scheme.
func (p *Portal) proofCSP(ctx context.Context, wc *omadata.WitnessedCheckpoint) string {
	connect := []string{"'self'"}
	seen := map[string]bool{}
	add := func(id string) {
		if o := cspOrigin(id); o != "" && !seen[o] {
			seen[o] = true
			connect = append(connect, o)
		}
	}
	if p.o.TrustAnchor != "" {
		add(p.o.TrustAnchor)
		if wc != nil {
			for _, c := range wc.Cosigners {
				add(c.OperatorID)
			}
		}
		if p.o.Witnessed != nil {
			ws, err := p.o.Witnessed.Witnesses(ctx)
			if err != nil {
				p.log.WarnContext(ctx, "proof page: the witnesses for the page's connect-src", "error", err)
			}
			for _, w := range ws {
				add(w.OperatorID)
			}
		}
	}
	return "default-src 'none'; script-src 'self'; connect-src " + strings.Join(connect, " ") + "; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// cspOrigin is the origin of an entity identifier as a CSP source
// expression, scheme://host[:port]; "" when it is not an http(s) URL or
// its host has a character a source expression may not hold.
func cspOrigin(id string) string {
	u, err := url.Parse(id)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	for _, r := range u.Host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return ""
		}
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}

// proof checks, on the server and with golang.org/x/mod/sumdb only, that
// the log leaf at ?index= is in the tree of the newest checkpoint that
// meets the witness policy (or, for a leaf newer than that, of the latest
// signed checkpoint), and shows every input so that anyone can redo it
// from the public API; /static/proofcheck.js redoes it in the browser.
func (p *Portal) proof(w http.ResponseWriter, r *http.Request, q *req) error {
	index, err := strconv.ParseInt(r.URL.Query().Get("index"), 10, 64)
	if err != nil || index < 0 {
		return omadata.NotFound("Log entry")
	}
	ctx := r.Context()
	e, err := p.o.Log.LogEntryAt(ctx, index)
	if err != nil {
		return err
	}
	d := &proofData{Index: index, Entry: e, VerifierKey: p.o.LogVerifierKey}
	leaf, err := base64.StdEncoding.DecodeString(e.LeafData)
	if err != nil {
		return fmt.Errorf("leaf %d: %w", index, err)
	}
	d.LeafJSON = string(leaf)
	d.LeafHash = tlog.RecordHash(leaf).String()
	istr := strconv.FormatInt(index, 10)
	d.Links = []proofLink{
		{msg(q.Lang, "proof.link-key"), "/.well-known/mydata/log-key"},
		{msg(q.Lang, "proof.link-checkpoint"), "/api/v1/public/log/checkpoint"},
		{msg(q.Lang, "proof.link-leaf"), "/api/v1/public/log/leaves/" + istr},
	}
	wc, err := p.witnessed(ctx)
	if err != nil {
		return err
	}
	d.Checkpoint, err = p.o.Log.LatestCheckpoint(ctx)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		d.Waiting = true
	} else if err != nil {
		return err
	} else {
		var cosigners []string
		switch {
		case p.o.Witnessed == nil:
		case wc != nil && wc.Quorum == 0:
			d.Witness = p.noQuorum(ctx, wc)
		case wc != nil && index < wc.Size:
			d.Witness, d.Checkpoint = witnessWitnessed, &wc.Checkpoint
			var labels []string
			for _, c := range wc.Cosigners {
				cosigners = append(cosigners, c.Name)
				l := c.Label.In(q.Lang)
				if l == "" {
					l = c.Name
				}
				labels = append(labels, l)
			}
			d.Cosigners = listWords(q.Lang, labels)
		case wc == nil && p.policyNone(ctx):
			d.Witness = p.noQuorum(ctx, wc)
		default:
			d.Witness = witnessWaiting
		}
		d.check(ctx, p.o.Log, leaf)
		if d.Size > 0 {
			d.Links = append(d.Links, proofLink{msg(q.Lang, "proof.link-proof"),
				"/api/v1/public/log/proofs/inclusion?" + url.Values{"index": {istr}, "size": {strconv.FormatInt(d.Size, 10)}}.Encode()})
		}
		if p.o.Witnessed != nil {
			d.Links = append(d.Links,
				proofLink{msg(q.Lang, "proof.link-witnessed"), "/api/v1/public/log/checkpoint?witnessed=true"},
				proofLink{msg(q.Lang, "proof.link-policy"), "/api/v1/public/log/witness-policy"})
		}
		if !d.Waiting && d.Size > 0 {
			d.Browser = &browserData{Index: index, Leaf: e.LeafData, Size: d.Size, Hashes: d.Hashes, Checkpoint: d.Checkpoint.Note,
				Server: d.OK, Witness: d.Witness, Cosigners: cosigners, Text: map[string]string{}}
			if d.Hashes == nil {
				d.Browser.Hashes = []string{}
			}
			if wc != nil {
				d.Browser.Quorum = wc.Quorum
			}
			for _, k := range browserTexts {
				d.Browser.Text[strings.TrimPrefix(k, "proof.browser-")] = msg(q.Lang, k)
			}
			w.Header().Set("Content-Security-Policy", p.proofCSP(ctx, wc))
		}
	}
	p.render(w, r, q, http.StatusOK, "proof", msgf(q.Lang, "proof.title", webui.FormatNumber(q.Lang, index)), d)
	return nil
}

// witnessed returns the newest checkpoint that meets the witness policy;
// nil when the portal has no witness service or no checkpoint meets it
// yet.
func (p *Portal) witnessed(ctx context.Context) (*omadata.WitnessedCheckpoint, error) {
	if p.o.Witnessed == nil {
		return nil, nil
	}
	wc, err := p.o.Witnessed.WitnessedCheckpoint(ctx)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return nil, nil
	}
	return wc, err
}

// policyNone says whether the published witness policy has no quorum
// ("quorum none", docs/witnessing.md §5): every checkpoint counts, with no
// cosignature.
func (p *Portal) policyNone(ctx context.Context) bool {
	b, err := p.o.Witnessed.WitnessPolicy(ctx)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "quorum" && f[1] == "none" {
			return true
		}
	}
	return false
}

// noQuorum says why a policy without a quorum has none: witnessNone when
// it names no witness, witnessNotRequired when it names some but does not
// require them (OMADATA_WITNESS_QUORUM=0). wc, if not nil, tells it (its
// Witnesses); else the published policy's witness lines.
func (p *Portal) noQuorum(ctx context.Context, wc *omadata.WitnessedCheckpoint) string {
	n := 0
	if wc != nil {
		n = wc.Witnesses
	} else if b, err := p.o.Witnessed.WitnessPolicy(ctx); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == "witness" {
				n++
			}
		}
	}
	if n > 0 {
		return witnessNotRequired
	}
	return witnessNone
}

// listWords joins names as the language lists them: "Espoo, Vantaa and
// Turku".
func listWords(lang string, names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + msg(lang, "list.and") + " " + names[len(names)-1]
}

// check opens the checkpoint with the operator's log key, fetches the
// inclusion proof for its size and checks it with tlog.CheckRecord.
func (d *proofData) check(ctx context.Context, log omadata.LogService, leaf []byte) {
	size, root, err := openCheckpoint([]byte(d.Checkpoint.Note), d.VerifierKey)
	if err != nil {
		d.Failure = "proof.bad-checkpoint"
		return
	}
	d.Size, d.Root = size, root.String()
	if d.Index >= size {
		d.Waiting = true
		return
	}
	ip, err := log.ProveInclusion(ctx, d.Index, size)
	if err != nil {
		d.Failure = "proof.no-proof"
		return
	}
	var proof tlog.RecordProof
	for _, s := range ip.Hashes {
		h, err := tlog.ParseHash(s)
		if err != nil {
			d.Failure = "proof.bad-proof"
			return
		}
		proof = append(proof, h)
		d.Hashes = append(d.Hashes, s)
	}
	if err := tlog.CheckRecord(proof, size, root, d.Index, tlog.RecordHash(leaf)); err != nil {
		d.Failure = "proof.bad-proof"
		return
	}
	d.OK = true
}

// openCheckpoint verifies a checkpoint's signature with the log's verifier
// key (whose name is the log's origin) and returns its size and root hash,
// as a third party does (see docs/transparency-log.md).
func openCheckpoint(signed []byte, vkey string) (int64, tlog.Hash, error) {
	if vkey == "" {
		return 0, tlog.Hash{}, errors.New("no log verifier key")
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) != 4 || lines[0] != v.Name() || lines[3] != "" {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint text %q: want origin %q, size, root", n.Text, v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	return size, root, err
}
