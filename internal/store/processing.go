// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/omadata/omadata"
)

// processingVisibility: admins see all, a sink its own, an organisation
// admin their services' and those over their services' data groups (only
// their own they change: processingForWrite), the public the processings of approved sinks that
// have been published.
func processingVisibility(ctx context.Context, w *where) {
	c := omadata.CallerFromContext(ctx)
	switch c.Kind {
	case omadata.CallerAdmin:
	case omadata.CallerService:
		w.add("p.service_id = ?", c.ServiceID)
	case omadata.CallerOrganisation:
		// Their sinks' processings, and as the controller of data, those
		// over their sources' data groups, which they approve.
		w.add("(p.service_id IN ("+organisationServices+`) OR EXISTS (SELECT 1 FROM processing_versions ov
			JOIN processing_version_data_groups og ON og.version_id = ov.id JOIN data_groups od ON od.id = og.data_group_id
			WHERE ov.processing_id = p.id AND od.service_id IN (`+organisationServices+")))", c.Organisation, c.Organisation, c.Organisation, c.Organisation)
	default:
		w.add("p.service_id IN (SELECT id FROM services WHERE status = 'approved')")
		w.add("EXISTS (SELECT 1 FROM processing_versions pv WHERE pv.processing_id = p.id AND pv.status <> 'draft')")
	}
}

// FindProcessingByID returns a processing and its versions (the public sees
// no drafts).
func (s *Store) FindProcessingByID(ctx context.Context, id string) (*omadata.Processing, error) {
	return findProcessingByID(ctx, s.db.reader(), id)
}

func findProcessingByID(ctx context.Context, q querier, id string) (*omadata.Processing, error) {
	var w where
	w.add("p.id = ?", id)
	processingVisibility(ctx, &w)
	var p omadata.Processing
	err := q.queryRow(ctx, `SELECT p.id, p.service_id, p.code, p.created_at FROM processings p `+w.String(), w.args...).
		Scan(&p.ID, &p.ServiceID, &p.Code, Time{&p.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Processing")
	} else if err != nil {
		return nil, err
	}
	if err := loadVersions(ctx, q, []*omadata.Processing{&p}); err != nil {
		return nil, err
	}
	return &p, nil
}

// FindProcessings returns a page of processings visible to the caller.
func (s *Store) FindProcessings(ctx context.Context, f omadata.ProcessingFilter) ([]*omadata.Processing, string, error) {
	var w where
	processingVisibility(ctx, &w)
	if f.ServiceID != nil {
		w.add("p.service_id = ?", *f.ServiceID)
	}
	if f.Status != nil {
		w.add("EXISTS (SELECT 1 FROM processing_versions sv WHERE sv.processing_id = p.id AND sv.status = ?)", *f.Status)
	}
	if f.After != "" {
		w.add("p.id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	r := s.db.reader()
	rows, err := r.query(ctx, `SELECT p.id, p.service_id, p.code, p.created_at FROM processings p `+w.String()+` ORDER BY p.id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, func(row interface{ Scan(...any) error }) (*omadata.Processing, error) {
		var p omadata.Processing
		return &p, row.Scan(&p.ID, &p.ServiceID, &p.Code, Time{&p.CreatedAt})
	})
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(p *omadata.Processing) string { return p.ID })
	if err := loadVersions(ctx, r, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

const versionColumns = `v.id, v.processing_id, v.version, v.status, v.title, v.description, v.purpose_id, v.legal_basis, v.art9_condition,
	v.legal_basis_note, v.retention, v.recipients, v.automated_decisions, v.transparency, v.compatible, v.created_at, v.updated_at, v.published_at, v.retired_at`

func scanVersion(row interface{ Scan(...any) error }) (*omadata.ProcessingVersion, error) {
	var v omadata.ProcessingVersion
	err := row.Scan(&v.ID, &v.ProcessingID, &v.Version, &v.Status, jsonScan{&v.Title}, jsonScan{&v.Description}, &v.PurposeID,
		&v.LegalBasis, &v.Art9Condition, &v.LegalBasisNote, &v.Retention, jsonScan{&v.Recipients}, &v.AutomatedDecisions,
		jsonScan{&v.Transparency}, &v.Compatible, Time{&v.CreatedAt}, Time{&v.UpdatedAt}, NullTime{&v.PublishedAt}, NullTime{&v.RetiredAt})
	return &v, err
}

// loadVersions fills in the versions, data groups and notices of ps with
// three queries, whatever the number of processings.
func loadVersions(ctx context.Context, q querier, ps []*omadata.Processing) error {
	if len(ps) == 0 {
		return nil
	}
	byID := map[string]*omadata.Processing{}
	ids := make([]any, len(ps))
	for i, p := range ps {
		byID[p.ID], ids[i] = p, p.ID
		p.Versions = []*omadata.ProcessingVersion{}
	}
	in := placeholders(len(ids))
	drafts := ""
	if omadata.CallerFromContext(ctx).Kind == omadata.CallerAnonymous {
		drafts = " AND v.status <> 'draft'"
	}
	rows, err := q.query(ctx, `SELECT `+versionColumns+` FROM processing_versions v WHERE v.processing_id IN (`+in+`)`+drafts+` ORDER BY v.processing_id, v.version`, ids...)
	if err != nil {
		return err
	}
	versions, err := collect(rows, scanVersion)
	if err != nil {
		return err
	}
	vByID := map[string]*omadata.ProcessingVersion{}
	for _, v := range versions {
		v.DataGroupIDs, v.Notices = []string{}, []*omadata.Notice{}
		vByID[v.ID] = v
		p := byID[v.ProcessingID]
		p.Versions = append(p.Versions, v)
	}
	return loadVersionParts(ctx, q, vByID)
}

// loadVersionParts fills in the data group IDs and notices of versions.
func loadVersionParts(ctx context.Context, q querier, vByID map[string]*omadata.ProcessingVersion) error {
	if len(vByID) == 0 {
		return nil
	}
	ids := make([]any, 0, len(vByID))
	for id := range vByID {
		ids = append(ids, id)
	}
	in := placeholders(len(ids))
	rows, err := q.query(ctx, `SELECT version_id, data_group_id FROM processing_version_data_groups WHERE version_id IN (`+in+`) ORDER BY version_id, position`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var vid, gid string
		if err := rows.Scan(&vid, &gid); err != nil {
			return err
		}
		vByID[vid].DataGroupIDs = append(vByID[vid].DataGroupIDs, gid)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	notices, err := loadNotices(ctx, q, ids)
	if err != nil {
		return err
	}
	for vid, ns := range notices {
		vByID[vid].Notices = ns
	}
	return loadApprovals(ctx, q, vByID, ids)
}

// loadApprovals sets the latest approval of each version that has one.
// The public learns that and when a version was approved, not by whom.
func loadApprovals(ctx context.Context, q querier, vByID map[string]*omadata.ProcessingVersion, ids []any) error {
	rows, err := q.query(ctx, `SELECT id, version_id, actor_id, created_at, content_sha256 FROM processing_version_approvals
		WHERE version_id IN (`+placeholders(len(ids))+`) ORDER BY version_id, created_at, id`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	public := omadata.CallerFromContext(ctx).Kind == omadata.CallerAnonymous
	for rows.Next() {
		var vid string
		var a omadata.VersionApproval
		if err := rows.Scan(&a.ID, &vid, &a.ApprovedBy, Time{&a.ApprovedAt}, &a.ContentSHA256); err != nil {
			return err
		}
		if public {
			a.ApprovedBy = ""
		}
		vByID[vid].Approval = &a // the latest wins
	}
	return rows.Err()
}

// loadNotices returns the notices of the given versions by version ID, in
// language order.
func loadNotices(ctx context.Context, q querier, versionIDs []any) (map[string][]*omadata.Notice, error) {
	rows, err := q.query(ctx, `SELECT version_id, language, title, body, sha256, updated_at FROM notices WHERE version_id IN (`+placeholders(len(versionIDs))+`)`, versionIDs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]*omadata.Notice{}
	for rows.Next() {
		var vid string
		var n omadata.Notice
		if err := rows.Scan(&vid, &n.Language, &n.Title, &n.Body, &n.SHA256, Time{&n.UpdatedAt}); err != nil {
			return nil, err
		}
		out[vid] = append(out[vid], &n)
	}
	for _, ns := range out {
		sortNotices(ns)
	}
	return out, rows.Err()
}

// sortNotices orders notices as omadata.Languages does.
func sortNotices(ns []*omadata.Notice) {
	rank := func(l string) int {
		for i, x := range omadata.Languages {
			if x == l {
				return i
			}
		}
		return len(omadata.Languages)
	}
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && rank(ns[j].Language) < rank(ns[j-1].Language); j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// CreateProcessing creates a processing with a draft version 1.
func (s *Store) CreateProcessing(ctx context.Context, d *omadata.ProcessingDraft) (*omadata.Processing, error) {
	if err := requireWrite(ctx); err != nil {
		return nil, err
	}
	if c := omadata.CallerFromContext(ctx); c.Kind == omadata.CallerService && d.ServiceID == "" {
		d.ServiceID = c.ServiceID
	}
	if !omadata.ValidID(omadata.PrefixService, d.ServiceID) {
		return nil, omadata.Invalidf("service_id", "Not a service ID.")
	} else if err := omadata.CheckText("code", d.Code, 64); err != nil {
		return nil, err
	} else if !omadata.ValidCode(d.Code) {
		return nil, omadata.Invalidf("code", "Use 1 to 64 lower-case letters, digits and hyphens, such as library-recommendations.")
	}
	v := d.Version()
	if err := v.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	sink, err := findServiceByID(ctx, tx, d.ServiceID)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return nil, omadata.Invalidf("service_id", "No such service.")
	} else if err != nil {
		return nil, err
	} else if !sink.HasRole(omadata.RoleSink) {
		return nil, omadata.Invalidf("service_id", "The service is not a sink.")
	} else if err := refuseMirrored(sink); err != nil {
		return nil, err
	}
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM processings WHERE service_id = ? AND code = ?`, d.ServiceID, d.Code); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, omadata.Conflictf("code", "The service already has a processing %q.", d.Code)
	}
	if err := checkReferences(ctx, tx, v, sink, false); err != nil {
		return nil, err
	}
	p := &omadata.Processing{ID: omadata.NewID(omadata.PrefixProcessing), ServiceID: d.ServiceID, Code: d.Code, CreatedAt: tx.now}
	if _, err := tx.exec(ctx, `INSERT INTO processings (id, service_id, code, created_at) VALUES (?, ?, ?, ?)`, p.ID, p.ServiceID, p.Code, p.CreatedAt); err != nil {
		return nil, err
	}
	v.ProcessingID = p.ID
	if err := insertVersion(ctx, tx, v); err != nil {
		return nil, err
	}
	p.Versions = []*omadata.ProcessingVersion{v}
	if err := s.audit(ctx, tx, "processing.created", "processing", p.ID, map[string]any{"service_id": p.ServiceID, "code": p.Code}); err != nil {
		return nil, err
	}
	return p, tx.Commit()
}

// checkReferences checks a version against its purpose and data groups.
// Data groups of every source are referable, whoever the caller is: they
// are public catalogue information. For publishing, their sources must be
// approved.
func checkReferences(ctx context.Context, tx *Tx, v *omadata.ProcessingVersion, sink *omadata.Service, publishing bool) error {
	p, err := findPurposeByID(ctx, tx, v.PurposeID)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return omadata.Invalidf("purpose_id", "No such purpose.")
	} else if err != nil {
		return err
	}
	args := make([]any, len(v.DataGroupIDs))
	for i, id := range v.DataGroupIDs {
		args[i] = id
	}
	rows, err := tx.query(ctx, `SELECT `+prefixed("g", dataGroupColumns)+`, s.status FROM data_groups g JOIN services s ON s.id = g.service_id
		WHERE g.id IN (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return err
	}
	groups, err := collect(rows, func(r interface{ Scan(...any) error }) (*groupWithStatus, error) {
		var g groupWithStatus
		err := r.Scan(&g.ID, &g.ServiceID, &g.Code, jsonScan{&g.Name}, jsonScan{&g.Description}, &g.SpecialCategory,
			jsonScan{&g.PersonalDataCategories}, &g.Retention, Time{&g.CreatedAt}, Time{&g.UpdatedAt}, &g.LegalBasis, &g.status)
		return &g, err
	})
	if err != nil {
		return err
	}
	found := map[string]*groupWithStatus{}
	plain := make([]*omadata.DataGroup, len(groups))
	for i, g := range groups {
		found[g.ID], plain[i] = g, &g.DataGroup
	}
	for _, id := range v.DataGroupIDs {
		g := found[id]
		switch {
		case g == nil:
			return omadata.Invalidf("data_group_ids", "No such data group: %s.", id)
		case g.status == omadata.ServiceSuspended:
			return omadata.Invalidf("data_group_ids", "The source of data group %s is suspended.", g.Code)
		case publishing && g.status != omadata.ServiceApproved:
			return omadata.Invalidf("data_group_ids", "The source of data group %s is not yet approved.", g.Code)
		}
	}
	var kind string
	if err := tx.queryRow(ctx, `SELECT kind FROM organisations WHERE id = ?`, sink.OrganisationID).Scan(&kind); err != nil {
		return err
	}
	return omadata.CheckProcessingRules(v, p, plain, kind)
}

type groupWithStatus struct {
	omadata.DataGroup
	status string
}

func insertVersion(ctx context.Context, tx *Tx, v *omadata.ProcessingVersion) error {
	v.ID = omadata.NewID(omadata.PrefixVersion)
	v.Status = omadata.VersionDraft
	v.CreatedAt, v.UpdatedAt = tx.now, tx.now
	if v.Version == 1 {
		v.Compatible = false // nothing before it to be compatible with
	}
	if v.Recipients == nil {
		v.Recipients = []omadata.Recipient{}
	}
	if _, err := tx.exec(ctx, `INSERT INTO processing_versions (id, processing_id, version, status, title, description, purpose_id, legal_basis,
		art9_condition, legal_basis_note, retention, recipients, automated_decisions, transparency, compatible, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.ProcessingID, v.Version, v.Status, jsonValue{v.Title}, jsonValue{v.Description}, v.PurposeID, v.LegalBasis,
		v.Art9Condition, v.LegalBasisNote, v.Retention, jsonValue{v.Recipients}, v.AutomatedDecisions, jsonValue{v.Transparency},
		v.Compatible, v.CreatedAt, v.UpdatedAt); err != nil {
		return err
	}
	if err := writeVersionGroups(ctx, tx, v); err != nil {
		return err
	}
	for _, n := range v.Notices {
		if err := putNotice(ctx, tx, v.ID, n); err != nil {
			return err
		}
	}
	if v.Notices == nil {
		v.Notices = []*omadata.Notice{}
	}
	return nil
}

func writeVersionGroups(ctx context.Context, tx *Tx, v *omadata.ProcessingVersion) error {
	if _, err := tx.exec(ctx, `DELETE FROM processing_version_data_groups WHERE version_id = ?`, v.ID); err != nil {
		return err
	}
	for i, gid := range v.DataGroupIDs {
		if _, err := tx.exec(ctx, `INSERT INTO processing_version_data_groups (version_id, data_group_id, position) VALUES (?, ?, ?)`, v.ID, gid, i); err != nil {
			return err
		}
	}
	return nil
}

func putNotice(ctx context.Context, tx *Tx, versionID string, n *omadata.Notice) error {
	_, err := tx.exec(ctx, `INSERT INTO notices (version_id, language, title, body, sha256, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (version_id, language) DO UPDATE SET title = excluded.title, body = excluded.body, sha256 = excluded.sha256, updated_at = excluded.updated_at`,
		versionID, n.Language, n.Title, n.Body, n.SHA256, n.UpdatedAt)
	return err
}
