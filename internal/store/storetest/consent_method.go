// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testConsentCollectionMethod: every record says how it came, from the
// channel the caller signed in through: api for a resident's app, portal
// for the portal's forms, paper for an official's; the receipt signs the
// same. A body cannot claim another channel, and a resident caller whose
// surface set no channel acts on nothing.
func testConsentCollectionMethod(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing

	wantMethods := func(t *testing.T, c *omadata.Consent, want ...string) {
		t.Helper()
		if len(c.Records) != len(want) {
			t.Fatalf("got %d records, want %d", len(c.Records), len(want))
		}
		for i, rec := range c.Records {
			_, pl := receiptPayload(t, s, rec.Receipt)
			got := field(pl, "dpv:hasConsentStatus", "dpv:hasIndicationMethod")
			if rec.CollectionMethod != want[i] || got != want[i] {
				t.Fatalf("record %d (%s): got method %q, signed %v, want %s", rec.Seq, rec.Status, rec.CollectionMethod, got, want[i])
			}
		}
	}

	for _, via := range [][2]string{{omadata.ChannelAPI, omadata.CollectedAPI}, {omadata.ChannelPortal, omadata.CollectedPortal}} {
		channel, method := via[0], via[1]
		t.Run(channel, func(t *testing.T) {
			r := e.adult(t)
			ctx := AsResidentVia(r.ID, channel)
			c := must[*omadata.Consent](t)(s.GiveConsent(ctx, input(p)))
			e.change(t, ctx, c.ID, omadata.ConsentSuspended, "")
			e.change(t, ctx, c.ID, omadata.ConsentGiven, "")
			c = e.change(t, ctx, c.ID, omadata.ConsentWithdrawn, "")
			wantMethods(t, c, method, method, method, method)
		})
	}
	t.Run("mixed", func(t *testing.T) {
		// Given in the portal, suspended by the app, withdrawn on paper.
		r := e.adult(t)
		c := must[*omadata.Consent](t)(s.GiveConsent(AsResidentVia(r.ID, omadata.ChannelPortal), input(p)))
		e.change(t, AsResidentVia(r.ID, omadata.ChannelAPI), c.ID, omadata.ConsentSuspended, "")
		c = e.change(t, Admin(), c.ID, omadata.ConsentWithdrawn, "archive reference HEL 2026-5")
		wantMethods(t, c, omadata.CollectedPortal, omadata.CollectedAPI, omadata.CollectedPaper)
	})
	t.Run("refused", func(t *testing.T) {
		r := e.adult(t)
		c := must[*omadata.Consent](t)(s.GiveConsent(AsResidentVia(r.ID, omadata.ChannelPortal), input(p)))
		other := e.publish(t)
		before := []string{countRows(t, s, "consents"), countRows(t, s, "consent_records"), countRows(t, s, "outbox")}
		cases := []struct {
			name  string
			ctx   context.Context
			do    func(ctx context.Context) error
			code  string
			field string
		}{
			{"api claiming portal", AsResidentVia(r.ID, omadata.ChannelAPI), func(ctx context.Context) error {
				in := input(p)
				in.ProcessingID, in.CollectionMethod = other.ID, omadata.CollectedPortal
				_, err := s.GiveConsent(ctx, in)
				return err
			}, omadata.EINVALID, "collection_method"},
			{"portal claiming api", AsResidentVia(r.ID, omadata.ChannelPortal), func(ctx context.Context) error {
				in := input(p)
				in.ProcessingID, in.CollectionMethod = other.ID, omadata.CollectedAPI
				_, err := s.GiveConsent(ctx, in)
				return err
			}, omadata.EINVALID, "collection_method"},
			{"give without a channel", AsResidentVia(r.ID, ""), func(ctx context.Context) error {
				in := input(p)
				in.ProcessingID = other.ID
				_, err := s.GiveConsent(ctx, in)
				return err
			}, omadata.EFORBIDDEN, ""},
			{"withdraw without a channel", AsResidentVia(r.ID, ""), func(ctx context.Context) error {
				_, err := s.ChangeConsent(ctx, c.ID, omadata.ConsentWithdrawn, "")
				return err
			}, omadata.EFORBIDDEN, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantField(t, tc.do(tc.ctx), tc.code, tc.field)
				after := []string{countRows(t, s, "consents"), countRows(t, s, "consent_records"), countRows(t, s, "outbox")}
				if after[0] != before[0] || after[1] != before[1] || after[2] != before[2] {
					t.Fatalf("a refused act changed the counts of consents, records and events: got %v, want %v", after, before)
				}
			})
		}
	})
}
