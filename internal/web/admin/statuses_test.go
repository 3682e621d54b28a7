// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestRequestTaskStatuses: a request's tasks show their status in the
// page's language, never a raw key such as status.open.
func TestRequestTaskStatuses(t *testing.T) {
	e := newEnv(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	matti, err := e.store.FindResidentByIdentityCode(adminCtx(), mattiCode)
	if err != nil {
		t.Fatal(err)
	}
	// The residents' source holds Matti, so his rectification is its task.
	if _, err := e.store.LinkResident(storetest.As(e.demo.IDs["service/helsinki-residents"]), mattiCode); err != nil {
		t.Fatal(err)
	}
	x, err := e.store.CreateRequest(storetest.AsResident(matti.ID), &omadata.RequestInput{
		Kind: omadata.RequestRectification, Details: "Osoitteeni on väärä."})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Tasks) == 0 {
		t.Fatal("the rectification has no task")
	}
	c := e.client(t)
	c.login("/admin/fi/login", "olli")
	for lang, want := range map[string]string{"fi": "avoin", "sv": "öppen", "en": "open"} {
		p := c.get("/admin/" + lang + "/requests/" + x.ID)
		if p.status != 200 {
			t.Fatalf("%s: %d", lang, p.status)
		}
		if strings.Contains(p.body, "status.") || !strings.Contains(p.body, ">"+want+"<") {
			t.Errorf("%s: the task's status is not %q: %s", lang, want, p.body[strings.Index(p.body, "<main"):])
		}
	}
}
