// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The operator network (docs/network.md): independent operators, each on
// its own database, members of one network whose trust anchor (OpenID
// Federation 1.0) says who they are. An operator is named by its entity
// identifier, which is its public URL and the issuer of its grants.

// NetworkTag is the RFC 9421 "tag" parameter of every signed call between
// operators, and the protocol version of docs/network.md.
const NetworkTag = "omadata-network/1"

// CallerOperator is a peer operator calling this one over the network
// protocol, established from an RFC 9421 signature verified with a key of
// the peer's resolved trust chain. Caller.OperatorID names it.
const CallerOperator CallerKind = "operator"

// ID prefixes of the network's records.
const (
	// PrefixPeerPseudonym is a pairwise pseudonym of a resident between two
	// operators: the resident's home operator issues it for one peer, and
	// only the two of them know it.
	PrefixPeerPseudonym = "ppn"
	// PrefixRelay is a request a sink made of its own operator that the
	// operator relayed to the operator of the resident and the source.
	PrefixRelay = "rly"
	// PrefixNetworkEvent is a message one operator sends another (a consent
	// event), the idempotency key of its delivery.
	PrefixNetworkEvent = "nev"
)

// KeyPurposeFederation is the purpose of the Ed25519 keys that sign
// entity statements, network calls and network answers.
const KeyPurposeFederation = "federation"

// Log leaves and records of the sink's operator's side of a release: the
// request it relayed to the resident's home operator.
const (
	LeafDecisionRelayed = "decision.relayed"
	LeafGrantRelayed    = "grant.relayed"
	RecordRelay         = "network_relay"
)

// NetworkKindConsentEvent is the kind of a network outbox message that
// carries a NetworkConsentEvent (docs/network.md §5.2).
const NetworkKindConsentEvent = "consent_event"

// Membership statuses at a trust anchor.
const (
	MemberActive    = "active"
	MemberSuspended = "suspended"
	MemberRemoved   = "removed"
)

// OperatorMetadata is the "omadata_operator" metadata of an operator's
// entity configuration (docs/network.md, "Entity configuration").
type OperatorMetadata struct {
	OperatorID        string `json:"operator_id"` // the entity identifier: the operator's public URL
	Name              Text   `json:"name"`        // fi, sv, en
	BaseURL           string `json:"base_url"`
	NetworkEndpoint   string `json:"network_endpoint"`   // base URL of /network/v1
	CatalogueEndpoint string `json:"catalogue_endpoint"` // the members' catalogue
	LogEndpoint       string `json:"log_endpoint"`       // base URL of the public log API (/api/v1/log)
	LogOrigin         string `json:"log_origin"`         // the origin line of its checkpoints
	LogVerifierKey    string `json:"log_verifier_key"`   // the C2SP signed-note verifier key of its log
	// WitnessEndpoint is the tlog-witness submission prefix of the
	// operator's witness and WitnessVerifierKey its cosignature/v1
	// verifier key (docs/witnessing.md §1). A member that publishes
	// neither (an older version) is still a member, but is not asked to
	// witness.
	WitnessEndpoint    string `json:"witness_endpoint,omitempty"`
	WitnessVerifierKey string `json:"witness_verifier_key,omitempty"`
}

// Peer is another operator of the network as this one last resolved it:
// its metadata after the trust chain's metadata policy, its rulebook
// version from its trust mark, and when the chain expires.
type Peer struct {
	OperatorMetadata
	RulebookVersion int       `json:"rulebook_version"`
	ChainExpiresAt  time.Time `json:"chain_expires_at"`
}

// OperatorRef names an operator where a record belongs to another one: a
// sink registered at a peer, a use of data by a peer's sink.
type OperatorRef struct {
	ID   string `json:"id"`
	Name Text   `json:"name"`
}

// LeafPeer is a log leaf's reference to the leaf of the same release in a
// peer's log: the peer's log origin and the record the leaf commits to
// (its grant or decision at the resident's operator, the relay at the
// sink's), from which the peer's log serves the leaf and its proof.
type LeafPeer struct {
	Origin string `json:"origin"`
	Record string `json:"record"`
}

// NetworkCatalogue is what an operator publishes to the network's members
// (GET /network/v1/catalogue): its approved sources with the data groups
// they hold, and the published processings of its approved sinks. Peers
// mirror it; a processing may name data groups of another operator's
// sources.
type NetworkCatalogue struct {
	OperatorID  string            `json:"operator_id"`
	IssuedAt    time.Time         `json:"issued_at"`
	Sources     []*NetworkSource  `json:"sources"`
	Processings []*CatalogueEntry `json:"processings"`
}

// NetworkSource is an approved source in a network catalogue.
type NetworkSource struct {
	ID         string              `json:"id"`
	Name       Text                `json:"name"`
	Controller CatalogueController `json:"controller"`
	API        string              `json:"api"` // base URL of its data API, where sinks fetch under a grant
	DataGroups []*DataGroup        `json:"data_groups"`
}

// NetworkQuestion is a release question one operator (the sink's) asks
// another (the resident's and the source's). Pseudonym is the pairwise
// pseudonym the resident's operator issued to the asking one; RelayID is
// the asking operator's record of the request, which the answering
// operator's log leaf references.
type NetworkQuestion struct {
	SinkID       string   `json:"sink_id"`
	SourceID     string   `json:"source_id"`
	Pseudonym    string   `json:"pseudonym"`
	DataGroupIDs []string `json:"data_group_ids"`
	PurposeID    string   `json:"purpose_id"`
	RelayID      string   `json:"relay_id"`
}

// NetworkGrantInput asks the resident's operator for a grant: the question,
// and the thumbprint of the sink's DPoP key, which the sink's operator
// checked the sink holds.
type NetworkGrantInput struct {
	NetworkQuestion
	JKT string `json:"jkt"`
}

// NetworkConsentEvent tells the sink's operator that a resident of the
// sending operator gave, changed or ended a consent to a processing of one
// of its sinks. The notice hash binds the consent to the notice the
// resident was shown, which must be one the sink's operator published.
type NetworkConsentEvent struct {
	ID           string    `json:"id"` // nev_…, the idempotency key
	Pseudonym    string    `json:"pseudonym"`
	ProcessingID string    `json:"processing_id"`
	Version      int       `json:"version"`
	ConsentID    string    `json:"consent_id"`
	Status       string    `json:"status"`
	NoticeSHA256 string    `json:"notice_sha256"`
	Language     string    `json:"language"`
	Time         time.Time `json:"time"`
}

// RefusedItems is what ImportPeerCatalogue returns when it imported a
// peer's catalogue but refused some of its items (docs/network.md §5.1):
// the import is committed, the mirror keeps its old text for each item.
type RefusedItems struct {
	OperatorID string
	Items      []RefusedItem
}

// RefusedItem is one refused catalogue item: the processing, the field
// that names it in the catalogue and why.
type RefusedItem struct {
	ProcessingID string
	Version      int
	Field        string
	Reason       string
}

func (e *RefusedItems) Error() string {
	ids := make([]string, len(e.Items))
	for i, it := range e.Items {
		ids[i] = it.ProcessingID
	}
	return fmt.Sprintf("catalogue of %s imported, %d items refused (%s)", e.OperatorID, len(e.Items), strings.Join(ids, ", "))
}

// NetworkService is what the network protocol asks of an operator's
// store. Every method takes its caller from the context; the peer methods
// need a CallerOperator, and the rule of what a peer may ask is
// AuthorizePeer's alone.
type NetworkService interface {
	// NetworkCatalogue returns this operator's catalogue for members and
	// its ETag, which changes exactly when the catalogue does.
	NetworkCatalogue(ctx context.Context) (*NetworkCatalogue, string, error)
	// ImportPeerCatalogue mirrors a peer's catalogue in one transaction:
	// its sources, data groups, sinks and published processings, under
	// the peer's operator ID. An ID that is this operator's own or
	// another peer's refuses the import, naming it (EINVALID), as do a
	// notice whose hash is wrong and a data group of an operator not
	// mirrored; a processing whose purpose is not in the taxonomy is
	// skipped. The caller is the operator itself (an admin) or the peer
	// (CallerOperator); anyone else EFORBIDDEN.
	ImportPeerCatalogue(ctx context.Context, peer *Peer, c *NetworkCatalogue, etag string, expires time.Time) error
	//
	// A version the mirror already holds is immutable: an item that
	// publishes other text (title or notices) under it is refused and the
	// mirror keeps what it had. The rest of the catalogue is imported, and
	// the method returns a *RefusedItems naming each such item.
	// PeerCatalogueState returns the ETag and expiry of the peer's
	// catalogue as last imported; ENOTFOUND if never.
	PeerCatalogueState(ctx context.Context, operatorID string) (etag string, expires time.Time, err error)
	// RenewPeerCatalogue moves the mirror's expiry after the peer
	// answered 304 to its ETag; a mirror with another ETag is left alone.
	RenewPeerCatalogue(ctx context.Context, operatorID, etag string, expires time.Time) error
	// SuspendPeerServices suspends, in one transaction, every service
	// mirrored from a peer that is no longer an active member (suspended,
	// removed, or its chain no longer resolves), so that the catalogue,
	// the portal and decisions stop offering its processings, and forgets
	// its catalogue's state, so that the first sync after a re-admission
	// imports the catalogue whole and approves them again
	// (docs/network.md §2.6, §5.1). It returns how many it suspended.
	// Only the operator itself (an admin) may; anyone else EFORBIDDEN.
	SuspendPeerServices(ctx context.Context, operatorID, reason string) (int, error)
	// MirroredPeers lists the peers of which this operator mirrors a
	// service that is not suspended. Admin only.
	MirroredPeers(ctx context.Context) ([]string, error)

	// NetworkDecide answers a peer's questions like DecideBatch answers a
	// local caller's, with the same evidence and log leaves. The caller
	// is a CallerOperator and the context carries its verified
	// SignedRequest (else EFORBIDDEN); each question passes AuthorizePeer
	// (its errors prefixed questions[i]).
	NetworkDecide(ctx context.Context, in []*NetworkQuestion) ([]*Decision, error)
	// NetworkGrant decides and, on permit, issues a grant to the peer's
	// sink, bound to its key, for this operator's source. Caller, signed
	// request and AuthorizePeer as for NetworkDecide.
	NetworkGrant(ctx context.Context, in *NetworkGrantInput) (*Grant, error)
	// ReceiveConsentEvent records a peer resident's consent event for a
	// processing of this operator's sink, gives the sink its pseudonym of
	// the resident and tells it; the same event again changes nothing.
	// EINVALID names processing_id (not ours), version (not published),
	// language or notice_sha256 (not our notice's hash), or consent_id (a
	// consent announced by another operator or for another pseudonym, or
	// an event other than requested or given for a consent never
	// announced, which creates nothing); EFORBIDDEN for a
	// caller other than a peer operator this one has resolved.
	ReceiveConsentEvent(ctx context.Context, ev *NetworkConsentEvent) error
}

// The reasons of the network protocol's problem documents
// (docs/network.md §3, §6): the one list, the last segment of a problem
// document's type and its "reason" member. internal/network gives each its
// status and title, internal/federation names the membership ones.
const (
	ReasonUnsigned        = "unsigned"
	ReasonMalformed       = "malformed_signature"
	ReasonWrongTag        = "wrong_tag"
	ReasonWrongAudience   = "wrong_audience"
	ReasonExpired         = "expired"
	ReasonDigestMismatch  = "digest_mismatch"
	ReasonNotMember       = "not_member"
	ReasonSuspendedMember = "suspended_member"
	ReasonRemovedMember   = "removed_member"
	ReasonBadSignature    = "bad_signature"
	ReasonReplayed        = "replayed"
	ReasonInvalid         = "invalid"
	ReasonForbidden       = "forbidden"
	ReasonNotYourSink     = "not_your_sink"
	ReasonNotOurSource    = "not_our_source"
	ReasonUnknownResident = DenyUnknownResident
	ReasonNotFound        = "not_found"
	ReasonTooLarge        = "too_large"
	ReasonUnavailable     = "unavailable"
	// ReasonInternal is a failure of the callee's own, no refusal of the
	// call (§6).
	ReasonInternal = "internal"
	// DenyPeerUnavailable: the sink's operator could not ask the
	// resident's home operator (no relayer configured, or the call
	// failed); it denies rather than decide for the home operator.
	DenyPeerUnavailable = "peer_unavailable"
	// DenyPeerNotHome: the source is mirrored from another operator, which
	// is not the resident's home and so may not be asked about them; the
	// sink's operator denies rather than decide about a peer's source.
	DenyPeerNotHome = "peer_not_home"
)

// ErrNotMember is a peer method's refusal of a caller this operator has
// not resolved as a member of the network (docs/network.md §6,
// not_member).
var ErrNotMember = &Error{Code: EFORBIDDEN, Message: "This operator does not know yours as a member of the network."}

// PeerQuestion is what AuthorizePeer rules on: about the question's sink,
// the operator it is mirrored from ("" for this operator's own or an
// unknown sink); whether the source is an approved source of this
// operator's own; and the peer the pseudonym was issued to ("" for none).
type PeerQuestion struct {
	SinkOperatorID  string
	SourceIsOurs    bool
	PseudonymPeerID string
}

// AuthorizePeer is the one rule of what a peer operator may ask the
// resident's home operator about a release (docs/network.md §5.3, §5.4):
// only about a sink mirrored from the peer itself (else EFORBIDDEN on
// sink_id, reason not_your_sink), a source of this operator's own (else
// EFORBIDDEN on source_id, not_our_source), and a resident named by a
// pairwise pseudonym this operator issued to that peer (else ENOTFOUND on
// pseudonym, unknown_resident: a pseudonym issued to a third operator is
// no more known to the caller than one never issued). NetworkReason maps
// the error to the protocol's reason.
func AuthorizePeer(c Caller, q PeerQuestion) error {
	switch {
	case c.Kind != CallerOperator || c.OperatorID == "":
		return Errorf(EFORBIDDEN, "Only a peer operator may ask this.")
	case q.SinkOperatorID != c.OperatorID:
		return Forbiddenf("sink_id", "The sink is not registered at your operator.")
	case !q.SourceIsOurs:
		return Forbiddenf("source_id", "The source is not registered at this operator.")
	case q.PseudonymPeerID != c.OperatorID:
		return &Error{Code: ENOTFOUND, Field: "pseudonym", Message: "No resident has this pseudonym with your operator."}
	}
	return nil
}

// AuthorizePeerEvent is the rule of which peer may send this operator a
// consent event (docs/network.md §5.2, §12.1): a peer operator (else
// EFORBIDDEN, reason forbidden) this operator has resolved as a member
// (else ErrNotMember, reason not_member).
func AuthorizePeerEvent(c Caller, resolved bool) error {
	switch {
	case c.Kind != CallerOperator || c.OperatorID == "":
		return Errorf(EFORBIDDEN, "Only a peer operator may send consent events.")
	case !resolved:
		return ErrNotMember
	}
	return nil
}

// AuthorizePeerRecord is the rule of which of this operator's log leaves
// a peer may read (docs/network.md §5.5): one that references a leaf of
// the caller's log, whose origin (leafPeerOrigin) is the caller's resolved
// log origin (callerLogOrigin, "" for a peer not resolved or without a
// log). Anything else is ENOTFOUND on record: what a peer may not read,
// it does not learn exists.
func AuthorizePeerRecord(c Caller, callerLogOrigin, leafPeerOrigin string) error {
	if c.Kind != CallerOperator || c.OperatorID == "" || callerLogOrigin == "" || leafPeerOrigin != callerLogOrigin {
		return NotFound("record")
	}
	return nil
}

// NetworkReason returns the docs/network.md §6 reason of an error of a
// peer method: not_member for ErrNotMember; not_your_sink,
// not_our_source, unknown_resident by code and field; forbidden for
// another EFORBIDDEN; invalid, not_found, too_large and unavailable by
// code; internal for any other error (the callee's own failure).
func NetworkReason(err error) string {
	if errors.Is(err, ErrNotMember) {
		return ReasonNotMember
	}
	code, field := ErrorCode(err), ErrorField(err)
	// A question of a batch names its field under the question's index
	// (questions[3].pseudonym): the reason is the field's.
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		field = field[i+1:]
	}
	switch {
	case code == EFORBIDDEN && field == "sink_id":
		return ReasonNotYourSink
	case code == EFORBIDDEN && field == "source_id":
		return ReasonNotOurSource
	case code == ENOTFOUND && field == "pseudonym":
		return ReasonUnknownResident
	case code == EFORBIDDEN:
		return ReasonForbidden
	case code == EINVALID, code == ENOTFOUND, code == ETOOLARGE, code == EUNAVAILABLE:
		return code
	}
	return ReasonInternal
}

// SignedRequest is a peer's network call as its signature covers it
// (RFC 9421 §2.5, RFC 9530 §2): the covered components (@method,
// @target-uri as the callee received it, the Content-Digest field), the
// Signature-Input and Signature field values and the body, all that the
// signature base is rebuilt from. The network handler puts it in the
// context once it has verified it; the store keeps it once per call as the
// evidence behind the decisions or grant it answers (network_calls).
//
// Nonce, when set, is the call's nonce not yet recorded (docs/network.md
// §3): the store records it under the caller's operator ID until
// NonceUntil as the first write of the transaction that answers the call,
// refuses the call if it was recorded before (ECONFLICT on nonce), and
// sets NonceSpent once that transaction has committed.
type SignedRequest struct {
	Method         string
	TargetURI      string
	ContentDigest  string
	SignatureInput string
	Signature      string
	Body           []byte

	Nonce      string
	NonceUntil time.Time
	NonceSpent bool
}

type signedRequestKey struct{}

// NewContextWithSignedRequest returns a copy of ctx carrying the verified
// signed request of a peer's call.
func NewContextWithSignedRequest(ctx context.Context, r *SignedRequest) context.Context {
	return context.WithValue(ctx, signedRequestKey{}, r)
}

// SignedRequestFromContext returns the verified signed request in ctx, or
// nil.
func SignedRequestFromContext(ctx context.Context) *SignedRequest {
	r, _ := ctx.Value(signedRequestKey{}).(*SignedRequest)
	return r
}

// Relayer asks a resident's home operator on behalf of a sink of this
// operator (docs/network.md §5.3, §5.4): the store calls it, outside any
// transaction, when a local sink asks about a source mirrored from peer
// for a resident whose home is peer. in carries the relay's rly_ ID,
// made before the call, which the home operator's leaf references. It
// returns the home operator's answer, the answer JWS verbatim (kept as
// evidence), and for a grant the home operator's leaf {origin, record}.
type Relayer interface {
	RelayGrant(ctx context.Context, peer *Peer, in *NetworkGrantInput) (g *Grant, answerJWS string, leaf LeafPeer, err error)
	RelayDecisions(ctx context.Context, peer *Peer, in []*NetworkQuestion) (ds []*Decision, answerJWS string, err error)
}

// NetworkMessage is a message due to a peer operator from the network
// outbox: a consent event (Kind NetworkKindConsentEvent) whose Body is
// the JSON of a NetworkConsentEvent, to POST to the peer's
// {network_endpoint}/consent-events (docs/network.md §5.2).
type NetworkMessage struct {
	ID         string `json:"id"`
	OperatorID string `json:"operator_id"`
	Kind       string `json:"kind"`
	Body       []byte `json:"body"`
	Attempts   int    `json:"attempts"`
	// LockedUntil is the claim's lease: ReleaseNetworkMessage takes it.
	LockedUntil time.Time `json:"-"`
}

// NetworkOutbox is what a delivery worker asks of the store. Claim hands
// out due messages and hides them from other instances for lease;
// Delivered acknowledges one; Failed schedules the next attempt with
// backoff; Refused dead-letters one the peer refused for good (a reason
// docs/network.md §6 says not to retry): it is never sent again and keeps
// the refusal as its last error. Only the operator itself (an admin
// caller) may.
type NetworkOutbox interface {
	ClaimNetworkMessages(ctx context.Context, limit int, lease time.Duration) ([]*NetworkMessage, error)
	NetworkMessageDelivered(ctx context.Context, id string) error
	NetworkMessageFailed(ctx context.Context, id, reason string) error
	NetworkMessageRefused(ctx context.Context, id, reason string) error
	// ReleaseNetworkMessage hands a claimed message back, due at once and
	// with no attempt counted, so that the next claim (another instance's)
	// takes it: a worker shutting down releases what it did not send.
	// lease is the claim's LockedUntil; a claim that is no longer ours is
	// ECONFLICT (field lease), a message that does not exist ENOTFOUND.
	ReleaseNetworkMessage(ctx context.Context, id string, lease time.Time) error
}
