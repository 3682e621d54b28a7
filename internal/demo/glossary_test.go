// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/glossary"
)

// texts collects every text in a language that v holds: the values of each
// omadata.Text and the title and body of each notice, keyed by where they
// are.
func texts(path string, v reflect.Value, out map[string][3]string) {
	switch {
	case v.Type() == reflect.TypeOf(omadata.Text{}):
		var m [3]string
		for i, l := range glossary.Languages {
			if x := v.MapIndex(reflect.ValueOf(l)); x.IsValid() {
				m[i] = x.String()
			}
		}
		out[path] = m
		return
	case v.Type() == reflect.TypeOf(omadata.Notice{}):
		for i, l := range glossary.Languages {
			if v.FieldByName("Language").String() == l {
				var m [3]string
				m[i] = v.FieldByName("Title").String() + "\n" + v.FieldByName("Body").String()
				out[path+"."+l] = m
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			texts(path+"."+v.Type().Field(i).Name, v.Field(i), out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			texts(path+"["+strconv.Itoa(i)+"]", v.Index(i), out)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			texts(path, v.Elem(), out)
		}
	}
}

// TestGlossary holds the demo's organisations, services, data groups,
// processings, notices, AI systems and residents to docs/glossary.md, and
// gives every recipient a name in each language.
func TestGlossary(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][3]string{}
	texts("content", reflect.ValueOf(content()), all)
	texts("people", reflect.ValueOf(People()), all)
	texts("network services", reflect.ValueOf(networkServices()), all)
	texts("network processings", reflect.ValueOf(networkProcessings()), all)
	texts("network people", reflect.ValueOf(cityPeople), all)
	if len(all) < 50 {
		t.Fatalf("found only %d texts: the walk misses the content", len(all))
	}
	for _, p := range g.CheckCatalogue(all) {
		t.Error(p)
	}
	for _, p := range append(content().processings, networkProcessings()...) {
		for _, r := range p.d.Recipients {
			for _, l := range omadata.Languages {
				if r.Names[l] == "" {
					t.Errorf("%s: recipient %q has no name in %s", p.d.Code, r.Name, l)
				}
			}
		}
	}
}
