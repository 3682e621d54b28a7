// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"
	"fmt"
	"slices"

	"github.com/omadata/omadata"
)

// organisation finds a city, company or institute by business ID, or a
// division by its parent and English name, and creates it when missing.
func (l *loader) organisation(ctx context.Context, o orgSpec) error {
	if o.parent != "" {
		parentID, err := l.id("organisation", o.parent)
		if err != nil {
			return err
		}
		o.org.ParentID = parentID
	}
	orgs, err := omadata.All(func(after string) ([]*omadata.Organisation, string, error) {
		return l.s.Organisations.FindOrganisations(ctx, omadata.OrganisationFilter{Kind: &o.org.Kind, After: after, Limit: 200})
	})
	if err != nil {
		return err
	}
	for _, x := range orgs {
		if o.org.Kind == omadata.OrgDivision && x.ParentID == o.org.ParentID && x.Name["en"] == o.org.Name["en"] ||
			o.org.Kind != omadata.OrgDivision && x.BusinessID == o.org.BusinessID {
			l.res.IDs["organisation/"+o.key] = x.ID
			return nil
		}
	}
	if err := l.s.Organisations.CreateOrganisation(ctx, &o.org); err != nil {
		return err
	}
	l.res.Created++
	l.res.IDs["organisation/"+o.key] = o.org.ID
	return nil
}

// service finds a service by organisation and English name, creates it when
// missing, and approves it.
func (l *loader) service(ctx context.Context, s serviceSpec) error {
	orgID, err := l.id("organisation", s.org)
	if err != nil {
		return err
	}
	s.svc.OrganisationID = orgID
	svcs, err := omadata.All(func(after string) ([]*omadata.Service, string, error) {
		return l.s.Services.FindServices(ctx, omadata.ServiceFilter{OrganisationID: &orgID, After: after, Limit: 200})
	})
	if err != nil {
		return err
	}
	var found *omadata.Service
	for _, x := range svcs {
		if x.Name["en"] == s.svc.Name["en"] {
			found = x
			break
		}
	}
	if found == nil {
		if err := l.s.Services.CreateService(ctx, &s.svc); err != nil {
			return err
		}
		l.res.Created++
		found = &s.svc
	}
	l.res.IDs["service/"+s.key] = found.ID
	if found.Status != omadata.ServiceApproved {
		if _, err := l.s.Services.SetServiceStatus(ctx, found.ID, omadata.ServiceApproved); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
	}
	if len(s.records) > 0 {
		rec, err := l.s.Representations.FindRepresentationRecorder(ctx, found.ID)
		if err != nil {
			return fmt.Errorf("representation kinds: %w", err)
		}
		if !slices.Equal(rec.Kinds, s.records) {
			if _, err := l.s.Representations.SetRepresentationRecorder(ctx, found.ID, s.records); err != nil {
				return fmt.Errorf("designate to record %v: %w", s.records, err)
			}
			l.res.Created++
		}
	}
	return nil
}

// dataGroup finds a data group by service and code, or creates it.
func (l *loader) dataGroup(ctx context.Context, g groupSpec) error {
	svcID, err := l.id("service", g.service)
	if err != nil {
		return err
	}
	g.g.ServiceID = svcID
	groups, err := omadata.All(func(after string) ([]*omadata.DataGroup, string, error) {
		return l.s.DataGroups.FindDataGroups(ctx, omadata.DataGroupFilter{ServiceID: &svcID, After: after, Limit: 200})
	})
	if err != nil {
		return err
	}
	for _, x := range groups {
		if x.Code == g.g.Code {
			l.res.IDs["data-group/"+g.g.Code] = x.ID
			return nil
		}
	}
	if err := l.s.DataGroups.CreateDataGroup(ctx, &g.g); err != nil {
		return err
	}
	l.res.Created++
	l.res.IDs["data-group/"+g.g.Code] = g.g.ID
	return nil
}

// processing finds a processing by sink and code, or creates it, and
// publishes its draft with the notices when nothing is published yet; one
// on a basis other than consent it approves first, as the operator.
func (l *loader) processing(ctx context.Context, p processingSpec) error {
	svcID, err := l.id("service", p.service)
	if err != nil {
		return err
	}
	p.d.ServiceID = svcID
	if p.d.PurposeID, err = l.id("purpose", p.purpose); err != nil {
		return err
	}
	for _, code := range p.groups {
		id, err := l.id("data-group", code)
		if err != nil {
			return err
		}
		p.d.DataGroupIDs = append(p.d.DataGroupIDs, id)
	}
	procs, err := omadata.All(func(after string) ([]*omadata.Processing, string, error) {
		return l.s.Processings.FindProcessings(ctx, omadata.ProcessingFilter{ServiceID: &svcID, After: after, Limit: 200})
	})
	if err != nil {
		return err
	}
	var proc *omadata.Processing
	for _, x := range procs {
		if x.Code == p.d.Code {
			proc = x
			break
		}
	}
	if proc == nil {
		if proc, err = l.s.Processings.CreateProcessing(ctx, &p.d); err != nil {
			return err
		}
		l.res.Created++
	}
	l.res.IDs["processing/"+p.d.Code] = proc.ID
	if cur := proc.Current(); cur != nil {
		if cur.AwaitingApproval() { // published before approvals were required
			if _, err := l.s.Processings.ApproveVersion(ctx, proc.ID, cur.Version); err != nil {
				return fmt.Errorf("approve: %w", err)
			}
		}
		return nil
	}
	draft := proc.Latest()
	if draft == nil || draft.Status != omadata.VersionDraft {
		return fmt.Errorf("processing %s has no draft to publish", proc.ID)
	}
	for _, n := range p.notices {
		if _, err := l.s.Processings.PutNotice(ctx, proc.ID, draft.Version, &n); err != nil {
			return fmt.Errorf("notice %s: %w", n.Language, err)
		}
	}
	if draft.NeedsApproval() {
		// The operator approves the demo's statutory processings, as its
		// admin would after reading them.
		if _, err := l.s.Processings.ApproveVersion(ctx, proc.ID, draft.Version); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
	}
	if _, err := l.s.Processings.PublishVersion(ctx, proc.ID, draft.Version); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// aiSystem finds a register entry by organisation and English name, or
// creates it.
func (l *loader) aiSystem(ctx context.Context, a aiSpec) error {
	orgID, err := l.id("organisation", a.org)
	if err != nil {
		return err
	}
	a.a.OrganisationID = orgID
	a.a.ProcessingIDs, a.a.DataGroupIDs = []string{}, []string{}
	for _, code := range a.processings {
		id, err := l.id("processing", code)
		if err != nil {
			return err
		}
		a.a.ProcessingIDs = append(a.a.ProcessingIDs, id)
	}
	for _, code := range a.groups {
		id, err := l.id("data-group", code)
		if err != nil {
			return err
		}
		a.a.DataGroupIDs = append(a.a.DataGroupIDs, id)
	}
	entries, err := omadata.All(func(after string) ([]*omadata.AISystem, string, error) {
		return l.s.AISystems.FindAISystems(ctx, omadata.AISystemFilter{OrganisationID: &orgID, After: after, Limit: 200})
	})
	if err != nil {
		return err
	}
	for _, x := range entries {
		if x.Name["en"] == a.a.Name["en"] {
			l.res.IDs["ai-system/"+a.key] = x.ID
			return nil
		}
	}
	if err := l.s.AISystems.CreateAISystem(ctx, &a.a); err != nil {
		return err
	}
	l.res.Created++
	l.res.IDs["ai-system/"+a.key] = a.a.ID
	return nil
}
