// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package bench

import (
	"context"
	"os/exec"
)

// command returns the command running bin with args, killed when ctx ends.
func command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, bin, args...)
}
