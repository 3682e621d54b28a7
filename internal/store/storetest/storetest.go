// SPDX-License-Identifier: Apache-2.0

// Package storetest states every behaviour of the store once and runs it on
// any engine: Run is called with an open function for SQLite and for
// PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// OpenFunc returns a fresh, migrated store for one subtest.
type OpenFunc func(t *testing.T) *store.Store

// Run runs the whole suite and returns how many top-level cases passed.
func Run(t *testing.T, open OpenFunc) int {
	cases := []struct {
		name string
		fn   func(t *testing.T, s *store.Store)
	}{
		{"Migrate/Idempotent", testMigrateIdempotent},
		{"Migrate/Pending", testMigratePending},
		{"Backup/SchemaVersion", testBackupSchemaVersion},
		{"Backup/Into", testBackupInto},
		{"Backup/DropObjects", testBackupDropObjects},
		{"Migrate/Newer", testMigrateNewer},
		{"Organisation/CreateFindList", testOrganisationCreateFindList},
		{"Organisation/Invalid", testOrganisationInvalid},
		{"Organisation/DivisionAndConflict", testOrganisationDivisionAndConflict},
		{"Organisation/Update", testOrganisationUpdate},
		{"Service/Lifecycle", testServiceLifecycle},
		{"Service/Visibility", testServiceVisibility},
		{"Service/RoleInUse", testServiceRoleInUse},
		{"Service/UpdateRules", testServiceUpdateRules},
		{"Update/EmptyAndNoOp", testUpdateEmptyAndNoOp},
		{"Credential/Authenticate", testCredentialAuthenticate},
		{"Credential/RevokeExpireSuspend", testCredentialRevokeExpireSuspend},
		{"Credential/ScopeEscalation", testCredentialScopeEscalation},
		{"Credential/CheckedEverywhere", testCredentialCheckedEverywhere},
		{"AdminToken/Lifecycle", testAdminTokenLifecycle},
		{"DataGroup/CreateAndRules", testDataGroupCreateAndRules},
		{"DataGroup/Visibility", testDataGroupVisibility},
		{"Purpose/TaxonomyAndUpdate", testPurposeTaxonomyAndUpdate},
		{"Processing/LegalRules", testProcessingLegalRules},
		{"Processing/PublishLifecycle", testProcessingPublishLifecycle},
		{"Processing/Visibility", testProcessingVisibility},
		{"Processing/RecipientNames", testProcessingRecipientNames},
		{"Processing/Approval", testProcessingApproval},
		{"Processing/ApprovalRace", testProcessingApprovalRace},
		{"Processing/SpecialCategoryChange", testDataGroupSpecialChange},
		{"Processing/Transparency", testProcessingTransparency},
		{"Catalogue/Public", testCatalogue},
		{"AISystem/Register", testAISystemRegister},
		{"SigningKey/Rotate", testSigningKeyRotate},
		{"SigningKey/EnsureTogether", testSigningKeyEnsureTogether},
		{"Pagination", testPagination},
		{"Resident/Sealed", testResidentSealed},
		{"Resident/Link", testResidentLink},
		{"Resident/Rekey", testResidentRekey},
		{"Resident/Session", testSession},
		{"Staff/RolesAndSessions", testStaff},
		{"Staff/Removal", testStaffRemoval},
		{"Staff/OrganisationAdmin", testOrganisationAdmin},
		{"Representation/Guardianship", testGuardianship},
		{"Representation/ScopedRequests", testRepresentationScopedRequests},
		{"Representation/ScopedReads", testRepresentationScopedReads},
		{"Representation/GeneralErasure", testRepresentationGeneralErasure},
		{"Representation/Recorders", testRepresentationRecorders},
		{"Representation/GrantMandate", testRepresentationGrantMandate},
		{"Representation/AdultFinnishTime", testRepresentationAdultFinnishTime},
		{"Decision/Facts", testDecisionFacts},
		{"Consent/Transitions", testConsentTransitions},
		{"Consent/Guardian", testConsentGuardian},
		{"Consent/Renewal", testConsentRenewal},
		{"Consent/GiveRules", testConsentGiveRules},
		{"Consent/Request", testConsentRequest},
		{"Consent/Visibility", testConsentVisibility},
		{"Consent/Events", testConsentEvents},
		{"Consent/Chain", testConsentChain},
		{"Consent/Receipt", testConsentReceipt},
		{"Consent/ReceiptAfterCatalogueChange", testConsentReceiptAfterCatalogueChange},
		{"Consent/Expire", testConsentExpire},
		{"Consent/NoIdentityCode", testConsentNoIdentityCode},
		{"Text/IdentityCodes", testTextIdentityCodes},
		{"Consent/Concurrent", testConsentConcurrent},
		{"Consent/CollectionMethod", testConsentCollectionMethod},
		{"Decision/Permit", testDecisionPermit},
		{"Decision/DenyReasons", testDecisionDenyReasons},
		{"Decision/Expiry", testDecisionExpiry},
		{"Decision/Versions", testDecisionVersions},
		{"Decision/LegalBasis", testDecisionLegalBasis},
		{"Decision/NeedsApproval", testDecisionNeedsApproval},
		{"Decision/Batch", testDecisionBatch},
		{"Decision/Callers", testDecisionCallers},
		{"Decision/FirstPermitsAtOnce", testDecisionFirstPermitsAtOnce},
		{"Decision/CatalogueChange", testDecisionCatalogueChange},
		{"Grant/Issue", testGrantIssue},
		{"Grant/StatusAndTransfer", testGrantStatusAndTransfer},
		{"OwnData/Groups", testOwnDataGroups},
		{"OwnData/Grant", testOwnDataGrant},
		{"Request/Objection", testRequestObjection},
		{"Request/Visibility", testRequestVisibility},
		{"Request/Rectification", testRequestRectification},
		{"Request/Erasure", testRequestErasure},
		{"Request/ErasureEndsConsents", testRequestErasureEndsConsents},
		{"Request/Export", testRequestExport},
		{"Request/ExportRecords", testRequestExportRecords},
		{"Request/Deadline", testRequestDeadline},
		{"Request/Reminders", testRequestReminders},
		{"Request/RestrictionAnyBasis", testRequestRestrictionAnyBasis},
		{"Webhook/Claim", testDeliveryClaim},
		{"Webhook/Complete", testDeliveryComplete},
		{"Webhook/Release", testDeliveryRelease},
		{"NetworkOutbox/Release", testNetworkOutboxRelease},
		{"Webhook/Redeliver", testDeliveryRedeliver},
		{"Webhook/Visibility", testDeliveryVisibility},
		{"Webhook/Secret", testWebhookSecret},
		{"Backlog/Counts", testBacklog},
		{"Backlog/StalePermitCanary", testStalePermitCanary},
		{"Log/Proofs", testLogProofs},
		{"Log/AppendOnly", testLogAppendOnly},
		{"Log/Concurrent", testLogConcurrent},
		{"Log/Integrators", testLogIntegrators},
		{"Log/Verify", testLogVerify},
		{"Log/Checkpoints", testLogCheckpoints},
		{"Overview/Counts", testOverview},
		{"App/Register", testAppRegister},
		{"App/Code", testAppCode},
		{"App/Refresh", testAppRefresh},
		{"App/End", testAppEnd},
		{"App/UseOnce", testAppUseOnce},
		{"Peer/Cache", testPeerCache},
		{"Peer/DropWins", testPeerDropWins},
		{"Peer/ExpireAll", testPeerExpireAll},
		{"Witness/Logs", testWitnessLogs},
		{"Witness/Advance", testWitnessAdvance},
		{"Witness/Fork", testWitnessFork},
		{"Witness/Cosignatures", testWitnessCosignatures},
		{"Witness/ResolveRace", testWitnessResolveRace},
		{"Witness/CheckService", testWitnessCheckService},
		{"Witness/ConcurrentInstances", testWitnessConcurrentInstances},
		{"Witness/PeerTakeover", testWitnessPeerTakeover},
		{"Witness/ResolveKeepNew", testWitnessResolveKeepNew},
		{"Witness/Reset", testWitnessReset},
		{"Witness/NetworkWitnesses", testNetworkWitnesses},
	}
	// Cases of several operators, each a store on its own database.
	networkCases := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"Network/Catalogue", testNetworkCatalogue},
		{"Network/LogRecord", testNetworkLogRecord},
		{"Network/Release", testNetworkRelease},
		{"Network/ConsentOwner", testNetworkConsentOwner},
		{"Network/SentBackPseudonym", testNetworkSentBackPseudonym},
		{"Network/Unrelayable", testNetworkUnrelayable},
		{"Network/MirroredVersionChecks", testNetworkMirroredVersionChecks},
		{"Network/MirroredDataGroup", testNetworkMirroredDataGroup},
		{"Network/PeerAnswers", testNetworkPeerAnswers},
		{"Network/EventOrder", testNetworkEventOrder},
		{"Network/PeerResidentCap", testNetworkPeerResidentCap},
		{"Network/PeerSuspended", testNetworkPeerSuspended},
	}
	passed := 0
	for _, c := range cases {
		if t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) }) {
			passed++
		}
	}
	for _, c := range networkCases {
		if t.Run(c.name, func(t *testing.T) { c.fn(t, open) }) {
			passed++
		}
	}
	return passed
}

// Admin returns a context carrying an operator admin caller.
func Admin() context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "adm_test"})
}

// AsDPO returns a context carrying the operator's data protection officer,
// as the admin console makes one for a signed-in auditor.
func AsDPO() context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "staff:stf_dpo", DataProtectionOfficer: true})
}

// As returns a context carrying a service caller with every scope.
func As(serviceID string) context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{
		Kind: omadata.CallerService, TokenID: "cred_test", ServiceID: serviceID, Scopes: omadata.CredentialScopes,
	})
}

// Public returns a context with the anonymous caller.
func Public() context.Context { return context.Background() }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := omadata.ErrorCode(err); got != code {
		t.Fatalf("got error code %q (%v), want %q", got, err, code)
	}
}

func wantField(t *testing.T, err error, code, field string) {
	t.Helper()
	wantCode(t, err, code)
	if got := omadata.ErrorField(err); got != field {
		t.Fatalf("got error field %q (%v), want %q", got, err, field)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testMigrateIdempotent(t *testing.T, s *store.Store) {
	applied, err := s.DB().Migrate(context.Background())
	ok(t, err)
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", applied)
	}
}

// testMigratePending: a migrated database has no pending migration; one
// whose record is missing is pending.
func testMigratePending(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if p, err := s.DB().PendingMigrations(ctx); err != nil || len(p) != 0 {
		t.Fatalf("pending after migrate: got %v, %v, want none", p, err)
	}
	names, err := s.DB().QueryStrings(ctx, `SELECT name FROM schema_migrations ORDER BY name DESC`)
	ok(t, err)
	last := names[0][0]
	ok(t, s.DB().Exec(ctx, `DELETE FROM schema_migrations WHERE name = ?`, last))
	if p, err := s.DB().PendingMigrations(ctx); err != nil || len(p) != 1 || p[0] != last {
		t.Fatalf("pending: got %v, %v, want [%s]", p, err, last)
	}
}

// testMigrateNewer: a database that a newer version migrated (a migration
// this version does not know) is left as it is, and this version serves on
// it; one that also lacks a migration this version knows is refused, and
// Migrate changes nothing (it does not apply the missing one over a schema
// it does not know).
func testMigrateNewer(t *testing.T, s *store.Store) {
	ctx := context.Background()
	db := s.DB()
	ok(t, db.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ('999_future.sql', '2030-01-01T00:00:00Z')`))
	applied, err := db.Migrate(ctx)
	ok(t, err)
	if len(applied) != 0 {
		t.Fatalf("migrate on a newer schema applied %v, want nothing", applied)
	}
	pending, unknown, err := db.MigrationStatus(ctx)
	ok(t, err)
	if len(pending) != 0 || strings.Join(unknown, ",") != "999_future.sql" {
		t.Fatalf("status: got pending %v, unknown %v; want none, [999_future.sql]", pending, unknown)
	}
	if u, err := db.CheckSchema(ctx); err != nil || len(u) != 1 {
		t.Fatalf("check: got %v, %v; want [999_future.sql] and no error", u, err)
	}

	names, err := db.QueryStrings(ctx, `SELECT name FROM schema_migrations WHERE name <> '999_future.sql' ORDER BY name DESC`)
	ok(t, err)
	last := names[0][0]
	ok(t, db.Exec(ctx, `DELETE FROM schema_migrations WHERE name = ?`, last))
	for what, err := range map[string]error{"migrate": second(db.Migrate(ctx)), "check": second(db.CheckSchema(ctx))} {
		if !errors.Is(err, store.ErrSchemaDiverged) || !strings.Contains(err.Error(), last) || !strings.Contains(err.Error(), "999_future.sql") {
			t.Fatalf("%s: got %v, want ErrSchemaDiverged naming %s and 999_future.sql", what, err, last)
		}
	}
	if p, err := db.PendingMigrations(ctx); err != nil || len(p) != 1 || p[0] != last {
		t.Fatalf("after the refused migrate: pending %v, %v; want [%s] still", p, err, last)
	}
}

// second is the error of a call that returns two values.
func second[T any](_ T, err error) error { return err }

func testSigningKeyRotate(t *testing.T, s *store.Store) {
	ctx := context.Background()
	before := must[[]*omadata.SigningKey](t)(s.FindSigningKeys(ctx))
	k1 := &omadata.SigningKey{ID: omadata.NewID(omadata.PrefixSigningKey), Purpose: omadata.KeyPurposeRecords, Algorithm: "EdDSA", PublicJWK: `{"kty":"OKP"}`, PrivateKey: []byte{0, 1, 2, 255}}
	ok(t, s.RotateSigningKey(ctx, k1))
	k2 := &omadata.SigningKey{ID: omadata.NewID(omadata.PrefixSigningKey), Purpose: omadata.KeyPurposeRecords, Algorithm: "EdDSA", PublicJWK: `{"kty":"OKP"}`, PrivateKey: []byte{9}}
	ok(t, s.RotateSigningKey(ctx, k2))
	keys := must[[]*omadata.SigningKey](t)(s.FindSigningKeys(ctx))
	if len(keys) != len(before)+2 {
		t.Fatalf("got %d keys, want %d", len(keys), len(before)+2)
	}
	status := map[string]string{}
	for _, k := range keys {
		status[k.ID] = k.Status
		if k.ID == k1.ID && string(k.PrivateKey) != string(k1.PrivateKey) {
			t.Fatalf("sealed key bytes changed in the store: got %v", k.PrivateKey)
		}
	}
	if status[k1.ID] != "retired" || status[k2.ID] != "active" {
		t.Fatalf("got statuses %v, want k1 retired and k2 active", status)
	}
	wantCode(t, s.RotateSigningKey(ctx, &omadata.SigningKey{}), omadata.EINVALID)
}

// fixedClock makes the store's clock return t.
func fixedClock(s *store.Store, at time.Time) { s.DB().Now = func() time.Time { return at } }
