// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"os/exec"
	"syscall"
)

// command returns the command running bin with args, killed when ctx ends
// and, should the bench die first, when its parent thread does.
func command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}
