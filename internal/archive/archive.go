// SPDX-License-Identifier: Apache-2.0

// Package archive makes the archive a resident takes with them (GDPR Art
// 20): a ZIP of the operator's records about them and every source's data,
// with a manifest listing each part, its source, size and SHA-256, and the
// manifest signed as a compact JWS with the operator's receipt key. The
// format is in docs/archive.md, precisely enough to verify it without
// this package.
package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// Format and Version name the archive format in its manifest.
const (
	Format  = "omadata-archive"
	Version = 1
	// ManifestType is the JWS "typ" of manifest.jws.
	ManifestType = "omadata-archive-manifest+json"
)

// Paths of the manifest and its signature in the ZIP.
const (
	ManifestPath  = "manifest.json"
	SignaturePath = "manifest.jws"
)

// Source kinds of a part.
const (
	SourceOperator = "operator"
	SourceService  = "source"
)

// Builder makes archives; it implements omadata.ArchiveService.
type Builder struct {
	Requests omadata.RequestService
	// OwnData asks the sources; nil lists no sources (an operator without
	// the source protocol).
	OwnData omadata.OwnDataService
	Signer  omadata.Signer // the operator's receipt key
	// OperatorID and PublicURL name the operator in the manifest.
	OperatorID, PublicURL string
	Now                   func() time.Time // nil means time.Now
	// Witnessed and Log add operator/witnessed.json: the newest
	// checkpoint that meets the witness policy, with its cosignatures, the
	// policy, and each log entry's inclusion proof at its size
	// (docs/archive.md, docs/witnessing.md §5). nil leaves it out.
	Witnessed omadata.WitnessedLogService
	Log       omadata.LogService
}

// WitnessedPath is the part of the archive that checks the resident's
// log entries against a witnessed checkpoint.
const WitnessedPath = "operator/witnessed.json"

// Witnessed is operator/witnessed.json: everything needed to check, with
// no network, that the log entries of operator/log.json are in a
// checkpoint the operator's witnesses cosigned.
type Witnessed struct {
	// Checkpoint is the signed note followed by the cosignature lines;
	// "" when no checkpoint meets the policy yet.
	Checkpoint string               `json:"checkpoint"`
	Size       int64                `json:"size"`
	Cosigners  []omadata.WitnessRef `json:"cosigners"`
	Quorum     int                  `json:"quorum"`    // k
	Witnesses  int                  `json:"witnesses"` // n
	Policy     string               `json:"policy"`    // the witness policy file (docs/witnessing.md §5)
	// Proofs are the inclusion proofs of the entries the checkpoint
	// includes, at its size; Waiting the indexes of those newer.
	Proofs  []*omadata.InclusionProof `json:"proofs"`
	Waiting []int64                   `json:"waiting"`
}

var _ omadata.ArchiveService = (*Builder)(nil)

// Manifest is manifest.json.
type Manifest struct {
	Format     string           `json:"format"`
	Version    int              `json:"version"`
	Operator   ManifestOperator `json:"operator"`
	CreatedAt  time.Time        `json:"created_at"`
	ResidentID string           `json:"resident_id"` // the operator's internal ID, never an identity code
	RequestID  string           `json:"request_id,omitempty"`
	Parts      []Part           `json:"parts"`
	Sources    []SourceAnswer   `json:"sources"`
}

// ManifestOperator names the operator that made the archive.
type ManifestOperator struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// Part is one file of the archive besides the manifest and its signature.
type Part struct {
	Path      string     `json:"path"`
	Source    PartSource `json:"source"`
	MediaType string     `json:"media_type"`
	Size      int64      `json:"size"`
	SHA256    string     `json:"sha256"` // lowercase hex
}

// PartSource says where a part's data comes from: the operator's own
// records, or a source service's data group.
type PartSource struct {
	Kind        string       `json:"kind"` // SourceOperator or SourceService
	ServiceID   string       `json:"service_id,omitempty"`
	ServiceName omadata.Text `json:"service_name,omitempty"`
	DataGroup   string       `json:"data_group,omitempty"` // its code
	DataGroupID string       `json:"data_group_id,omitempty"`
}

// SourceAnswer is how one source answered for one data group: every data
// group a source holds about the resident is listed, with its parts when
// it answered with data, and none when it was down or held nothing.
type SourceAnswer struct {
	ServiceID   string       `json:"service_id"`
	ServiceName omadata.Text `json:"service_name"`
	DataGroup   string       `json:"data_group"`
	DataGroupID string       `json:"data_group_id"`
	Status      string       `json:"status"` // omadata.OwnDataOK, OwnDataNone, OwnDataUnavailable or OwnDataInvalid
	FetchedAt   time.Time    `json:"fetched_at"`
	Parts       []string     `json:"parts"` // paths
}

// ResidentArchive implements omadata.ArchiveService.
func (b *Builder) ResidentArchive(ctx context.Context, residentID string) ([]byte, error) {
	e, err := b.Requests.ExportResidentRecords(ctx, residentID)
	if err != nil {
		return nil, err
	}
	return b.build(ctx, e)
}

// RequestArchive implements omadata.ArchiveService.
func (b *Builder) RequestArchive(ctx context.Context, requestID string) ([]byte, error) {
	e, err := b.Requests.ExportResident(ctx, requestID)
	if err != nil {
		return nil, err
	}
	return b.build(ctx, e)
}

// file is a part before it is written.
type file struct {
	Part
	body []byte
}

func (b *Builder) build(ctx context.Context, e *omadata.ResidentExport) ([]byte, error) {
	if b.Signer == nil {
		return nil, errors.New("archive: no signer")
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	m := &Manifest{Format: Format, Version: Version, Operator: ManifestOperator{ID: b.OperatorID, URL: b.PublicURL},
		CreatedAt: now().UTC().Truncate(time.Second), ResidentID: e.Resident.ID, RequestID: e.RequestID,
		Parts: []Part{}, Sources: []SourceAnswer{}}
	var files []file
	add := func(path, mediaType string, src PartSource, body []byte) {
		sum := sha256.Sum256(body)
		p := Part{Path: path, Source: src, MediaType: mediaType, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
		files = append(files, file{p, body})
		m.Parts = append(m.Parts, p)
	}
	operator := PartSource{Kind: SourceOperator}
	for _, r := range []struct {
		path string
		v    any
	}{
		{"operator/profile.json", e.Resident},
		{"operator/consents.json", e.Consents},
		{"operator/representations.json", e.Representations},
		{"operator/requests.json", e.Requests},
		{"operator/usage.json", e.Usage},
		{"operator/log.json", struct {
			Checkpoint *omadata.Checkpoint `json:"checkpoint"`
			Entries    []*omadata.LogEvent `json:"entries"`
		}{e.Checkpoint, e.LogEntries}},
	} {
		body, err := marshal(r.v)
		if err != nil {
			return nil, err
		}
		add(r.path, "application/json", operator, body)
	}
	if b.Witnessed != nil && b.Log != nil {
		w, err := b.witnessed(ctx, e.LogEntries)
		if err != nil {
			return nil, err
		}
		body, err := marshal(w)
		if err != nil {
			return nil, err
		}
		add(WitnessedPath, "application/json", operator, body)
	}
	if b.OwnData != nil {
		if err := b.sources(ctx, e.Resident.ID, m, add); err != nil {
			return nil, err
		}
	}
	mb, err := marshal(m)
	if err != nil {
		return nil, err
	}
	jws, err := b.sign(mb)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	write := func(path string, body []byte) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: m.CreatedAt})
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	if err := write(ManifestPath, mb); err != nil {
		return nil, err
	} else if err := write(SignaturePath, []byte(jws)); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := write(f.Path, f.body); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sources asks every source for the resident's data and adds each
// answer's parts: JSON always, CSV where the data is tabular.
func (b *Builder) sources(ctx context.Context, residentID string, m *Manifest, add func(string, string, PartSource, []byte)) error {
	groups, err := b.OwnData.FindOwnDataGroups(ctx, residentID)
	if err != nil {
		return err
	}
	if len(groups) == 0 {
		return nil
	}
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.DataGroup.ID
	}
	answers, err := b.OwnData.FetchOwnData(ctx, residentID, ids)
	if err != nil {
		return err
	}
	byID := map[string]*omadata.OwnData{}
	for _, a := range answers {
		byID[a.DataGroupID] = a
	}
	for _, g := range groups {
		src := PartSource{Kind: SourceService, ServiceID: g.Service.ID, ServiceName: g.Service.Name, DataGroup: g.DataGroup.Code, DataGroupID: g.DataGroup.ID}
		sa := SourceAnswer{ServiceID: src.ServiceID, ServiceName: src.ServiceName, DataGroup: src.DataGroup, DataGroupID: src.DataGroupID,
			Status: omadata.OwnDataUnavailable, Parts: []string{}}
		a := byID[g.DataGroup.ID]
		if a != nil {
			sa.Status, sa.FetchedAt = a.Status, a.FetchedAt.UTC()
		}
		if a != nil && a.Status == omadata.OwnDataOK {
			base := "sources/" + safe(g.Service.ID) + "/" + safe(g.DataGroup.Code)
			items := a.Items
			if items == nil {
				items = []omadata.OwnDataItem{}
			}
			body, err := marshal(sourcePart{ServiceID: src.ServiceID, ServiceName: src.ServiceName, DataGroup: src.DataGroup,
				DataGroupID: src.DataGroupID, FetchedAt: sa.FetchedAt, TransferID: a.TransferID, Items: items, Table: a.Table})
			if err != nil {
				return err
			}
			add(base+".json", "application/json", src, body)
			sa.Parts = append(sa.Parts, base+".json")
			if a.Table != nil && len(a.Table.Columns) > 0 {
				body, err := a.Table.CSV("")
				if err != nil {
					return err
				}
				add(base+".csv", "text/csv; charset=utf-8; header=present", src, body)
				sa.Parts = append(sa.Parts, base+".csv")
			}
		}
		m.Sources = append(m.Sources, sa)
	}
	return nil
}

// sourcePart is the JSON part of a source's answer: the source protocol's
// items and table, with where they came from.
type sourcePart struct {
	ServiceID   string                `json:"service_id"`
	ServiceName omadata.Text          `json:"service_name"`
	DataGroup   string                `json:"data_group"`
	DataGroupID string                `json:"data_group_id"`
	FetchedAt   time.Time             `json:"fetched_at"`
	TransferID  string                `json:"transfer_id,omitempty"`
	Items       []omadata.OwnDataItem `json:"items"`
	Table       *omadata.OwnDataTable `json:"table,omitempty"`
}

// safe keeps a path segment to letters, digits, '-', '_' and '.', never
// "." or "..": service IDs and data group codes already are.
func safe(s string) string {
	out := []byte(s)
	for i, c := range out {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			out[i] = '_'
		}
	}
	if s := string(out); s != "" && strings.Trim(s, ".") != "" {
		return s
	}
	return "_"
}

// witnessed proves each of the entries at the newest checkpoint that
// meets the witness policy.
func (b *Builder) witnessed(ctx context.Context, entries []*omadata.LogEvent) (*Witnessed, error) {
	// No policy yet (a network operator that knows no witness yet):
	// every entry waits for witnesses.
	policy, err := b.Witnessed.WitnessPolicy(ctx)
	if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return nil, err
	}
	w := &Witnessed{Policy: string(policy), Cosigners: []omadata.WitnessRef{}, Proofs: []*omadata.InclusionProof{}, Waiting: []int64{}}
	wc, err := b.Witnessed.WitnessedCheckpoint(ctx)
	if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return nil, err
	}
	if wc != nil {
		w.Checkpoint, w.Size, w.Cosigners, w.Quorum, w.Witnesses = wc.Note, wc.Size, wc.Cosigners, wc.Quorum, wc.Witnesses
	}
	for _, e := range entries {
		if e.Index == nil {
			continue
		}
		if wc == nil || *e.Index >= wc.Size {
			w.Waiting = append(w.Waiting, *e.Index)
			continue
		}
		p, err := b.Log.ProveInclusion(ctx, *e.Index, wc.Size)
		if err != nil {
			return nil, err
		}
		w.Proofs = append(w.Proofs, p)
	}
	return w, nil
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// sign returns the compact JWS of payload (the manifest's bytes, exactly)
// signed with the operator's receipt key: EdDSA, "kid" the key's ID,
// "typ" ManifestType.
func (b *Builder) sign(payload []byte) (string, error) {
	return omadata.SignJWS(b.Signer, ManifestType, payload)
}
