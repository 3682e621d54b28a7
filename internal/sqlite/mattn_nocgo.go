// SPDX-License-Identifier: Apache-2.0

//go:build sqlite_mattn && !cgo

package sqlite

// mattn's driver is C: without cgo it compiles to a stub that fails at the
// first query. Stop the build instead.
var _ = sqlite_mattn_needs_cgo_set_CGO_ENABLED_1
