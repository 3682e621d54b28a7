// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"

	"github.com/omadata/omadata"
)

// appsData is the connected apps page.
type appsData struct {
	Connections []*omadata.AppConnection
}

// apps lists the apps the signed-in resident connected, with what each
// may do and when it last used the connection. They are the resident's
// own even while acting for someone: an app is never connected for
// someone else.
func (p *Portal) apps(w http.ResponseWriter, r *http.Request, q *req) error {
	list, err := p.o.Apps.FindAppConnections(r.Context())
	if err != nil {
		return err
	}
	p.render(w, r, q, http.StatusOK, "apps", msg(q.Lang, "page.apps"), &appsData{Connections: list})
	return nil
}

// disconnectApp ends a connection of the signed-in resident: every token
// the app holds for them stops working at once. Someone else's is not
// found, as a missing one.
func (p *Portal) disconnectApp(w http.ResponseWriter, r *http.Request, q *req) error {
	if err := p.o.Apps.EndAppConnection(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/"+q.Lang+"/apps?done=app-disconnected", http.StatusSeeOther)
	return nil
}
