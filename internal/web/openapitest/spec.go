// SPDX-License-Identifier: Apache-2.0

// Package openapitest checks requests and responses against the OpenAPI 3.1
// document, so that tests catch the server and the document drifting apart.
// It lives apart from package openapi to keep the schema compiler out of the
// operator's binary.
package openapitest

import (
	"bytes"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/omadata/omadata/internal/web/openapi"
)

// documentURL names the document inside the schema compiler. It is never
// fetched.
const documentURL = "https://omadata.invalid/openapi.json"

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Spec is the compiled document: the schema of every request body and
// response of every operation.
type Spec struct {
	ops     map[string]*operation         // by "METHOD /path"
	schemas map[string]*jsonschema.Schema // components/schemas by name
	loader  *loader
}

type operation struct {
	request   *requestBody                          // nil when the operation takes no body
	responses map[int]map[string]*jsonschema.Schema // status → media type → schema; nil: not JSON, not checked
}

type requestBody struct {
	required bool
	media    map[string]*jsonschema.Schema
}

// Load parses openapi.Document and compiles its schemas, and those of every
// operation, once.
// OpenAPI 3.1 schemas are JSON Schema 2020-12; formats such as date-time
// are asserted, not just annotations.
func Load() (*Spec, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapi.Document))
	if err != nil {
		return nil, fmt.Errorf("openapi: parse document: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(documentURL, doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	l := &loader{doc: doc, c: c}
	s := &Spec{ops: map[string]*operation{}, schemas: map[string]*jsonschema.Schema{}, loader: l}
	components, _ := lookup(doc, "/components/schemas").(map[string]any)
	for name := range components {
		sch, err := l.compile("/components/schemas/" + escape(name))
		if err != nil {
			return nil, fmt.Errorf("openapi: schema %s: %w", name, err)
		}
		s.schemas[name] = sch
	}
	paths, ok := lookup(doc, "/paths").(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi: no paths")
	}
	for path, item := range paths {
		item, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("openapi: path %s: not an object", path)
		}
		for _, m := range methods {
			if _, ok := item[m]; !ok {
				continue
			}
			ptr := "/paths/" + escape(path) + "/" + m
			op, err := l.operation(ptr)
			if err != nil {
				return nil, fmt.Errorf("openapi: %s %s: %w", strings.ToUpper(m), path, err)
			}
			s.ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return s, nil
}

// Operations returns every operation as "METHOD /path/{param}", sorted.
func (s *Spec) Operations() []string {
	ops := make([]string, 0, len(s.ops))
	for k := range s.ops {
		ops = append(ops, k)
	}
	slices.Sort(ops)
	return ops
}

// ValidateResponse checks a response of the operation at method and
// pattern, a ServeMux pattern path such as /api/v1/services/{id}. It fails
// when the operation, the status or the content type is not documented, or
// when a JSON body does not match the documented schema. Other bodies, such
// as the Prometheus text of /metrics, are not checked.
func (s *Spec) ValidateResponse(method, pattern string, status int, contentType string, body []byte) error {
	op, err := s.operation(method, pattern)
	if err != nil {
		return err
	}
	media, ok := op.responses[status]
	if !ok {
		return fmt.Errorf("openapi: %s %s: status %d is not documented", method, pattern, status)
	}
	if len(media) == 0 {
		if len(body) > 0 {
			return fmt.Errorf("openapi: %s %s: status %d has no documented body, got %d bytes", method, pattern, status, len(body))
		}
		return nil
	}
	sch, err := mediaSchema(media, contentType)
	if err != nil {
		return fmt.Errorf("openapi: %s %s: status %d: %w", method, pattern, status, err)
	}
	if err := validate(sch, body); err != nil {
		return fmt.Errorf("openapi: %s %s: status %d: %w", method, pattern, status, err)
	}
	return nil
}

// ValidateRequest checks a JSON request body of the operation at method and
// pattern. An empty body is valid only where the operation takes none or
// its body is optional.
func (s *Spec) ValidateRequest(method, pattern string, body []byte) error {
	op, err := s.operation(method, pattern)
	if err != nil {
		return err
	}
	switch {
	case op.request == nil && len(body) == 0:
		return nil
	case op.request == nil:
		return fmt.Errorf("openapi: %s %s takes no request body, got %d bytes", method, pattern, len(body))
	case len(body) == 0 && op.request.required:
		return fmt.Errorf("openapi: %s %s: request body required", method, pattern)
	case len(body) == 0:
		return nil
	}
	sch, err := mediaSchema(op.request.media, "application/json")
	if err != nil {
		return fmt.Errorf("openapi: %s %s: request: %w", method, pattern, err)
	}
	if err := validate(sch, body); err != nil {
		return fmt.Errorf("openapi: %s %s: request: %w", method, pattern, err)
	}
	return nil
}

func (s *Spec) operation(method, pattern string) (*operation, error) {
	op, ok := s.ops[strings.ToUpper(method)+" "+pattern]
	if !ok {
		return nil, fmt.Errorf("openapi: %s %s is not documented", method, pattern)
	}
	return op, nil
}

// mediaSchema returns the schema documented for contentType, nil for a
// documented media type that is not JSON.
func mediaSchema(media map[string]*jsonschema.Schema, contentType string) (*jsonschema.Schema, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("content type %q: %w", contentType, err)
	}
	sch, ok := media[mt]
	if !ok {
		documented := make([]string, 0, len(media))
		for k := range media {
			documented = append(documented, k)
		}
		slices.Sort(documented)
		return nil, fmt.Errorf("content type %q is not documented; want one of %s", mt, strings.Join(documented, ", "))
	}
	return sch, nil
}

func validate(sch *jsonschema.Schema, body []byte) error {
	if sch == nil {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return sch.Validate(v)
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// loader compiles the schemas of the parsed document.
type loader struct {
	doc any
	c   *jsonschema.Compiler
}

func (l *loader) operation(ptr string) (*operation, error) {
	op := &operation{responses: map[int]map[string]*jsonschema.Schema{}}
	if _, ok := lookup(l.doc, ptr+"/requestBody").(map[string]any); ok {
		bptr, body, err := l.deref(ptr + "/requestBody")
		if err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		required, _ := body["required"].(bool)
		media, err := l.content(bptr)
		if err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		op.request = &requestBody{required: required, media: media}
	}
	responses, ok := lookup(l.doc, ptr+"/responses").(map[string]any)
	if !ok || len(responses) == 0 {
		return nil, fmt.Errorf("no responses")
	}
	for key := range responses {
		status, err := strconv.Atoi(key)
		if err != nil || status < 100 || status > 599 {
			return nil, fmt.Errorf("response %q: only numeric statuses are supported", key)
		}
		rptr, _, err := l.deref(ptr + "/responses/" + escape(key))
		if err != nil {
			return nil, fmt.Errorf("response %s: %w", key, err)
		}
		media, err := l.content(rptr)
		if err != nil {
			return nil, fmt.Errorf("response %s: %w", key, err)
		}
		op.responses[status] = media
	}
	return op, nil
}

// content compiles the JSON schemas of the content map of the request
// body or response at ptr.
func (l *loader) content(ptr string) (map[string]*jsonschema.Schema, error) {
	media := map[string]*jsonschema.Schema{}
	content, _ := lookup(l.doc, ptr+"/content").(map[string]any)
	for mt, m := range content {
		m, _ := m.(map[string]any)
		if _, ok := m["schema"]; !ok || !isJSON(mt) {
			media[mt] = nil
			continue
		}
		sch, err := l.compile(ptr + "/content/" + escape(mt) + "/schema")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mt, err)
		}
		media[mt] = sch
	}
	return media, nil
}

// compile compiles the schema at the JSON pointer ptr of the document.
func (l *loader) compile(ptr string) (*jsonschema.Schema, error) {
	u, err := url.Parse(documentURL)
	if err != nil {
		return nil, err
	}
	u.Fragment = ptr
	return l.c.Compile(u.String())
}

// deref follows a local $ref at ptr, as response and request body objects
// may have, and returns where the object really is.
func (l *loader) deref(ptr string) (string, map[string]any, error) {
	for range 10 {
		obj, ok := lookup(l.doc, ptr).(map[string]any)
		if !ok {
			return "", nil, fmt.Errorf("%s: not an object", ptr)
		}
		ref, ok := obj["$ref"].(string)
		if !ok {
			return ptr, obj, nil
		}
		target, ok := strings.CutPrefix(ref, "#")
		if !ok {
			return "", nil, fmt.Errorf("%s: only local references are supported, got %q", ptr, ref)
		}
		ptr = target
	}
	return "", nil, fmt.Errorf("%s: too many references", ptr)
}

// lookup returns the value at the JSON pointer ptr of doc, or nil.
func lookup(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	v := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// escape escapes one JSON pointer token.
func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
