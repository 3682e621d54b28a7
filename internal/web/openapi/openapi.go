// SPDX-License-Identifier: Apache-2.0

// Package openapi holds the OpenAPI 3.1 document of the HTTP API. Package
// openapitest checks the server against it.
//
// The document is openapi.json plus every file in parts/, each an object
// with "tags", "paths" and "components" to merge in, so that each area of
// the API keeps its own part. A name defined twice is a build-time error,
// reported by the tests and by Document's panic at start-up.
package openapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed openapi.json parts
var files embed.FS

// Document is the OpenAPI 3.1 document of the API, served at /openapi.json.
var Document = mustMerge()

func mustMerge() []byte {
	b, err := merge(files)
	if err != nil {
		panic(err) // the embedded document is broken: caught by every test
	}
	return b
}

func merge(fsys fs.FS) ([]byte, error) {
	base, err := fs.ReadFile(fsys, "openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	names, err := fs.Glob(fsys, "parts/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for key, v := range part {
			switch key {
			case "paths":
				if err := mergeObject(doc, "paths", v, name); err != nil {
					return nil, err
				}
			case "components":
				comps, _ := v.(map[string]any)
				docComps, _ := doc["components"].(map[string]any)
				for kind, defs := range comps {
					if err := mergeObject(docComps, kind, defs, name); err != nil {
						return nil, err
					}
				}
			case "tags":
				tags, _ := v.([]any)
				doc["tags"] = append(doc["tags"].([]any), tags...)
			default:
				return nil, fmt.Errorf("%s: unknown key %q; a part has tags, paths and components", name, key)
			}
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// mergeObject adds the members of src to dst[key], refusing duplicates.
func mergeObject(dst map[string]any, key string, src any, from string) error {
	add, ok := src.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: %s is not an object", from, key)
	}
	into, _ := dst[key].(map[string]any)
	if into == nil {
		into = map[string]any{}
		dst[key] = into
	}
	for name, v := range add {
		if _, dup := into[name]; dup {
			return fmt.Errorf("%s: %s %q is defined twice", from, key, name)
		}
		into[name] = v
	}
	return nil
}
