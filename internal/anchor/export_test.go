// SPDX-License-Identifier: Apache-2.0

package anchor

import "context"

// BeginForTest begins a transaction that holds the database's write lock
// (it has written), as a serving anchor's refresh does.
func (d *DB) BeginForTest(ctx context.Context) (interface{ Rollback() error }, error) {
	t, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.exec(ctx, `INSERT INTO anchor_settings (name, value) VALUES ('test_lock', 'x')`); err != nil {
		t.Rollback()
		return nil, err
	}
	return t, nil
}
