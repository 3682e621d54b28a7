// SPDX-License-Identifier: Apache-2.0

// Command image builds omadata's container image without a Docker daemon:
// the static binary of the checked-out commit on an empty base, with CA
// certificates, a non-root user and a data volume, written as a
// docker-archive tarball that `podman load` and `docker load` take.
//
//	cd tools/image && go run . -o ../../omadata-image.tar
//
// The same commit, Go toolchain and this module's go.sum give the same
// image digest: file times and the image's creation time are the commit
// time (or SOURCE_DATE_EPOCH), the binary is built with -trimpath, and the
// CA certificates are Mozilla's, from a pinned Go module rather than from
// the machine. See docs/operations.md.
package main

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// What the image holds, and where.
const (
	// UID is the numeric user and group the server runs as; no
	// /etc/passwd names it (65532 is the "nonroot" of distroless images).
	UID = 65532
	// Binary is the server, the image's entrypoint.
	Binary = "/usr/bin/omadata"
	// DataDir is the writable volume: the SQLite database, and the demo's
	// files. Everything else can be mounted read-only.
	DataDir = "/var/lib/omadata"
	// CACertificates is where Go's crypto/x509 looks first on Linux.
	CACertificates = "/etc/ssl/certs/ca-certificates.crt"
	// Source is the repository the image's labels name.
	Source = "https://github.com/omadata/omadata"
	// License is omadata's licence, as an SPDX expression.
	License = "Apache-2.0"
	// Port is the port the image's OMADATA_LISTEN sets.
	Port = 8080
)

// Options says what to build.
type Options struct {
	Repo   string    // root of the omadata checkout
	Arch   string    // GOARCH of the binary and the image
	Tag    string    // the image's name in the tarball; default omadata:<version>
	Output string    // the docker-archive tarball to write
	Epoch  time.Time // file and creation times; default the commit time
	Log    io.Writer // the go command's output
}

// Result is what Build made.
type Result struct {
	Image  v1.Image
	Digest v1.Hash // of the manifest, as a registry shows it
	// ID is the digest of the config, the image ID that `docker load`
	// and `podman load` show; the tarball does not carry the manifest.
	ID       v1.Hash
	Version  string
	Revision string
	Created  time.Time
	Tag      string
}

func main() {
	fs := flag.CommandLine
	o := Options{Log: os.Stderr}
	fs.StringVar(&o.Repo, "repo", "", "the omadata checkout (default: the git top level of the working directory)")
	fs.StringVar(&o.Arch, "arch", runtime.GOARCH, "GOARCH of the binary and the image")
	fs.StringVar(&o.Tag, "tag", "", "name and tag of the image in the tarball (default omadata:<version>)")
	fs.StringVar(&o.Output, "o", "omadata-image.tar", "the docker-archive tarball to write")
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, `Usage: go run ./tools/image [-o FILE] [-tag NAME:TAG] [-arch GOARCH] [-repo DIR]

Builds omadata's container image from the checked-out commit, without a
Docker daemon, and writes it as a tarball for "podman load -i FILE" or
"docker load -i FILE". SOURCE_DATE_EPOCH, when set, replaces the commit
time as the time of every file and of the image. Prints the image's digest.

`)
		fs.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		fs.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o Options) error {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds since 1970", s)
		}
		o.Epoch = time.Unix(sec, 0)
	}
	r, err := Build(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s image ID %s manifest %s\n", o.Output, r.Tag, r.ID, r.Digest)
	return nil
}

// Build builds the binary and the image, and writes the tarball.
func Build(ctx context.Context, o Options) (*Result, error) {
	if o.Repo == "" {
		top, err := git(ctx, ".", "rev-parse", "--show-toplevel")
		if err != nil {
			return nil, err
		}
		o.Repo = top
	}
	o.Arch = cmp.Or(o.Arch, runtime.GOARCH)
	if o.Log == nil {
		o.Log = io.Discard
	}
	rev, err := git(ctx, o.Repo, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	version, err := git(ctx, o.Repo, "describe", "--tags", "--always", "--dirty")
	if err != nil {
		return nil, err
	}
	created := o.Epoch
	if created.IsZero() {
		ct, err := git(ctx, o.Repo, "log", "-1", "--format=%ct", "HEAD")
		if err != nil {
			return nil, err
		}
		sec, err := strconv.ParseInt(ct, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("commit time %q: %w", ct, err)
		}
		created = time.Unix(sec, 0)
	}
	created = created.UTC()

	tmp, err := os.MkdirTemp("", "omadata-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "omadata")
	if err := buildBinary(ctx, o, version, bin); err != nil {
		return nil, err
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}

	base, err := baseLayer(created)
	if err != nil {
		return nil, err
	}
	app, err := layer(created, []entry{{path: Binary, mode: 0o555, data: exe}})
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "tools/image: directories and CA certificates", Comment: "Mozilla's roots from golang.org/x/crypto/x509roots/fallback"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "tools/image: omadata " + version}},
	)
	if err != nil {
		return nil, fmt.Errorf("append layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = o.Arch, "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", UID, UID),
		Entrypoint: []string{Binary},
		Cmd:        []string{"serve"},
		WorkingDir: DataDir,
		Env: []string{
			"HOME=" + DataDir,
			"OMADATA_LISTEN=:" + strconv.Itoa(Port),
			"OMADATA_DATABASE_URL=sqlite:" + DataDir + "/omadata.db",
		},
		ExposedPorts: map[string]struct{}{strconv.Itoa(Port) + "/tcp": {}},
		Volumes:      map[string]struct{}{DataDir: {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "omadata",
			"org.opencontainers.image.source":   Source,
			"org.opencontainers.image.revision": rev,
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.licenses": License,
			"org.opencontainers.image.created":  created.Format(time.RFC3339),
		},
		StopSignal: "SIGTERM",
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	id, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	tag := cmp.Or(o.Tag, "omadata:"+strings.ReplaceAll(version, "+", "-"))
	ref, err := name.NewTag(tag)
	if err != nil {
		return nil, fmt.Errorf("-tag %q: %w", tag, err)
	}
	if o.Output != "" {
		if err := tarball.WriteToFile(o.Output, ref, img); err != nil {
			return nil, fmt.Errorf("write %s: %w", o.Output, err)
		}
	}
	return &Result{Image: img, Digest: digest, ID: id, Version: version, Revision: rev, Created: created, Tag: ref.String()}, nil
}

// buildBinary builds the static server: no cgo (SQLite is pure Go), paths
// trimmed, the version from git.
func buildBinary(ctx context.Context, o Options, version, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=true",
		"-ldflags", "-s -w -X main.version="+version, "-o", out, "./cmd/omadata")
	cmd.Dir = o.Repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.Arch, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/omadata: %w", err)
	}
	return nil
}

// baseLayer holds the directories and the CA certificates.
func baseLayer(t time.Time) (v1.Layer, error) {
	var pemRoots bytes.Buffer
	for r := range bundle.Roots() {
		// A root with a constraint (distrusted for certificates issued
		// after a date) cannot be said in a PEM file; leave it out rather
		// than trust it without the constraint.
		if r.Constraint != nil {
			continue
		}
		if err := pem.Encode(&pemRoots, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}); err != nil {
			return nil, err
		}
	}
	if pemRoots.Len() == 0 {
		return nil, errors.New("no CA certificates in golang.org/x/crypto/x509roots/fallback")
	}
	return layer(t, []entry{
		{path: "/etc/", mode: 0o755},
		{path: "/etc/ssl/", mode: 0o755},
		{path: "/etc/ssl/certs/", mode: 0o755},
		{path: CACertificates, mode: 0o444, data: pemRoots.Bytes()},
		{path: "/tmp/", mode: 0o1777},
		{path: "/usr/", mode: 0o755},
		{path: "/usr/bin/", mode: 0o755},
		{path: "/var/", mode: 0o755},
		{path: "/var/lib/", mode: 0o755},
		{path: DataDir + "/", mode: 0o700, uid: UID},
	})
}

// entry is a file, or a directory when its path ends in "/".
type entry struct {
	path string
	mode int64
	uid  int
	data []byte
}

// layer writes entries, in order, as a layer whose bytes depend only on
// them and t.
func layer(t time.Time, entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name: strings.TrimPrefix(e.path, "/"), Mode: e.mode, Uid: e.uid, Gid: e.uid,
			ModTime: t, Format: tar.FormatPAX,
		}
		if strings.HasSuffix(e.path, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
