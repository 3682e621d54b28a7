// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"slices"
	"testing"
)

// TestContentDigestWithoutTransparency: a version that states none of the
// GDPR Art 13 and 14 fields has the digest it had before they existed, so
// approvals made before migration 016 still hold; stating one changes it.
func TestContentDigestWithoutTransparency(t *testing.T) {
	v := &ProcessingVersion{ProcessingID: "proc_01jq8m5z6y7x8w9v0t1s2r3q4p", Version: 2, Title: Text{"fi": "a", "sv": "b", "en": "c"},
		Description: Text{"fi": "d"}, PurposeID: "pur_00000000000000000000000001", DataGroupIDs: []string{"dg_01jq8m4n5p6q7r8s9t0v1w2x3y"},
		LegalBasis: BasisPublicTask, LegalBasisNote: "Kuntalaki (410/2015)", Retention: "P1Y",
		Recipients: []Recipient{{Name: "X", Role: RecipientController}}, Compatible: true,
		Notices: []*Notice{{Language: "fi", SHA256: "ab"}}}
	const before = "2394834c8bfa98020053c346f334831fc574d8b7c02d84682b2297238e5c9864" // computed by the code before migration 016
	if got := v.ContentSHA256(); got != before {
		t.Fatalf("got digest %s, want %s", got, before)
	}
	v.ProvisionRequirement = ProvisionStatutory
	if v.ContentSHA256() == before {
		t.Fatal("stating a provision requirement did not change the digest")
	}
}

func TestRightsFor(t *testing.T) {
	cases := []struct {
		basis, art9 string
		want        []string
	}{
		{BasisConsent, "", []string{RightAccess, RightRectification, RightErasure, RightRestriction, RightPortability, RightWithdrawal}},
		{BasisContract, "", []string{RightAccess, RightRectification, RightErasure, RightRestriction, RightPortability}},
		{BasisLegalObligation, "", []string{RightAccess, RightRectification, RightErasure, RightRestriction}},
		{BasisPublicTask, "A9-2-a", []string{RightAccess, RightRectification, RightErasure, RightRestriction, RightObjection, RightPortability, RightWithdrawal}},
		{BasisLegitimateInterest, "", []string{RightAccess, RightRectification, RightErasure, RightRestriction, RightObjection}},
	}
	for _, c := range cases {
		if got := RightsFor(c.basis, c.art9); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: got %v, want %v", c.basis, c.art9, got, c.want)
		}
	}
}
