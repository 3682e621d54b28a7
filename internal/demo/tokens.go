// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// Files that keep the demo's tokens, in the directory of the database. The
// store keeps only hashes of tokens, so the demo writes each secret down
// the first time and reads it back on later runs.
const (
	AdminTokenFile   = "omadata.demo-token"
	ServiceTokenFile = "omadata.demo-service-token" // the Kirjasuositus sink
	SourceTokenFile  = "omadata.demo-source-token"  // the Helmet library-loans source
)

// TokenName is the name of the demo's admin token and service credentials.
const TokenName = "demo"

// Scopes of the demo's service credentials: what a full cycle needs, from
// declaring a processing to a transfer (see the README).
var (
	SinkScopes = []string{omadata.ScopeCatalogueRead, omadata.ScopeCatalogueWrite,
		omadata.ScopeConsents, omadata.ScopeDecisions, omadata.ScopeGrants}
	SourceScopes = []string{omadata.ScopeCatalogueRead, omadata.ScopeDecisions, omadata.ScopeTransfers}
)

// Tokens are the demo's secrets and the files that hold them.
type Tokens struct {
	Admin          string
	AdminFile      string
	Service        string // the sink's credential
	ServiceFile    string
	ServiceID      string // the sink the service token belongs to
	Source         string // the source's credential
	SourceFile     string
	SourceID       string // the source the source token belongs to
	AdminCreated   bool   // whether this run created the admin token
	ServiceCreated bool   // whether this run created the service token
	SourceCreated  bool   // whether this run created the source token
}

// EnsureTokens returns the demo admin token and the credentials of the
// demo sink (res.TokenServiceID, with SinkScopes) and the demo source
// (res.TokenSourceID, with SourceScopes), reusing the ones in dir's token
// files while they still authenticate with those scopes. Otherwise it
// revokes older tokens named "demo" of the same owner, creates new ones and
// writes them to the files with mode 0600.
func EnsureTokens(ctx context.Context, s Services, dir string, res *Result) (*Tokens, error) {
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	t := &Tokens{
		AdminFile:   filepath.Join(dir, AdminTokenFile),
		ServiceFile: filepath.Join(dir, ServiceTokenFile),
		ServiceID:   res.TokenServiceID,
		SourceFile:  filepath.Join(dir, SourceTokenFile),
		SourceID:    res.TokenSourceID,
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
	if t.Service, t.ServiceCreated, err = ensureCredential(ctx, s.Credentials, t.ServiceFile, t.ServiceID, SinkScopes); err != nil {
		return nil, err
	}
	if t.SourceID == "" { // a city of the demo network without sources (Turku)
		t.SourceFile = ""
		return t, nil
	}
	if t.Source, t.SourceCreated, err = ensureCredential(ctx, s.Credentials, t.SourceFile, t.SourceID, SourceScopes); err != nil {
		return nil, err
	}
	return t, nil
}

// ensureCredential returns the credential of serviceID in path while it
// authenticates with every scope, or replaces it with a new one.
func ensureCredential(ctx context.Context, creds omadata.CredentialService, path, serviceID string, scopes []string) (token string, created bool, err error) {
	token, err = reuse(ctx, creds, path, func(c omadata.Caller) bool {
		return c.Kind == omadata.CallerService && c.ServiceID == serviceID && !slices.ContainsFunc(scopes, func(s string) bool { return !c.HasScope(s) })
	})
	if err != nil || token != "" {
		return token, false, err
	}
	if err := revokeCredentials(ctx, creds, serviceID); err != nil {
		return "", false, err
	}
	c := &omadata.Credential{ServiceID: serviceID, Name: TokenName, Scopes: scopes}
	if err := creds.CreateCredential(ctx, c); err != nil {
		return "", false, fmt.Errorf("create demo credential: %w", err)
	} else if err := writeSecret(path, c.Token); err != nil {
		return "", false, err
	}
	return c.Token, true, nil
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
