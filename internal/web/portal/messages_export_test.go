// SPDX-License-Identifier: Apache-2.0

package portal

// Messages gives the external tests the catalogue, to find raw keys on
// rendered pages.
func Messages() map[string][3]string { return messages }
