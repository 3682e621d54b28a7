// SPDX-License-Identifier: Apache-2.0

package openapi

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMerge(t *testing.T) {
	base := `{"openapi":"3.1.0","tags":[{"name":"a"}],"paths":{"/a":{}},"components":{"schemas":{"A":{}}}}`
	fsys := fstest.MapFS{
		"openapi.json": {Data: []byte(base)},
		"parts/b.json": {Data: []byte(`{"tags":[{"name":"b"}],"paths":{"/b":{}},"components":{"schemas":{"B":{}},"parameters":{"P":{}}}}`)},
		"parts/README": {Data: []byte("ignored")},
	}
	b, err := merge(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags       []map[string]string
		Paths      map[string]any
		Components map[string]map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tags) != 2 || doc.Paths["/b"] == nil || doc.Components["schemas"]["B"] == nil || doc.Components["parameters"]["P"] == nil {
		t.Fatalf("got %s", b)
	}
	fsys["parts/c.json"] = &fstest.MapFile{Data: []byte(`{"components":{"schemas":{"A":{}}}}`)}
	if _, err := merge(fsys); err == nil || !strings.Contains(err.Error(), `"A" is defined twice`) {
		t.Fatalf("got %v, want a duplicate error", err)
	}
	if len(Document) == 0 {
		t.Fatal("empty document")
	}
}
