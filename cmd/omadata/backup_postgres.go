// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// libpqParams are the connection parameters pg_dump and pg_restore take
// in a URL; any other the URL holds is a run-time setting, which pgx sends
// on connecting (such as search_path) and libpq takes in "options".
var libpqParams = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "passfile": true,
	"channel_binding": true, "connect_timeout": true, "client_encoding": true, "options": true,
	"application_name": true, "fallback_application_name": true, "keepalives": true,
	"keepalives_idle": true, "keepalives_interval": true, "keepalives_count": true,
	"tcp_user_timeout": true, "gssencmode": true, "sslmode": true, "sslcompression": true,
	"sslcert": true, "sslkey": true, "sslpassword": true, "sslrootcert": true, "sslcrl": true,
	"sslcrldir": true, "sslsni": true, "requirepeer": true, "ssl_min_protocol_version": true,
	"ssl_max_protocol_version": true, "krbsrvname": true, "gsslib": true, "service": true,
	"target_session_attrs": true,
}

// pgTool is how pg_dump or pg_restore reaches the database: a URL libpq
// takes, without the password, which goes in PGPASSWORD so that no process
// listing or error shows it, and the schema the URL's search_path names.
type pgTool struct {
	conn, password, schema string
}

func newPGTool(rawURL string) (*pgTool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Never echo the URL: it may hold a password.
		return nil, errors.New("--database: not a valid postgres:// URL")
	}
	t := &pgTool{}
	if u.User != nil {
		t.password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if p := q.Get("password"); p != "" {
		t.password = p
	}
	q.Del("password")
	var opts []string
	if o := q.Get("options"); o != "" {
		opts = append(opts, o)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		vs := q[k]
		if libpqParams[k] {
			continue
		}
		if k == "search_path" {
			t.schema, _, _ = strings.Cut(vs[0], ",")
			t.schema = strings.TrimSpace(t.schema)
		}
		opts = append(opts, "-c "+k+"="+strings.ReplaceAll(vs[0], " ", `\ `))
		q.Del(k)
	}
	if len(opts) > 0 {
		q.Set("options", strings.Join(opts, " "))
	}
	u.RawQuery = q.Encode()
	t.conn = u.String()
	return t, nil
}

// run runs the tool named by name with args and the database's
// connection, and returns its error output in the error.
func (t *pgTool) run(ctx context.Context, name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not on PATH: install PostgreSQL's client tools of the server's major version or newer (Debian: apt-get install postgresql-client), or run it as docs/operations.md shows", name)
	}
	cmd := exec.CommandContext(ctx, path, append(args, "--dbname="+t.conn)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+t.password)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if t.password != "" {
			msg = strings.ReplaceAll(msg, t.password, "xxxxx")
		}
		return fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	return nil
}

// pgDump dumps the database of dbURL into path (which must not exist) in
// pg_dump's custom format: one snapshot, in a repeatable-read transaction,
// so the dump is consistent while the operator writes. With a search_path
// only its first schema is dumped.
func pgDump(ctx context.Context, dbURL, path string) error {
	t, err := newPGTool(dbURL)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup into %s: the file exists", path)
	}
	args := []string{"--format=custom", "--file=" + path}
	if t.schema != "" {
		args = append(args, "--schema="+t.schema)
	}
	if err := t.run(ctx, "pg_dump", args...); err != nil {
		os.Remove(path)
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// pgRestore restores the dump at path into the database of dbURL in one
// transaction: all of it or nothing. Owners and privileges are the
// restoring user's, not the backed-up database's.
func pgRestore(ctx context.Context, dbURL, path string) error {
	t, err := newPGTool(dbURL)
	if err != nil {
		return err
	}
	return t.run(ctx, "pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", path)
}
