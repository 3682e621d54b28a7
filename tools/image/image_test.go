// SPDX-License-Identifier: Apache-2.0

package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImage builds the image twice from this checkout and checks that both
// have one digest, then inspects what was written, as `podman load` would
// read it: the config, every layer, and the binary taken out of it and run.
// Containers cannot start here, so that is as close as the test gets.
func TestImage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := Build(ctx, Options{Output: filepath.Join(dir, "a.tar")})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Build(ctx, Options{Output: filepath.Join(dir, "b.tar")})
	if err != nil {
		t.Fatal(err)
	}
	if first.Digest != second.Digest || first.ID != second.ID {
		t.Errorf("two builds of one commit: digests %s and %s, IDs %s and %s", first.Digest, second.Digest, first.ID, second.ID)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.tar"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.tar"))
	if !bytes.Equal(a, b) {
		t.Errorf("two builds of one commit wrote different tarballs")
	}

	img, err := tarball.ImageFromPath(filepath.Join(dir, "a.tar"), nil)
	if err != nil {
		t.Fatalf("read the tarball back: %v", err)
	}
	if id, err := img.ConfigName(); err != nil || id != first.ID {
		t.Fatalf("tarball's image ID %s (%v), want %s", id, err, first.ID)
	}
	commitTime := gitOut(t, "log", "-1", "--format=%ct", "HEAD")
	if sec := strconv.FormatInt(first.Created.Unix(), 10); sec != commitTime {
		t.Errorf("created %s, want the commit time %s", sec, commitTime)
	}
	checkConfig(t, img, first)
	files := checkLayers(t, img, first.Created)
	checkBinary(t, files[strings.TrimPrefix(Binary, "/")], first.Version)
	checkCertificates(t, files[strings.TrimPrefix(CACertificates, "/")])
}

// TestImageEpoch: SOURCE_DATE_EPOCH sets the time of the image and of every
// file, and so changes the digest.
func TestImageEpoch(t *testing.T) {
	ctx := context.Background()
	epoch := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err := Build(ctx, Options{Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := r.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Time.Equal(epoch) || cf.Config.Labels["org.opencontainers.image.created"] != "2026-01-02T03:04:05Z" {
		t.Errorf("created %s, label %q, want %s", cf.Created.Time, cf.Config.Labels["org.opencontainers.image.created"], epoch)
	}
	checkLayers(t, r.Image, epoch)
	plain, err := Build(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Digest == r.Digest {
		t.Errorf("another epoch gave the same digest %s", r.Digest)
	}
}

func checkConfig(t *testing.T, img v1.Image, r *Result) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("User %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/bin/omadata"}) || !slices.Equal(c.Cmd, []string{"serve"}) {
		t.Errorf("Entrypoint %q Cmd %q, want the binary and serve", c.Entrypoint, c.Cmd)
	}
	if _, ok := c.Volumes["/var/lib/omadata"]; !ok || c.WorkingDir != "/var/lib/omadata" {
		t.Errorf("Volumes %v WorkingDir %q, want /var/lib/omadata", c.Volumes, c.WorkingDir)
	}
	for _, want := range []string{"OMADATA_LISTEN=:8080", "OMADATA_DATABASE_URL=sqlite:/var/lib/omadata/omadata.db"} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("Env %q lacks %s", c.Env, want)
		}
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ExposedPorts %v, want 8080/tcp", c.ExposedPorts)
	}
	want := map[string]string{
		"org.opencontainers.image.title":    "omadata",
		"org.opencontainers.image.source":   "https://github.com/omadata/omadata",
		"org.opencontainers.image.revision": gitOut(t, "rev-parse", "HEAD"),
		"org.opencontainers.image.version":  r.Version,
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.created":  r.Created.Format(time.RFC3339),
	}
	if !maps.Equal(c.Labels, want) {
		t.Errorf("Labels\n%v, want\n%v", c.Labels, want)
	}
	if cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
}

// shells are the names of programs that would give a shell to whoever gets
// into the container.
var shells = []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox", "toybox"}

// checkLayers reads every layer: the files are exactly the expected ones,
// none a shell, none owned by anyone but root except the data directory,
// every time t. It returns the regular files' contents by path.
func checkLayers(t *testing.T, img v1.Image, at time.Time) map[string][]byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			names = append(names, h.Name)
			if slices.Contains(shells, path.Base(strings.TrimSuffix(h.Name, "/"))) {
				t.Errorf("layer has a shell: %s", h.Name)
			}
			if !h.ModTime.Equal(at) {
				t.Errorf("%s: time %s, want %s", h.Name, h.ModTime, at)
			}
			switch {
			case h.Name == "var/lib/omadata/":
				if h.Uid != 65532 || h.Gid != 65532 || h.Mode != 0o700 {
					t.Errorf("data directory owned %d:%d mode %o, want 65532:65532 0700", h.Uid, h.Gid, h.Mode)
				}
			case h.Uid != 0 || h.Gid != 0 || h.Mode&0o022 != 0 && h.Name != "tmp/":
				t.Errorf("%s owned %d:%d mode %o: writable by the server", h.Name, h.Uid, h.Gid, h.Mode)
			}
			if h.Typeflag == tar.TypeReg {
				b, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				files[h.Name] = b
			} else if h.Typeflag != tar.TypeDir {
				t.Errorf("%s: type %c, want only files and directories", h.Name, h.Typeflag)
			}
		}
		rc.Close()
	}
	want := []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca-certificates.crt", "tmp/",
		"usr/", "usr/bin/", "var/", "var/lib/", "var/lib/omadata/", "usr/bin/omadata"}
	if !slices.Equal(names, want) {
		t.Errorf("layers hold\n%q, want\n%q", names, want)
	}
	return files
}

// checkBinary runs the image's binary here: it is static (no interpreter,
// no shared library) and answers version and serve --help.
func checkBinary(t *testing.T, exe []byte, version string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatalf("the binary is not ELF: %v", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for an interpreter: not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}
	bin := filepath.Join(t.TempDir(), "omadata")
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("omadata version: %v\n%s", err, out)
	}
	// The revision is there only when go build found a .git directory (a
	// clone, not a git worktree); the version from git describe always is.
	if !strings.HasPrefix(string(out), "omadata "+version+" (") {
		t.Errorf("omadata version: %q, want omadata %s", out, version)
	}
	out, err = exec.Command(bin, "serve", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Usage: omadata serve") {
		t.Errorf("omadata serve --help: %v\n%s", err, out)
	}
}

// checkCertificates: the bundle parses and holds a good number of roots.
func checkCertificates(t *testing.T, b []byte) {
	t.Helper()
	n := 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			t.Errorf("certificate %d: %v", n, err)
		}
		n++
	}
	if len(bytes.TrimSpace(b)) != 0 || n < 100 {
		t.Errorf("%d certificates and %d bytes left over, want over 100 and none", n, len(b))
	}
}

func gitOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := git(context.Background(), ".", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
