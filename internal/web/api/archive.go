// SPDX-License-Identifier: Apache-2.0

package api

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// archiveRoutes are the routes of the archive a resident takes with them
// (docs/archive.md). POST /api/v1/requests/{id}/export delivers the same
// archive to a caller that accepts application/zip.
func (h *Handler) archiveRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/me/export", AuthResident, h.fn(h.myExport)},
	}
}

// myExport answers the signed-in resident (or their own app) with the
// archive of all their data, recording no request.
func (h *Handler) myExport(w http.ResponseWriter, r *http.Request) error {
	if h.Archives == nil {
		return omadata.Errorf(omadata.EUNAVAILABLE, "This operator does not make archives.")
	}
	b, err := h.Archives.ResidentArchive(r.Context(), omadata.CallerFromContext(r.Context()).ResidentID)
	if err != nil {
		return err
	}
	respond.Download(w, "omadata-archive.zip", omadata.ArchiveMediaType, b)
	return nil
}

// acceptsArchive reports whether the Accept header names
// application/zip with a weight above zero: the caller asks for the
// archive rather than the JSON document.
func acceptsArchive(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept") {
		for _, part := range strings.Split(h, ",") {
			typ, params, err := mime.ParseMediaType(part)
			if err != nil || typ != omadata.ArchiveMediaType {
				continue
			}
			if q, ok := params["q"]; !ok {
				return true
			} else if w, err := strconv.ParseFloat(q, 64); err == nil && w > 0 {
				return true
			}
		}
	}
	return false
}
