// SPDX-License-Identifier: Apache-2.0

package omadata

// All reads every page of a list that a service returns a page at a time:
// find gets the cursor after which to read ("" for the first page) and
// returns a page and the next cursor, "" after the last page.
func All[T any](find func(after string) ([]T, string, error)) ([]T, error) {
	var out []T
	after := ""
	for {
		list, next, err := find(after)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if next == "" || len(list) == 0 {
			return out, nil
		}
		after = next
	}
}
