// SPDX-License-Identifier: Apache-2.0

// Package openapi holds the OpenAPI 3.1 document of the HTTP API. Package
// openapitest checks the server against it.
package openapi

import _ "embed"

// Document is the OpenAPI 3.1 document of the API, served at /openapi.json.
//
//go:embed openapi.json
var Document []byte
