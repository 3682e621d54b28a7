// SPDX-License-Identifier: Apache-2.0

package respond

import (
	"mime"
	"net/http"
)

// Download answers 200 with b as a file of mediaType to save as name, never
// cached: an archive or a CSV table of someone's personal data.
func Download(w http.ResponseWriter, name, mediaType string, b []byte) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
