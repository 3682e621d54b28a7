// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/web"
)

// sizeRoutes stands in for the network endpoint's routes: it answers how
// much of the body it could read, or 413 past the server's cap.
type sizeRoutes struct{}

func (sizeRoutes) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /network/v1/size", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		io.WriteString(w, strconv.Itoa(len(b)))
	})
}

// TestNetworkBodyLimit: OMADATA_MAX_BODY_BYTES lowers the API's body
// limit but not the 1 MiB docs/network.md §7 promises peers.
func TestNetworkBodyLimit(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.MaxBodyBytes = 64 << 10; o.Network = sizeRoutes{} })
	r := e.call(t, "POST", "/network/v1/size", "", "application/json", strings.NewReader(strings.Repeat(" ", network.MaxBody)))
	if r.status != 200 || string(r.body) != strconv.Itoa(network.MaxBody) {
		t.Errorf("1 MiB to the network endpoint: got %d %s, want all of it read", r.status, r.body)
	}
	r = e.call(t, "POST", "/network/v1/size", "", "application/json", strings.NewReader(strings.Repeat(" ", network.MaxBody+1)))
	if r.status != 413 {
		t.Errorf("1 MiB + 1 to the network endpoint: got %d, want 413", r.status)
	}
	r = e.call(t, "POST", "/api/v1/admin-tokens", e.admin, "application/json", strings.NewReader(`{"name":"`+strings.Repeat("x", 64<<10)+`"}`))
	if r.status != 413 {
		t.Errorf("over the API's limit: got %d, want 413", r.status)
	}
}
