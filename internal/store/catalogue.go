// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"encoding/json"

	"github.com/omadata/omadata"
)

var _ omadata.CatalogueReader = (*Store)(nil)

// catalogueQuery selects published versions of approved sinks with their
// sink, organisation and purpose.
const catalogueQuery = `SELECT p.id, v.id, v.version, v.title, v.description, s.id, s.name, o.id, o.name,
	pu.id, pu.code, pu.name, pu.dpv_purposes, v.legal_basis, v.art9_condition, v.legal_basis_note, v.retention,
	v.recipients, v.automated_decisions, v.transparency, v.published_at,
	o.kind, COALESCE(NULLIF(o.business_id, ''), po.business_id, ''), COALESCE(po.name, ''), o.email, o.phone, o.address, o.website,
	o.privacy_policy_url, o.dpo, COALESCE(op.operator_id, ''), COALESCE(op.name, '{}')
	FROM processing_versions v
	JOIN processings p ON p.id = v.processing_id
	JOIN services s ON s.id = p.service_id
	JOIN organisations o ON o.id = s.organisation_id
	LEFT JOIN organisations po ON po.id = o.parent_id
	JOIN purposes pu ON pu.id = v.purpose_id
	LEFT JOIN peers op ON op.operator_id = s.operator_id`

type catalogueRow struct {
	entry     *omadata.CatalogueEntry
	versionID string
}

func scanCatalogueRow(r interface{ Scan(...any) error }) (catalogueRow, error) {
	e := &omadata.CatalogueEntry{}
	var row catalogueRow
	var parent, operatorID string
	var operatorName omadata.Text
	c := &e.Controller
	err := r.Scan(&e.ProcessingID, &row.versionID, &e.Version, jsonScan{&e.Title}, jsonScan{&e.Description},
		&e.Sink.ID, jsonScan{&e.Sink.Name}, &e.Sink.Organisation.ID, jsonScan{&e.Sink.Organisation.Name},
		&e.Purpose.ID, &e.Purpose.Code, jsonScan{&e.Purpose.Name}, jsonScan{&e.Purpose.DPVPurposes},
		&e.LegalBasis, &e.Art9Condition, &e.LegalBasisNote, &e.Retention, jsonScan{&e.Recipients}, &e.AutomatedDecisions,
		jsonScan{&e.Transparency}, Time{&e.PublishedAt},
		&c.Kind, &c.BusinessID, &parent, &c.Email, &c.Phone, jsonScan{&c.Address}, &c.Website, &c.PrivacyPolicyURL, jsonScan{&c.DPO},
		&operatorID, jsonScan{&operatorName})
	if err != nil {
		return row, err
	}
	if operatorID != "" {
		e.Operator = &omadata.OperatorRef{ID: operatorID, Name: operatorName}
	}
	c.ID, c.Name = e.Sink.Organisation.ID, e.Sink.Organisation.Name
	if parent != "" {
		var name omadata.Text
		if err := json.Unmarshal([]byte(parent), &name); err != nil {
			return row, err
		}
		c.Parent = &name
	}
	e.LegalBasisIRI = omadata.LegalBasisIRI(e.LegalBasis)
	e.Rights = omadata.RightsFor(e.LegalBasis, e.Art9Condition)
	e.SupervisoryAuthority = omadata.SupervisoryAuthority
	row.entry = e
	return row, nil
}

// FindCatalogue returns a page of the public catalogue ordered by
// processing ID: published versions of approved sinks.
func (s *Store) FindCatalogue(ctx context.Context, f omadata.CatalogueFilter) ([]*omadata.CatalogueEntry, string, error) {
	var w where
	w.add("v.status = 'published'")
	w.add("s.status = 'approved'")
	if f.OrganisationID != nil {
		w.add(`(s.organisation_id = ? OR EXISTS (SELECT 1 FROM processing_version_data_groups l JOIN data_groups g ON g.id = l.data_group_id
			JOIN services src ON src.id = g.service_id WHERE l.version_id = v.id AND src.organisation_id = ?))`, *f.OrganisationID, *f.OrganisationID)
	}
	if f.PurposeID != nil {
		w.add("v.purpose_id = ?", *f.PurposeID)
	}
	if f.After != "" {
		w.add("p.id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	r := s.db.reader()
	rows, err := r.query(ctx, catalogueQuery+` `+w.String()+` ORDER BY p.id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanCatalogueRow)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(r catalogueRow) string { return r.entry.ProcessingID })
	if err := expandCatalogue(ctx, r, out); err != nil {
		return nil, "", err
	}
	entries := make([]*omadata.CatalogueEntry, len(out))
	for i, r := range out {
		entries[i] = r.entry
	}
	return entries, next, nil
}

// FindCatalogueEntry returns the published version of one processing.
func (s *Store) FindCatalogueEntry(ctx context.Context, processingID string) (*omadata.CatalogueEntry, error) {
	r := s.db.reader()
	rows, err := r.query(ctx, catalogueQuery+` WHERE v.status = 'published' AND s.status = 'approved' AND p.id = ?`, processingID)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, scanCatalogueRow)
	if err != nil {
		return nil, err
	} else if len(out) == 0 {
		return nil, omadata.NotFound("Processing")
	}
	return out[0].entry, expandCatalogue(ctx, r, out)
}

// expandCatalogue adds data groups with their sources, and notices.
func expandCatalogue(ctx context.Context, q querier, rows []catalogueRow) error {
	if len(rows) == 0 {
		return nil
	}
	byVersion := map[string]*omadata.CatalogueEntry{}
	ids := make([]any, len(rows))
	for i, r := range rows {
		byVersion[r.versionID], ids[i] = r.entry, r.versionID
		r.entry.DataGroups, r.entry.Notices, r.entry.AISystems = []omadata.CatalogueDataGroup{}, []*omadata.Notice{}, []omadata.CatalogueAISystem{}
	}
	in := placeholders(len(ids))
	grows, err := q.query(ctx, `SELECT l.version_id, g.id, g.code, g.name, g.special_category, g.personal_data_categories, s.id, s.name, o.id, o.name
		FROM processing_version_data_groups l JOIN data_groups g ON g.id = l.data_group_id
		JOIN services s ON s.id = g.service_id JOIN organisations o ON o.id = s.organisation_id
		WHERE l.version_id IN (`+in+`) ORDER BY l.version_id, l.position`, ids...)
	if err != nil {
		return err
	}
	defer grows.Close()
	for grows.Next() {
		var vid string
		var g omadata.CatalogueDataGroup
		if err := grows.Scan(&vid, &g.ID, &g.Code, jsonScan{&g.Name}, &g.SpecialCategory, jsonScan{&g.PersonalDataCategories}, &g.Source.ID, jsonScan{&g.Source.Name},
			&g.Source.Organisation.ID, jsonScan{&g.Source.Organisation.Name}); err != nil {
			return err
		}
		e := byVersion[vid]
		e.DataGroups = append(e.DataGroups, g)
	}
	if err := grows.Err(); err != nil {
		return err
	}
	grows.Close() // one connection may hold only one open result set
	notices, err := loadNotices(ctx, q, ids)
	if err != nil {
		return err
	}
	for vid, ns := range notices {
		byVersion[vid].Notices = ns
	}
	return expandAISystems(ctx, q, rows)
}

// expandAISystems adds the AI system register entries linked to each
// processing.
func expandAISystems(ctx context.Context, q querier, rows []catalogueRow) error {
	byProcessing := map[string][]*omadata.CatalogueEntry{}
	ids := make([]any, 0, len(rows))
	for _, r := range rows {
		if byProcessing[r.entry.ProcessingID] == nil {
			ids = append(ids, r.entry.ProcessingID)
		}
		byProcessing[r.entry.ProcessingID] = append(byProcessing[r.entry.ProcessingID], r.entry)
	}
	arows, err := q.query(ctx, `SELECT l.processing_id, a.id, a.name, a.risk_level, a.status
		FROM ai_system_processings l JOIN ai_systems a ON a.id = l.ai_system_id
		WHERE l.processing_id IN (`+placeholders(len(ids))+`) ORDER BY l.processing_id, a.id`, ids...)
	if err != nil {
		return err
	}
	defer arows.Close()
	for arows.Next() {
		var pid string
		var a omadata.CatalogueAISystem
		if err := arows.Scan(&pid, &a.ID, jsonScan{&a.Name}, &a.RiskLevel, &a.Status); err != nil {
			return err
		}
		for _, e := range byProcessing[pid] {
			e.AISystems = append(e.AISystems, a)
		}
	}
	return arows.Err()
}
