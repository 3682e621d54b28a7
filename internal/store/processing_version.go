// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"slices"

	"github.com/omadata/omadata"
)

// processingForWrite finds a processing visible to the caller and its sink
// service, inside tx; an organisation admin must look after the sink.
func processingForWrite(ctx context.Context, tx *Tx, processingID string) (*omadata.Processing, *omadata.Service, error) {
	if err := lockProcessing(ctx, tx, processingID); err != nil {
		return nil, nil, err
	}
	p, err := findProcessingByID(ctx, tx, processingID)
	if err != nil {
		return nil, nil, err
	}
	sink, err := findServiceByID(omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin}), tx, p.ServiceID)
	if err != nil {
		return nil, nil, err
	} else if err := refuseMirrored(sink); err != nil {
		return nil, nil, err
	}
	if c := omadata.CallerFromContext(ctx); c.Kind == omadata.CallerOrganisation {
		// They see processings over their data groups too, to approve
		// them; they change only their own sinks'.
		if _, err := findServiceByID(ctx, tx, sink.ID); omadata.ErrorCode(err) == omadata.ENOTFOUND {
			return nil, nil, omadata.Errorf(omadata.EFORBIDDEN, "The processing is another organisation's; only its own staff change it.")
		} else if err != nil {
			return nil, nil, err
		}
	}
	return p, sink, nil
}

// lockProcessing takes the processing's row lock on PostgreSQL (SQLite's
// writers are serial anyway), so that edits, approvals and publication of
// one processing happen one after another: a draft cannot change between
// an approval's or a publication's read of it and its commit.
func lockProcessing(ctx context.Context, tx *Tx, processingID string) error {
	if tx.d.forUpdate() == "" {
		return nil
	}
	rows, err := tx.query(ctx, `SELECT id FROM processings WHERE id = ?`+tx.d.forUpdate(), processingID)
	if err != nil {
		return err
	}
	return closeRows(rows)
}

func versionOf(p *omadata.Processing, version int) (*omadata.ProcessingVersion, error) {
	for _, v := range p.Versions {
		if v.Version == version {
			return v, nil
		}
	}
	return nil, omadata.NotFound("Processing version")
}

func requireDraft(v *omadata.ProcessingVersion) error {
	if v.Status != omadata.VersionDraft {
		return omadata.Conflictf("status", "Version %d is %s and cannot change; create a new version instead.", v.Version, v.Status)
	}
	return nil
}

// CreateVersion starts a new draft copied from the latest version.
func (s *Store) CreateVersion(ctx context.Context, processingID string, compatible bool) (*omadata.ProcessingVersion, error) {
	if err := requireWrite(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, _, err := processingForWrite(ctx, tx, processingID)
	if err != nil {
		return nil, err
	}
	latest := p.Latest()
	if latest.Status == omadata.VersionDraft {
		return nil, omadata.Conflictf("status", "Version %d is still a draft; edit it instead.", latest.Version)
	}
	v := *latest
	v.Version = latest.Version + 1
	v.Compatible = compatible
	v.DataGroupIDs = slices.Clone(latest.DataGroupIDs)
	v.PublishedAt, v.RetiredAt = nil, nil
	v.Approval = nil // an approval is of one version's content
	v.Notices = nil
	for _, n := range latest.Notices {
		c := *n
		c.UpdatedAt = tx.now
		v.Notices = append(v.Notices, &c)
	}
	if err := insertVersion(ctx, tx, &v); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "processing.version_created", "processing", processingID, map[string]any{"version": v.Version, "compatible": compatible}); err != nil {
		return nil, err
	}
	return &v, tx.Commit()
}

// editDraft runs edit on a draft version of a processing visible to the
// caller, in one write transaction that commits when edit succeeds.
func (s *Store) editDraft(ctx context.Context, action string, processingID string, version int,
	edit func(tx *Tx, p *omadata.Processing, sink *omadata.Service, v *omadata.ProcessingVersion) error) (*omadata.ProcessingVersion, error) {
	if err := requireWrite(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, sink, err := processingForWrite(ctx, tx, processingID)
	if err != nil {
		return nil, err
	}
	v, err := versionOf(p, version)
	if err != nil {
		return nil, err
	} else if err := requireDraft(v); err != nil {
		return nil, err
	} else if err := edit(tx, p, sink, v); errors.Is(err, errUnchanged) {
		return v, nil // nothing to write
	} else if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, action, "processing", processingID, map[string]any{"version": v.Version}); err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// UpdateVersion edits a draft version.
func (s *Store) UpdateVersion(ctx context.Context, processingID string, version int, u omadata.ProcessingVersionUpdate) (*omadata.ProcessingVersion, error) {
	return s.editDraft(ctx, "processing.version_updated", processingID, version, func(tx *Tx, _ *omadata.Processing, sink *omadata.Service, v *omadata.ProcessingVersion) error {
		if err := requireField(u); err != nil {
			return err
		}
		was := snapshot(v)
		u.Apply(v)
		v.Recipients = recipientsOrEmpty(v.Recipients)
		if v.Version == 1 && v.Compatible {
			return omadata.Invalidf("compatible_with_previous", "Version 1 has no previous version.")
		} else if err := v.Validate(); err != nil {
			return err
		} else if err := checkReferences(ctx, tx, v, sink, false); err != nil {
			return err
		} else if unchanged(was, v) {
			return errUnchanged
		}
		v.UpdatedAt = tx.now
		if _, err := tx.exec(ctx, `UPDATE processing_versions SET title = ?, description = ?, purpose_id = ?, legal_basis = ?, art9_condition = ?,
			legal_basis_note = ?, retention = ?, recipients = ?, automated_decisions = ?, transparency = ?, compatible = ?, updated_at = ? WHERE id = ?`,
			jsonValue{v.Title}, jsonValue{v.Description}, v.PurposeID, v.LegalBasis, v.Art9Condition, v.LegalBasisNote, v.Retention,
			jsonValue{v.Recipients}, v.AutomatedDecisions, jsonValue{v.Transparency}, v.Compatible, v.UpdatedAt, v.ID); err != nil {
			return err
		}
		return writeVersionGroups(ctx, tx, v)
	})
}

func recipientsOrEmpty(r []omadata.Recipient) []omadata.Recipient {
	if r == nil {
		return []omadata.Recipient{}
	}
	return r
}

// PutNotice sets the notice of a draft version in one language.
func (s *Store) PutNotice(ctx context.Context, processingID string, version int, n *omadata.Notice) (*omadata.ProcessingVersion, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return s.editDraft(ctx, "processing.notice_updated", processingID, version, func(tx *Tx, _ *omadata.Processing, _ *omadata.Service, v *omadata.ProcessingVersion) error {
		n.UpdatedAt = tx.now
		if err := putNotice(ctx, tx, v.ID, n); err != nil {
			return err
		}
		v.Notices = slices.DeleteFunc(v.Notices, func(x *omadata.Notice) bool { return x.Language == n.Language })
		v.Notices = append(v.Notices, n)
		sortNotices(v.Notices)
		return nil
	})
}

// readyToPublish checks what publishing a version needs: an approved sink,
// a notice in every language, valid fields and references.
func readyToPublish(ctx context.Context, tx *Tx, v *omadata.ProcessingVersion, sink *omadata.Service) error {
	if sink.Status != omadata.ServiceApproved {
		return omadata.Conflictf("service_id", "The sink service is %s; an operator admin must approve it before it publishes.", sink.Status)
	} else if !sink.HasRole(omadata.RoleSink) {
		return omadata.Invalidf("service_id", "The service is not a sink.")
	}
	for _, lang := range omadata.Languages {
		if !slices.ContainsFunc(v.Notices, func(n *omadata.Notice) bool { return n.Language == lang }) {
			return omadata.Invalidf("notices."+lang, "The notice in %s is missing.", omadata.LanguageName(lang))
		}
	}
	if err := v.Validate(); err != nil {
		return err
	}
	return checkReferences(ctx, tx, v, sink, true)
}

// PublishVersion publishes a draft and retires the version before it. A
// version on a basis other than consent needs an approval of exactly its
// content first (ApproveVersion).
func (s *Store) PublishVersion(ctx context.Context, processingID string, version int) (*omadata.ProcessingVersion, error) {
	return s.editDraft(ctx, "processing.version_published", processingID, version, func(tx *Tx, p *omadata.Processing, sink *omadata.Service, v *omadata.ProcessingVersion) error {
		if err := readyToPublish(ctx, tx, v, sink); err != nil {
			return err
		} else if !v.Approved() {
			return omadata.Conflictf("approval", "Version %d rests on %s, not consent: it is published only after the controller of its data groups (their organisation admin), the operator's data protection officer or an operator admin approves it%s.",
				v.Version, v.LegalBasis, map[bool]string{true: " again, as it changed since it was approved", false: ""}[v.Approval != nil])
		}
		if _, err := tx.exec(ctx, `UPDATE processing_versions SET status = 'retired', retired_at = ?, updated_at = ? WHERE processing_id = ? AND status = 'published'`,
			tx.now, tx.now, p.ID); err != nil {
			return err
		}
		now := tx.now
		v.Status, v.PublishedAt, v.UpdatedAt = omadata.VersionPublished, &now, now
		_, err := tx.exec(ctx, `UPDATE processing_versions SET status = 'published', published_at = ?, updated_at = ? WHERE id = ?`, now, now, v.ID)
		return err
	})
}

// mayApprove says whether the caller may approve a version over groups:
// an operator admin and the operator's data protection officer (an admin
// caller marked DataProtectionOfficer) always; an organisation admin when
// their organisation or its divisions hold every one of the groups (the
// controller of the data); nobody else.
func mayApprove(ctx context.Context, tx *Tx, v *omadata.ProcessingVersion) error {
	c := omadata.CallerFromContext(ctx)
	switch c.Kind {
	case omadata.CallerAdmin:
		return nil
	case omadata.CallerOrganisation:
		args := []any{c.Organisation, c.Organisation}
		for _, id := range v.DataGroupIDs {
			args = append(args, id)
		}
		n, err := count(ctx, tx, `SELECT COUNT(*) FROM data_groups WHERE service_id NOT IN (`+organisationServices+`) AND id IN (`+placeholders(len(v.DataGroupIDs))+`)`, args...)
		if err != nil {
			return err
		} else if n == 0 {
			return nil
		}
		return omadata.Errorf(omadata.EFORBIDDEN, "Some data groups of this version are held by another organisation; an operator admin approves it.")
	}
	return omadata.Errorf(omadata.EFORBIDDEN, "Only the controller of the data groups (their organisation admin), the operator's data protection officer or an operator admin approves a processing.")
}

// ApproveVersion records the approval of a version on a basis other than
// consent: a draft ready to publish, or a published version without one
// (published before approvals were required). The approval is an audited
// admin change, so it is in the transparency log.
func (s *Store) ApproveVersion(ctx context.Context, processingID string, version int) (*omadata.ProcessingVersion, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := lockProcessing(ctx, tx, processingID); err != nil {
		return nil, err
	}
	p, err := findProcessingByID(ctx, tx, processingID)
	if err != nil {
		return nil, err
	}
	v, err := versionOf(p, version)
	if err != nil {
		return nil, err
	} else if err := mayApprove(ctx, tx, v); err != nil {
		return nil, err
	}
	switch {
	case !v.NeedsApproval():
		return nil, omadata.Conflictf("legal_basis", "Version %d rests on consent: residents decide, and it needs no approval.", v.Version)
	case v.Status == omadata.VersionRetired:
		return nil, omadata.Conflictf("status", "Version %d is retired.", v.Version)
	case v.Approved():
		return nil, omadata.Conflictf("approval", "Version %d is already approved as it is.", v.Version)
	}
	if v.Status == omadata.VersionDraft {
		sink, err := findServiceByID(omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin}), tx, p.ServiceID)
		if err != nil {
			return nil, err
		} else if err := readyToPublish(ctx, tx, v, sink); err != nil {
			return nil, err
		}
	}
	a := &omadata.VersionApproval{ID: omadata.NewID(omadata.PrefixApproval), ApprovedBy: changeActor(ctx), ApprovedAt: tx.now, ContentSHA256: v.ContentSHA256()}
	changeID, err := s.auditID(ctx, tx, "processing.version_approved", "processing", p.ID, map[string]any{
		"version": v.Version, "version_id": v.ID, "legal_basis": v.LegalBasis, "approval_id": a.ID, "content_sha256": a.ContentSHA256,
	})
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO processing_version_approvals (id, version_id, content_sha256, actor_id, change_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ID, v.ID, a.ContentSHA256, a.ApprovedBy, changeID, a.ApprovedAt); err != nil {
		return nil, err
	}
	v.Approval = a
	return v, s.commitCatalogue(tx)
}

// RetireProcessing retires the published version; no new consents.
func (s *Store) RetireProcessing(ctx context.Context, processingID string) (*omadata.Processing, error) {
	if err := requireWrite(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, _, err := processingForWrite(ctx, tx, processingID)
	if err != nil {
		return nil, err
	}
	cur := p.Current()
	if cur == nil {
		return nil, omadata.Conflictf("status", "The processing has no published version to retire.")
	}
	now := tx.now
	cur.Status, cur.RetiredAt, cur.UpdatedAt = omadata.VersionRetired, &now, now
	if _, err := tx.exec(ctx, `UPDATE processing_versions SET status = 'retired', retired_at = ?, updated_at = ? WHERE id = ?`, now, now, cur.ID); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "processing.retired", "processing", p.ID, map[string]any{"version": cur.Version}); err != nil {
		return nil, err
	}
	return p, tx.Commit()
}
