// SPDX-License-Identifier: Apache-2.0

package store

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
)

// jsonValue stores a Go value in a JSON text column.
type jsonValue struct{ v any }

// Value implements driver.Valuer.
func (j jsonValue) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// jsonScan reads a JSON text column into a Go value.
type jsonScan struct{ v any }

// Scan implements sql.Scanner.
func (j jsonScan) Scan(src any) error {
	switch s := src.(type) {
	case string:
		return json.Unmarshal([]byte(s), j.v)
	case []byte:
		return json.Unmarshal(s, j.v)
	}
	return errors.New("store: cannot scan JSON")
}
