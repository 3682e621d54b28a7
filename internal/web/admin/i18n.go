// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"fmt"
	_ "time/tzdata"
)

// msg returns the text of key in lang; a missing key shows as itself, and
// TestMessages catches it.
func msg(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	switch lang {
	case "sv":
		return m[1]
	case "en":
		return m[2]
	}
	return m[0]
}

func msgf(lang, key string, args ...any) string { return fmt.Sprintf(msg(lang, key), args...) }
