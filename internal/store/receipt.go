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

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// Receipt vocabulary. The record profile IRI is pinned (standards.md §4.2);
// omadata's own terms (a suspended status, actor roles) live under
// OmadataNS.
const (
	DPVRecordProfile = "https://w3id.org/dpv/schema/dpv-27560#record-eu-gdpr"
	OmadataNS        = "https://w3id.org/omadata#"
	ReceiptType      = "consent-receipt+jwt" // JWS "typ" of every receipt
	kantaraVersion   = "KI-CR-v1.1.0"
)

var dpvContext = map[string]string{
	"dpv":     omadata.DPVBase,
	"pd":      omadata.PDBase,
	"eu-gdpr": omadata.GDPRBase,
	"loc":     "https://w3id.org/dpv/loc#",
	"dct":     "http://purl.org/dc/terms/",
	"time":    "http://www.w3.org/2006/time#",
	"rdf":     "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
	"schema":  "https://schema.org/",
	"omadata": OmadataNS,
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
// consent record in the W3C DPV profile. The data subject is the sink's
// pseudonym of the resident, never an identity code or internal ID.
func dpvRecord(issuer string, c *consentRow, p *consentParts, rec *omadata.ConsentRecord, subject string, notice omadata.Notice) map[string]any {
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
	recipients := []any{}
	for _, r := range v.Recipients {
		recipients = append(recipients, map[string]any{"@type": dpvRecipient[r.Role], "dct:title": r.Name})
	}
	controller := map[string]any{
		"@type":           "dpv:DataController",
		"dct:title":       p.org.Name.In(lang),
		"dpv:hasAddress":  postalAddress(p.org.Address),
		"dpv:hasContact":  map[string]any{"schema:email": p.org.Email, "schema:telephone": p.org.Phone},
		"dpv:hasPolicy":   p.org.PrivacyPolicyURL,
		"omadata:service": p.sink.ID,
		"dpv:hasDataProtectionOfficer": map[string]any{
			"@type": "dpv:DataProtectionOfficer", "dct:title": p.org.DPO.Name, "schema:email": p.org.DPO.Email,
		},
	}
	if p.org.BusinessID != "" {
		controller["dct:identifier"] = p.org.BusinessID
	}
	status := map[string]any{
		"@type":                   dpvStatus[rec.Status],
		"dpv:isIndicatedBy":       map[string]any{"@type": dpvActor[rec.ActorRole], "omadata:role": rec.ActorRole},
		"dpv:isIndicatedAtTime":   rfc3339(rec.CreatedAt),
		"dpv:hasIndicationMethod": rec.CollectionMethod,
	}
	if rec.ValidUntil != nil {
		d := map[string]any{"@type": "dpv:UntilTimeDuration", "time:hasEnd": rfc3339(*rec.ValidUntil)}
		if rec.ValidFrom != nil {
			d["time:hasBeginning"] = rfc3339(*rec.ValidFrom)
		}
		status["dpv:hasDuration"] = d
	}
	if rec.Reason != "" {
		status["dct:description"] = rec.Reason
	}
	return map[string]any{
		"@context":           dpvContext,
		"@type":              "dpv:ConsentRecord",
		"dct:conformsTo":     DPVRecordProfile,
		"dct:identifier":     rec.ID,
		"dct:created":        rfc3339(rec.CreatedAt),
		"omadata:consent":    c.ID,
		"omadata:seq":        rec.Seq,
		"dpv:hasDataSubject": map[string]any{"@type": "dpv:DataSubject", "dct:identifier": subject},
		"dpv:hasNotice": map[string]any{
			"@type": "dpv:ConsentNotice", "omadata:sha256": notice.SHA256, "dct:language": notice.Language,
		},
		"dpv:hasProcess": map[string]any{
			"@type":                   "dpv:Process",
			"dct:identifier":          c.ProcessingID,
			"dct:hasVersion":          v.Version,
			"dct:title":               v.Title.In(lang),
			"dpv:hasPurpose":          p.purpose.DPVPurposes,
			"dpv:hasPersonalData":     personalData(p.groups),
			"dpv:hasProcessing":       []string{"dpv:Transfer"},
			"dpv:hasLegalBasis":       bases,
			"dpv:hasDataController":   controller,
			"dpv:hasRecipient":        recipients,
			"dpv:hasStorageCondition": map[string]any{"@type": "dpv:StorageDuration", "dpv:hasDuration": map[string]any{"@type": "dpv:TemporalDuration", "rdf:value": v.Retention}},
			"dpv:hasJurisdiction":     "loc:FI",
			"omadata:sources":         p.sources(c.SourceIDs),
		},
		"dpv:hasConsentType":    consentType,
		"dpv:hasConsentStatus":  status,
		"dpv:hasConsentControl": []any{map[string]any{"@type": "dpv:WithdrawConsent", "dpv:isExercisedAt": issuer}},
		"dpv:hasRight":          "eu-gdpr:A7-3",
		"iss":                   issuer,
		"iat":                   rec.CreatedAt.Unix(),
		"record_hash":           rec.Hash,
		"prev_hash":             rec.PrevHash,
	}
}

func postalAddress(a omadata.Address) string {
	var parts []string
	for _, s := range []string{a.Street, strings.TrimSpace(a.PostalCode + " " + a.City), a.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
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

// sign returns payload as a compact JWS signed with the operator's record
// key: EdDSA, "kid" the key's ID, "typ" ReceiptType.
func (s *Store) sign(payload any) (string, error) {
	if s.signer == nil {
		return "", errors.New("store: no signer configured for consent receipts")
	}
	kid, key := s.signer.SigningKey()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType(ReceiptType).WithHeader("kid", kid))
	if err != nil {
		return "", fmt.Errorf("receipt signer: %w", err)
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(b)
	if err != nil {
		return "", fmt.Errorf("sign receipt: %w", err)
	}
	return jws.CompactSerialize()
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
