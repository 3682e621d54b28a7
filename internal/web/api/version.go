// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// createVersion starts a new draft copied from the latest version.
func (h *Handler) createVersion(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Compatible *bool `json:"compatible_with_previous"`
	}
	if err := decode(r, &in); err != nil {
		return err
	} else if in.Compatible == nil {
		// Whether residents must renew their consent is never a default.
		return omadata.Invalidf("compatible_with_previous", "Required: say whether consents on the previous version stay valid.")
	}
	v, err := h.Processings.CreateVersion(r.Context(), r.PathValue("id"), *in.Compatible)
	if err != nil {
		return err
	}
	respond.Created(w, r, v)
	return nil
}

// updateVersion edits a draft version; the store refuses a published one.
func (h *Handler) updateVersion(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	var u omadata.ProcessingVersionUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	v, err := h.Processings.UpdateVersion(r.Context(), r.PathValue("id"), n, u)
	if err != nil {
		return err
	}
	respond.OK(w, r, v)
	return nil
}

// putNotice sets the notice of a draft version in the language of the path.
func (h *Handler) putNotice(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	lang := r.PathValue("language")
	if !omadata.ValidLanguage(lang) {
		return omadata.Invalidf("language", "Use fi, sv or en.")
	}
	var in struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := h.Processings.PutNotice(r.Context(), r.PathValue("id"), n, &omadata.Notice{Language: lang, Title: in.Title, Body: in.Body})
	if err != nil {
		return err
	}
	respond.OK(w, r, v)
	return nil
}

func (h *Handler) publishVersion(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	v, err := h.Processings.PublishVersion(r.Context(), r.PathValue("id"), n)
	if err != nil {
		return err
	}
	respond.OK(w, r, v)
	return nil
}

// approveVersion records an operator admin's approval of a version on a
// basis other than consent (organisation admins approve in the console).
func (h *Handler) approveVersion(w http.ResponseWriter, r *http.Request) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	v, err := h.Processings.ApproveVersion(r.Context(), r.PathValue("id"), n)
	if err != nil {
		return err
	}
	respond.OK(w, r, v)
	return nil
}
