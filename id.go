// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new identifier "<prefix>_<26 chars>": 48 bits of milliseconds
// followed by 80 random bits, so IDs of one kind sort by creation time and
// serve as stable pagination cursors.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// FirstIDAt returns the least ID of a kind that NewID can make at t or
// later, for reading the IDs made since t by range.
func FirstIDAt(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s looks like an ID of the given prefix. It is a cheap
// syntactic check that keeps junk out of queries and error messages.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, r := range rest {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", r) {
			return false
		}
	}
	return true
}

// ID prefixes, one per kind of record.
const (
	PrefixOrganisation = "org"
	PrefixService      = "svc"
	PrefixCredential   = "cred"
	PrefixAdminToken   = "adm"
	PrefixDataGroup    = "dg"
	PrefixPurpose      = "pur"
	PrefixProcessing   = "proc"
	PrefixVersion      = "pver"
	PrefixApproval     = "apv" // an approval of a processing version
	PrefixAISystem     = "ai"
	PrefixSigningKey   = "key"
	PrefixApp          = "app" // a resident's own app (an OAuth client)
	PrefixConnection   = "apc" // a resident's connection of an app
)
