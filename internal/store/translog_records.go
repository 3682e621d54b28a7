// SPDX-License-Identifier: Apache-2.0

package store

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"time"

	"github.com/omadata/omadata"
)

// The digests of the records log leaves commit to. Each lists the record's
// immutable columns; VerifyLog reads the same columns back and recomputes
// it, so a record altered after its leaf was appended is found.

func decisionDigest(id string, at time.Time, callerID, sinkID, sourceID, residentID, purposeID string, groups []string,
	processingID, versionID string, permit bool, consentID, legalBasis, reason string) string {
	var buf [640]byte
	sum := sha256.Sum256(decisionJSON(buf[:0], id, at, callerID, sinkID, sourceID, residentID, purposeID, groups,
		processingID, versionID, permit, consentID, legalBasis, reason))
	return hex.EncodeToString(sum[:])
}

// decisionJSON appends what decisionDigest hashes to b: the record's
// columns as recordJSON encodes them (keys sorted, HTML escaped, the time
// as omadata.LogTime), built without reflection or a map.
func decisionJSON(b []byte, id string, at time.Time, callerID, sinkID, sourceID, residentID, purposeID string, groups []string,
	processingID, versionID string, permit bool, consentID, legalBasis, reason string) []byte {
	str := func(key, v string) {
		b = append(b, key...)
		b = omadata.AppendJSONString(b, v, true)
	}
	str(`{"caller_id":`, callerID)
	str(`,"consent_id":`, consentID)
	b = append(b, `,"data_group_ids":`...)
	if groups == nil {
		b = append(b, `null`...)
	} else {
		b = append(b, '[')
		for i, g := range groups {
			if i > 0 {
				b = append(b, ',')
			}
			b = omadata.AppendJSONString(b, g, true)
		}
		b = append(b, ']')
	}
	b = append(b, `,"decided_at":`...)
	b = append(b, '"')
	b = at.UTC().AppendFormat(b, time.RFC3339Nano) // no character of it is escaped
	b = append(b, '"')
	str(`,"id":`, id)
	str(`,"legal_basis":`, legalBasis)
	b = strconv.AppendBool(append(b, `,"permit":`...), permit)
	str(`,"processing_id":`, processingID)
	str(`,"purpose_id":`, purposeID)
	str(`,"reason":`, reason)
	str(`,"resident_id":`, residentID)
	str(`,"sink_id":`, sinkID)
	str(`,"source_id":`, sourceID)
	str(`,"version_id":`, versionID)
	return append(b, '}')
}

func grantDigest(id, decisionID, sinkID, sourceID, residentID, processingID, purposeID string, groups []string,
	consentID, jkt string, issued, expires time.Time) string {
	return recordDigest(map[string]any{
		"id": id, "decision_id": decisionID, "sink_id": sinkID, "source_id": sourceID, "resident_id": residentID,
		"processing_id": processingID, "purpose_id": purposeID, "data_group_ids": groups, "consent_id": consentID,
		"jkt": jkt, "issued_at": issued, "expires_at": expires,
	})
}

func transferDigest(id, grantID, decisionID, sinkID, sourceID, residentID string, groups []string, xRoadID, xRoadHash string, at time.Time) string {
	return recordDigest(map[string]any{
		"id": id, "grant_id": grantID, "decision_id": decisionID, "sink_id": sinkID, "source_id": sourceID,
		"resident_id": residentID, "data_group_ids": groups, "x_road_id": xRoadID, "x_road_request_hash": xRoadHash,
		"transferred_at": at,
	})
}

func adminChangeDigest(id, actorID, action, targetKind, targetID, details string, at time.Time) string {
	return recordDigest(map[string]any{
		"id": id, "actor_id": actorID, "action": action, "target_kind": targetKind, "target_id": targetID,
		"details": details, "created_at": at,
	})
}

// relayDigest is the digest of a request of a local sink relayed to the
// resident's home operator, with the home operator's answer JWS: the
// recordDigest of its columns. Every question of a batch keeps the whole
// answer of the call; the answer is the first key in order, so the
// SHA-256 of the JSON up to its end is the same for all of them:
// answerHash computes it once per call (nil: here).
func relayDigest(id, operatorID, kind, sinkID, sourceID, residentID, purposeID string, groups []string,
	decision, reason, peerRecord, answer string, at time.Time, pre *answerHash) string {
	fields := map[string]any{
		"id": id, "operator_id": operatorID, "kind": kind, "sink_id": sinkID, "source_id": sourceID, "resident_id": residentID,
		"purpose_id": purposeID, "data_group_ids": groups, "decision": decision, "reason": reason, "peer_record": peerRecord,
		"created_at": at,
	}
	if pre == nil || pre.answer != answer {
		pre = newAnswerHash(answer)
	}
	var h hash.Hash
	if pre.h != nil {
		h, _ = pre.h.Clone() // SHA-256 clones
	}
	if h == nil {
		fields["answer"] = answer
		return recordDigest(fields)
	}
	h.Write([]byte(`,`))
	h.Write(recordJSON(fields)[1:]) // {"created_at":…}
	return hex.EncodeToString(h.Sum(nil))
}

// answerHash is SHA-256 having hashed a relay record's JSON up to the end
// of its answer, {"answer":"…"; h is nil for an answer that is not a
// compact JWS.
type answerHash struct {
	answer string
	h      hash.Cloner
}

func newAnswerHash(answer string) *answerHash {
	if !compactJWS(answer) {
		return &answerHash{answer: answer}
	}
	h := sha256.New().(hash.Cloner)
	h.Write([]byte(`{"answer":"`))
	h.Write([]byte(answer))
	h.Write([]byte(`"`))
	return &answerHash{answer: answer, h: h}
}

// compactJWS reports whether s has only the characters of a compact JWS
// (base64url and dots), which JSON quotes as they are.
func compactJWS(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
