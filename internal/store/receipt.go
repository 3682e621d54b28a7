// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// Receipt vocabulary. Receipts follow the DPV guide to ISO/IEC TS 27560
// of DPVGuideVersion in its record-eu-gdpr profile (DPVRecordProfile,
// standards.md §4.2); omadata's own terms (a suspended status, actor
// roles, the record chain) live under OmadataNS.
const (
	DPVGuideVersion  = "https://www.w3.org/community/reports/dpvcg/CG-FINAL-guide-27560-20240801/"
	DPVRecordProfile = "https://w3id.org/dpv/schema/dpv-27560#record-eu-gdpr"
	OmadataNS        = "https://w3id.org/omadata#"
	ReceiptType      = "consent-receipt+jwt" // JWS "typ" of every receipt
	kantaraVersion   = "KI-CR-v1.1.0"
)

// dpvContext is every receipt's inline JSON-LD context: the guide's
// prefixes, and terms for the members a JWT and the record chain name
// without one, so that a JSON-LD processor drops nothing.
var dpvContext = map[string]any{
	"dpv":         omadata.DPVBase,
	"pd":          omadata.PDBase,
	"eu-gdpr":     omadata.GDPRBase,
	"loc":         "https://w3id.org/dpv/loc#",
	"dct":         "http://purl.org/dc/terms/",
	"rdf":         "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
	"schema":      "https://schema.org/",
	"omadata":     OmadataNS,
	"iss":         map[string]string{"@id": "dct:publisher", "@type": "@id"},
	"iat":         "omadata:issuedAt",
	"prev_hash":   "omadata:prevHash",
	"record_hash": "omadata:recordHash",
}

// dpvStatus maps consent statuses to DPV consent statuses (standards.md §2).
var dpvStatus = map[string]string{
	omadata.ConsentRequested: "dpv:ConsentRequested",
	omadata.ConsentGiven:     "dpv:ConsentGiven",
	omadata.ConsentRefused:   "dpv:ConsentRefused",
	omadata.ConsentSuspended: "omadata:ConsentSuspended", // no DPV term; under dpv:ConsentStatusInvalidForProcessing
	omadata.ConsentWithdrawn: "dpv:ConsentWithdrawn",
	omadata.ConsentRevoked:   "dpv:ConsentRevoked",
	omadata.ConsentExpired:   "dpv:ConsentExpired",
}

// dpvActor maps actor roles to the entity that indicated a status.
var dpvActor = map[string]string{
	omadata.ActorSelf:     "dpv:DataSubject",
	omadata.ActorGuardian: "dpv:GuardianOfDataSubject",
	omadata.ActorMandate:  "omadata:MandateHolder",
	omadata.ActorSink:     "dpv:DataController",
	omadata.ActorOperator: "omadata:Operator",
	omadata.ActorOfficial: "omadata:Official",
	omadata.ActorSystem:   "omadata:System",
}

var dpvRecipient = map[string]string{
	omadata.RecipientController: "dpv:DataController",
	omadata.RecipientProcessor:  "dpv:DataProcessor",
	omadata.RecipientThirdParty: "dpv:ThirdParty",
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// dpvRecord is the payload of a record's receipt: an ISO/IEC TS 27560
// consent record shaped as the DPV guide "Consent Records and Receipts as
// per ISO/IEC TS 27560:2023 using DPV" of 2024-08-01 (DPVGuideVersion)
// says, in its profile record-eu-gdpr. The data subject is the sink's
// pseudonym of the resident, never an identity code or internal ID. No
// member is empty: what a record does not have is left out.
//
// The payload is built from the structs below, whose fields are in the
// order of their JSON names, so that it encodes as a map would (sorted
// keys); receipt_test.go checks that.
func dpvRecord(issuer string, c *consentRow, p *consentParts, rec *omadata.ConsentRecord, subject string, notice omadata.Notice) *dpvReceipt {
	v := p.version
	lang := notice.Language
	if lang == "" {
		lang = omadata.Languages[0]
	}
	bases := []string{"eu-gdpr:" + v.LegalBasis}
	consentType := "dpv:ExpressedConsent"
	if v.Art9Condition != "" {
		bases = append(bases, "eu-gdpr:"+v.Art9Condition)
		consentType = "dpv:ExplicitlyExpressedConsent"
	}
	var recipients []dpvEntity
	for _, r := range v.Recipients {
		recipients = append(recipients, dpvEntity{Type: dpvRecipient[r.Role], Name: r.Name})
	}
	var sources []dpvSource
	for _, id := range p.sources(c.SourceIDs) {
		sources = append(sources, dpvSource{Type: "dpv:ThirdPartyDataSource", Identifier: id})
	}
	// The consent type qualifies the status that gives consent (the
	// guide's example 39); other statuses carry their own type only.
	types := []string{dpvStatus[rec.Status]}
	if rec.Status == omadata.ConsentGiven {
		types = append(types, consentType)
	}
	status := dpvConsentStatus{
		Type:             types,
		Description:      rec.Reason,
		IndicationMethod: rec.CollectionMethod,
		IndicatedAtTime:  rfc3339(rec.CreatedAt),
		IndicatedBy:      dpvIndicator{Type: dpvActor[rec.ActorRole], Role: rec.ActorRole},
	}
	if rec.ValidUntil != nil {
		status.Duration = &dpvDuration{Type: "dpv:UntilTimeDuration", Value: rfc3339(*rec.ValidUntil)}
	}
	// Where the resident sees this consent and withdraws it.
	manage := strings.TrimRight(issuer, "/") + "/" + lang + "/consents/" + c.ID
	return &dpvReceipt{
		Context:       dpvContextJSON,
		Type:          "dpv:ConsentRecord",
		ConformsTo:    DPVRecordProfile,
		Created:       rfc3339(rec.CreatedAt),
		Identifier:    rec.ID,
		ConsentStatus: status,
		DataSubject:   dpvSubject{Type: "dpv:DataSubject", Identifier: subject},
		Notice:        dpvNotice{Type: "dpv:ConsentNotice", Language: notice.Language, SHA256: notice.SHA256},
		Process: dpvProcess{
			Type:           "dpv:Process",
			Version:        v.Version,
			Identifier:     c.ProcessingID,
			Title:          v.Title.In(lang),
			ApplicableLaw:  "eu-gdpr:GDPR",
			ConsentControl: dpvControl{Type: "dpv:WithdrawConsent", ExercisedAt: manage},
			Controller:     controller(p.org, lang),
			Sources:        sources,
			Jurisdiction:   "loc:FI",
			LegalBasis:     bases,
			PersonalData:   personalData(p.groups),
			Processing:     []string{"dpv:Transfer"},
			Purpose:        p.purpose.DPVPurposes,
			Recipients:     recipients,
			Right:          []dpvRight{{Type: []string{"dpv:DataSubjectRight", "eu-gdpr:A7-3"}, Title: "Right to withdraw consent", ExercisedAt: manage}},
			Service:        dpvService{Type: "dpv:Service", Identifier: p.sink.ID, Name: p.sink.Name.In(lang)},
			Storage: []dpvStorage{{Type: "dpv:StorageDuration",
				Duration: dpvDuration{Type: "dpv:TemporalDuration", Value: v.Retention}}},
		},
		IssuedAt:   rec.CreatedAt.Unix(),
		Issuer:     issuer,
		Consent:    c.ID,
		Seq:        rec.Seq,
		PrevHash:   rec.PrevHash,
		RecordHash: rec.Hash,
	}
}

// controller is the sink's organisation as the guide's entity fields
// shape it: name, identifier, postal address, contact point, the privacy
// notice's URL and the data protection officer; what it lacks is left out.
func controller(o *omadata.Organisation, lang string) dpvController {
	ctl := dpvController{
		Type:       "dpv:DataController",
		Identifier: o.BusinessID,
		Name:       o.Name.In(lang),
		Contact:    dpvContact{Type: "schema:ContactPoint", Email: o.Email, Telephone: o.Phone},
	}
	if a := o.Address; a != (omadata.Address{}) {
		ctl.Address = &dpvAddress{Type: "schema:PostalAddress", Country: a.Country, Locality: a.City, PostalCode: a.PostalCode, Street: a.Street}
	}
	if o.PrivacyPolicyURL != "" {
		ctl.URL = &dpvPropertyValue{Type: "schema:PropertyValue", Name: "dpv:PrivacyNotice", Value: o.PrivacyPolicyURL}
	}
	if o.DPO.Name != "" || o.DPO.Email != "" {
		ctl.DPO = &dpvDPO{Type: "dpv:DataProtectionOfficer", Name: o.DPO.Name}
		if o.DPO.Email != "" {
			ctl.DPO.Contact = &dpvContact{Type: "schema:ContactPoint", Email: o.DPO.Email}
		}
	}
	return ctl
}

// dpvContextJSON is dpvContext encoded once.
var dpvContextJSON = func() json.RawMessage {
	b, err := json.Marshal(dpvContext)
	if err != nil {
		panic(err)
	}
	return b
}()

// dpvReceipt and the types below are the receipt's JSON objects, each
// with its members in the order of their names.
type dpvReceipt struct {
	Context       json.RawMessage  `json:"@context"`
	Type          string           `json:"@type"`
	ConformsTo    string           `json:"dct:conformsTo"`
	Created       string           `json:"dct:created"`
	Identifier    string           `json:"dct:identifier"`
	ConsentStatus dpvConsentStatus `json:"dpv:hasConsentStatus"`
	DataSubject   dpvSubject       `json:"dpv:hasDataSubject"`
	Notice        dpvNotice        `json:"dpv:hasNotice"`
	Process       dpvProcess       `json:"dpv:hasProcess"`
	IssuedAt      int64            `json:"iat"`
	Issuer        string           `json:"iss"`
	Consent       string           `json:"omadata:consent"`
	Seq           int              `json:"omadata:seq"`
	PrevHash      string           `json:"prev_hash,omitempty"` // none for the first record
	RecordHash    string           `json:"record_hash"`
}

type dpvConsentStatus struct {
	Type             []string     `json:"@type"`
	Description      string       `json:"dct:description,omitempty"`
	Duration         *dpvDuration `json:"dpv:hasDuration,omitempty"`
	IndicationMethod string       `json:"dpv:hasIndicationMethod"`
	IndicatedAtTime  string       `json:"dpv:isIndicatedAtTime"`
	IndicatedBy      dpvIndicator `json:"dpv:isIndicatedBy"`
}

// dpvDuration is a duration as the guide shapes it: a DPV duration type
// and its rdf:value (an end time, or an ISO 8601 period).
type dpvDuration struct {
	Type  string `json:"@type"`
	Value string `json:"rdf:value"`
}

type dpvIndicator struct {
	Type string `json:"@type"`
	Role string `json:"omadata:role"`
}

type dpvSubject struct {
	Type       string `json:"@type"`
	Identifier string `json:"dct:identifier"`
}

type dpvNotice struct {
	Type     string `json:"@type"`
	Language string `json:"dct:language,omitempty"`
	SHA256   string `json:"omadata:sha256,omitempty"`
}

type dpvProcess struct {
	Type           string        `json:"@type"`
	Version        int           `json:"dct:hasVersion"`
	Identifier     string        `json:"dct:identifier"`
	Title          string        `json:"dct:title,omitempty"`
	ApplicableLaw  string        `json:"dpv:hasApplicableLaw"`
	ConsentControl dpvControl    `json:"dpv:hasConsentControl"`
	Controller     dpvController `json:"dpv:hasDataController"`
	Sources        []dpvSource   `json:"dpv:hasDataSource,omitempty"`
	Jurisdiction   string        `json:"dpv:hasJurisdiction"`
	LegalBasis     []string      `json:"dpv:hasLegalBasis"`
	PersonalData   []string      `json:"dpv:hasPersonalData,omitempty"`
	Processing     []string      `json:"dpv:hasProcessing"`
	Purpose        []string      `json:"dpv:hasPurpose,omitempty"`
	Recipients     []dpvEntity   `json:"dpv:hasRecipient,omitempty"`
	Right          []dpvRight    `json:"dpv:hasRight"`
	Service        dpvService    `json:"dpv:hasService"`
	Storage        []dpvStorage  `json:"dpv:hasStorageCondition"`
}

type dpvControl struct {
	Type        string `json:"@type"`
	ExercisedAt string `json:"dpv:isExercisedAt"`
}

type dpvRight struct {
	Type        []string `json:"@type"`
	Title       string   `json:"dct:title"`
	ExercisedAt string   `json:"dpv:isExercisedAt"`
}

type dpvController struct {
	Type       string            `json:"@type"`
	DPO        *dpvDPO           `json:"dpv:hasDataProtectionOfficer,omitempty"`
	Identifier string            `json:"dpv:hasIdentifier,omitempty"`
	Name       string            `json:"dpv:hasName"`
	Address    *dpvAddress       `json:"schema:address,omitempty"`
	Contact    dpvContact        `json:"schema:contactPoint"`
	URL        *dpvPropertyValue `json:"schema:url,omitempty"`
}

type dpvAddress struct {
	Type       string `json:"@type"`
	Country    string `json:"schema:addressCountry,omitempty"`
	Locality   string `json:"schema:addressLocality,omitempty"`
	PostalCode string `json:"schema:postalCode,omitempty"`
	Street     string `json:"schema:streetAddress,omitempty"`
}

type dpvContact struct {
	Type      string `json:"@type"`
	Email     string `json:"schema:email,omitempty"`
	Telephone string `json:"schema:telephone,omitempty"`
}

type dpvPropertyValue struct {
	Type  string `json:"@type"`
	Name  string `json:"schema:name"`
	Value string `json:"schema:value"`
}

type dpvDPO struct {
	Type    string      `json:"@type"`
	Name    string      `json:"dpv:hasName,omitempty"`
	Contact *dpvContact `json:"schema:contactPoint,omitempty"`
}

type dpvEntity struct {
	Type string `json:"@type"`
	Name string `json:"dpv:hasName"`
}

type dpvSource struct {
	Type       string `json:"@type"`
	Identifier string `json:"dct:identifier"`
}

type dpvService struct {
	Type       string `json:"@type"`
	Identifier string `json:"dct:identifier"`
	Name       string `json:"dpv:hasName,omitempty"`
}

type dpvStorage struct {
	Type     string      `json:"@type"`
	Duration dpvDuration `json:"dpv:hasDuration"`
}

// personalData returns the pd: categories of the groups, each once.
func personalData(groups []*omadata.DataGroup) []string {
	out := []string{}
	for _, g := range groups {
		for _, c := range g.PersonalDataCategories {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// sign returns payload, encoded as JSON, as a compact JWS signed with the
// operator's record key: EdDSA, "kid" the key's ID, "typ" ReceiptType.
func (s *Store) sign(payload any) (string, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	return s.signJSON(b)
}

// signJSON signs a JSON payload as sign does. The JWS is built here rather
// than by go-jose, which encodes its header anew for every signature; the
// bytes are the same (Ed25519 signatures are deterministic), which
// receipt_test.go checks against go-jose.
func (s *Store) signJSON(payload []byte) (string, error) {
	if s.signer == nil {
		return "", errors.New("store: no signer configured for consent receipts")
	}
	return omadata.SignJWS(s.signer, ReceiptType, payload)
}

// ExportReceipt returns the receipt of one record of a consent.
func (s *Store) ExportReceipt(ctx context.Context, consentID string, seq int, format string) (string, error) {
	switch format {
	case "", omadata.ReceiptDPV, omadata.ReceiptKantara:
	default:
		return "", omadata.Invalidf("format", "Use dpv or kantara.")
	}
	r := s.db.reader()
	c, err := findConsent(ctx, r, consentID, s.db.Now())
	if err != nil {
		return "", err
	}
	if caller := omadata.CallerFromContext(ctx); caller.Kind == omadata.CallerService && caller.ServiceID != c.SinkID {
		return "", omadata.Errorf(omadata.EFORBIDDEN, "Receipts name the sink's pseudonym of the resident; only the sink, the resident and admins read them.")
	}
	rec, err := scanConsentRecord(r.queryRow(ctx, `SELECT `+consentRecordColumns+` FROM consent_records WHERE consent_id = ? AND seq = ?`, c.ID, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return "", omadata.NotFound("Consent record")
	} else if err != nil {
		return "", err
	}
	if format != omadata.ReceiptKantara {
		return rec.Receipt, nil
	}
	if rec.Status != omadata.ConsentGiven {
		return "", omadata.Conflictf("format", "A Kantara receipt records consent given; record %d is %s. Export it as dpv.", rec.Seq, rec.Status)
	}
	parts, err := loadConsentParts(ctx, r, c.VersionID)
	if err != nil {
		return "", err
	}
	var subject string
	if err := r.queryRow(ctx, `SELECT pseudonym FROM pseudonyms WHERE service_id = ? AND resident_id = ?`, c.SinkID, c.residentID).Scan(&subject); err != nil {
		return "", fmt.Errorf("sink pseudonym: %w", err)
	}
	lang := rec.NoticeLanguage
	if lang == "" {
		lang = omadata.Languages[0]
	}
	receipt := kantaraReceipt(c, parts, rec, subject, lang)
	receipt["iss"], receipt["iat"] = s.issuer, s.db.Now().Unix()
	return s.sign(receipt)
}

// kantaraPII maps DPV personal-data categories to Kantara v1.1 PII
// categories; anything unlisted is biographical.
var kantaraPII = map[string]string{
	"pd:Contact": "2 - Contact", "pd:Address": "2 - Contact", "pd:EmailAddress": "2 - Contact", "pd:TelephoneNumber": "2 - Contact",
	"pd:Biometric": "3 - Biometric", "pd:Genetic": "3 - Biometric",
	"pd:Social": "4 - Communications/Social", "pd:Relationship": "4 - Communications/Social", "pd:Family": "4 - Communications/Social",
	"pd:FamilyStructure": "4 - Communications/Social", "pd:Household": "4 - Communications/Social", "pd:Opinion": "4 - Communications/Social",
	"pd:Location": "5 - Network/Service",
	"pd:Health":   "6 - Health", "pd:HealthRecord": "6 - Health", "pd:HealthHistory": "6 - Health", "pd:PhysicalHealth": "6 - Health",
	"pd:Sexual":    "6 - Health",
	"pd:Financial": "7 - Financial", "pd:Income": "7 - Financial",
	"pd:OfficialID": "8 - Official ID",
	"pd:Criminal":   "10 - Judicial Data",
	"pd:Education":  "12 - HR Data", "pd:EducationExperience": "12 - HR Data", "pd:EducationQualification": "12 - HR Data",
	"pd:Professional": "12 - HR Data", "pd:Employment": "12 - HR Data",
	"pd:MentalHealth":         "13 - Mental Health",
	"pd:TradeUnionMembership": "14 - Membership", "pd:PoliticalAffiliation": "14 - Membership", "pd:Religion": "14 - Membership",
	"pd:Behavioral": "15 - Behavioral", "pd:ServiceConsumptionBehavior": "15 - Behavioral", "pd:Interest": "15 - Behavioral",
	"pd:Preference": "15 - Behavioral",
}

var collectionMethods = map[string]string{
	omadata.CollectedPortal: "web form in the omadata resident portal",
	omadata.CollectedAPI:    "API call on the resident's behalf",
	omadata.CollectedPaper:  "paper form recorded by an official",
	omadata.CollectedSystem: "recorded by the operator's system",
}

// kantaraReceipt is a Kantara Consent Receipt v1.1 for a given record, in
// the schema's own spelling (policyUrl, onBehalf).
func kantaraReceipt(c *consentRow, p *consentParts, rec *omadata.ConsentRecord, subject, lang string) map[string]any {
	v := p.version
	pii, spi := []string{}, []string{}
	sensitive := false
	for _, g := range p.groups {
		sensitive = sensitive || g.SpecialCategory
		for _, cat := range g.PersonalDataCategories {
			k := kantaraPII[cat]
			if k == "" {
				k = "1 - Biographical"
			}
			if !slices.Contains(pii, k) {
				pii = append(pii, k)
			}
			if _, special, _ := omadata.ParsePersonalDataCategory(cat); special && !slices.Contains(spi, cat) {
				spi = append(spi, cat)
			}
		}
	}
	purposeCategory := []string{}
	if p.purpose.KantaraCategory != "" {
		purposeCategory = append(purposeCategory, p.purpose.KantaraCategory)
	}
	var thirdParties []string
	for _, r := range v.Recipients {
		if r.Role != omadata.RecipientProcessor {
			thirdParties = append(thirdParties, r.Name)
		}
	}
	termination := "Withdraw at any time in the resident portal."
	if rec.ValidUntil != nil {
		termination = "Ends on " + rfc3339(*rec.ValidUntil) + " unless withdrawn earlier; withdraw at any time in the resident portal."
	}
	purpose := map[string]any{
		"purpose": v.Title.In(lang), "primaryPurpose": true, "consentType": "EXPLICIT",
		"purposeCategory": purposeCategory, "piiCategory": pii, "termination": termination,
		"thirdPartyDisclosure": len(thirdParties) > 0,
	}
	if len(thirdParties) > 0 {
		purpose["thirdPartyName"] = strings.Join(thirdParties, ", ")
	}
	phone := p.org.DPO.Phone
	if phone == "" {
		phone = p.org.Phone
	}
	controller := map[string]any{
		"piiController": p.org.Name.In(lang),
		"onBehalf":      false,
		"contact":       p.org.DPO.Name,
		"address": map[string]any{
			"streetAddress": p.org.Address.Street, "postalCode": p.org.Address.PostalCode,
			"addressLocality": p.org.Address.City, "addressCountry": p.org.Address.Country,
		},
		"email": p.org.DPO.Email,
		"phone": phone,
	}
	if p.org.Website != "" {
		controller["piiControllerUrl"] = p.org.Website
	}
	method := collectionMethods[rec.CollectionMethod]
	if method == "" {
		method = rec.CollectionMethod
	}
	return map[string]any{
		"version":          kantaraVersion,
		"jurisdiction":     "FI",
		"consentTimestamp": rec.CreatedAt.Unix(),
		"collectionMethod": method,
		"consentReceiptID": receiptUUID(rec.ID),
		"language":         lang,
		"piiPrincipalId":   subject,
		"piiControllers":   []any{controller},
		"policyUrl":        p.org.PrivacyPolicyURL,
		"services":         []any{map[string]any{"service": p.sink.Name.In(lang), "purposes": []any{purpose}}},
		"sensitive":        sensitive,
		"spiCat":           spi,
	}
}

// receiptUUID derives a record's Kantara consentReceiptID: the first 16
// bytes of SHA-256("omadata kantara receipt " + record ID), with the
// version (4) and variant bits of a random UUID set. The same record always
// has the same receipt ID.
func receiptUUID(recordID string) string {
	h := sha256.Sum256([]byte("omadata kantara receipt " + recordID))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
