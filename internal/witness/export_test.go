// SPDX-License-Identifier: Apache-2.0

package witness

import "time"

// SetNow sets the handler's clock, for tests of its proof cache.
func SetNow(h *Handler, now func() time.Time) { h.now = now }
