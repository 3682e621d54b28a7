// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/omadata/omadata"
)

// Files that keep the demo's tokens, in the directory of the database. The
// store keeps only hashes of tokens, so the demo writes each secret down
// the first time and reads it back on later runs.
const (
	AdminTokenFile   = "omadata.demo-token"
	ServiceTokenFile = "omadata.demo-service-token"
)

// TokenName is the name of the demo's admin token and service credential.
const TokenName = "demo"

// Tokens are the demo's secrets and the files that hold them.
type Tokens struct {
	Admin          string
	AdminFile      string
	Service        string
	ServiceFile    string
	ServiceID      string // the service the service token belongs to
	AdminCreated   bool   // whether this run created the admin token
	ServiceCreated bool   // whether this run created the service token
}

// EnsureTokens returns the demo admin token and a catalogue credential of
// the sink serviceID, reusing the ones in dir's token files while they still
// authenticate. Otherwise it revokes older tokens named "demo", creates new
// ones and writes them to the files with mode 0600.
func EnsureTokens(ctx context.Context, s Services, dir, serviceID string) (*Tokens, error) {
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	t := &Tokens{
		AdminFile:   filepath.Join(dir, AdminTokenFile),
		ServiceFile: filepath.Join(dir, ServiceTokenFile),
		ServiceID:   serviceID,
	}
	var err error
	t.Admin, err = reuse(ctx, s.Credentials, t.AdminFile, func(c omadata.Caller) bool { return c.IsAdmin() })
	if err != nil {
		return nil, err
	}
	if t.Admin == "" {
		if err := revokeAdminTokens(ctx, s.Credentials); err != nil {
			return nil, err
		}
		a, err := s.Credentials.CreateAdminToken(ctx, TokenName)
		if err != nil {
			return nil, fmt.Errorf("create demo admin token: %w", err)
		} else if err := writeSecret(t.AdminFile, a.Token); err != nil {
			return nil, err
		}
		t.Admin, t.AdminCreated = a.Token, true
	}

	t.Service, err = reuse(ctx, s.Credentials, t.ServiceFile, func(c omadata.Caller) bool {
		return c.Kind == omadata.CallerService && c.ServiceID == serviceID
	})
	if err != nil {
		return nil, err
	}
	if t.Service == "" {
		if err := revokeCredentials(ctx, s.Credentials, serviceID); err != nil {
			return nil, err
		}
		c := &omadata.Credential{ServiceID: serviceID, Name: TokenName,
			Scopes: []string{omadata.ScopeCatalogueRead, omadata.ScopeCatalogueWrite}}
		if err := s.Credentials.CreateCredential(ctx, c); err != nil {
			return nil, fmt.Errorf("create demo service credential: %w", err)
		} else if err := writeSecret(t.ServiceFile, c.Token); err != nil {
			return nil, err
		}
		t.Service, t.ServiceCreated = c.Token, true
	}
	return t, nil
}

// reuse reads a token file and returns its token when it still
// authenticates as the caller ok expects; "" when the file is missing or its
// token is stale, as after the database was deleted.
func reuse(ctx context.Context, creds omadata.CredentialService, path string, ok func(omadata.Caller) bool) (string, error) {
	buf, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("read demo token: %w", err)
	}
	token := strings.TrimSpace(string(buf))
	c, err := creds.Authenticate(ctx, token)
	switch code := omadata.ErrorCode(err); {
	case err == nil && ok(c):
		return token, nil
	case err == nil, code == omadata.EUNAUTHORIZED, code == omadata.EFORBIDDEN:
		return "", nil
	default:
		return "", fmt.Errorf("check demo token: %w", err)
	}
}

// revokeAdminTokens revokes live admin tokens named "demo" whose secret
// was lost, so that no forgotten demo token stays valid.
func revokeAdminTokens(ctx context.Context, creds omadata.CredentialService) error {
	ts, err := creds.FindAdminTokens(ctx)
	if err != nil {
		return fmt.Errorf("find admin tokens: %w", err)
	}
	for _, a := range ts {
		if a.Name == TokenName && a.RevokedAt == nil {
			if _, err := creds.RevokeAdminToken(ctx, a.ID); err != nil {
				return fmt.Errorf("revoke stale demo admin token: %w", err)
			}
		}
	}
	return nil
}

func revokeCredentials(ctx context.Context, creds omadata.CredentialService, serviceID string) error {
	cs, err := creds.FindCredentials(ctx, serviceID)
	if err != nil {
		return fmt.Errorf("find credentials: %w", err)
	}
	for _, c := range cs {
		if c.Name == TokenName && c.RevokedAt == nil {
			if _, err := creds.RevokeCredential(ctx, serviceID, c.ID); err != nil {
				return fmt.Errorf("revoke stale demo credential: %w", err)
			}
		}
	}
	return nil
}

// writeSecret replaces path with secret, readable by the owner only. It
// writes a temporary file first, so a crash never leaves half a token.
func writeSecret(path, secret string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".omadata-secret-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	} else if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	} else if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
