// SPDX-License-Identifier: Apache-2.0

// Package anchor is the network's trust anchor (docs/network.md §2): it
// keeps the members in a small database of its own (admit, suspend,
// remove, each with a reason, each audited), serves its entity
// configuration, the subordinate statements about active members, their
// list and their trust marks (OIDF §8.1, §8.2, §8.6), refreshes members'
// keys (network.md §2.5) and tells the members of every change (§2.6).
package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/witness"
)

// Member is a network member as the anchor holds it.
type Member struct {
	EntityID        string              `json:"entity_id"`
	Status          string              `json:"status"`
	Name            omadata.Text        `json:"name"` // recorded at admission, pinned in its statement
	JWKS            *jose.JSONWebKeySet `json:"jwks"`
	NetworkEndpoint string              `json:"network_endpoint"`
	AdmittedAt      time.Time           `json:"admitted_at"`
	UpdatedAt       time.Time           `json:"updated_at"`
}

// AuditEntry is one change of the member list.
type AuditEntry struct {
	At       time.Time
	Actor    string
	Action   string
	EntityID string
	Reason   string
	Detail   string
}

// SignFunc signs a membership event request with the anchor's federation
// key as network.md §3 has it (RFC 9421); body is the request's body. The
// server wiring sets it to internal/network's signer.
type SignFunc func(req *http.Request, body []byte, key federation.Key, keyID string) error

// Anchor is a trust anchor.
type Anchor struct {
	ID       string // its entity identifier
	Name     string // organization_name
	Rulebook int    // the rulebook version its trust marks name
	DB       *DB
	Keys     []federation.Key // newest first; the first signs, all are published
	Client   *http.Client     // fetches members' configurations; nil: a 10 s timeout
	// Sign signs membership events; nil: events are not sent (logged).
	Sign     SignFunc
	Lifetime time.Duration // of statements and trust marks; 0: federation.DefaultLifetime
	Now      func() time.Time
	Log      *slog.Logger
	// Witness cosigns the members' checkpoints (docs/witnessing.md §2);
	// nil: the anchor is no witness.
	Witness *witness.Cosigner
}

func (a *Anchor) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Anchor) client() *http.Client {
	if a.Client != nil {
		return a.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (a *Anchor) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (a *Anchor) lifetime() time.Duration {
	if a.Lifetime > 0 {
		return a.Lifetime
	}
	return federation.DefaultLifetime
}

// --- membership

// Admit fetches the entity's configuration, checks it is self-signed with
// a key of its own jwks (trust on admission: the admin compares the
// returned thumbprints with what the operator told them), and records it
// as an active member with those keys, audited with reason and actor.
// Admitting a suspended or removed member admits it again.
//
// The member's name is recorded too (the admin confirms it like the
// thumbprints) and pinned in its subordinate statements (network.md
// §2.2): name when given, else the one its configuration declares. The
// configuration's metadata must pass federation.CheckMetadata and its
// keys federation.CheckKeySet.
func (a *Anchor) Admit(ctx context.Context, entityID, reason, actor string) (*Member, error) {
	return a.AdmitNamed(ctx, entityID, nil, reason, actor)
}

// AdmitNamed is Admit with the member's name as the admin gives it (a
// correction of what the configuration declares); nil or empty: the
// configuration's.
func (a *Anchor) AdmitNamed(ctx context.Context, entityID string, name omadata.Text, reason, actor string) (*Member, error) {
	if err := checkChange(entityID, reason, actor); err != nil {
		return nil, err
	}
	st, err := a.fetchConfiguration(ctx, entityID, nil)
	if err != nil {
		return nil, err
	}
	md, err := operatorMetadata(st)
	if err != nil {
		return nil, err
	}
	if len(name) > 0 {
		md.Name = name
	}
	if err := federation.CheckMetadata(entityID, md); err != nil {
		return nil, err
	}
	endpoint := md.NetworkEndpoint
	jwks, err := json.Marshal(st.JWKS)
	if err != nil {
		return nil, err
	}
	nameJSON, err := json.Marshal(md.Name)
	if err != nil {
		return nil, err
	}
	t, err := a.DB.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	now := formatTime(a.now())
	if _, err := t.exec(ctx, `INSERT INTO anchor_members (entity_id, status, name, jwks, network_endpoint, admitted_at, updated_at) VALUES (?, 'active', ?, ?, ?, ?, ?)
		ON CONFLICT (entity_id) DO UPDATE SET status = 'active', name = excluded.name, jwks = excluded.jwks, network_endpoint = excluded.network_endpoint, admitted_at = excluded.admitted_at, updated_at = excluded.updated_at`,
		entityID, string(nameJSON), string(jwks), endpoint, now, now); err != nil {
		return nil, fmt.Errorf("admit: %w", err)
	}
	if err := syncWitnessLog(ctx, t, now, entityID, md); err != nil {
		return nil, err
	}
	if err := audit(ctx, t, now, actor, "admit", entityID, reason, strings.Join(Thumbprints(st.JWKS), " ")+" name "+string(nameJSON)); err != nil {
		return nil, err
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return a.FindMember(ctx, entityID)
}

// Suspend suspends an admitted member; ENOTFOUND if never admitted.
func (a *Anchor) Suspend(ctx context.Context, entityID, reason, actor string) (*Member, error) {
	return a.setStatus(ctx, entityID, omadata.MemberSuspended, reason, actor)
}

// Remove removes an admitted member; ENOTFOUND if never admitted. Its row
// stays, so that its status is answered (network.md §2.2).
func (a *Anchor) Remove(ctx context.Context, entityID, reason, actor string) (*Member, error) {
	return a.setStatus(ctx, entityID, omadata.MemberRemoved, reason, actor)
}

func (a *Anchor) setStatus(ctx context.Context, entityID, status, reason, actor string) (*Member, error) {
	if err := checkChange(entityID, reason, actor); err != nil {
		return nil, err
	}
	t, err := a.DB.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	now := formatTime(a.now())
	res, err := t.exec(ctx, `UPDATE anchor_members SET status = ?, updated_at = ? WHERE entity_id = ?`, status, now, entityID)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		return nil, omadata.NotFound("member")
	}
	action := map[string]string{omadata.MemberSuspended: "suspend", omadata.MemberRemoved: "remove"}[status]
	if err := audit(ctx, t, now, actor, action, entityID, reason, ""); err != nil {
		return nil, err
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return a.FindMember(ctx, entityID)
}

func checkChange(entityID, reason, actor string) error {
	if err := federation.ValidEntityID("entity_id", entityID); err != nil {
		return err
	} else if strings.TrimSpace(reason) == "" {
		return omadata.Invalidf("reason", "Every change of membership needs a reason.")
	} else if strings.TrimSpace(actor) == "" {
		return omadata.Invalidf("by", "Every change of membership names who made it.")
	}
	return nil
}

func audit(ctx context.Context, t *tx, at, actor, action, entityID, reason, detail string) error {
	_, err := t.exec(ctx, `INSERT INTO anchor_audit (id, at, actor, action, entity_id, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		omadata.NewID("aud"), at, actor, action, entityID, reason, detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

const memberColumns = `entity_id, status, name, jwks, network_endpoint, admitted_at, updated_at`

func scanMember(r interface{ Scan(...any) error }) (*Member, error) {
	var m Member
	var name, jwks, admitted, updated string
	if err := r.Scan(&m.EntityID, &m.Status, &name, &jwks, &m.NetworkEndpoint, &admitted, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(name), &m.Name); err != nil {
		return nil, fmt.Errorf("member %s name: %w", m.EntityID, err)
	}
	m.JWKS = &jose.JSONWebKeySet{}
	if err := json.Unmarshal([]byte(jwks), m.JWKS); err != nil {
		return nil, fmt.Errorf("member %s jwks: %w", m.EntityID, err)
	}
	m.AdmittedAt, m.UpdatedAt = parseTime(admitted), parseTime(updated)
	return &m, nil
}

// FindMember returns a member in any status; ENOTFOUND if never admitted.
func (a *Anchor) FindMember(ctx context.Context, entityID string) (*Member, error) {
	m, err := scanMember(a.DB.queryRow(ctx, `SELECT `+memberColumns+` FROM anchor_members WHERE entity_id = ?`, entityID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("member")
	}
	return m, err
}

// Members returns every member the anchor ever admitted, by entity ID.
func (a *Anchor) Members(ctx context.Context) ([]*Member, error) {
	rows, err := a.DB.query(ctx, `SELECT `+memberColumns+` FROM anchor_members ORDER BY entity_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AuditKeyRotation records a rotation of the anchor's own keys
// (network.md §2.5) in its audit: who did it, the new key's thumbprint and
// the thumbprints it still publishes. keys are newest first.
func (a *Anchor) AuditKeyRotation(ctx context.Context, actor string, keys []federation.Key) error {
	if strings.TrimSpace(actor) == "" {
		return omadata.Invalidf("by", "Every change of the anchor's keys names who made it.")
	} else if len(keys) == 0 {
		return omadata.Invalidf("keys", "No key was rotated in.")
	}
	t, err := a.DB.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	kids := make([]string, len(keys))
	for i, k := range keys {
		kids[i] = k.ID
	}
	detail := "new " + kids[0] + "; published " + strings.Join(kids, " ")
	if err := audit(ctx, t, formatTime(a.now()), actor, "rotate_key", a.ID, "anchor key rotation", detail); err != nil {
		return err
	}
	return t.Commit()
}

// Audit returns the audit entries of entityID (all when empty), oldest first.
func (a *Anchor) Audit(ctx context.Context, entityID string) ([]*AuditEntry, error) {
	rows, err := a.DB.query(ctx, `SELECT at, actor, action, entity_id, reason, detail FROM anchor_audit WHERE ? = '' OR entity_id = ? ORDER BY at, id`, entityID, entityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.EntityID, &e.Reason, &e.Detail); err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// Refresh fetches each active member's configuration and, when it
// verifies with a key the anchor holds for the member, takes its jwks as
// the member's keys (network.md §2.5), audited as a key change. It goes
// on past a member that fails and returns the failures joined.
func (a *Anchor) Refresh(ctx context.Context, actor string) error {
	members, err := a.Members(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range members {
		if m.Status != omadata.MemberActive {
			continue
		}
		if err := a.refresh(ctx, m, actor); err != nil {
			errs = append(errs, fmt.Errorf("refresh %s: %w", m.EntityID, err))
		}
	}
	return errors.Join(errs...)
}

func (a *Anchor) refresh(ctx context.Context, m *Member, actor string) (err error) {
	st, err := a.fetchConfiguration(ctx, m.EntityID, m.JWKS)
	if err != nil {
		return err
	}
	md, err := operatorMetadata(st)
	if err != nil {
		return err
	}
	md.Name = m.Name // the recorded name, not the declared one
	if len(md.Name) == 0 {
		md.Name = omadata.Text{"en": m.EntityID} // admitted before names were recorded
	}
	if err := federation.CheckMetadata(m.EntityID, md); err != nil {
		return err
	}
	// The member's log as the anchor witnesses it; a failure here does
	// not hold back its keys.
	if werr := a.syncWitnessLog(ctx, m.EntityID, md); werr != nil {
		defer func() { err = errors.Join(err, fmt.Errorf("witnessed log: %w", werr)) }()
	}
	endpoint := md.NetworkEndpoint
	old, nw := Thumbprints(m.JWKS), Thumbprints(st.JWKS)
	if slices.Equal(old, nw) && endpoint == m.NetworkEndpoint {
		return nil
	}
	jwks, err := json.Marshal(st.JWKS)
	if err != nil {
		return err
	}
	t, err := a.DB.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	now := formatTime(a.now())
	// Only an active member's keys change, and only from the set read.
	res, err := t.exec(ctx, `UPDATE anchor_members SET jwks = ?, network_endpoint = ?, updated_at = ? WHERE entity_id = ? AND status = 'active' AND updated_at = ?`,
		string(jwks), endpoint, now, m.EntityID, formatTime(m.UpdatedAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // changed meanwhile: the next refresh sees it
	}
	if err := audit(ctx, t, now, actor, "keys", m.EntityID, "key refresh", strings.Join(nw, " ")); err != nil {
		return err
	}
	return t.Commit()
}

// fetchConfiguration fetches and verifies an entity's configuration: with
// held keys when given (refresh), else with its own jwks (admission).
func (a *Anchor) fetchConfiguration(ctx context.Context, entityID string, held *jose.JSONWebKeySet) (*federation.Statement, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, entityID+federation.WellKnownPath, nil)
	if err != nil {
		return nil, omadata.Invalidf("entity_id", "The entity identifier is not a URL.")
	}
	resp, err := a.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch the entity configuration of %s: %w", entityID, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(http.MaxBytesReader(nil, resp.Body, 1<<20)); err != nil {
		return nil, fmt.Errorf("fetch the entity configuration of %s: %w", entityID, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch the entity configuration of %s: status %d", entityID, resp.StatusCode)
	}
	raw := strings.TrimSpace(b.String())
	keys := held
	if keys == nil {
		var self federation.Statement
		if err := federation.Unverified(raw, &self); err != nil {
			return nil, err
		}
		keys = self.JWKS
	}
	st, err := federation.Verify(raw, keys, entityID, entityID, a.now())
	if err != nil {
		return nil, err
	}
	if st.JWKS == nil || len(st.JWKS.Keys) == 0 {
		return nil, fmt.Errorf("the entity configuration of %s has no jwks", entityID)
	}
	for _, k := range st.JWKS.Keys {
		if !k.IsPublic() || k.Algorithm != string(jose.EdDSA) {
			return nil, fmt.Errorf("the entity configuration of %s lists a key that is not a public EdDSA key", entityID)
		}
	}
	// Every kid is its key's thumbprint, none twice (network.md §1): the
	// anchor vouches for no key under another key's kid.
	if err := federation.CheckKeySet(st.JWKS); err != nil {
		return nil, err
	}
	return st, nil
}

// operatorMetadata reads the omadata_operator metadata of a configuration.
func operatorMetadata(st *federation.Statement) (*omadata.OperatorMetadata, error) {
	var md omadata.OperatorMetadata
	if raw, ok := st.Metadata[federation.MetadataOperator]; !ok {
		return nil, fmt.Errorf("the entity configuration of %s has no %s metadata", st.Subject, federation.MetadataOperator)
	} else if err := json.Unmarshal(raw, &md); err != nil {
		return nil, fmt.Errorf("the %s metadata of %s: %w", federation.MetadataOperator, st.Subject, err)
	}
	if u, err := url.Parse(md.NetworkEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, omadata.Invalidf("network_endpoint", "The %s metadata of %s has no network_endpoint URL.", federation.MetadataOperator, st.Subject)
	}
	return &md, nil
}

// Thumbprints returns the kids (RFC 7638 thumbprints) of a key set's
// Ed25519 keys, recomputed, sorted.
func Thumbprints(set *jose.JSONWebKeySet) []string {
	var out []string
	if set == nil {
		return out
	}
	for _, k := range set.Keys {
		if pub, ok := k.Key.(ed25519.PublicKey); ok {
			if tp, err := federation.Thumbprint(pub); err == nil {
				out = append(out, tp)
			}
		}
	}
	slices.Sort(out)
	return out
}
