// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// testLog returns a log of origin grown to size.
func testLog(t testing.TB, origin string, size int) *witnesstest.Log {
	t.Helper()
	l, err := witnesstest.NewLog(origin)
	if err != nil {
		t.Fatal(err)
	}
	if size > 0 {
		if _, err := l.Grow(context.Background(), size, "leaf"); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// requestBody returns an add-checkpoint body from old to the latest
// checkpoint of l.
func requestBody(t testing.TB, l *witnesstest.Log, old int64) []byte {
	t.Helper()
	return request(t, l, old).Marshal()
}

func request(t testing.TB, l *witnesstest.Log, old int64) *witness.Request {
	t.Helper()
	ctx := context.Background()
	cp, err := l.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := l.TreeProof(ctx, old, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	return &witness.Request{OldSize: old, Proof: proof, Checkpoint: []byte(cp.Note)}
}

func TestParseRequest(t *testing.T) {
	l := testLog(t, "example.org/log", 20)
	ctx := context.Background()
	cp, _ := l.LatestCheckpoint(ctx)
	good := requestBody(t, l, 7)
	proofLines := strings.Split(string(good), "\n")[1:]
	hash := proofLines[0]
	note := cp.Note

	r, err := witness.ParseRequest(good)
	if err != nil {
		t.Fatalf("ParseRequest(good): %v", err)
	}
	if r.OldSize != 7 || len(r.Proof) == 0 || string(r.Checkpoint) != note {
		t.Fatalf("got old %d, %d proof lines, checkpoint %q", r.OldSize, len(r.Proof), r.Checkpoint)
	}
	if got := r.Marshal(); !bytes.Equal(got, good) {
		t.Fatalf("Marshal: got %q, want %q", got, good)
	}
	if _, err := witness.ParseRequest([]byte("old 0\n\n" + note)); err != nil {
		t.Fatalf("old 0, no proof: %v", err)
	}
	if _, err := witness.ParseRequest([]byte("old 20\n\n" + note)); err != nil {
		t.Fatalf("old equal to the size: %v", err)
	}

	many := "old 7\n" + strings.Repeat(hash+"\n", witness.MaxProofLines)
	if _, err := witness.ParseRequest([]byte(many + "\n" + note)); err != nil {
		t.Fatalf("63 proof lines: %v", err)
	}
	for _, c := range []struct{ name, body, field string }{
		{"empty", "", "old"},
		{"no old line", "\n" + note, "old"},
		{"leading zero", "old 07\n\n" + note, "old"},
		{"zero as 00", "old 00\n\n" + note, "old"},
		{"plus sign", "old +7\n\n" + note, "old"},
		{"negative", "old -1\n\n" + note, "old"},
		{"two spaces", "old  7\n\n" + note, "old"},
		{"CRLF", "old 7\r\n\r\n" + note, "old"},
		{"upper case", "OLD 7\n\n" + note, "old"},
		{"overflow", "old 99999999999999999999\n\n" + note, "old"},
		{"old above size", "old 21\n\n" + note, "old"},
		{"proof with old 0", "old 0\n" + hash + "\n\n" + note, "proof"},
		{"64 proof lines", "old 7\n" + strings.Repeat(hash+"\n", 64) + "\n" + note, "proof"},
		{"bad base64", "old 7\n!!!!\n\n" + note, "proof"},
		{"short hash", "old 7\nAAAA\n\n" + note, "proof"},
		{"unpadded hash", "old 7\n" + strings.TrimRight(hash, "=") + "\n\n" + note, "proof"},
		{"url base64", "old 7\n" + strings.NewReplacer("+", "-", "/", "_").Replace(hash) + "x\n\n" + note, "proof"},
		{"no empty line", "old 7\n" + hash + "\n", "proof"},
		{"no checkpoint", "old 7\n\n", "checkpoint"},
		{"unsigned checkpoint", "old 7\n\n" + strings.SplitN(note, "\n\n", 2)[0] + "\n", "checkpoint"},
		{"no final newline", "old 7\n\n" + strings.TrimSuffix(note, "\n"), "checkpoint"},
		{"bad checkpoint", "old 0\n\nexample.org/log\n01\nAAAA\n\n— x AAAA\n", "checkpoint"},
		{"too big", "old 0\n\n" + note + strings.Repeat("— x AAAAAAAA\n", 6000), "body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := witness.ParseRequest([]byte(c.body))
			if err == nil {
				t.Fatalf("ParseRequest(%q): no error", c.body)
			}
			if got := omadata.ErrorField(err); got != c.field || omadata.ErrorCode(err) != omadata.EINVALID {
				t.Fatalf("got %s on field %q (%v), want invalid on %q", omadata.ErrorCode(err), got, err, c.field)
			}
		})
	}
}

// FuzzParseRequest: ParseRequest never panics, and what it parses
// marshals back to the same bytes.
func FuzzParseRequest(f *testing.F) {
	l := testLog(f, "example.org/log", 9)
	f.Add(requestBody(f, l, 0))
	f.Add(requestBody(f, l, 3))
	f.Add(requestBody(f, l, 9))
	f.Add([]byte("old 01\n\nx\n1\nAAAA\n\n— x y\n"))
	f.Add([]byte("old 0\n\nexample.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n\n— a AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := witness.ParseRequest(body)
		if err != nil {
			if r != nil {
				t.Fatalf("ParseRequest returned a request with error %v", err)
			}
			return
		}
		if got := r.Marshal(); !bytes.Equal(got, body) {
			t.Fatalf("Marshal(ParseRequest(%q)) = %q", body, got)
		}
		if len(r.Proof) > witness.MaxProofLines || (r.OldSize == 0 && len(r.Proof) > 0) {
			t.Fatalf("ParseRequest accepted %d proof lines with old %d", len(r.Proof), r.OldSize)
		}
	})
}

// TestParseRequestSpecExample parses the example body of tlog-witness
// §add-checkpoint, verbatim.
func TestParseRequestSpecExample(t *testing.T) {
	body := "old 20852014\n" +
		"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" +
		"jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n" +
		"5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n" +
		"/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n" +
		"\n" +
		"example.com/behind-the-sofa\n" +
		"20852163\n" +
		"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n" +
		"\n" +
		"— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n" +
		"— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
	r, err := witness.ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if r.OldSize != 20852014 || len(r.Proof) != 4 || r.Proof[0].String() != "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=" {
		t.Fatalf("parsed old %d, proof %v", r.OldSize, r.Proof)
	}
	if string(r.Marshal()) != body {
		t.Fatalf("Marshal: %q", r.Marshal())
	}
	text, _, _ := strings.Cut(string(r.Checkpoint), "\n\n")
	cp, err := witness.ParseCheckpoint(text + "\n")
	if err != nil || cp.Origin != "example.com/behind-the-sofa" || cp.Size != 20852163 {
		t.Fatalf("checkpoint %+v, %v", cp, err)
	}
}
