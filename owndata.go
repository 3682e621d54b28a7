// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"time"
)

// OwnDataGroup is a data group a source holds about a resident: a source
// that has linked the resident (ResidentService.LinkResident), with what
// the resident is told of the group before any data is fetched.
type OwnDataGroup struct {
	DataGroup   *DataGroup `json:"data_group"`
	Service     *Service   `json:"service"`      // the source
	Controller  string     `json:"controller"`   // the source's organisation name, in the caller's language where known
	LegalGround string     `json:"legal_ground"` // why the source holds it, as the catalogue states it
}

// OwnData is one source's answer for one data group about one resident,
// fetched live and never stored by the operator beyond the response. The
// shape is the source protocol's (docs/own-data.md).
type OwnData struct {
	DataGroupID string        `json:"data_group_id"`
	ServiceID   string        `json:"service_id"`
	Status      string        `json:"status"` // OwnDataOK, OwnDataNone, OwnDataUnavailable or OwnDataInvalid
	Items       []OwnDataItem `json:"items,omitempty"`
	Table       *OwnDataTable `json:"table,omitempty"` // where the data is tabular; its CSV form is made from it
	FetchedAt   time.Time     `json:"fetched_at"`
	TransferID  string        `json:"transfer_id,omitempty"` // the transfer it was recorded as
}

// Statuses of an OwnData.
const (
	OwnDataOK          = "ok"
	OwnDataNone        = "none"        // the source knows the resident but holds nothing in this group now
	OwnDataUnavailable = "unavailable" // the source did not answer in time, or answered an error
	OwnDataInvalid     = "invalid"     // the source answered something that is not the protocol's shape
)

// OwnDataItem is one fact a source holds: a label per language, a value,
// and the date it is of ("2026-11-02"), if it has one.
type OwnDataItem struct {
	Label Text   `json:"label"`
	Value string `json:"value"`
	Date  string `json:"date,omitempty"`
}

// OwnDataTable is tabular data: column keys with labels per language, and
// rows keyed by column.
type OwnDataTable struct {
	Columns []OwnDataColumn     `json:"columns"`
	Rows    []map[string]string `json:"rows"`
}

// OwnDataColumn is a column of an OwnDataTable.
type OwnDataColumn struct {
	Key   string `json:"key"`
	Label Text   `json:"label"`
}

// OwnDataService answers a resident (or their representative, within the
// representation's scope) with the data the city's sources hold about
// them. Calls are the caller's: a resident sees their own, or those of
// someone they represent (residentID then names the principal).
type OwnDataService interface {
	// FindOwnDataGroups lists the data groups sources hold about
	// residentID, without fetching any data.
	FindOwnDataGroups(ctx context.Context, residentID string) ([]*OwnDataGroup, error)
	// FetchOwnData asks the sources for the data groups (all of
	// FindOwnDataGroups when dataGroupIDs is empty) in parallel, each
	// within the configured timeout, and returns an answer for every
	// group in the order asked: a source that is down or answers garbage
	// gives its status, never an error for the others.
	FetchOwnData(ctx context.Context, residentID string, dataGroupIDs []string) ([]*OwnData, error)
}

// OwnAccessPurposeID is the ID of the purpose "own-access", which the
// operator seeds (migration 018): why the operator fetches a resident's own
// data from a source, for the resident to see (GDPR Art 15) or take with
// them (Art 20), on a statutory ground, never a consent. It is the
// purpose_id of every grant the operator issues to itself, which a source
// checks, and "who used my data" shows such a transfer as the resident's
// own view.
const OwnAccessPurposeID = "pur_000000000000000000000acc15"

// OwnAccessGrant is a grant the operator issues to itself to fetch one
// data group of one resident from its source: audience the source, purpose
// own access, on GDPR Art 6(1)(c) with Art 15, bound to the operator's own
// DPoP key. Grant.SinkID is the source itself: no other service receives
// the data; the resident does.
type OwnAccessGrant struct {
	Grant     *Grant     `json:"grant"`
	Source    *Service   `json:"source"`
	DataGroup *DataGroup `json:"data_group"`
}

// OwnAccessService is the store's side of OwnDataService: which groups
// sources hold about a resident, the grants the operator issues to itself
// to fetch them, and the transfers it records. Every method takes the
// caller's rule of FindOwnDataGroups: a resident for themselves, a
// representative where Authority.Allows(RepOwnData, purpose), an admin for
// a resident with an access request not rejected (its export); anything
// else is ENOTFOUND.
type OwnAccessService interface {
	// FindOwnDataGroups lists the data groups of the approved sources
	// that know residentID by a pseudonym. ENOTFOUND for a resident the
	// caller may not see.
	FindOwnDataGroups(ctx context.Context, residentID string) ([]*OwnDataGroup, error)
	// IssueOwnAccessGrant records a permitting decision on the statutory
	// ground and a grant for the one data group, bound to the key of
	// thumbprint jkt, both logged. ENOTFOUND for a group the caller may
	// not see; EINVALID on field "jkt" for a bad thumbprint.
	IssueOwnAccessGrant(ctx context.Context, residentID, dataGroupID, jkt string) (*OwnAccessGrant, error)
	// RecordOwnAccess records, logged, that the source released the
	// grant's data to the resident. ENOTFOUND for a grant that is not an
	// own-access grant the caller may see; ECONFLICT on field "grant_id"
	// once it has expired.
	RecordOwnAccess(ctx context.Context, grantID string) (*Transfer, error)
}

// CSV is the table as RFC 4180 CSV with CRLF line ends: a header row of
// the columns' labels in lang (their keys when lang is ""), then a row per
// row. A cell a spreadsheet would take for a formula (one starting, after
// any spaces, with =, +, - or @, or starting with a tab or a carriage
// return) gets a leading apostrophe: a value from a source is data, never
// a command.
func (t *OwnDataTable) CSV(lang string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	row := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		row[i] = c.Key
		if lang != "" {
			row[i] = c.Label.In(lang)
		}
		row[i] = csvCell(row[i])
	}
	if err := w.Write(row); err != nil {
		return nil, err
	}
	for _, r := range t.Rows {
		for i, c := range t.Columns {
			row[i] = csvCell(r[c.Key])
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func csvCell(s string) string {
	if s == "" {
		return s
	}
	if strings.ContainsRune("\t\r", rune(s[0])) {
		return "'" + s
	}
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	return s
}
