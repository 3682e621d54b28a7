// SPDX-License-Identifier: Apache-2.0

package keys

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/omadata/omadata"
)

// ActiveSigner signs with the active signing key of a purpose and follows
// rotations: "omadata keys rotate", or another instance, may make a new
// key at any time, and Refresh (which Run calls every few seconds) opens
// it. Keys it retires stay published, so what it signed before still
// verifies.
type ActiveSigner struct {
	svc     omadata.SigningKeyService
	sealer  *Sealer
	purpose string

	mu      sync.RWMutex
	current *RecordSigner
	err     error // of the last Refresh
}

var _ omadata.Signer = (*ActiveSigner)(nil)

// NewActiveSigner opens the active key of purpose, creating one when there
// is none (see Ensure).
func NewActiveSigner(ctx context.Context, svc omadata.SigningKeyService, s *Sealer, purpose string) (*ActiveSigner, *omadata.SigningKey, error) {
	k, err := Ensure(ctx, svc, s, purpose)
	if err != nil {
		return nil, nil, err
	}
	rs, err := NewRecordSigner(k, s)
	if err != nil {
		return nil, nil, fmt.Errorf("open the active signing key (was the secret key changed?): %w", err)
	}
	return &ActiveSigner{svc: svc, sealer: s, purpose: purpose, current: rs}, k, nil
}

// SigningKey returns the key ID and private key to sign with now.
func (a *ActiveSigner) SigningKey() (string, ed25519.PrivateKey) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.current.SigningKey()
}

// Refresh reads which key is active and, when it is another than the one
// in use, opens it and signs with it from then on. It returns the active
// key ID. On failure (no active key, or one the secret key cannot open)
// the signer keeps its key, and Err reports the failure until a Refresh
// succeeds.
func (a *ActiveSigner) Refresh(ctx context.Context) (string, error) {
	kid, err := a.refresh(ctx)
	a.mu.Lock()
	a.err = err
	a.mu.Unlock()
	return kid, err
}

func (a *ActiveSigner) refresh(ctx context.Context) (string, error) {
	k, err := Active(ctx, a.svc, a.purpose)
	if err != nil {
		return "", err
	} else if k == nil {
		return "", fmt.Errorf("no active %s signing key", a.purpose)
	}
	if kid, _ := a.SigningKey(); kid == k.ID {
		return kid, nil
	}
	rs, err := NewRecordSigner(k, a.sealer)
	if err != nil {
		return "", fmt.Errorf("open the new active signing key (was the secret key changed?): %w", err)
	}
	a.mu.Lock()
	a.current = rs
	a.mu.Unlock()
	return k.ID, nil
}

// Err returns the failure of the last Refresh, or nil: the signer may be
// signing with a key that is no longer the active one.
func (a *ActiveSigner) Err() error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.err
}

// Run calls Refresh every interval until ctx ends, logging key changes and
// failures.
func (a *ActiveSigner) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		before, _ := a.SigningKey()
		kid, err := a.Refresh(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("refresh the signing key", "purpose", a.purpose, "error", err.Error())
		} else if err == nil && kid != before {
			log.Info("signing with the new active key", "purpose", a.purpose, "kid", kid, "previous", before)
		}
	}
}
