// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/omadata/omadata"
)

// networkSourceQuery selects this operator's own approved sources with
// their organisation as controller.
const networkSourceQuery = `SELECT s.id, s.name, s.endpoints, o.id, o.kind, o.name,
	COALESCE(NULLIF(o.business_id, ''), po.business_id, ''), COALESCE(po.name, ''), o.email, o.phone, o.address, o.website,
	o.privacy_policy_url, o.dpo
	FROM services s JOIN organisations o ON o.id = s.organisation_id
	LEFT JOIN organisations po ON po.id = o.parent_id
	WHERE s.operator_id IS NULL AND s.status = 'approved' AND s.roles LIKE '%"source"%'
	ORDER BY s.id`

// NetworkCatalogue returns this operator's catalogue for the network's
// members (docs/network.md §5.1): its own approved sources with their data
// groups and API, and the published processings of its own approved
// sinks; mirrored rows are never republished. The ETag is the SHA-256 of
// the catalogue without its issue time, so it changes exactly when the
// catalogue does (also for a change catalogue_version does not count,
// such as a controller's contact details).
func (s *Store) NetworkCatalogue(ctx context.Context) (*omadata.NetworkCatalogue, string, error) {
	r := s.db.reader()
	c := &omadata.NetworkCatalogue{OperatorID: s.issuer, IssuedAt: s.db.now(), Sources: []*omadata.NetworkSource{}, Processings: []*omadata.CatalogueEntry{}}
	rows, err := r.query(ctx, networkSourceQuery)
	if err != nil {
		return nil, "", err
	}
	c.Sources, err = collect(rows, func(row interface{ Scan(...any) error }) (*omadata.NetworkSource, error) {
		src := &omadata.NetworkSource{DataGroups: []*omadata.DataGroup{}}
		var ep omadata.ServiceEndpoints
		var parent string
		k := &src.Controller
		err := row.Scan(&src.ID, jsonScan{&src.Name}, jsonScan{&ep}, &k.ID, &k.Kind, jsonScan{&k.Name}, &k.BusinessID, &parent,
			&k.Email, &k.Phone, jsonScan{&k.Address}, &k.Website, &k.PrivacyPolicyURL, jsonScan{&k.DPO})
		if err == nil && parent != "" {
			k.Parent = new(omadata.Text)
			err = json.Unmarshal([]byte(parent), k.Parent)
		}
		src.API = ep.API
		return src, err
	})
	if err != nil {
		return nil, "", err
	} else if c.Sources == nil {
		c.Sources = []*omadata.NetworkSource{} // an empty list is [], never null (§5.1)
	}
	if len(c.Sources) > 0 {
		ids := make([]any, len(c.Sources))
		byID := map[string]*omadata.NetworkSource{}
		for i, src := range c.Sources {
			ids[i], byID[src.ID] = src.ID, src
		}
		grows, err := r.query(ctx, `SELECT `+prefixed("g", dataGroupColumns)+` FROM data_groups g WHERE g.service_id IN (`+placeholders(len(ids))+`) ORDER BY g.service_id, g.id`, ids...)
		if err != nil {
			return nil, "", err
		}
		groups, err := collect(grows, scanDataGroup)
		if err != nil {
			return nil, "", err
		}
		for _, g := range groups {
			byID[g.ServiceID].DataGroups = append(byID[g.ServiceID].DataGroups, g)
		}
	}
	prows, err := r.query(ctx, catalogueQuery+` WHERE v.status = 'published' AND s.status = 'approved' AND s.operator_id IS NULL ORDER BY p.id`)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(prows, scanCatalogueRow)
	if err != nil {
		return nil, "", err
	} else if err := expandCatalogue(ctx, r, out); err != nil {
		return nil, "", err
	}
	for _, row := range out {
		c.Processings = append(c.Processings, row.entry)
	}
	b, err := json.Marshal(struct {
		OperatorID  string                    `json:"operator_id"`
		Sources     []*omadata.NetworkSource  `json:"sources"`
		Processings []*omadata.CatalogueEntry `json:"processings"`
	}{c.OperatorID, c.Sources, c.Processings})
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return c, `"` + hex.EncodeToString(sum[:16]) + `"`, nil
}

// mayImportCatalogue: only the operator itself (an admin, or the job that
// fetches catalogues as one); no route lets a peer push its catalogue
// (docs/network.md §12.1).
func mayImportCatalogue(ctx context.Context) error {
	if omadata.CallerFromContext(ctx).IsAdmin() {
		return nil
	}
	return omadata.Errorf(omadata.EFORBIDDEN, "Only the operator may mirror a peer's catalogue.")
}

// mirrorService is a peer's service as its catalogue names it: a source,
// a sink, or both.
type mirrorService struct {
	id, orgID string
	field     string // where the catalogue first names it
	name      omadata.Text
	roles     []string
	api       string
}

// The most a peer's catalogue may hold (docs/network.md §7): the bounds
// of a local version (processing.go) where there is one, and a network's
// size for the lists.
const (
	maxPeerSources     = 1000
	maxPeerProcessings = 1000
	maxPeerDataGroups  = 100 // of a source or a processing, as a version's
	maxPeerRecipients  = 50  // as a version's
	maxPeerAISystems   = 50
)

// checkCatalogueCounts refuses a peer's catalogue over the bounds, naming
// the list, before anything is read of its items.
func checkCatalogueCounts(c *omadata.NetworkCatalogue) error {
	over := func(field string, n, most int) error {
		if n > most {
			return omadata.Invalidf(field, "The catalogue lists %d; at most %d are mirrored.", n, most)
		}
		return nil
	}
	if err := over("sources", len(c.Sources), maxPeerSources); err != nil {
		return err
	} else if err := over("processings", len(c.Processings), maxPeerProcessings); err != nil {
		return err
	}
	for i, src := range c.Sources {
		if src != nil {
			if err := over(fmt.Sprintf("sources[%d].data_groups", i), len(src.DataGroups), maxPeerDataGroups); err != nil {
				return err
			}
		}
	}
	for i, e := range c.Processings {
		if e == nil {
			continue
		}
		f := fmt.Sprintf("processings[%d]", i)
		if err := over(f+".data_groups", len(e.DataGroups), maxPeerDataGroups); err != nil {
			return err
		} else if err := over(f+".recipients", len(e.Recipients), maxPeerRecipients); err != nil {
			return err
		} else if err := over(f+".notices", len(e.Notices), len(omadata.Languages)); err != nil {
			return err
		} else if err := over(f+".ai_systems", len(e.AISystems), maxPeerAISystems); err != nil {
			return err
		}
	}
	return nil
}

// ImportPeerCatalogue mirrors a peer's catalogue (docs/network.md §5.1) in
// one transaction. See omadata.NetworkService. A processing whose purpose
// is not in this operator's taxonomy is skipped (it stays the peer's
// local one, network.md §1); the skipped IDs are in the audit record of
// the import. What the peer no longer publishes is retired (processings)
// or suspended (services), never deleted.
func (s *Store) ImportPeerCatalogue(ctx context.Context, peer *omadata.Peer, c *omadata.NetworkCatalogue, etag string, expires time.Time) error {
	if peer == nil || peer.OperatorID == "" {
		return omadata.Invalidf("operator_id", "Name the peer.")
	} else if err := mayImportCatalogue(ctx); err != nil {
		return err
	} else if peer.OperatorID == s.issuer {
		return omadata.Invalidf("operator_id", "The peer is this operator.")
	} else if c == nil {
		return omadata.Invalidf("catalogue", "Give the catalogue.")
	} else if c.OperatorID != peer.OperatorID {
		return omadata.Invalidf("catalogue.operator_id", "The catalogue is not the peer's.")
	} else if err := omadata.CheckText("etag", etag, 200); err != nil {
		return err
	} else if err := checkCatalogueCounts(c); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := upsertPeer(ctx, tx, peer, etag, expires); err != nil {
		return err
	}
	orgs := map[string]omadata.CatalogueController{}
	orgField := map[string]string{}
	var orgOrder []string
	services := map[string]*mirrorService{}
	var serviceOrder []string
	addOrg := func(k omadata.CatalogueController, field string) {
		if _, ok := orgs[k.ID]; !ok {
			orgOrder, orgField[k.ID] = append(orgOrder, k.ID), field
		}
		orgs[k.ID] = k
	}
	addService := func(id, orgID string, name omadata.Text, role, api, field string) *mirrorService {
		sv := services[id]
		if sv == nil {
			sv = &mirrorService{id: id, orgID: orgID, name: name, field: field}
			services[id] = sv
			serviceOrder = append(serviceOrder, id)
		}
		if !slices.Contains(sv.roles, role) {
			sv.roles = append(sv.roles, role)
		}
		if api != "" {
			sv.api = api
		}
		return sv
	}
	for i, src := range c.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		if src == nil || !omadata.ValidID(omadata.PrefixService, src.ID) {
			return omadata.Invalidf(f+".id", "Not a service ID.")
		} else if !omadata.ValidID(omadata.PrefixOrganisation, src.Controller.ID) {
			return omadata.Invalidf(f+".controller.id", "Not an organisation ID.")
		} else if err := checkMirrorTexts(f, f+".name", src.Name, src.Controller, src.API); err != nil {
			return err
		}
		for j, g := range src.DataGroups {
			if g == nil {
				return omadata.Invalidf(fmt.Sprintf("%s.data_groups[%d]", f, j), "Give the data group.")
			} else if err := g.Name.Validate(fmt.Sprintf("%s.data_groups[%d].name", f, j), 200); err != nil {
				return err
			} else if err := omadata.CheckText(fmt.Sprintf("%s.data_groups[%d].code", f, j), g.Code, 64); err != nil {
				return err
			}
		}
		addOrg(src.Controller, f+".controller.id")
		addService(src.ID, src.Controller.ID, src.Name, omadata.RoleSource, src.API, f+".id")
	}
	var entries []*omadata.CatalogueEntry
	var skipped []string
	for i, e := range c.Processings {
		f := fmt.Sprintf("processings[%d]", i)
		if e == nil || !omadata.ValidID(omadata.PrefixProcessing, e.ProcessingID) {
			return omadata.Invalidf(f+".processing_id", "Not a processing ID.")
		} else if !omadata.ValidID(omadata.PrefixService, e.Sink.ID) {
			return omadata.Invalidf(f+".sink.id", "Not a service ID.")
		} else if !omadata.ValidID(omadata.PrefixOrganisation, e.Controller.ID) {
			return omadata.Invalidf(f+".controller.id", "Not an organisation ID.")
		} else if e.Version < 1 {
			return omadata.Invalidf(f+".version", "Not a version.")
		} else if err := checkMirrorTexts(f, f+".sink.name", e.Sink.Name, e.Controller, ""); err != nil {
			return err
		} else if err := e.Title.Validate(f+".title", 200); err != nil {
			return err
		} else if err := e.Description.Validate(f+".description", 5000); err != nil {
			return err
		}
		// The sink is listed even when its processing is skipped.
		addOrg(e.Controller, f+".controller.id")
		addService(e.Sink.ID, e.Controller.ID, e.Sink.Name, omadata.RoleSink, "", f+".sink.id")
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM purposes WHERE id = ?`, e.Purpose.ID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			skipped = append(skipped, e.ProcessingID)
			continue
		}
		entries = append(entries, e)
	}
	for _, id := range orgOrder {
		if err := mirrorOrganisation(ctx, tx, peer.OperatorID, orgs[id], orgField[id]); err != nil {
			return err
		}
	}
	for _, id := range serviceOrder {
		if err := mirrorServiceRow(ctx, tx, peer.OperatorID, services[id]); err != nil {
			return err
		}
	}
	for i, src := range c.Sources {
		for j, g := range src.DataGroups {
			if err := mirrorDataGroup(ctx, tx, peer.OperatorID, src.ID, g, fmt.Sprintf("sources[%d].data_groups[%d]", i, j)); err != nil {
				return err
			}
		}
	}
	published := map[string]bool{}
	refused := &omadata.RefusedItems{OperatorID: peer.OperatorID}
	for _, e := range entries {
		f := fmt.Sprintf("processings[%d]", slices.Index(c.Processings, e))
		if changed, err := mirrorProcessing(ctx, tx, peer.OperatorID, e, f); err != nil {
			return err
		} else if changed != "" {
			refused.Items = append(refused.Items, omadata.RefusedItem{ProcessingID: e.ProcessingID, Version: e.Version, Field: f + "." + changed,
				Reason: fmt.Sprintf("Version %d was mirrored with another %s; a published version is immutable.", e.Version, changed)})
		}
		published[e.ProcessingID] = true // a refused item keeps its old version published
	}
	retired, err := retireUnpublished(ctx, tx, peer.OperatorID, published, services)
	if err != nil {
		return err
	}
	svcIDs := make([]any, 0, len(services)+1)
	svcIDs = append(svcIDs, peer.OperatorID)
	for id := range services {
		svcIDs = append(svcIDs, id)
	}
	cond := ""
	if len(services) > 0 {
		cond = ` AND id NOT IN (` + placeholders(len(services)) + `)`
	}
	if _, err := tx.exec(ctx, `UPDATE services SET status = 'suspended', updated_at = ? WHERE operator_id = ? AND status <> 'suspended'`+cond,
		append([]any{tx.now}, svcIDs...)...); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "network.catalogue_imported", "peer", peer.OperatorID, map[string]any{
		"etag": etag, "sources": len(c.Sources), "processings": len(entries), "skipped_purpose_not_in_taxonomy": skipped, "retired": retired,
		"refused_changed_version": refusedIDs(refused),
	}); err != nil {
		return err
	}
	if err := s.commitCatalogue(tx); err != nil {
		return err
	} else if len(refused.Items) > 0 {
		return refused
	}
	return nil
}

// refusedIDs lists the processings of refused items, for the audit.
func refusedIDs(r *omadata.RefusedItems) []string {
	ids := []string{}
	for _, it := range r.Items {
		ids = append(ids, it.ProcessingID)
	}
	return ids
}

// upsertPeer records the peer's resolved metadata and its catalogue's
// state. It never writes the chain's expiry or keys: only a resolution
// records those (PutPeer, conditional on the drops since it began), so a
// catalogue fetched before a membership event cannot trust the peer
// again. A peer it inserts has an expired chain until it is resolved.
func upsertPeer(ctx context.Context, tx *Tx, p *omadata.Peer, etag string, expires time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO peers (operator_id, name, metadata, rulebook_version, jwks, chain_expires_at, catalogue_etag, catalogue_expires_at, updated_at)
		VALUES (?, ?, ?, ?, '{"keys":[]}', ?, ?, ?, ?)
		ON CONFLICT (operator_id) DO UPDATE SET name = excluded.name, metadata = excluded.metadata, rulebook_version = excluded.rulebook_version,
		catalogue_etag = excluded.catalogue_etag, catalogue_expires_at = excluded.catalogue_expires_at,
		updated_at = excluded.updated_at`,
		p.OperatorID, jsonValue{textOrEmpty(p.Name)}, jsonValue{p.OperatorMetadata}, p.RulebookVersion, tx.now, etag, expires.UTC(), tx.now)
	return err
}

// claim checks that a row a peer's catalogue names is new or already the
// peer's: owner is the query of its operator ID (NULL: ours).
func claim(ctx context.Context, tx *Tx, owner, id, peerID, field string) (bool, error) {
	var op sql.NullString
	err := tx.queryRow(ctx, owner, id).Scan(&op)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	} else if !op.Valid || op.String != peerID {
		return false, omadata.Invalidf(field, "%s is registered at this operator or at another peer.", id)
	}
	return true, nil
}

func mirrorOrganisation(ctx context.Context, tx *Tx, peerID string, k omadata.CatalogueController, field string) error {
	if _, err := claim(ctx, tx, `SELECT operator_id FROM organisations WHERE id = ?`, k.ID, peerID, field); err != nil {
		return err
	}
	kind := k.Kind
	if kind == "" {
		kind = omadata.OrgCompany
	}
	_, err := tx.exec(ctx, `INSERT INTO organisations (id, kind, name, business_id, parent_id, email, phone, address, website, privacy_policy_url, dpo, created_at, updated_at, operator_id)
		VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, business_id = excluded.business_id, email = excluded.email,
		phone = excluded.phone, address = excluded.address, website = excluded.website, privacy_policy_url = excluded.privacy_policy_url,
		dpo = excluded.dpo, updated_at = excluded.updated_at`,
		k.ID, kind, jsonValue{textOrEmpty(k.Name)}, nullString(k.BusinessID), k.Email, k.Phone, jsonValue{k.Address}, k.Website, k.PrivacyPolicyURL,
		jsonValue{k.DPO}, tx.now, tx.now, peerID)
	return err
}

func mirrorServiceRow(ctx context.Context, tx *Tx, peerID string, sv *mirrorService) error {
	if _, err := claim(ctx, tx, `SELECT operator_id FROM services WHERE id = ?`, sv.id, peerID, sv.field); err != nil {
		return err
	}
	slices.Sort(sv.roles)
	_, err := tx.exec(ctx, `INSERT INTO services (id, organisation_id, name, description, roles, endpoints, status, created_at, updated_at, operator_id)
		VALUES (?, ?, ?, '{}', ?, ?, 'approved', ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET organisation_id = excluded.organisation_id, name = excluded.name, roles = excluded.roles,
		endpoints = excluded.endpoints, status = 'approved', updated_at = excluded.updated_at`,
		sv.id, sv.orgID, jsonValue{textOrEmpty(sv.name)}, jsonValue{sv.roles}, jsonValue{omadata.ServiceEndpoints{API: sv.api}}, tx.now, tx.now, peerID)
	return err
}

func mirrorDataGroup(ctx context.Context, tx *Tx, peerID, sourceID string, g *omadata.DataGroup, field string) error {
	if g == nil || !omadata.ValidID(omadata.PrefixDataGroup, g.ID) {
		return omadata.Invalidf(field+".id", "Not a data group ID.")
	} else if _, err := claim(ctx, tx, `SELECT s.operator_id FROM data_groups g JOIN services s ON s.id = g.service_id WHERE g.id = ?`, g.ID, peerID, field+".id"); err != nil {
		return err
	}
	pdc := g.PersonalDataCategories
	if pdc == nil {
		pdc = []string{}
	}
	_, err := tx.exec(ctx, `INSERT INTO data_groups (id, service_id, code, name, description, special_category, personal_data_categories, retention, created_at, updated_at, legal_basis)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id, code = excluded.code, name = excluded.name, description = excluded.description,
		special_category = excluded.special_category, personal_data_categories = excluded.personal_data_categories, retention = excluded.retention,
		updated_at = excluded.updated_at, legal_basis = excluded.legal_basis`,
		g.ID, sourceID, g.Code, jsonValue{textOrEmpty(g.Name)}, jsonValue{textOrEmpty(g.Description)}, g.SpecialCategory, jsonValue{pdc},
		g.Retention, tx.now, tx.now, g.LegalBasis)
	return err
}

// mirrorProcessing puts a peer's processing and its published version,
// with the notices and their hashes as published, retiring the version it
// published before. A version already mirrored is immutable here too: when
// the entry gives it another title or other notices, mirrorProcessing
// changes nothing and returns the member that differs ("title",
// "notices").
func mirrorProcessing(ctx context.Context, tx *Tx, peerID string, e *omadata.CatalogueEntry, field string) (string, error) {
	if _, err := claim(ctx, tx, `SELECT s.operator_id FROM processings p JOIN services s ON s.id = p.service_id WHERE p.id = ?`, e.ProcessingID, peerID, field+".processing_id"); err != nil {
		return "", err
	}
	groupIDs := make([]string, len(e.DataGroups))
	for j, g := range e.DataGroups {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM data_groups WHERE id = ?`, g.ID).Scan(&n); err != nil {
			return "", err
		} else if n == 0 {
			return "", omadata.Invalidf(fmt.Sprintf("%s.data_groups[%d].id", field, j), "Data group %s is not in a catalogue this operator mirrors.", omadata.Truncate(g.ID, 40))
		}
		groupIDs[j] = g.ID
	}
	for j, n := range e.Notices {
		if n == nil || !omadata.ValidLanguage(n.Language) || n.SHA256 != omadata.NoticeHash(n.Title, n.Body) {
			return "", omadata.Invalidf(fmt.Sprintf("%s.notices[%d].sha256", field, j), "The notice's hash is not that of its title and body.")
		}
	}
	var haveID string
	var title omadata.Text
	err := tx.queryRow(ctx, `SELECT id, title FROM processing_versions WHERE processing_id = ? AND version = ?`, e.ProcessingID, e.Version).Scan(&haveID, jsonScan{&title})
	if err == nil {
		return versionChanged(ctx, tx, haveID, title, e)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	v := &omadata.ProcessingVersion{
		ProcessingID: e.ProcessingID, Version: e.Version, Title: e.Title, Description: e.Description, PurposeID: e.Purpose.ID,
		LegalBasis: e.LegalBasis, Art9Condition: e.Art9Condition, LegalBasisNote: e.LegalBasisNote, Retention: e.Retention,
		Recipients: e.Recipients, AutomatedDecisions: e.AutomatedDecisions, Transparency: e.Transparency, DataGroupIDs: groupIDs, Notices: e.Notices,
	}
	// A new version passes what a local one passes to be published
	// (readyToPublish): notices in fi, sv and en, its own fields, and the
	// rules on its purpose and data groups, against the data groups as
	// mirrored or held here (docs/network.md §5.1).
	if err := checkMirroredVersion(ctx, tx, v, e.Controller.ID); err != nil {
		return "", omadata.WithFieldPrefix(err, field)
	}
	if _, err := tx.exec(ctx, `INSERT INTO processings (id, service_id, code, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		e.ProcessingID, e.Sink.ID, e.ProcessingID, tx.now); err != nil {
		return "", err
	}
	if _, err := tx.exec(ctx, `UPDATE processing_versions SET status = 'retired', retired_at = ? WHERE processing_id = ? AND status = 'published'`, tx.now, e.ProcessingID); err != nil {
		return "", err
	}
	if err := insertVersion(ctx, tx, v); err != nil {
		return "", err
	}
	// Published as the peer published it: the version is immutable from here.
	_, err = tx.exec(ctx, `UPDATE processing_versions SET status = 'published', published_at = ?, updated_at = ? WHERE id = ?`, e.PublishedAt.UTC(), tx.now, v.ID)
	return "", err
}

// versionChanged returns the member of a peer's catalogue entry that
// differs from the version mirrored as haveID with title: "title",
// "notices" (another set of languages or hashes), or "" when the entry
// publishes the same text.
func versionChanged(ctx context.Context, tx *Tx, haveID string, title omadata.Text, e *omadata.CatalogueEntry) (string, error) {
	if !maps.Equal(title, e.Title) {
		return "title", nil
	}
	rows, err := tx.query(ctx, `SELECT language, sha256 FROM notices WHERE version_id = ?`, haveID)
	if err != nil {
		return "", err
	}
	have, err := collect(rows, func(r interface{ Scan(...any) error }) ([2]string, error) {
		var n [2]string
		return n, r.Scan(&n[0], &n[1])
	})
	if err != nil {
		return "", err
	}
	if len(have) != len(e.Notices) {
		return "notices", nil
	}
	for _, h := range have {
		if !slices.ContainsFunc(e.Notices, func(n *omadata.Notice) bool { return n.Language == h[0] && n.SHA256 == h[1] }) {
			return "notices", nil
		}
	}
	return "", nil
}

// checkMirroredVersion runs on a peer's new version the checks a local
// version passes before it is published (readyToPublish), for a sink of
// the organisation orgID.
func checkMirroredVersion(ctx context.Context, tx *Tx, v *omadata.ProcessingVersion, orgID string) error {
	for _, lang := range omadata.Languages {
		if !slices.ContainsFunc(v.Notices, func(n *omadata.Notice) bool { return n.Language == lang }) {
			return omadata.Invalidf("notices."+lang, "The notice in %s is missing.", omadata.LanguageName(lang))
		}
	}
	if err := v.Validate(); err != nil {
		return err
	}
	return checkReferences(ctx, tx, v, &omadata.Service{OrganisationID: orgID}, true)
}

// retireUnpublished retires the published versions of the peer's
// processings that its catalogue no longer lists while it still lists
// their sink. A sink it no longer lists is suspended instead, keeping its
// processings: the peer publishes them again when it admits the sink
// again, and a published version cannot come back from retirement.
func retireUnpublished(ctx context.Context, tx *Tx, peerID string, published map[string]bool, listed map[string]*mirrorService) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT p.id, p.service_id FROM processings p JOIN services s ON s.id = p.service_id
		JOIN processing_versions v ON v.processing_id = p.id AND v.status = 'published' WHERE s.operator_id = ? ORDER BY p.id`, peerID)
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, func(r interface{ Scan(...any) error }) ([2]string, error) {
		var id [2]string
		return id, r.Scan(&id[0], &id[1])
	})
	if err != nil {
		return nil, err
	}
	retired := []string{}
	for _, row := range ids {
		id := row[0]
		if published[id] || listed[row[1]] == nil {
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE processing_versions SET status = 'retired', retired_at = ? WHERE processing_id = ? AND status = 'published'`, tx.now, id); err != nil {
			return nil, err
		}
		retired = append(retired, id)
	}
	return retired, nil
}

// PeerCatalogueState returns the ETag and expiry of the peer's catalogue
// as last imported.
func (s *Store) PeerCatalogueState(ctx context.Context, operatorID string) (string, time.Time, error) {
	var etag string
	var exp *time.Time
	err := s.db.reader().queryRow(ctx, `SELECT catalogue_etag, catalogue_expires_at FROM peers WHERE operator_id = ?`, operatorID).Scan(&etag, NullTime{&exp})
	if errors.Is(err, sql.ErrNoRows) || err == nil && exp == nil {
		return "", time.Time{}, omadata.NotFound("Peer catalogue")
	} else if err != nil {
		return "", time.Time{}, err
	}
	return etag, *exp, nil
}

// RenewPeerCatalogue records that the peer answered 304 to its mirrored
// catalogue's ETag: the mirror is current until expires, so the sync asks
// again only then. A mirror whose ETag changed meanwhile (another instance
// imported a newer catalogue, or a suspension forgot it) is left alone.
func (s *Store) RenewPeerCatalogue(ctx context.Context, operatorID, etag string, expires time.Time) error {
	if err := mayImportCatalogue(ctx); err != nil {
		return err
	} else if etag == "" {
		return omadata.Invalidf("etag", "Give the ETag the peer confirmed.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE peers SET catalogue_expires_at = ?, updated_at = ? WHERE operator_id = ? AND catalogue_etag = ?`,
		expires.UTC(), tx.now, operatorID, etag); err != nil {
		return err
	}
	return tx.Commit()
}

// checkMirrorTexts checks the names and contacts a peer's catalogue gives
// a service and its controller, under field; the service's name is at
// nameField (a source's own name, a processing's sink.name).
func checkMirrorTexts(field, nameField string, name omadata.Text, k omadata.CatalogueController, api string) error {
	if err := name.Validate(nameField, 200); err != nil {
		return err
	} else if err := k.Name.Validate(field+".controller.name", 200); err != nil {
		return err
	}
	for _, c := range []struct {
		f, v string
	}{{"controller.email", k.Email}, {"controller.business_id", k.BusinessID}, {"controller.kind", k.Kind}, {"controller.website", k.Website},
		{"controller.privacy_policy_url", k.PrivacyPolicyURL}, {"api", api}} {
		if err := omadata.CheckText(field+"."+c.f, c.v, 500); err != nil {
			return err
		}
	}
	return nil
}

// SuspendPeerServices implements omadata.NetworkService (docs/network.md
// §2.6, §5.1).
func (s *Store) SuspendPeerServices(ctx context.Context, operatorID, reason string) (int, error) {
	if !omadata.CallerFromContext(ctx).IsAdmin() {
		return 0, omadata.Errorf(omadata.EFORBIDDEN, "Only the operator may suspend a peer's services.")
	} else if err := omadata.CheckText("reason", reason, 500); err != nil {
		return 0, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, `SELECT id FROM services WHERE operator_id = ? AND status <> 'suspended' ORDER BY id`, operatorID)
	if err != nil {
		return 0, err
	}
	ids, err := collect(rows, scanString)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if _, err := tx.exec(ctx, `UPDATE services SET status = 'suspended', updated_at = ? WHERE operator_id = ? AND status <> 'suspended'`, tx.now, operatorID); err != nil {
		return 0, err
	}
	// The next sync fetches the catalogue whole, not a 304 that would
	// leave the services suspended after the peer's re-admission.
	if _, err := tx.exec(ctx, `UPDATE peers SET catalogue_etag = '', catalogue_expires_at = NULL, updated_at = ? WHERE operator_id = ?`, tx.now, operatorID); err != nil {
		return 0, err
	}
	if err := s.audit(ctx, tx, "network.peer_services_suspended", "peer", operatorID, map[string]any{"reason": reason, "services": ids}); err != nil {
		return 0, err
	}
	return len(ids), s.commitCatalogue(tx)
}

// MirroredPeers implements omadata.NetworkService.
func (s *Store) MirroredPeers(ctx context.Context) ([]string, error) {
	if !omadata.CallerFromContext(ctx).IsAdmin() {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only the operator may list the peers it mirrors.")
	}
	rows, err := s.db.reader().query(ctx, `SELECT DISTINCT operator_id FROM services WHERE operator_id IS NOT NULL AND status <> 'suspended' ORDER BY operator_id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanString)
}

// scanString scans a row of one string.
func scanString(r interface{ Scan(...any) error }) (string, error) {
	var v string
	return v, r.Scan(&v)
}
