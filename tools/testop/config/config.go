// SPDX-License-Identifier: Apache-2.0

// Package config is the JSON configuration of tools/testop, the OpenID
// provider the login tests run (see internal/oidctest).
package config

// Config is the JSON file testop reads.
type Config struct {
	// Issuer is used exactly as given, a trailing "/" included.
	Issuer  string   `json:"issuer"`
	Listen  string   `json:"listen"` // 127.0.0.1:0 when empty
	Clients []Client `json:"clients"`
	Users   []User   `json:"users"`
	// Misbehave makes the provider issue ID tokens a relying party must
	// refuse.
	Misbehave Misbehave `json:"misbehave"`
}

// Client is a confidential web client.
type Client struct {
	ID                     string   `json:"id"`
	Secret                 string   `json:"secret"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
}

// User is someone who can log in.
type User struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Claims go into the ID token as top-level claims
	// (national_id_num, name, ...).
	Claims map[string]any `json:"claims"`
	ACR    string         `json:"acr"` // the acr their login gets
}

// Misbehave are the test knobs.
type Misbehave struct {
	ExtraAudiences []string `json:"extra_audiences"` // added to the ID token's aud
	AZP            string   `json:"azp"`             // replaces the ID token's azp
	DropAZP        bool     `json:"drop_azp"`        // removes azp
}
