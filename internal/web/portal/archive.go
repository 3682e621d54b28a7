// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
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
	respond.Download(w, "omadata-"+q.V.Subject().ID+"-"+p.now().UTC().Format("20060102")+".zip", omadata.ArchiveMediaType, b)
	return nil
}
