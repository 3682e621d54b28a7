// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// Cookies. The session cookie holds the store's resident session token,
// which the store looks up on every request, so logout and expiry take
// effect at once; the others are signed with the portal's key.
const (
	sessionCookie = "omadata_session"
	loginCookie   = "omadata_login"  // state, nonce and PKCE verifier of a login in progress
	actingCookie  = "omadata_acting" // the resident ID being acted for; checked on every request
	langCookie    = "omadata_lang"   // the resident's language, for "/"
)

// viewer is the signed-in resident of a request and whom they act for.
type viewer struct {
	Caller omadata.Caller
	Self   *omadata.Resident
	Acting *principal // nil: acting as themselves
	// Lapsed is the resident ID the acting-for cookie of this session
	// names when the viewer no longer represents them (the guardianship
	// or mandate ended or expired): the request is refused, never run
	// for the viewer instead.
	Lapsed     string
	Principals []*principal
	CSRF       string
}

// principal is someone the viewer may act for now.
type principal struct {
	Resident *omadata.Resident
	Rep      *omadata.Representation
}

// Subject returns the resident the pages are about: the one acted for, or
// the viewer.
func (v *viewer) Subject() *omadata.Resident {
	if v.Acting != nil {
		return v.Acting.Resident
	}
	return v.Self
}

// May reports whether the viewer may do act for the person the pages are
// about, by the one rule of what representations allow (the store asks it
// again when they act); for themselves always. It lets a page leave out
// what a mandate does not cover.
func (v *viewer) May(act omadata.RepAct) bool {
	return v.MayOn(act, "")
}

// MayOn is May for an act under a purpose (by code): a scoped mandate
// allows consent, usage and objection only under the purposes it names,
// so a page offers only the processings the mandate covers.
func (v *viewer) MayOn(act omadata.RepAct, purposeCode string) bool {
	if v.Acting == nil {
		return true
	}
	a := omadata.Authority{PrincipalID: v.Acting.Resident.ID}
	for _, p := range v.Principals {
		if p.Resident.ID == a.PrincipalID {
			a.Reps = append(a.Reps, p.Rep)
		}
	}
	return a.Allows(act, purposeCode)
}

// OnBehalfOf is the ConsentInput.OnBehalfOf of the viewer's acts. It
// never falls back to the viewer while the acting-for cookie names someone
// else: for a lapsed principal it is their ID, which the store refuses.
func (v *viewer) OnBehalfOf() string {
	if v.Acting != nil {
		return v.Acting.Resident.ID
	}
	return v.Lapsed
}

// loadViewer authenticates the session cookie; nil when there is none or
// it no longer works (then the cookie is cleared).
func (p *Portal) loadViewer(w http.ResponseWriter, r *http.Request) (*viewer, context.Context, error) {
	ctx := omadata.NewContextWithCaller(r.Context(), omadata.Caller{})
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, ctx, nil
	}
	caller, err := p.o.Credentials.Authenticate(r.Context(), c.Value)
	if err != nil || caller.Kind != omadata.CallerResident {
		if code := omadata.ErrorCode(err); err != nil && code != omadata.EUNAUTHORIZED && code != omadata.ENOTFOUND {
			return nil, ctx, err
		}
		p.ck.Set(w, sessionCookie, "", -1)
		return nil, ctx, nil
	}
	caller.Channel = omadata.ChannelPortal
	ctx = omadata.NewContextWithCaller(r.Context(), caller)
	self, err := p.o.Residents.FindResidentByID(ctx, caller.ResidentID)
	if err != nil {
		return nil, ctx, err
	}
	v := &viewer{Caller: caller, Self: self, CSRF: p.ck.CSRF(caller.TokenID)}
	if v.Principals, err = p.principals(ctx, self.ID); err != nil {
		return nil, ctx, err
	}
	if ac, err := r.Cookie(actingCookie); err == nil {
		if id, ok := p.ck.Verify(actingCookie, ac.Value); ok && strings.HasPrefix(id, caller.TokenID+":") {
			id = strings.TrimPrefix(id, caller.TokenID+":")
			if i := slices.IndexFunc(v.Principals, func(x *principal) bool { return x.Resident.ID == id }); i >= 0 {
				v.Acting = v.Principals[i]
			} else {
				v.Lapsed = id
			}
		}
	}
	return v, ctx, nil
}

// principals lists the people a resident may act for now, by name.
func (p *Portal) principals(ctx context.Context, self string) ([]*principal, error) {
	reps, err := p.o.Representations.FindRepresentations(ctx, self)
	if err != nil {
		return nil, err
	}
	var out []*principal
	now := p.now()
	for _, rep := range reps {
		if rep.RepresentativeID != self {
			continue
		}
		res, err := p.o.Residents.FindResidentByID(ctx, rep.PrincipalID)
		if omadata.ErrorCode(err) == omadata.ENOTFOUND {
			continue // no longer visible: the representation has ended
		} else if err != nil {
			return nil, err
		}
		if rep.ActiveAt(now, res.Born()) {
			out = append(out, &principal{Resident: res, Rep: rep})
		}
	}
	slices.SortFunc(out, func(a, b *principal) int { return strings.Compare(a.Resident.Name, b.Resident.Name) })
	return out, nil
}
