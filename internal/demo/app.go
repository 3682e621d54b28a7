// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"

	"github.com/omadata/omadata"
)

// AppID is the client_id of the demo's registered app, fixed so that the
// walk-through of docs/apps.md works against any demo operator.
const AppID = "app_0000000000000000000000dem0"

// AppRedirectURI is the demo app's redirect URI: a loopback one, which
// matches on any port (RFC 8252 §7.3), for a native app or a script.
const AppRedirectURI = "http://127.0.0.1/callback"

// App is the demo's resident app: a public client with both scopes.
func App() *omadata.App {
	return &omadata.App{
		ID:   AppID,
		Name: omadata.Text{"fi": "OmaData-esimerkkisovellus", "sv": "MinData-exempelapp", "en": "MyData demo app"},
		Description: omadata.Text{
			"fi": "Esimerkkisovellus, joka näyttää suostumuksesi ja tietojesi käytön ja voi muuttaa suostumuksiasi puolestasi.",
			"sv": "En exempelapp som visar dina samtycken och hur dina uppgifter används och kan ändra dina samtycken åt dig.",
			"en": "An example app that shows your consents and the use of your data, and can change your consents for you.",
		},
		Publisher:    "The omadata project",
		RedirectURIs: []string{AppRedirectURI},
		Scopes:       []string{omadata.AppScopeRead, omadata.AppScopeWrite},
	}
}

// LoadApp registers the demo app unless it is there; it reports whether
// it created it. It acts as an operator admin whatever the caller in ctx.
func LoadApp(ctx context.Context, apps omadata.AppService) (bool, error) {
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	if _, err := apps.FindApp(ctx, AppID); err == nil {
		return false, nil
	} else if omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return false, err
	}
	return true, apps.CreateApp(ctx, App())
}
