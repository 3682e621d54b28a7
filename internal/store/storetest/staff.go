// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func testStaff(t *testing.T, s *store.Store) {
	org := CreateOrganisation(t, s, "city")
	a, err := s.EnsureStaff(Admin(), AdultCode, "Olli Operaattori", omadata.StaffOperatorAdmin, "")
	ok(t, err)
	// The only operator admin keeps the role: without one, nobody could
	// manage the staff from the console.
	if _, err := s.EnsureStaff(Admin(), AdultCode, "Olli Operaattori", omadata.StaffAuditor, ""); omadata.ErrorCode(err) != omadata.ECONFLICT || omadata.ErrorField(err) != "role" {
		t.Fatalf("demote the last operator admin: %v", err)
	}
	_, err = s.EnsureStaff(Admin(), StaffCode, "Outi Operaattori", omadata.StaffOperatorAdmin, "")
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
	if len(list) != 3 {
		t.Fatalf("%d staff, want 3", len(list))
	}
	// The identity code is stored only as its blind index.
	rows, err := s.DB().QueryStrings(context.Background(), `SELECT * FROM staff`)
	ok(t, err)
	for _, row := range rows {
		for _, v := range row {
			if v == AdultCode || v == AdultCode2 || v == StaffCode {
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

// StaffCode is a synthetic identity code for a second member of staff.
const StaffCode = "120475-931B"

// testStaffRemoval: a member taken off the staff cannot sign in any more,
// their sessions end at once, the change is audited and logged, and the
// last operator admin stays.
func testStaffRemoval(t *testing.T, s *store.Store) {
	org := CreateOrganisation(t, s, "city")
	olli, err := s.EnsureStaff(Admin(), AdultCode, "Olli Operaattori", omadata.StaffOperatorAdmin, "")
	ok(t, err)
	helmi, err := s.EnsureStaff(Admin(), AdultCode2, "Helmi Helsinki", omadata.StaffOrganisationAdmin, org.ID)
	ok(t, err)
	se, err := s.CreateStaffSession(Admin(), helmi.ID, time.Hour)
	ok(t, err)
	if _, err := s.RemoveStaff(context.Background(), helmi.ID); omadata.ErrorCode(err) != omadata.EFORBIDDEN {
		t.Fatalf("remove without admin: %v", err)
	}
	if _, err := s.RemoveStaff(Admin(), "stf_nope"); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("remove nobody: %v", err)
	}
	if _, err := s.RemoveStaff(Admin(), olli.ID); omadata.ErrorCode(err) != omadata.ECONFLICT || omadata.ErrorField(err) != "id" {
		t.Fatalf("remove the last operator admin: %v", err)
	}
	before := countRows(t, s, "log_leaves")
	gone, err := s.RemoveStaff(Admin(), helmi.ID)
	ok(t, err)
	if gone.ID != helmi.ID || gone.Name != "Helmi Helsinki" {
		t.Fatalf("removed %+v", gone)
	}
	if _, _, err := s.AuthenticateStaff(context.Background(), se.Token); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
		t.Fatalf("session of a removed member: %v", err)
	}
	if _, err := s.FindStaffByIdentityCode(Admin(), AdultCode2); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("removed member found: %v", err)
	}
	if _, err := s.RemoveStaff(Admin(), helmi.ID); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("remove twice: %v", err)
	}
	if n, _ := strconv.Atoi(countRows(t, s, "log_leaves")); n != must[int](t)(strconv.Atoi(before))+1 {
		t.Fatalf("%d log leaves after a removal, want one more than %s", n, before)
	}
	rows, err := s.DB().QueryStrings(context.Background(), `SELECT action, target_id FROM admin_changes WHERE action = 'staff.removed'`)
	ok(t, err)
	if len(rows) != 1 || rows[0][1] != helmi.ID {
		t.Fatalf("audit of the removal: %v", rows)
	}

	// With a second operator admin, either may go, and the other stays.
	outi, err := s.EnsureStaff(Admin(), StaffCode, "Outi Operaattori", omadata.StaffOperatorAdmin, "")
	ok(t, err)
	_, err = s.RemoveStaff(Admin(), olli.ID)
	ok(t, err)
	if _, err := s.RemoveStaff(Admin(), outi.ID); omadata.ErrorCode(err) != omadata.ECONFLICT {
		t.Fatalf("remove the last one after all: %v", err)
	}
	// Added again, a removed member is a new member.
	back, err := s.EnsureStaff(Admin(), AdultCode2, "Helmi Helsinki", omadata.StaffAuditor, "")
	ok(t, err)
	if back.ID == helmi.ID {
		t.Fatal("a member added again kept the removed ID")
	}

	// Two operator admins removed at once: one of them stays.
	keep, keepCode := outi, StaffCode
	for round := range 5 {
		code := AdultCode
		if keepCode == AdultCode {
			code = AdultCode2
		}
		a, err := s.EnsureStaff(Admin(), code, "Toinen", omadata.StaffOperatorAdmin, "")
		ok(t, err)
		pair := []string{keep.ID, a.ID}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, id := range pair {
			wg.Go(func() { _, errs[i] = s.RemoveStaff(Admin(), id) })
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: concurrent removals of the two operator admins: %v, %v", round, errs[0], errs[1])
		}
		if errs[0] == nil {
			keep, keepCode = a, code
		}
	}
}
