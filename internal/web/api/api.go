// SPDX-License-Identifier: Apache-2.0

// Package api is the JSON API under /api/v1: thin handlers that decode the
// request, call one root service and write one response. Who the caller is
// is settled before they run (package web authenticates); what the caller
// may see is settled inside the store.
package api

import (
	"io"
	"net/http"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// Who may call a route.
const (
	AuthPublic       = "public"        // anyone; runs as the anonymous caller
	AuthAdmin        = "admin"         // operator admin tokens only
	AuthAdminService = "admin,service" // admin tokens and service credentials (catalogue scopes)
	AuthResident     = "resident"      // residents' session tokens only

	// Other levels name the caller kinds allowed and, after a colon, the
	// scope a service credential needs: "service:decisions",
	// "admin,service,resident:consents". Without a scope, services need
	// catalogue:read to read and catalogue:write to write.
)

// Route is one API route: a method, a ServeMux pattern, who may call it and
// the handler.
type Route struct {
	Method  string
	Pattern string
	Auth    string
	Handler http.Handler
}

// Handler serves the API from the root services.
type Handler struct {
	Organisations   omadata.OrganisationService
	Services        omadata.ServiceRegistry
	Credentials     omadata.CredentialService
	DataGroups      omadata.DataGroupService
	Purposes        omadata.PurposeService
	Processings     omadata.ProcessingService
	AISystems       omadata.AISystemService
	Catalogue       omadata.CatalogueReader
	Residents       omadata.ResidentService
	Representations omadata.RepresentationService
	Consents        omadata.ConsentService
	Decisions       omadata.DecisionService
	Grants          omadata.GrantService
	Webhooks        omadata.WebhookService
	Log             omadata.LogService
	Usage           omadata.UsageService
	Requests        omadata.RequestService
	Apps            omadata.AppService
	Archives        omadata.ArchiveService // nil: no archives (503)
	// Witness is the operator's witness state and the cosignatures of
	// its own log (docs/witnessing.md); Witnessed says which own
	// checkpoint counts as witnessed. nil: their routes answer 404.
	Witness   omadata.WitnessService
	Witnessed omadata.WitnessedLogService
	// PublicURL is the operator's public base URL, which DPoP proofs of
	// calls to it must name.
	PublicURL string
	// OperatorName names the operator as the publisher of its DCAT
	// catalogue (OMADATA_OPERATOR_NAME).
	OperatorName string
}

// fn adapts a handler that returns an error: the error is written once,
// here, in the error shape with the status of its code.
func (h *Handler) fn(f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			respond.Error(w, r, err)
		}
	})
}

// noBody adapts the handler of a route that takes no body: a body, even
// an empty JSON object, is refused before the handler runs, rather than
// silently ignored.
func noBody(f func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.ContentLength > 0 {
			return omadata.Invalidf("body", "This operation takes no body; send none.")
		} else if r.ContentLength < 0 { // chunked: read to see
			if n, _ := io.ReadFull(r.Body, make([]byte, 1)); n > 0 {
				return omadata.Invalidf("body", "This operation takes no body; send none.")
			}
		}
		return f(w, r)
	}
}

// serverAssigned refuses a create body that sets a field the server
// assigns, rather than silently ignoring it.
func serverAssigned(id string, created, updated time.Time) error {
	switch {
	case id != "":
		return omadata.Invalidf("id", "Set by the server; leave it out.")
	case !created.IsZero():
		return omadata.Invalidf("created_at", "Set by the server; leave it out.")
	case !updated.IsZero():
		return omadata.Invalidf("updated_at", "Set by the server; leave it out.")
	}
	return nil
}
