// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// Processing version statuses. A draft may be edited; a published version is
// immutable; publishing a new version retires the one before it.
const (
	VersionDraft     = "draft"
	VersionPublished = "published"
	VersionRetired   = "retired"
)

// Recipient roles.
const (
	RecipientController = "controller"
	RecipientProcessor  = "processor"
	RecipientThirdParty = "third_party"
)

// Processing is a sink's declared use of data. Its content lives in numbered
// versions; consents are given on one published version.
type Processing struct {
	ID        string               `json:"id"`
	ServiceID string               `json:"service_id"`
	Code      string               `json:"code"`
	CreatedAt time.Time            `json:"created_at"`
	Versions  []*ProcessingVersion `json:"versions"`
}

// Current returns the published version, or nil.
func (p *Processing) Current() *ProcessingVersion {
	for _, v := range p.Versions {
		if v.Status == VersionPublished {
			return v
		}
	}
	return nil
}

// Latest returns the highest-numbered version.
func (p *Processing) Latest() *ProcessingVersion {
	if len(p.Versions) == 0 {
		return nil
	}
	return p.Versions[len(p.Versions)-1]
}

// ProcessingVersion is one version of a processing: data groups × purpose ×
// legal basis × retention × recipients.
type ProcessingVersion struct {
	ID                 string      `json:"id"`
	ProcessingID       string      `json:"processing_id"`
	Version            int         `json:"version"`
	Status             string      `json:"status"`
	Title              Text        `json:"title"`
	Description        Text        `json:"description"`
	PurposeID          string      `json:"purpose_id"`
	DataGroupIDs       []string    `json:"data_group_ids"`
	LegalBasis         string      `json:"legal_basis"`
	Art9Condition      string      `json:"art9_condition,omitempty"`
	LegalBasisNote     string      `json:"legal_basis_note,omitempty"` // statute or register entry for non-consent bases
	Retention          string      `json:"retention"`
	Recipients         []Recipient `json:"recipients"`
	AutomatedDecisions bool        `json:"automated_decisions"`
	Transparency
	// Compatible says, from version 2 on, whether consents given on the
	// previous version stay valid (true) or residents must renew (false).
	Compatible  bool       `json:"compatible_with_previous"`
	Notices     []*Notice  `json:"notices"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	// Approval is the latest approval of a version on a basis other than
	// consent, if any; it holds only while its digest matches the content.
	Approval *VersionApproval `json:"approval,omitempty"`
}

// VersionApproval records that the source controller's organisation admin,
// the operator's data protection officer or an operator admin approved a
// processing version on a basis other than consent: who, when, and the
// digest of the content they approved.
type VersionApproval struct {
	ID string `json:"id"`
	// ApprovedBy is the actor, as in admin changes: "admin:adm_…" or
	// "admin:staff:stf_…" (an operator admin), "organisation:staff:stf_…"
	// (the controller's organisation admin), "auditor:staff:stf_…" (the
	// operator's data protection officer).
	ApprovedBy    string    `json:"approved_by,omitempty"`
	ApprovedAt    time.Time `json:"approved_at"`
	ContentSHA256 string    `json:"content_sha256"`
}

// NeedsApproval reports whether the version rests on a basis other than
// consent. Such a version lets its sink receive data without asking the
// resident, so it is published, and decisions permit under it, only once
// the controller of the data or the operator has approved it.
func (v *ProcessingVersion) NeedsApproval() bool { return v.LegalBasis != BasisConsent }

// Approved reports whether the version needs no approval, or has one for
// exactly its present content.
func (v *ProcessingVersion) Approved() bool {
	return !v.NeedsApproval() || v.Approval != nil && v.Approval.ContentSHA256 == v.ContentSHA256()
}

// AwaitingApproval reports whether the version needs an approval it does
// not have (yet, or any more: its draft changed since).
func (v *ProcessingVersion) AwaitingApproval() bool {
	return v.Status != VersionRetired && !v.Approved()
}

// ContentSHA256 is the hex SHA-256 of what an approval approves: every
// field a resident or a controller reads, the data groups and each
// notice's hash; not the status or the times.
func (v *ProcessingVersion) ContentSHA256() string {
	notices, groups, recipients := map[string]string{}, v.DataGroupIDs, v.Recipients
	if groups == nil {
		groups = []string{}
	}
	if recipients == nil {
		recipients = []Recipient{}
	}
	for _, n := range v.Notices {
		notices[n.Language] = n.SHA256
	}
	b, err := json.Marshal(struct {
		ProcessingID       string            `json:"processing_id"`
		Version            int               `json:"version"`
		Title              Text              `json:"title"`
		Description        Text              `json:"description"`
		PurposeID          string            `json:"purpose_id"`
		DataGroupIDs       []string          `json:"data_group_ids"`
		LegalBasis         string            `json:"legal_basis"`
		Art9Condition      string            `json:"art9_condition"`
		LegalBasisNote     string            `json:"legal_basis_note"`
		Retention          string            `json:"retention"`
		Recipients         []Recipient       `json:"recipients"`
		AutomatedDecisions bool              `json:"automated_decisions"`
		Compatible         bool              `json:"compatible_with_previous"`
		Notices            map[string]string `json:"notices"`
		// Omitted when empty, so that approvals of versions made before
		// these fields existed keep their digest.
		Transparency
	}{v.ProcessingID, v.Version, v.Title, v.Description, v.PurposeID, groups, v.LegalBasis, v.Art9Condition,
		v.LegalBasisNote, v.Retention, recipients, v.AutomatedDecisions, v.Compatible, notices, v.Transparency})
	if err != nil {
		panic("omadata: encoding a processing version: " + err.Error()) // strings, bools, ints and maps of them: cannot fail
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Recipient is an organisation that receives the data under a processing.
type Recipient struct {
	Name string `json:"name"`
	// Names is the name in each language; a page shows the one in its
	// language and falls back to Name (receipts use Name).
	Names Text   `json:"names,omitempty"`
	Role  string `json:"role"` // controller, processor, third_party
}

// NameIn returns the recipient's name in lang, else Name.
func (r Recipient) NameIn(lang string) string {
	if s := r.Names.In(lang); s != "" {
		return s
	}
	return r.Name
}

// Notice is the text a resident reads for a processing version in one
// language. SHA256 lets later records prove exactly what was shown.
type Notice struct {
	Language  string    `json:"language"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	SHA256    string    `json:"sha256"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NoticeHash is the hex SHA-256 of the notice as shown: its title, a blank
// line, then its body, in UTF-8.
func NoticeHash(title, body string) string {
	h := sha256.Sum256([]byte(title + "\n\n" + body))
	return hex.EncodeToString(h[:])
}

// Validate checks the notice's own fields and sets its hash.
func (n *Notice) Validate() error {
	if !ValidLanguage(n.Language) {
		return Invalidf("language", "Unknown language %q; use fi, sv or en.", Truncate(n.Language, 10))
	} else if err := RequiredText("title", n.Title, 200); err != nil {
		return err
	} else if err := RequiredText("body", n.Body, 20000); err != nil {
		return err
	}
	n.SHA256 = NoticeHash(n.Title, n.Body)
	return nil
}

// Validate checks the version's own fields. CheckProcessingRules checks it
// against the purpose and data groups it refers to.
func (v *ProcessingVersion) Validate() error {
	if err := v.Title.Validate("title", 200, "fi", "sv", "en"); err != nil {
		return err
	} else if err := v.Description.Validate("description", 4000, "fi", "sv", "en"); err != nil {
		return err
	} else if !ValidID(PrefixPurpose, v.PurposeID) {
		return Invalidf("purpose_id", "Not a purpose ID.")
	} else if len(v.DataGroupIDs) == 0 {
		return Invalidf("data_group_ids", "Give at least one data group.")
	} else if len(v.DataGroupIDs) > 100 {
		return Invalidf("data_group_ids", "At most 100 data groups.")
	}
	for i, id := range v.DataGroupIDs {
		if !ValidID(PrefixDataGroup, id) {
			return Invalidf("data_group_ids", "Not a data group ID: %q.", Truncate(id, 40))
		} else if slices.Contains(v.DataGroupIDs[:i], id) {
			return Invalidf("data_group_ids", "Data group %s given twice.", id)
		}
	}
	if !ValidLegalBasis(v.LegalBasis) {
		return Invalidf("legal_basis", "Unknown legal basis; use one of %s.", legalBasisCodes())
	} else if v.Art9Condition != "" && !ValidArt9Condition(v.Art9Condition) {
		return Invalidf("art9_condition", "Unknown Art 9(2) condition; use A9-2-a to A9-2-j.")
	} else if err := CheckText("legal_basis_note", v.LegalBasisNote, 500); err != nil {
		return err
	} else if v.LegalBasis != BasisConsent && v.LegalBasis != BasisContract && v.LegalBasisNote == "" {
		return Invalidf("legal_basis_note", "Name the statute or register entry the %s basis rests on.", v.LegalBasis)
	} else if !ValidPeriod(v.Retention) {
		return Invalidf("retention", "Use an ISO 8601 period such as P1Y.")
	}
	if len(v.Recipients) > 50 {
		return Invalidf("recipients", "At most 50 recipients.")
	}
	for _, r := range v.Recipients {
		if err := RequiredText("recipients.name", r.Name, 200); err != nil {
			return err
		} else if err := r.Names.Validate("recipients.names", 200); err != nil {
			return err
		} else if r.Role != RecipientController && r.Role != RecipientProcessor && r.Role != RecipientThirdParty {
			return Invalidf("recipients.role", "Use controller, processor or third_party.")
		}
	}
	return v.Transparency.validate(v.LegalBasis, v.AutomatedDecisions)
}

// CheckProcessingRules checks a version against what it refers to: the
// purpose allows the legal basis; special-category data groups need an Art
// 9(2) condition, and the condition is refused without them; public
// authorities may not rely on legitimate interests.
func CheckProcessingRules(v *ProcessingVersion, p *Purpose, groups []*DataGroup, orgKind string) error {
	if !slices.Contains(p.LegalBases, v.LegalBasis) {
		return Invalidf("legal_basis", "The purpose %s allows only %v.", p.Code, p.LegalBases)
	}
	if v.LegalBasis == BasisLegitimateInterest && IsPublicAuthority(orgKind) {
		return Invalidf("legal_basis", "A public authority cannot rely on legitimate interests (A6-1-f) for its tasks.")
	}
	if v.LegalBasis == BasisLegitimateInterest {
		if err := v.LegitimateInterest.Validate("legitimate_interest", 1000, "fi", "sv", "en"); err != nil {
			return err
		}
	}
	special := ""
	for _, g := range groups {
		if g.SpecialCategory {
			special = g.Code
			break
		}
	}
	switch {
	case special != "" && v.Art9Condition == "":
		return Invalidf("art9_condition", "Data group %s is special-category data; give an Art 9(2) condition.", special)
	case special == "" && v.Art9Condition != "":
		return Invalidf("art9_condition", "Only for processings that include special-category data groups.")
	}
	return nil
}

// ProcessingDraft is the body that creates a processing, and its first version.
type ProcessingDraft struct {
	ServiceID          string      `json:"service_id"`
	Code               string      `json:"code"`
	Title              Text        `json:"title"`
	Description        Text        `json:"description"`
	PurposeID          string      `json:"purpose_id"`
	DataGroupIDs       []string    `json:"data_group_ids"`
	LegalBasis         string      `json:"legal_basis"`
	Art9Condition      string      `json:"art9_condition"`
	LegalBasisNote     string      `json:"legal_basis_note"`
	Retention          string      `json:"retention"`
	Recipients         []Recipient `json:"recipients"`
	AutomatedDecisions bool        `json:"automated_decisions"`
	Transparency
}

// Version returns the first version the draft describes.
func (d *ProcessingDraft) Version() *ProcessingVersion {
	return &ProcessingVersion{
		Version: 1, Status: VersionDraft,
		Title: d.Title, Description: d.Description, PurposeID: d.PurposeID,
		DataGroupIDs: d.DataGroupIDs, LegalBasis: d.LegalBasis, Art9Condition: d.Art9Condition,
		LegalBasisNote: d.LegalBasisNote, Retention: d.Retention, Recipients: d.Recipients,
		AutomatedDecisions: d.AutomatedDecisions, Transparency: d.Transparency,
	}
}

// ProcessingVersionUpdate holds the fields a PATCH of a draft may change.
type ProcessingVersionUpdate struct {
	Title              *Text        `json:"title"`
	Description        *Text        `json:"description"`
	PurposeID          *string      `json:"purpose_id"`
	DataGroupIDs       *[]string    `json:"data_group_ids"`
	LegalBasis         *string      `json:"legal_basis"`
	Art9Condition      *string      `json:"art9_condition"`
	LegalBasisNote     *string      `json:"legal_basis_note"`
	Retention          *string      `json:"retention"`
	Recipients         *[]Recipient `json:"recipients"`
	AutomatedDecisions *bool        `json:"automated_decisions"`
	Compatible         *bool        `json:"compatible_with_previous"`
	// The Transparency fields, each replaced whole when given.
	LegitimateInterest     *Text              `json:"legitimate_interest"`
	Transfers              *[]CountryTransfer `json:"third_country_transfers"`
	ProvisionRequirement   *string            `json:"provision_requirement"`
	ProvisionConsequence   *Text              `json:"provision_consequence"`
	AutomatedDecisionLogic *Text              `json:"automated_decision_logic"`
}

// Apply copies the set fields of u onto v.
func (u ProcessingVersionUpdate) Apply(v *ProcessingVersion) {
	setIf(&v.Title, u.Title)
	setIf(&v.Description, u.Description)
	setIf(&v.PurposeID, u.PurposeID)
	setIf(&v.DataGroupIDs, u.DataGroupIDs)
	setIf(&v.LegalBasis, u.LegalBasis)
	setIf(&v.Art9Condition, u.Art9Condition)
	setIf(&v.LegalBasisNote, u.LegalBasisNote)
	setIf(&v.Retention, u.Retention)
	setIf(&v.Recipients, u.Recipients)
	setIf(&v.AutomatedDecisions, u.AutomatedDecisions)
	setIf(&v.Compatible, u.Compatible)
	setIf(&v.LegitimateInterest, u.LegitimateInterest)
	setIf(&v.Transfers, u.Transfers)
	setIf(&v.ProvisionRequirement, u.ProvisionRequirement)
	setIf(&v.ProvisionConsequence, u.ProvisionConsequence)
	setIf(&v.AutomatedDecisionLogic, u.AutomatedDecisionLogic)
}

// ProcessingFilter selects processings.
type ProcessingFilter struct {
	ServiceID *string
	Status    *string // processings with a version in this status
	After     string
	Limit     int
}

// ProcessingService manages processings, their versions and notices.
// A sink manages its own; admins manage all.
type ProcessingService interface {
	FindProcessingByID(ctx context.Context, id string) (*Processing, error)
	FindProcessings(ctx context.Context, f ProcessingFilter) ([]*Processing, string, error)
	// CreateProcessing creates a processing with a draft version 1.
	// EINVALID when the service is not a sink or a rule is broken.
	CreateProcessing(ctx context.Context, d *ProcessingDraft) (*Processing, error)
	// CreateVersion starts a draft copied from the latest version, stating
	// whether consents on the previous version stay valid. ECONFLICT when a
	// draft already exists.
	CreateVersion(ctx context.Context, processingID string, compatible bool) (*ProcessingVersion, error)
	// UpdateVersion edits a draft; a published or retired version is
	// ECONFLICT on field "status".
	UpdateVersion(ctx context.Context, processingID string, version int, u ProcessingVersionUpdate) (*ProcessingVersion, error)
	// PutNotice sets a draft version's notice in one language.
	PutNotice(ctx context.Context, processingID string, version int, n *Notice) (*ProcessingVersion, error)
	// PublishVersion publishes a draft and retires the version before it.
	// Needs an approved sink and notices in every language; a version on a
	// basis other than consent also an approval of its content (ECONFLICT
	// on field "approval" without one).
	PublishVersion(ctx context.Context, processingID string, version int) (*ProcessingVersion, error)
	// ApproveVersion records the approval of a version on a basis other
	// than consent, a draft ready to publish or a published one, by an
	// operator admin, the operator's data protection officer (an admin
	// caller marked DataProtectionOfficer) or an organisation admin whose
	// organisation (or its divisions) holds every data group of the
	// version: EFORBIDDEN for
	// anyone else who sees the processing, ECONFLICT (field "legal_basis")
	// for a consent-based version and (field "approval") for one already
	// approved as it is.
	ApproveVersion(ctx context.Context, processingID string, version int) (*ProcessingVersion, error)
	// RetireProcessing retires the published version: no new consents.
	RetireProcessing(ctx context.Context, processingID string) (*Processing, error)
}

// CompatibleSince reports whether a consent given on version from still
// holds under version to of the same processing: every version after from,
// up to and including to, must be marked compatible with the one before
// it. versions may be in any order; missing versions count as
// incompatible.
func CompatibleSince(versions []*ProcessingVersion, from, to int) bool {
	if to < from {
		return false
	}
	compatible := map[int]bool{}
	for _, v := range versions {
		compatible[v.Version] = v.Compatible
	}
	for n := from + 1; n <= to; n++ {
		if !compatible[n] {
			return false
		}
	}
	return true
}
