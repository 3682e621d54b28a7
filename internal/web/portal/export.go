// SPDX-License-Identifier: Apache-2.0

package portal

// StylesheetURL is the checksummed URL of the portal's stylesheet, which
// the admin console shares for the same look.
func StylesheetURL() string { return stylesheet }
