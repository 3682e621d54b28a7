// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"encoding/json"
	"time"
)

// Event types, after the reverse-DNS prefix of the deployment.
const (
	EventConsentRequested = "consent.requested"
	EventConsentGiven     = "consent.given"
	EventConsentRefused   = "consent.refused"
	EventConsentSuspended = "consent.suspended"
	EventConsentResumed   = "consent.resumed"
	EventConsentWithdrawn = "consent.withdrawn"
	EventConsentRevoked   = "consent.revoked"
	EventConsentExpired   = "consent.expired"
	EventGrantIssued      = "grant.issued"
	EventReleaseRecorded  = "release.recorded"
)

// Delivery statuses of outbox rows.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// PrefixEvent is the ID prefix of events; an event's ID is also the ID of
// its delivery, its CloudEvent id and its webhook-id.
const PrefixEvent = "evt"

// Delivery is one event on its way to one service's webhook.
type Delivery struct {
	ID            string          `json:"id"` // also the CloudEvent id and webhook-id
	ServiceID     string          `json:"service_id"`
	Type          string          `json:"type"`
	Payload       json.RawMessage `json:"payload"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt time.Time       `json:"next_attempt_at"`
	LastStatus    int             `json:"last_status,omitempty"`
	LastError     string          `json:"last_error,omitempty"`
	DeliveredAt   *time.Time      `json:"delivered_at,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	// LockedUntil is the lease of a deliverer that claimed the row: until
	// then no other deliverer takes it. Only on claimed rows.
	LockedUntil *time.Time `json:"-"`
}

// DeliveryResult is the outcome of one attempt to deliver.
type DeliveryResult struct {
	// Status is the new status: DeliveryDelivered, DeliveryPending (try
	// again after RetryIn) or DeliveryDead (give up).
	Status     string
	RetryIn    time.Duration // from now, for DeliveryPending
	HTTPStatus int           // the receiver's status; 0 if none came
	Error      string        // what went wrong, for the dead-letter view; no secrets
	// Lease is the LockedUntil of the claim: the result is recorded only
	// while that lease holds, so a deliverer that lost its lease to another
	// cannot overwrite the other's outcome.
	Lease time.Time
}

// DeliveryFilter selects deliveries.
type DeliveryFilter struct {
	ServiceID *string
	Status    *string
	After     string
	Limit     int
}

// WebhookSecret is a service's webhook signing secret, shown once.
type WebhookSecret struct {
	ServiceID string    `json:"service_id"`
	Secret    string    `json:"secret"` // whsec_<base64>
	CreatedAt time.Time `json:"created_at"`
}

// WebhookService manages event deliveries.
type WebhookService interface {
	// FindDeliveries lists deliveries, oldest first, and the cursor of the
	// next page. Admins see all; a service with the webhooks scope sees its
	// own. EFORBIDDEN for other callers.
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, string, error)
	// Redeliver puts a dead or delivered delivery back in the queue, due
	// now, with its attempts reset (admins only). It keeps its ID, so the
	// receiver sees the same webhook-id. ENOTFOUND; ECONFLICT (field
	// status) for a delivery that is still pending.
	Redeliver(ctx context.Context, id string) (*Delivery, error)
	// RotateWebhookSecret makes a new secret for a service's endpoint and
	// returns it, the only time it is shown; the old one stops signing at
	// once. Admins, and a service for itself with the webhooks scope;
	// ENOTFOUND for a service the caller may not see.
	RotateWebhookSecret(ctx context.Context, serviceID string) (*WebhookSecret, error)
}

// DeliveryQueue is what a deliverer needs of the outbox. Only the
// operator's own process calls it, with an admin caller; any other caller
// gets EFORBIDDEN.
type DeliveryQueue interface {
	// ClaimDeliveries takes up to limit due pending deliveries and leases
	// them for lease: until it runs out, no other claim returns them, in
	// this process or another.
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*Delivery, error)
	// WebhookTarget returns where and with which secret to deliver a
	// service's events. ECONFLICT when the service cannot take deliveries
	// now: no webhook URL (field endpoints.webhook), no secret or one that
	// does not open (field webhook_secret), or not approved (field status);
	// ENOTFOUND when the service does not exist.
	WebhookTarget(ctx context.Context, serviceID string) (url string, secret []byte, err error)
	// CompleteDelivery records the outcome of an attempt and ends the
	// lease. ECONFLICT (field lease) when the lease was lost; ENOTFOUND
	// when the delivery does not exist.
	CompleteDelivery(ctx context.Context, id string, result DeliveryResult) error
	// ReleaseDelivery hands a claimed delivery back without an attempt
	// recorded, so that the next claim, in this process or another, takes
	// it at once: a deliverer shutting down releases what it did not
	// finish. lease is the claim's LockedUntil; a lease that ran out (the
	// row may be another deliverer's now) is ECONFLICT (field lease), a
	// delivery that does not exist ENOTFOUND.
	ReleaseDelivery(ctx context.Context, id string, lease time.Time) error
}
