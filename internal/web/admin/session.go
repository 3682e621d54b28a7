// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"context"
	"net/http"

	"github.com/omadata/omadata"
)

// Cookies, all with Path /admin. The session cookie holds the store's
// staff session token, looked up on every request, so logout, expiry and
// a changed role take effect at once.
const (
	sessionCookie = "omadata_staff"
	loginCookie   = "omadata_staff_login"
)

// viewer is the signed-in staff member.
type viewer struct {
	Staff     *omadata.Staff
	SessionID string
	CSRF      string
}

// CanWrite reports whether the viewer may change anything: forms are
// shown, and POSTs accepted, only then. An organisation admin changes
// their own organisation's catalogue; the store finds nothing else for them.
func (v *viewer) CanWrite() bool { return v.Staff.CanWrite() }

// Operator reports whether the viewer runs the operator: admits and
// suspends services, adds organisations, resolves requests.
func (v *viewer) Operator() bool { return v.Staff.Role == omadata.StaffOperatorAdmin }

// Oversees reports whether the viewer sees the whole operator: the
// organisations and the residents' requests (operator admins and auditors,
// not organisation admins).
func (v *viewer) Oversees() bool { return v.Staff.Role != omadata.StaffOrganisationAdmin }

// Auditor reports whether the viewer is the operator's data protection
// officer, who reads everything and changes nothing but approvals.
func (v *viewer) Auditor() bool { return v.Staff.Role == omadata.StaffAuditor }

// MayApprove reports whether the viewer may ask to approve a processing
// version (the approvers level): those who may write, and the auditor, the
// operator's data protection officer. The store says whose version each
// may approve: an organisation admin only their organisation's data's.
func (v *viewer) MayApprove() bool { return v.CanWrite() || v.Auditor() }

// OrganisationAdmin reports whether the viewer is limited to one
// organisation.
func (v *viewer) OrganisationAdmin() bool { return v.Staff.Role == omadata.StaffOrganisationAdmin }

// operator is the context of the console's own calls (login).
func operator(ctx context.Context) context.Context {
	return omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "admin-console"})
}

// loadViewer authenticates the session cookie. Its context carries the
// caller the store calls run with, named by the staff ID so that the audit
// records say who acted: an operator admin for operator admins and
// auditors, an auditor's marked as the operator's data protection officer
// (the console refuses every change by an auditor but an approval before
// the store is asked, and the store records the approval as theirs), an
// organisation caller for organisation admins, whom the store shows their
// own organisation's catalogue only.
func (a *Admin) loadViewer(w http.ResponseWriter, r *http.Request) (*viewer, context.Context, error) {
	ctx := omadata.NewContextWithCaller(r.Context(), omadata.Caller{})
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, ctx, nil
	}
	st, se, err := a.o.Staff.AuthenticateStaff(r.Context(), c.Value)
	if err != nil {
		if code := omadata.ErrorCode(err); code != omadata.EUNAUTHORIZED && code != omadata.ENOTFOUND {
			return nil, ctx, err
		}
		a.ck.Set(w, sessionCookie, "", -1)
		return nil, ctx, nil
	}
	ctx = omadata.NewContextWithCaller(r.Context(), staffCaller(st))
	return &viewer{Staff: st, SessionID: se.ID, CSRF: a.ck.CSRF(se.ID)}, ctx, nil
}

// staffCaller is the caller a staff member's store calls run as.
func staffCaller(st *omadata.Staff) omadata.Caller {
	if st.Role == omadata.StaffOrganisationAdmin {
		return omadata.Caller{Kind: omadata.CallerOrganisation, TokenID: "staff:" + st.ID, Organisation: st.OrganisationID}
	}
	return omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "staff:" + st.ID, DataProtectionOfficer: st.Role == omadata.StaffAuditor}
}
