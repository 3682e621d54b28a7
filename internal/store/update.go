// SPDX-License-Identifier: Apache-2.0

package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"

	"github.com/omadata/omadata"
)

// errUnchanged is returned by an edit that changed nothing, so that its
// caller answers with the record and writes nothing.
var errUnchanged = errors.New("unchanged")

// requireField refuses an update that sets no field. u is an XxxUpdate,
// a struct of pointers, nil where a field is not given (a JSON null
// included), so a PATCH of {} or of nulls only is refused here rather
// than answered as if it changed something.
func requireField(u any) error {
	v := reflect.ValueOf(u)
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			return nil
		}
	}
	return omadata.Invalidf("body", "Send at least one field to change.")
}

// snapshot is a record's JSON form, taken before an update is applied, so
// that unchanged can tell an update that changes nothing: such an update
// writes nothing (no row, no admin change, no log leaf, no updated_at).
func snapshot(record any) []byte {
	b, err := json.Marshal(record)
	if err != nil {
		return nil // never equal: the update goes ahead
	}
	return b
}

// unchanged reports whether record is as its snapshot before shows it.
func unchanged(before []byte, record any) bool {
	return before != nil && bytes.Equal(before, snapshot(record))
}
