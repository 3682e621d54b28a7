// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// TestStaffCommands: the first operator admin is made from the command
// line with the identity code on standard input; the member is found by
// the keyring the server uses; the code appears in no output; the last
// operator admin stays; a removed member is gone.
func TestStaffCommands(t *testing.T) {
	tmp := t.TempDir()
	migrated(t, tmp)
	dbURL := "sqlite:" + filepath.Join(tmp, "omadata.db")
	secret := bytes.Repeat([]byte{7}, keys.SecretKeySize)
	env := map[string]string{"OMADATA_DATABASE_URL": dbURL, "OMADATA_SECRET_KEY": base64.StdEncoding.EncodeToString(secret)}
	const olli, tiina = "120475-931B", "051168-953C"
	run := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(stdin), LookupEnv: envOf(env)}
		code := m.Exit(m.Run(context.Background(), args))
		for _, s := range []string{stdout.String(), stderr.String()} {
			if strings.Contains(s, olli) || strings.Contains(s, tiina) || strings.Contains(s, "131052-308X") {
				t.Fatalf("omadata %s printed an identity code: %s", strings.Join(args, " "), s)
			}
		}
		return stdout.String(), stderr.String(), code
	}

	if out, _, code := run("", "staff", "list"); code != 0 || !strings.Contains(out, "Nobody is on the staff") {
		t.Fatalf("empty list: %d %q", code, out)
	}
	out, errOut, code := run(olli+"\n", "staff", "add", "--name", "Olli Ylläpitäjä", "--role", "operator_admin")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errOut)
	}
	id := regexp.MustCompile(`stf_[0-9a-z]{26}`).FindString(out)
	if id == "" || !strings.Contains(out, "Olli Ylläpitäjä ("+id+") is on the staff as operator_admin.") {
		t.Fatalf("add said %q", out)
	}
	// Bad input names the field and changes nothing.
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"131052-308X\n", []string{"--name", "X", "--role", "auditor"}, "identity_code:"},
		{tiina + "\n", []string{"--name", "X", "--role", "root"}, "role: Unknown role"},
		{tiina + "\n", []string{"--name", "X", "--role", "organisation_admin"}, "organisation_id:"},
		{"", []string{"--name", "X", "--role", "auditor"}, "identity code on standard input"},
		{olli + "\n", []string{"--name", "Olli", "--role", "auditor"}, "role: The operator must keep at least one operator admin"},
	} {
		if _, errOut, code := run(c.stdin, append([]string{"staff", "add"}, c.args...)...); code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("add %v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
	if _, errOut, code := run("", "staff", "remove", id); code != 1 || !strings.Contains(errOut, "at least one operator admin") {
		t.Fatalf("remove the last operator admin: %d %q", code, errOut)
	}
	if _, errOut, code := run(tiina, "staff", "add", "--name", "Tiina Tietosuoja", "--role", "auditor"); code != 0 {
		t.Fatalf("add auditor: %s", errOut)
	}
	out, _, _ = run("", "staff", "list")
	if !strings.Contains(out, "Olli Ylläpitäjä") || !strings.Contains(out, "Tiina Tietosuoja  auditor") || strings.Count(out, "\n") != 3 {
		t.Fatalf("list:\n%s", out)
	}

	// The server's keyring finds the member by the code they sign in with.
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(db, store.WithKeyring(kr))
	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	tiinaID := ""
	if st, err := s.FindStaffByIdentityCode(admin, tiina); err != nil || st.Role != omadata.StaffAuditor {
		t.Fatalf("the server's keyring: %v %+v", err, st)
	} else {
		tiinaID = st.ID
	}
	db.Close()

	if out, errOut, code := run("", "staff", "remove", tiinaID); code != 0 || !strings.Contains(out, "Removed Tiina Tietosuoja") {
		t.Fatalf("remove: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := run("", "staff", "remove", tiinaID); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("remove twice: %d %q", code, errOut)
	}
	// Without the secret key, nothing is added.
	delete(env, "OMADATA_SECRET_KEY")
	if _, errOut, code := run(tiina, "staff", "add", "--name", "Tiina", "--role", "auditor"); code != 1 || !strings.Contains(errOut, "no secret key") {
		t.Fatalf("add without a key: %d %q", code, errOut)
	}
	if out, _, _ := run("", "staff", "list"); strings.Contains(out, "Tiina") {
		t.Fatalf("list after removal:\n%s", out)
	}
}
