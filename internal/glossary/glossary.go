// SPDX-License-Identifier: Apache-2.0

// Package glossary reads docs/glossary.md, the terms the portal, the console
// and the demo content use in Finnish, Swedish and English, and finds the
// variants a text must not use. The message catalogues' and the demo's tests
// hold their texts to it.
package glossary

import (
	"bufio"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Languages are the glossary's languages, in the order of its columns and of
// the message catalogues.
var Languages = [3]string{"fi", "sv", "en"}

// Term is one concept of the glossary: its term in each language and the
// variants each language must avoid.
type Term struct {
	Concept string
	Terms   [3]string
	Not     [3][]string
	not     [3][]*regexp.Regexp
}

// Glossary is the parsed table.
type Glossary struct{ Terms []Term }

// Path is docs/glossary.md of this checkout, found from this file's place.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "glossary.md")
}

// Load parses the table whose header starts with "| Concept |".
func Load(path string) (*Glossary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g := &Glossary{}
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "| Concept |"):
			in = true
			continue
		case !in:
			continue
		case !strings.HasPrefix(line, "|"):
			in = false
			continue
		case strings.HasPrefix(line, "|---"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 8 {
			return nil, fmt.Errorf("%s:%d: %d cells, want 8", path, n, len(cells))
		}
		t := Term{Concept: strings.TrimSpace(cells[0])}
		for i := range Languages {
			t.Terms[i] = strings.TrimSpace(cells[1+i])
			for _, v := range strings.Split(cells[5+i], ";") {
				if v = strings.TrimSpace(v); v == "" || v == "–" {
					continue
				}
				t.Not[i] = append(t.Not[i], v)
				t.not[i] = append(t.not[i], variant(v))
			}
		}
		g.Terms = append(g.Terms, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(g.Terms) == 0 {
		return nil, fmt.Errorf("%s: no glossary table", path)
	}
	return g, nil
}

// variant matches v as a whole word or phrase; a variant starting with a
// lower-case letter also matches with a capital one.
func variant(v string) *regexp.Regexp {
	first, size := utf8.DecodeRuneInString(v)
	head := regexp.QuoteMeta(string(first))
	if unicode.IsLower(first) {
		head = "[" + string(first) + string(unicode.ToUpper(first)) + "]"
	}
	return regexp.MustCompile(`(?:^|[^\p{L}\p{N}])` + head + regexp.QuoteMeta(v[size:]) + `(?:$|[^\p{L}\p{N}])`)
}

// Violations lists, as "concept: variant", the variants text uses that the
// glossary forbids in language lang ("fi", "sv" or "en").
func (g *Glossary) Violations(lang, text string) []string {
	i := -1
	for j, l := range Languages {
		if l == lang {
			i = j
		}
	}
	if i < 0 {
		return nil
	}
	var out []string
	for _, t := range g.Terms {
		for k, re := range t.not[i] {
			if re.MatchString(text) {
				out = append(out, fmt.Sprintf("%s: %q (use %q)", t.Concept, t.Not[i][k], t.Terms[i]))
			}
		}
	}
	return out
}

// Term returns the concept's term in lang, or "" if there is none.
func (g *Glossary) Term(concept, lang string) string {
	for _, t := range g.Terms {
		if t.Concept == concept {
			for j, l := range Languages {
				if l == lang {
					return t.Terms[j]
				}
			}
		}
	}
	return ""
}

// CheckCatalogue lists the glossary's violations in a message catalogue of
// {fi, sv, en} texts, one line per key and variant, sorted.
func (g *Glossary) CheckCatalogue(messages map[string][3]string) []string {
	var out []string
	for key, m := range messages {
		for i, s := range m {
			for _, v := range g.Violations(Languages[i], s) {
				out = append(out, fmt.Sprintf("%s (%s): %s", key, Languages[i], v))
			}
		}
	}
	slices.Sort(out)
	return out
}

// CheckLabels lists the keys of labels whose text does not contain the
// glossary's term for their concept (compared without case): a label that
// names a processing says "käsittely", not "käyttötarkoitus".
func (g *Glossary) CheckLabels(messages map[string][3]string, concepts map[string]string) []string {
	var out []string
	for key, concept := range concepts {
		for i, lang := range Languages {
			term, _, _ := strings.Cut(g.Term(concept, lang), " (")
			if term == "" {
				out = append(out, fmt.Sprintf("%s: no concept %q in the glossary", key, concept))
				continue
			}
			if !strings.Contains(strings.ToLower(messages[key][i]), strings.ToLower(term)) {
				out = append(out, fmt.Sprintf("%s (%s): %q does not say %q (%s)", key, lang, messages[key][i], term, concept))
			}
		}
	}
	slices.Sort(out)
	return out
}

var tagRE = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<textarea.*?</textarea>|<[^>]*>`)

// PageText is the text an HTML page shows: its tags removed, its entities
// decoded, one space between the pieces. A textarea's content is left out:
// it is a text being edited, in the language its label names (a Finnish
// description on a Swedish page), as are inputs' values.
func PageText(page string) string {
	return html.UnescapeString(tagRE.ReplaceAllString(page, " "))
}

var (
	tableEndRE = regexp.MustCompile(`</table>(?:\s|</div>)*(\{\{[^}]*\}\})?`)
	neverEmpty = regexp.MustCompile(`\{\{/\*\s*never empty:`)
)

// EmptyTables lists the tables of a template that could be empty yet say
// nothing then: a table ends with an {{else}} that says there is nothing,
// or with a comment {{/* never empty: why */}}.
func EmptyTables(template string) []int {
	var out []int
	for _, m := range tableEndRE.FindAllStringSubmatchIndex(template, -1) {
		action := ""
		if m[2] >= 0 {
			action = template[m[2]:m[3]]
		}
		if action != "{{else}}" && !neverEmpty.MatchString(action) {
			out = append(out, 1+strings.Count(template[:m[0]], "\n"))
		}
	}
	return out
}

var keyLikeRE = regexp.MustCompile(`[a-z][a-z0-9]*(?:\.[a-z0-9_:-]+)+`)

// RawKeys lists what looks like a message key in a page's text, such as
// "status.open": a word whose part before the first dot starts a key of the
// catalogue. A page shows one when a template asks for a text that is
// missing.
func RawKeys(text string, messages map[string][3]string) []string {
	prefixes := map[string]bool{}
	for k := range messages {
		if p, _, ok := strings.Cut(k, "."); ok {
			prefixes[p] = true
		}
	}
	var out []string
	for _, w := range keyLikeRE.FindAllString(text, -1) {
		if p, _, _ := strings.Cut(w, "."); prefixes[p] {
			out = append(out, w)
		}
	}
	return out
}
