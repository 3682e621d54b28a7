// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func testStaff(t *testing.T, s *store.Store) {
	org := CreateOrganisation(t, s, "city")
	a, err := s.EnsureStaff(Admin(), AdultCode, "Olli Operaattori", omadata.StaffOperatorAdmin, "")
	ok(t, err)
	again, err := s.EnsureStaff(Admin(), AdultCode, "Olli Operaattori", omadata.StaffAuditor, "")
	ok(t, err)
	if again.ID != a.ID || again.Role != omadata.StaffAuditor || again.CanWrite() {
		t.Fatalf("ensure again: got %+v, want %s as a read-only auditor", again, a.ID)
	}
	oa, err := s.EnsureStaff(Admin(), AdultCode2, "Helmi Helsinki", omadata.StaffOrganisationAdmin, org.ID)
	ok(t, err)
	if oa.OrganisationID != org.ID {
		t.Fatalf("organisation admin of %q", oa.OrganisationID)
	}
	for _, c := range []struct {
		name, code, role, org, field string
	}{
		{"bad code", "131052-308X", omadata.StaffAuditor, "", ""},
		{"bad role", ChildCode, "root", "", "role"},
		{"organisation admin without organisation", ChildCode, omadata.StaffOrganisationAdmin, "", "organisation_id"},
		{"auditor with organisation", ChildCode, omadata.StaffAuditor, org.ID, "organisation_id"},
		{"unknown organisation", ChildCode, omadata.StaffOrganisationAdmin, "org_nope", "organisation_id"},
	} {
		if _, err := s.EnsureStaff(Admin(), c.code, "X", c.role, c.org); omadata.ErrorCode(err) != omadata.EINVALID || c.field != "" && omadata.ErrorField(err) != c.field {
			t.Errorf("%s: got %v, want invalid %s", c.name, err, c.field)
		}
	}
	if _, err := s.EnsureStaff(context.Background(), ChildCode, "X", omadata.StaffAuditor, ""); omadata.ErrorCode(err) != omadata.EFORBIDDEN {
		t.Fatalf("ensure without admin: %v", err)
	}
	list, err := s.FindStaff(Admin())
	ok(t, err)
	if len(list) != 2 {
		t.Fatalf("%d staff, want 2", len(list))
	}
	// The identity code is stored only as its blind index.
	rows, err := s.DB().QueryStrings(context.Background(), `SELECT * FROM staff`)
	ok(t, err)
	for _, row := range rows {
		for _, v := range row {
			if v == AdultCode || v == AdultCode2 {
				t.Fatal("an identity code is stored in the clear")
			}
		}
	}
	if _, err := s.FindStaffByIdentityCode(Admin(), ChildCode); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("unknown code: %v", err)
	}
	found, err := s.FindStaffByIdentityCode(Admin(), AdultCode2)
	ok(t, err)
	if found.ID != oa.ID {
		t.Fatalf("found %s, want %s", found.ID, oa.ID)
	}

	// Sessions: authenticate, role as it is now, end.
	se, err := s.CreateStaffSession(Admin(), a.ID, time.Hour)
	ok(t, err)
	if _, err := s.CreateStaffSession(context.Background(), a.ID, time.Hour); omadata.ErrorCode(err) != omadata.EFORBIDDEN {
		t.Fatalf("session without admin: %v", err)
	}
	if _, err := s.CreateStaffSession(Admin(), "stf_nope", time.Hour); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("session of nobody: %v", err)
	}
	_, err = s.EnsureStaff(Admin(), AdultCode, "Olli Operaattori", omadata.StaffOperatorAdmin, "")
	ok(t, err)
	who, sess, err := s.AuthenticateStaff(context.Background(), se.Token)
	ok(t, err)
	if who.ID != a.ID || who.Role != omadata.StaffOperatorAdmin || sess.ID != se.ID {
		t.Fatalf("authenticated %+v %+v", who, sess)
	}
	if _, _, err := s.AuthenticateStaff(context.Background(), se.Token+"x"); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
		t.Fatalf("bad token: %v", err)
	}
	ok(t, s.EndStaffSession(Admin(), se.ID))
	if _, _, err := s.AuthenticateStaff(context.Background(), se.Token); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
		t.Fatalf("ended session: %v", err)
	}
	if err := s.EndStaffSession(Admin(), se.ID); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("end twice: %v", err)
	}
}
