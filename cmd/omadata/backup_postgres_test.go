// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestPGTool: pg_dump and pg_restore get a URL libpq takes, without the
// password (it goes in PGPASSWORD), with run-time settings such as
// search_path moved into options.
func TestPGTool(t *testing.T) {
	for _, tc := range []struct {
		name, url, conn, password, schema string
	}{
		{"plain", "postgres://omadata:s3cret@db:5432/omadata?sslmode=require",
			"postgres://omadata@db:5432/omadata?sslmode=require", "s3cret", ""},
		{"search_path", "postgres://omadata:s3cret@db/omadata?sslmode=disable&search_path=city,public",
			"postgres://omadata@db/omadata?options=-c+search_path%3Dcity%2Cpublic&sslmode=disable", "s3cret", "city"},
		{"password parameter", "postgresql://db/omadata?user=omadata&password=pw&application_name=x",
			"postgresql://db/omadata?application_name=x&user=omadata", "pw", ""},
		{"no password", "postgres://omadata@db/omadata", "postgres://omadata@db/omadata", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := newPGTool(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if pt.conn != tc.conn || pt.password != tc.password || pt.schema != tc.schema {
				t.Fatalf("got %q, %q, %q, want %q, %q, %q", pt.conn, pt.password, pt.schema, tc.conn, tc.password, tc.schema)
			}
		})
	}
}

// TestPGDumpNotOnPath: without pg_dump the backup says how to get it, and
// never shows the password.
func TestPGDumpNotOnPath(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := pgDump(context.Background(), "postgres://omadata:s3cret@127.0.0.1:1/omadata", filepath.Join(t.TempDir(), "omadata.dump"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump is not on PATH: install PostgreSQL's client tools") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v, want pg_dump not on PATH, without the password", err)
	}
}
