// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

var (
	requestKinds = []string{omadata.RequestAccess, omadata.RequestErasure, omadata.RequestRectification,
		omadata.RequestRestriction, omadata.RequestObjection}
	requestStatuses = []string{omadata.RequestReceived, omadata.RequestInProgress, omadata.RequestCompleted,
		omadata.RequestRejected, omadata.RequestPending, omadata.RequestUpheld, omadata.RequestLifted}
	taskStatuses = []string{omadata.TaskOpen, omadata.TaskCompleted, omadata.TaskRejected}
)

// createRequest records a data-subject request of the signed-in resident
// (or, with on_behalf_of, of someone they represent), or one an admin
// records for a resident.
func (h *Handler) createRequest(w http.ResponseWriter, r *http.Request) error {
	var in omadata.RequestInput
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := h.Requests.CreateRequest(r.Context(), &in)
	if err != nil {
		return err
	}
	respond.Created(w, r, q)
	return nil
}

// listRequests lists a resident's own requests (or with resident_id a
// ward's); admins any.
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request) error {
	var f omadata.RequestFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixRequest); err != nil {
		return err
	} else if f.ResidentID, err = idParam(r, "resident_id", prefixResident); err != nil {
		return err
	} else if f.Kind, err = enumParam(r, "kind", requestKinds...); err != nil {
		return err
	} else if f.Status, err = enumParam(r, "status", requestStatuses...); err != nil {
		return err
	}
	list, next, err := h.Requests.FindRequests(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, list, next)
	return nil
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request) error {
	q, err := h.Requests.FindRequestByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, q)
	return nil
}

// resolveRequest moves a request: admins resolve, residents may lift an
// objection or restriction of their own.
func (h *Handler) resolveRequest(w http.ResponseWriter, r *http.Request) error {
	var in omadata.RequestResolution
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := h.Requests.ResolveRequest(r.Context(), r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	respond.OK(w, r, q)
	return nil
}

// extendRequest extends a request's deadline once, by one or two months,
// with the reason the resident is told (admins).
func (h *Handler) extendRequest(w http.ResponseWriter, r *http.Request) error {
	var in omadata.RequestExtension
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := h.Requests.ExtendRequest(r.Context(), r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	respond.OK(w, r, q)
	return nil
}

// exportRequest answers an access request with the export document (or,
// to a caller that accepts application/zip, the signed archive) and
// records the request completed.
func (h *Handler) exportRequest(w http.ResponseWriter, r *http.Request) error {
	if h.Archives != nil && acceptsArchive(r) {
		b, err := h.Archives.RequestArchive(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		respond.Download(w, "omadata-export-"+r.PathValue("id")+".zip", omadata.ArchiveMediaType, b)
		return nil
	}
	e, err := h.Requests.ExportResident(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, e)
	return nil
}

// listRequestTasks lists the calling service's tasks; admins any.
func (h *Handler) listRequestTasks(w http.ResponseWriter, r *http.Request) error {
	var f omadata.RequestTaskFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixRequestTask); err != nil {
		return err
	} else if f.ServiceID, err = idParam(r, "service_id", omadata.PrefixService); err != nil {
		return err
	} else if f.Status, err = enumParam(r, "status", taskStatuses...); err != nil {
		return err
	}
	list, next, err := h.Requests.FindRequestTasks(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, list, next)
	return nil
}

// answerRequestTask records a service's answer to its task.
func (h *Handler) answerRequestTask(w http.ResponseWriter, r *http.Request) error {
	var in omadata.TaskAnswer
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := h.Requests.AnswerRequestTask(r.Context(), r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	respond.OK(w, r, t)
	return nil
}
