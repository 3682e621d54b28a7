// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// identityInput is the body that names a resident by identity code. The
// code travels only in bodies: never in a URL, where logs and browser
// histories would keep it.
type identityInput struct {
	IdentityCode string `json:"identity_code"`
}

// rekeyInput corrects a resident's identity code.
type rekeyInput struct {
	OldIdentityCode string `json:"old_identity_code"`
	NewIdentityCode string `json:"new_identity_code"`
}

// checkIdentityCode refuses anything but a valid identity code, naming
// field; the message never repeats the code.
func checkIdentityCode(field, code string) error {
	if code == "" {
		return omadata.Invalidf(field, "Required: a personal identity code.")
	} else if _, err := omadata.ParseIdentityCode(code); err != nil {
		return omadata.Invalidf(field, "%s", omadata.ErrorMessage(err))
	}
	return nil
}

// me returns the signed-in resident's own profile: the one response that
// carries an identity code.
func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	c := omadata.CallerFromContext(r.Context())
	res, err := h.Residents.FindResidentByID(r.Context(), c.ResidentID)
	if err != nil {
		return err
	}
	respond.OK(w, r, res)
	return nil
}

// linkResident gives a source its pseudonym of a resident it holds.
func (h *Handler) linkResident(w http.ResponseWriter, r *http.Request) error {
	var in identityInput
	if err := decode(r, &in); err != nil {
		return err
	} else if err := checkIdentityCode("identity_code", in.IdentityCode); err != nil {
		return err
	}
	link, err := h.Residents.LinkResident(r.Context(), in.IdentityCode)
	if err != nil {
		return err
	}
	respond.OK(w, r, link)
	return nil
}

// rekeyResident moves a resident to a corrected identity code. The answer
// shows neither code.
func (h *Handler) rekeyResident(w http.ResponseWriter, r *http.Request) error {
	var in rekeyInput
	if err := decode(r, &in); err != nil {
		return err
	} else if err := checkIdentityCode("old_identity_code", in.OldIdentityCode); err != nil {
		return err
	} else if err := checkIdentityCode("new_identity_code", in.NewIdentityCode); err != nil {
		return err
	} else if in.OldIdentityCode == in.NewIdentityCode {
		return omadata.Invalidf("new_identity_code", "The new identity code is the old one.")
	}
	res, err := h.Residents.RekeyResident(r.Context(), in.OldIdentityCode, in.NewIdentityCode)
	if err != nil {
		return err
	}
	res.IdentityCode = "" // only the resident's own profile shows it
	respond.OK(w, r, res)
	return nil
}
