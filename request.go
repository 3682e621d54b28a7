// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// ID prefixes of data-subject requests, their records and their tasks.
const (
	PrefixRequest       = "req"
	PrefixRequestRecord = "rqr"
	PrefixRequestTask   = "rqt"
)

// Kinds of data-subject requests (GDPR Art 15-21).
const (
	RequestAccess        = "access"        // Art 15 and 20: one machine-readable export
	RequestErasure       = "erasure"       // Art 17: crypto-shredding, and tasks to every service
	RequestRectification = "rectification" // Art 16: routed to the sources
	RequestRestriction   = "restriction"   // Art 18: blocks a non-consent processing
	RequestObjection     = "objection"     // Art 21: blocks a non-consent processing
)

// Request statuses. Access, erasure and rectification go received →
// in_progress → completed, or rejected; objections and restrictions go
// pending → upheld or rejected, and pending or upheld → lifted.
const (
	RequestReceived   = "received"
	RequestInProgress = "in_progress"
	RequestCompleted  = "completed"
	RequestRejected   = "rejected"
	RequestPending    = "pending"
	RequestUpheld     = "upheld"
	RequestLifted     = "lifted"
)

// Task statuses: a service answers an open task once.
const (
	TaskOpen      = "open"
	TaskCompleted = "completed"
	TaskRejected  = "rejected"
)

// RequestDueMonths is how long the operator has to answer (GDPR Art 12(3)).
const RequestDueMonths = 1

// RequestMaxExtensionMonths is how much longer the answer may take, once,
// with a reason the resident is told, when the request is complex or many
// (GDPR Art 12(3)).
const RequestMaxExtensionMonths = 2

// Reminders of requests: RequestDueSoon before the deadline, and once when
// it has passed; an open task is sent to its service again every
// RequestTaskResend until the service answers it.
const (
	RequestDueSoon    = 7 * 24 * time.Hour
	RequestTaskResend = 24 * time.Hour
)

// Reminder stages of a request, sent as the webhook request.reminder.
const (
	ReminderDueSoon = "due_soon"
	ReminderOverdue = "overdue"
)

// RequestDue returns the deadline months months after received, counted
// as the law counts a period in months (Regulation 1182/71 Art 3(2)(c)):
// it ends on the same day of the month, or on the month's last day when
// that month has no such day (31 January + 1 month = 28 or 29 February),
// at the same time of day. Days are Finnish days (Zone): a request made at
// 00:30 on 31 January in Helsinki, 22:30 UTC the day before, is due on 28
// February. The result is in received's location.
func RequestDue(received time.Time, months int) time.Time {
	at := received.In(Zone)
	y, m, d := at.Date()
	first := time.Date(y, m+time.Month(months), 1, at.Hour(), at.Minute(), at.Second(), at.Nanosecond(), Zone)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1).In(received.Location())
}

// RequestOpen reports whether a request still awaits its answer.
func RequestOpen(status string) bool {
	return status == RequestReceived || status == RequestInProgress || status == RequestPending
}

// ReceiptRedacted replaces the receipts of an erased resident's consent
// records: they name the sink's pseudonym. Receipts are outside the
// record's chain hash, so the chain still verifies.
const ReceiptRedacted = "redacted:erased"

// requestTransitions lists, for each status, where an admin (or for lift,
// the resident) may move a request.
var requestTransitions = map[string][]string{
	RequestReceived:   {RequestInProgress, RequestCompleted, RequestRejected},
	RequestInProgress: {RequestCompleted, RequestRejected},
	RequestPending:    {RequestUpheld, RequestRejected, RequestLifted},
	RequestUpheld:     {RequestLifted},
}

// RequestTransitionAllowed reports whether a request may move from one
// status to another.
func RequestTransitionAllowed(from, to string) bool {
	for _, s := range requestTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// RequestMoveByHand returns nil when an admin may move a request of kind
// from one status to another, else ECONFLICT on status saying why: the
// transition is not allowed at all, an erasure completes when its tasks
// are answered (by hand it may only be rejected, before work starts), an
// access request completes when its export is produced.
func RequestMoveByHand(kind, from, to string) error {
	switch {
	case !RequestTransitionAllowed(from, to):
		return Conflictf("status", "A request %s cannot move to %s.", from, to)
	case kind == RequestErasure && (to != RequestRejected || from != RequestReceived):
		return Conflictf("status", "An erasure completes when every service has answered its task.")
	case kind == RequestAccess && to == RequestCompleted:
		return Conflictf("status", "An access request completes when its export is produced.")
	}
	return nil
}

// RequestBlocks reports whether a request kind writes an objection row that
// blocks non-consent decisions.
func RequestBlocks(kind string) bool { return kind == RequestObjection || kind == RequestRestriction }

// Request is a data-subject request with its history and, for erasure and
// rectification, the tasks sent to services.
type Request struct {
	ID           string    `json:"id"`
	ResidentID   string    `json:"resident_id"`
	Kind         string    `json:"kind"`
	ProcessingID string    `json:"processing_id,omitempty"`
	Status       string    `json:"status"`
	Details      string    `json:"details,omitempty"`    // the resident's words; erased with them
	Resolution   string    `json:"resolution,omitempty"` // the last resolver's note
	DueAt        time.Time `json:"due_at"`
	// An extension (Art 12(3)): the months added to the first month, and
	// the reason the resident is told.
	ExtensionMonths int              `json:"extension_months,omitempty"`
	ExtensionReason string           `json:"extension_reason,omitempty"`
	AnsweredAt      *time.Time       `json:"answered_at,omitempty"` // when it left its open statuses
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	Records         []*RequestRecord `json:"records,omitempty"`
	Tasks           []*RequestTask   `json:"tasks,omitempty"`
}

// RequestRecord is one immutable step of a request's history; its log leaf
// commits to it.
type RequestRecord struct {
	ID        string     `json:"id"`
	RequestID string     `json:"request_id"`
	Seq       int        `json:"seq"`
	Status    string     `json:"status"`
	Step      string     `json:"step,omitempty"`   // "extended" for an extension; empty for a move of status
	DueAt     *time.Time `json:"due_at,omitempty"` // an extension: the new deadline
	ActorKind string     `json:"actor_kind"`       // resident, service, admin, system
	ActorID   string     `json:"actor_id,omitempty"`
	TaskID    string     `json:"task_id,omitempty"` // set when a service's answer made the step
	CreatedAt time.Time  `json:"created_at"`
}

// RequestTask is what one service must do for a request: erase, or
// rectify, the resident it knows by Pseudonym. The pseudonym is removed
// when the task is answered.
type RequestTask struct {
	ID          string     `json:"id"`
	RequestID   string     `json:"request_id"`
	Kind        string     `json:"kind"` // the request's kind
	ServiceID   string     `json:"service_id"`
	Role        string     `json:"role"` // source or sink
	Pseudonym   string     `json:"pseudonym,omitempty"`
	Details     string     `json:"details,omitempty"` // rectification: what is wrong
	Status      string     `json:"status"`
	Note        string     `json:"note,omitempty"`
	DueAt       time.Time  `json:"due_at"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// RequestInput creates a request.
type RequestInput struct {
	Kind         string   `json:"kind"`
	ProcessingID string   `json:"processing_id"` // objection and restriction
	Details      string   `json:"details"`       // rectification: what is wrong; others optional
	SourceIDs    []string `json:"source_ids"`    // rectification: the sources to ask; empty: every source that knows the resident
	OnBehalfOf   string   `json:"on_behalf_of"`  // a ward or mandator; admins: the resident
}

// RequestResolution moves a request: an admin upholds, rejects, completes
// or lifts; a resident may lift their own objection or restriction.
type RequestResolution struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// RequestExtension extends a request's deadline (Art 12(3)): by one or two
// months, once, within the first month, with a reason for the resident.
type RequestExtension struct {
	Months int    `json:"months"`
	Reason string `json:"reason"`
}

// RequestDeadlines counts the open requests by deadline, at one moment.
type RequestDeadlines struct {
	Open    int `json:"open"`
	DueSoon int `json:"due_soon"` // due within RequestDueSoon, not yet overdue
	Overdue int `json:"overdue"`
}

// TaskAnswer is a service's answer to a task.
type TaskAnswer struct {
	Status string `json:"status"` // completed or rejected
	Note   string `json:"note"`
}

// RequestFilter selects requests.
type RequestFilter struct {
	ResidentID *string // residents: themselves (default) or someone they represent; admins: any
	Kind       *string
	Status     *string
	After      string
	Limit      int
}

// RequestTaskFilter selects tasks: services see their own.
type RequestTaskFilter struct {
	ServiceID *string // admins
	Status    *string
	After     string
	Limit     int
}

// ResidentExport is the answer to an access request (Art 15 and 20): all
// the operator holds about a resident, in one JSON document.
type ResidentExport struct {
	GeneratedAt     time.Time         `json:"generated_at"`
	RequestID       string            `json:"request_id,omitempty"` // none for a download without a request
	Resident        *Resident         `json:"resident"`
	Consents        []*Consent        `json:"consents"`
	Representations []*Representation `json:"representations"`
	Requests        []*Request        `json:"requests"`
	Usage           []*Usage          `json:"usage"`
	LogEntries      []*LogEvent       `json:"log_entries"`
	Checkpoint      *Checkpoint       `json:"checkpoint,omitempty"`
}

// RequestService handles data-subject requests.
type RequestService interface {
	// CreateRequest records a request of the caller (a resident, for
	// themselves or someone they represent; an admin, naming the resident
	// in OnBehalfOf). Objections and restrictions need a processing on a
	// non-consent basis and block its decisions at once; an erasure shreds
	// the resident's keys and identity in the same transaction and sends a
	// task to every service that knows them. EINVALID names the field;
	// ENOTFOUND for a resident or processing the caller may not see;
	// ECONFLICT for an open objection on the same processing.
	CreateRequest(ctx context.Context, in *RequestInput) (*Request, error)
	// FindRequestByID returns a request with its records and tasks.
	FindRequestByID(ctx context.Context, id string) (*Request, error)
	// FindRequests lists requests, oldest first.
	FindRequests(ctx context.Context, f RequestFilter) ([]*Request, string, error)
	// ResolveRequest moves a request (admins; residents may only lift).
	// ECONFLICT for a move its status does not allow; EFORBIDDEN when the
	// caller may see the request but not do this.
	ResolveRequest(ctx context.Context, id string, in *RequestResolution) (*Request, error)
	// ExportResident answers an access request with the export and records
	// the request completed. EINVALID when the request is not an access
	// request.
	ExportResident(ctx context.Context, requestID string) (*ResidentExport, error)
	// ExportResidentRecords returns the same export of residentID (the
	// caller, or a principal they represent, within the authority) without
	// a request: what a resident downloads whenever they like (Art 20).
	// ENOTFOUND for a resident the caller may not see.
	ExportResidentRecords(ctx context.Context, residentID string) (*ResidentExport, error)
	// ExtendRequest extends an open request's deadline (admins). EINVALID
	// names months or reason; ECONFLICT when it was extended already, is
	// answered, or its first month has passed.
	ExtendRequest(ctx context.Context, id string, in *RequestExtension) (*Request, error)
	// RequestDeadlines counts open requests due soon and overdue (admins).
	RequestDeadlines(ctx context.Context) (*RequestDeadlines, error)
	// RemindRequests sends the reminders that are due (the operator's
	// worker, as admin): request.reminder to the services with open tasks
	// on a request due within RequestDueSoon and again once it is overdue,
	// and each open task's event again once RequestTaskResend has passed
	// since it was last sent. It returns how many events it enqueued.
	RemindRequests(ctx context.Context) (int, error)
	// FindRequestTasks lists tasks: a service its own, admins any.
	FindRequestTasks(ctx context.Context, f RequestTaskFilter) ([]*RequestTask, string, error)
	// AnswerRequestTask records a service's answer to its open task; the
	// request completes when its last task is answered. ECONFLICT when the
	// task is already answered.
	AnswerRequestTask(ctx context.Context, id string, in *TaskAnswer) (*RequestTask, error)
}
