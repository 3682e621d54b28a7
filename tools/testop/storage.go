// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/rand"
	"sync"

	exstorage "github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/omadata/omadata/tools/testop/config"
)

// storage is the example server's in-memory storage with this
// configuration's users and clients, each user's claims and acr in the ID
// token, registered post-logout redirect URIs, and login sessions.
type storage struct {
	*exstorage.Storage
	users      users
	postLogout map[string][]string // by client ID

	mu       sync.Mutex
	sessions map[string]string // session ID → username
}

func newStorage(cfg config.Config) *storage {
	us := users{byName: map[string]config.User{}}
	for _, u := range cfg.Users {
		us.byName[u.Username] = u
	}
	clients := map[string]*exstorage.Client{}
	postLogout := map[string][]string{}
	for _, c := range cfg.Clients {
		clients[c.ID] = exstorage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
		postLogout[c.ID] = c.PostLogoutRedirectURIs
	}
	return &storage{
		Storage: exstorage.NewStorageWithClients(us, clients), users: us,
		postLogout: postLogout, sessions: map[string]string{},
	}
}

// users is an exstorage.UserStore whose user IDs are usernames.
type users struct{ byName map[string]config.User }

func (us users) GetUserByID(id string) *exstorage.User { return us.GetUserByUsername(id) }

func (us users) GetUserByUsername(name string) *exstorage.User {
	u, ok := us.byName[name]
	if !ok {
		return nil
	}
	return &exstorage.User{ID: u.Username, Username: u.Username, Password: u.Password}
}

func (us users) ExampleClientID() string { return "" }

func (s *storage) startSession(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := rand.Text()
	s.sessions[id] = username
	return id
}

func (s *storage) sessionUser(id string) (config.User, bool) {
	s.mu.Lock()
	name, ok := s.sessions[id]
	s.mu.Unlock()
	if !ok {
		return config.User{}, false
	}
	u, ok := s.users.byName[name]
	return u, ok
}

func (s *storage) endSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

// client adds the registered post-logout redirect URIs, which the
// example's client does not keep.
type client struct {
	op.Client
	postLogout []string
}

func (c client) PostLogoutRedirectURIs() []string { return c.postLogout }

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return client{Client: c, postLogout: s.postLogout[id]}, nil
}

// authRequest gives the login the acr its user has.
type authRequest struct {
	op.AuthRequest
	acr string
}

func (a authRequest) GetACR() string { return a.acr }

func (s *storage) wrap(a op.AuthRequest, err error) (op.AuthRequest, error) {
	if err != nil {
		return nil, err
	}
	return authRequest{AuthRequest: a, acr: s.users.byName[a.GetSubject()].ACR}, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.wrap(s.Storage.AuthRequestByID(ctx, id))
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	return s.wrap(s.Storage.AuthRequestByCode(ctx, code))
}

// SetUserinfoFromRequest puts the user's claims into the ID token, at its
// top level.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, token, scopes); err != nil {
		return err
	}
	for k, v := range s.users.byName[token.GetSubject()].Claims {
		if name, ok := v.(string); ok && k == "name" {
			info.Name = name
			continue
		}
		info.AppendClaims(k, v)
	}
	return nil
}
