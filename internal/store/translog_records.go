// SPDX-License-Identifier: Apache-2.0

package store

import (
	"time"
)

// The digests of the records log leaves commit to. Each lists the record's
// immutable columns; VerifyLog reads the same columns back and recomputes
// it, so a record altered after its leaf was appended is found.

func decisionDigest(id string, at time.Time, callerID, sinkID, sourceID, residentID, purposeID string, groups []string,
	processingID, versionID string, permit bool, consentID, legalBasis, reason string) string {
	return recordDigest(map[string]any{
		"id": id, "decided_at": at, "caller_id": callerID, "sink_id": sinkID, "source_id": sourceID, "resident_id": residentID,
		"purpose_id": purposeID, "data_group_ids": groups, "processing_id": processingID, "version_id": versionID,
		"permit": permit, "consent_id": consentID, "legal_basis": legalBasis, "reason": reason,
	})
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
// resident's home operator, with the home operator's answer JWS.
func relayDigest(id, operatorID, kind, sinkID, sourceID, residentID, purposeID string, groups []string,
	decision, reason, peerRecord, answer string, at time.Time) string {
	return recordDigest(map[string]any{
		"id": id, "operator_id": operatorID, "kind": kind, "sink_id": sinkID, "source_id": sourceID, "resident_id": residentID,
		"purpose_id": purposeID, "data_group_ids": groups, "decision": decision, "reason": reason, "peer_record": peerRecord,
		"answer": answer, "created_at": at,
	})
}
