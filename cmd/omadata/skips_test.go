// SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"testing"

	"github.com/omadata/omadata/internal/skips"
)

// TestMain says in one line which tests skipped for want of PostgreSQL or
// a browser, and why.
func TestMain(m *testing.M) { os.Exit(skips.Main(m)) }
