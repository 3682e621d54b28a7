// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"

	"github.com/omadata/omadata"
)

// archive downloads the archive of everything about the person the pages
// are about (the resident, or whom they act for, within the authority):
// the operator's records and every source's data, signed
// (docs/archive.md). It records nothing, so it is a link (GET) that works
// without JavaScript.
func (p *Portal) archive(w http.ResponseWriter, r *http.Request, q *req) error {
	b, err := p.o.Archives.ResidentArchive(r.Context(), q.V.Subject().ID)
	if err != nil {
		return err
	}
	sendArchive(w, "omadata-"+q.V.Subject().ID+"-"+p.now().UTC().Format("20060102")+".zip", b)
	return nil
}

// sendArchive writes an archive as a download named name.
func sendArchive(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", omadata.ArchiveMediaType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
