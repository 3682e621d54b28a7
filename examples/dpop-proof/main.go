// SPDX-License-Identifier: Apache-2.0

// Command dpop-proof prints a DPoP proof (RFC 9449), for trying a
// resident's own app's flow with curl, which cannot sign one (see
// docs/apps.md). The key lives in a file, made on first use (an ECDSA
// P-256 private key, PKCS #8 PEM, mode 0600), because the tokens the
// operator issues are bound to it:
//
//	go run ./examples/dpop-proof -key app.key -jkt
//	go run ./examples/dpop-proof -key app.key -method POST -url http://127.0.0.1:8080/oauth/token
//	go run ./examples/dpop-proof -key app.key -method GET -url http://127.0.0.1:8080/api/v1/me -token oma_app_…
//
// -jkt prints the key's RFC 7638 thumbprint instead, the dpop_jkt an app
// may send with its authorization request. Each proof is good once, for
// two minutes.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/omadata/omadata/internal/dpop"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dpop-proof:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, args []string) error {
	fs := flag.NewFlagSet("dpop-proof", flag.ContinueOnError)
	keyFile := fs.String("key", "app.key", "file of the app's private key; made when missing")
	method := fs.String("method", "POST", "the HTTP method of the request the proof is for")
	uri := fs.String("url", "", "the URL of the request, as the operator's public URL names it")
	token := fs.String("token", "", "the access token the request carries (Authorization: DPoP …), if any")
	jkt := fs.Bool("jkt", false, "print the key's thumbprint (dpop_jkt) instead of a proof")
	if err := fs.Parse(args); err != nil {
		return err
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	key, err := loadKey(*keyFile)
	if err != nil {
		return err
	}
	s, err := dpop.NewSigner(key)
	if err != nil {
		return err
	}
	if *jkt {
		_, err := fmt.Fprintln(out, s.JKT())
		return err
	} else if *uri == "" {
		return errors.New("-url is required")
	}
	proof, err := s.Proof(*method, *uri, *token)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, proof)
	return err
}

// loadKey reads the key in path, or makes one there.
func loadKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	} else if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PKCS #8 PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", path)
	}
	return key, nil
}
