// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"unicode/utf8"
)

// progressWidth is the longest status line shown, so that a line never
// wraps on an 80-column terminal, where "\r" would not reach its start.
const progressWidth = 79

// progress shows how long work is going (log verify, bench loading,
// migrate) on a terminal: each line written to it replaces the one before,
// in place, and Done clears it. When its writer is not a terminal, as in a
// pipe, a file or a CI log, it writes nothing.
type progress struct {
	mu    sync.Mutex
	w     io.Writer // nil when not a terminal
	buf   []byte    // an unfinished line
	shown bool      // a status line is on the screen
}

// newProgress returns a progress on w, which shows only if w is a terminal.
func newProgress(w io.Writer) *progress {
	if !isTerminal(w) {
		return &progress{}
	}
	return &progress{w: w}
}

// Write shows each complete line of b as the status line.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return len(b), nil
	}
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimRight(p.buf[:i], "\r")
		if utf8.RuneCount(line) > progressWidth {
			line = []byte(string([]rune(string(line))[:progressWidth-1]) + "…")
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.shown = true
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// Printf shows a status line.
func (p *progress) Printf(format string, args ...any) {
	fmt.Fprintf(p, format+"\n", args...)
}

// Done clears the status line, so that what is printed next starts on a
// clean line.
func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
	p.buf = p.buf[:0]
}

// isTerminal reports whether stream (a reader or a writer) is a terminal:
// a character device other than the null device, which is one too. The
// standard library's file mode tells, with no dependency on x/term.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}
