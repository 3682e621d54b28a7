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
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, string, error)
	// Redeliver puts a delivery (typically dead) back in the queue.
	Redeliver(ctx context.Context, id string) (*Delivery, error)
	// RotateWebhookSecret makes a new secret for a service's endpoint.
	RotateWebhookSecret(ctx context.Context, serviceID string) (*WebhookSecret, error)
}
