// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/omadata/omadata"
)

// idEncoding is omadata's ID alphabet, in ASCII order, so that IDs sort
// as their bytes do.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// idGen derives IDs of the same shape as omadata.NewID from a counter:
// the load's millisecond, then the counter, then bits that look random.
// Loaded in counter order, they append to the right of every index.
type idGen struct{ ms, seed uint64 }

func newIDGen() idGen {
	var b [8]byte
	rand.Read(b[:])
	return idGen{ms: uint64(time.Now().UnixMilli()), seed: binary.LittleEndian.Uint64(b[:])}
}

func (g idGen) id(prefix string, n int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], g.ms<<16)
	binary.BigEndian.PutUint32(b[6:10], uint32(n))
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], splitmix(g.seed^uint64(n)*0x9e3779b97f4a7c15^uint64(len(prefix))<<56^uint64(prefix[0])<<48))
	copy(b[10:], h[:6])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// splitmix is SplitMix64's finaliser: a cheap, well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// hetuCheckChars maps DDMMYYZZZ modulo 31 to the check character.
const hetuCheckChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// identityCode returns the i-th synthetic personal identity code: adults
// born from 1940 on, 998 individual numbers (002–999) per day.
func identityCode(i int) (code string, born time.Time) {
	born = time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/998)
	num := 2 + i%998
	sign := byte('-')
	if born.Year() >= 2000 {
		sign = 'A'
	}
	ddmmyy := born.Day()*10000 + int(born.Month())*100 + born.Year()%100
	check := hetuCheckChars[(ddmmyy*1000+num)%31]
	return fmt.Sprintf("%06d%c%03d%c", ddmmyy, sign, num, check), born
}

// Kinds of resident in the dataset.
const (
	kindGiven     = iota // a given, valid consent: permit
	kindExpired          // given, window passed: deny consent_expired
	kindWithdrawn        // deny consent_withdrawn
	kindWrongPurp        // given, asked about the other purpose: deny no_consent
	kindNone             // no consent: deny no_consent
)

// kind returns what resident k holds.
func (d *Dataset) kind(k int) int {
	switch {
	case k >= d.Mix+d.Pool:
		return kindGiven // the withdrawal pool
	case k >= d.Mix:
		return kindNone // the give pool
	}
	switch k % 8 {
	case 4:
		return kindExpired
	case 5:
		return kindWithdrawn
	case 6:
		return kindWrongPurp
	case 7:
		return kindNone
	}
	return kindGiven
}

// ResidentID returns the ID of resident k.
func (d *Dataset) ResidentID(k int) string { return d.ids.id("res", k) }

// SinkPseudonym returns the sink's pseudonym of resident k.
func (d *Dataset) SinkPseudonym(k int) string { return d.ids.id(omadata.PrefixPseudonym, 2*k) }

// SourcePseudonym returns the source's pseudonym of resident k.
func (d *Dataset) SourcePseudonym(k int) string { return d.ids.id(omadata.PrefixPseudonym, 2*k+1) }

// ConsentID returns the ID of resident k's loaded consent, if it has one.
func (d *Dataset) ConsentID(k int) string { return d.ids.id(omadata.PrefixConsent, k) }

// Question returns the decision question the sink asks about resident k
// and the answer it must get: permit, or deny with the reason.
func (d *Dataset) Question(k int) (q *omadata.DecisionInput, permit bool, reason string) {
	q = &omadata.DecisionInput{SourceID: d.Source.ID, Pseudonym: d.SinkPseudonym(k), DataGroupIDs: []string{d.Loans.ID}, PurposeID: d.Recommendations.ID}
	switch d.kind(k) {
	case kindGiven:
		return q, true, ""
	case kindExpired:
		return q, false, omadata.DenyConsentExpired
	case kindWithdrawn:
		return q, false, omadata.DenyConsentWithdrawn
	case kindWrongPurp:
		q.PurposeID = d.OtherPurpose.ID
	}
	return q, false, omadata.DenyNoConsent
}

// chunk is the rows of a run of residents, ready to write.
type chunk struct {
	processingID, versionID, sinkID string // of every consent

	residents  []residentRow
	pseudonyms []pseudonymRow
	consents   []consentRow
	records    []recordRow
}

type residentRow struct {
	id, hash, sealed, birth string
	created                 time.Time
}

type pseudonymRow struct {
	service, resident, pseudonym string
	created                      time.Time
}

type consentRow struct {
	id, resident, status, lastHash string
	from, until, created, updated  time.Time
}

type recordRow struct {
	*omadata.ConsentRecord
	subject string
}

// receiptPlaceholder stands for the signed receipt of a bulk-loaded
// record. Decisions never read receipts; signing ten million of them
// would only slow the load down.
const receiptPlaceholder = "bulk-loaded: no receipt"

// makeChunk builds the rows of residents k in [from, to); order maps k to
// the index of its identity code, so that blind indexes load in order.
func (d *Dataset) makeChunk(kr interface {
	BlindIndex(string) string
	Seal(plaintext, ad []byte) ([]byte, error)
}, order []uint32, from, to int) (*chunk, error) {
	c := &chunk{processingID: d.Processing.ID, versionID: d.Processing.Current().ID, sinkID: d.Sink.ID}
	residentsSince := d.base.AddDate(-3, 0, 0)
	for k := from; k < to; k++ {
		code, born := identityCode(int(order[k]))
		id := d.ResidentID(k)
		sealed, err := kr.Seal([]byte(code), []byte("identity:"+id))
		if err != nil {
			return nil, err
		}
		c.residents = append(c.residents, residentRow{id: id, hash: kr.BlindIndex(code), sealed: base64.StdEncoding.EncodeToString(sealed),
			birth: born.Format(time.DateOnly), created: residentsSince})
		c.pseudonyms = append(c.pseudonyms,
			pseudonymRow{service: d.Sink.ID, resident: id, pseudonym: d.SinkPseudonym(k), created: residentsSince},
			pseudonymRow{service: d.Source.ID, resident: id, pseudonym: d.SourcePseudonym(k), created: residentsSince})
		kind := d.kind(k)
		if kind == kindNone {
			continue
		}
		// Consents were given over the past year (the expired ones three
		// years ago), a millisecond apart, for the default two years.
		given := d.base.AddDate(-1, 0, 0).Add(time.Duration(k%int(300*24*time.Hour/time.Millisecond)) * time.Millisecond)
		if kind == kindExpired || kind == kindWithdrawn {
			given = given.AddDate(-2, 0, 0)
		}
		until := given.AddDate(omadata.ConsentDefaultYears, 0, 0)
		cn := consentRow{id: d.ConsentID(k), resident: id, status: omadata.ConsentGiven, from: given, until: until, created: given, updated: given}
		rec := &omadata.ConsentRecord{
			ID: d.ids.id(omadata.PrefixConsentRecord, 2*k), ConsentID: cn.id, Seq: 1, Status: omadata.ConsentGiven,
			ActorKind: string(omadata.CallerResident), ActorID: id, ActorRole: omadata.ActorSelf,
			NoticeSHA256: d.notice.SHA256, NoticeLanguage: d.notice.Language, CollectionMethod: omadata.CollectedPortal,
			ValidFrom: &cn.from, ValidUntil: &cn.until, CreatedAt: given, Receipt: receiptPlaceholder,
		}
		rec.Hash = omadata.ConsentRecordHash(id, rec)
		c.records = append(c.records, recordRow{rec, id})
		cn.lastHash = rec.Hash
		if kind == kindWithdrawn {
			at := given.AddDate(1, 0, 0)
			w := &omadata.ConsentRecord{
				ID: d.ids.id(omadata.PrefixConsentRecord, 2*k+1), ConsentID: cn.id, Seq: 2, Status: omadata.ConsentWithdrawn, PrevHash: rec.Hash,
				ActorKind: string(omadata.CallerResident), ActorID: id, ActorRole: omadata.ActorSelf, CollectionMethod: omadata.CollectedPortal,
				ValidFrom: &cn.from, ValidUntil: &cn.until, CreatedAt: at, Receipt: receiptPlaceholder,
			}
			w.Hash = omadata.ConsentRecordHash(id, w)
			c.records = append(c.records, recordRow{w, id})
			cn.status, cn.lastHash, cn.updated = omadata.ConsentWithdrawn, w.Hash, at
		}
		c.consents = append(c.consents, cn)
	}
	return c, nil
}
