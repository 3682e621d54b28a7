// SPDX-License-Identifier: Apache-2.0

package webui

import "strings"

// FormText returns a submitted text as the store takes it: line breaks as
// "\n" (browsers send a textarea's as "\r\n", and the text rule,
// omadata.CheckText, refuses a carriage return) and no space around it.
func FormText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
}
