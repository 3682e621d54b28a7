// SPDX-License-Identifier: Apache-2.0

// Package owndata is the operator's side of the source protocol
// (docs/own-data.md): it asks the sources for a resident's own data, in
// parallel, each under a grant the operator issues to itself and within a
// timeout, and records each answer as a transfer. It keeps HTTP out of the
// store, which issues the grants and records the transfers.
package owndata

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
)

// DefaultTimeout is how long the operator waits for one source
// (OMADATA_SOURCE_TIMEOUT).
const DefaultTimeout = 5 * time.Second

// MaxBody is the largest answer a source may give, in bytes.
const MaxBody = client.OwnDataMaxBody

var _ omadata.OwnDataService = (*Service)(nil)

// Service implements omadata.OwnDataService over the store's
// OwnAccessService and HTTP.
type Service struct {
	store   omadata.OwnAccessService
	hc      *http.Client
	timeout time.Duration
	key     ed25519.PrivateKey // the operator's DPoP key; grants are bound to it
	jkt     string
	log     *slog.Logger
	now     func() time.Time
}

// New returns a Service that asks sources with hc (http.DefaultClient if
// nil), waiting at most timeout (DefaultTimeout if zero) for each. It never
// follows a redirect: a source answers at its registered URL, and a
// redirect would make the operator call, with its proof, wherever a source
// points it (an address inside the operator's network). Its DPoP key is
// made here and lives as long as the process: each grant is bound to the
// key of the instance that uses it.
func New(store omadata.OwnAccessService, hc *http.Client, timeout time.Duration, log *slog.Logger) (*Service, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc = &own
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if log == nil {
		log = slog.Default()
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	jkt, err := client.Thumbprint(key)
	if err != nil {
		return nil, err
	}
	return &Service{store: store, hc: hc, timeout: timeout, key: key, jkt: jkt, log: log, now: time.Now}, nil
}

// FindOwnDataGroups implements omadata.OwnDataService.
func (s *Service) FindOwnDataGroups(ctx context.Context, residentID string) ([]*omadata.OwnDataGroup, error) {
	return s.store.FindOwnDataGroups(ctx, residentID)
}

// FetchOwnData implements omadata.OwnDataService: every group is asked in
// its own goroutine, and the call returns once each has answered or run
// out of its time. A group the caller may not see is ENOTFOUND, before
// any source is asked.
func (s *Service) FetchOwnData(ctx context.Context, residentID string, dataGroupIDs []string) ([]*omadata.OwnData, error) {
	groups, err := s.store.FindOwnDataGroups(ctx, residentID)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*omadata.OwnDataGroup, len(groups))
	for _, g := range groups {
		byID[g.DataGroup.ID] = g
	}
	asked := groups
	if len(dataGroupIDs) > 0 {
		asked = make([]*omadata.OwnDataGroup, len(dataGroupIDs))
		for i, id := range dataGroupIDs {
			if asked[i] = byID[id]; asked[i] == nil {
				return nil, omadata.NotFound("Data group")
			}
		}
	}
	out := make([]*omadata.OwnData, len(asked))
	var wg sync.WaitGroup
	for i, g := range asked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.fetch(ctx, residentID, g)
		}()
	}
	wg.Wait()
	return out, nil
}

// fetch asks one source for one group; every failure becomes the group's
// status, logged with its cause.
func (s *Service) fetch(ctx context.Context, residentID string, g *omadata.OwnDataGroup) *omadata.OwnData {
	d := &omadata.OwnData{DataGroupID: g.DataGroup.ID, ServiceID: g.Service.ID, Status: omadata.OwnDataUnavailable}
	log := s.log.With("service_id", g.Service.ID, "data_group_id", g.DataGroup.ID)
	// The grant, the call and the answer share the one deadline, so a
	// slow source holds nothing longer than the timeout.
	tctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	status, data, grantID, err := s.ask(tctx, residentID, g)
	d.FetchedAt = s.now().UTC()
	switch {
	case err != nil:
		d.Status = status
		log.WarnContext(ctx, "own data: source did not answer", "status", status, "err", err)
		return d
	case status == omadata.OwnDataNone:
		d.Status = status
		return d
	}
	// The transfer is recorded after the answer, on the caller's own
	// context: a deadline met by the source is not undone here.
	x, err := s.store.RecordOwnAccess(context.WithoutCancel(ctx), grantID)
	if err != nil {
		log.ErrorContext(ctx, "own data: record transfer", "err", err)
		return d // data not recorded as given is not given
	}
	d.Status, d.Items, d.Table, d.TransferID = omadata.OwnDataOK, data.Items, data.Table, x.ID
	return d
}

// ask issues the grant and calls the source. It returns a status for a
// failure (unavailable or invalid) with its cause, none for a 404, or the
// answer.
func (s *Service) ask(ctx context.Context, residentID string, g *omadata.OwnDataGroup) (string, *client.OwnDataAnswer, string, error) {
	api := g.Service.Endpoints.API
	if api == "" {
		return omadata.OwnDataUnavailable, nil, "", errors.New("the source has no API endpoint")
	}
	og, err := s.store.IssueOwnAccessGrant(ctx, residentID, g.DataGroup.ID, s.jkt)
	if err != nil {
		return omadata.OwnDataUnavailable, nil, "", fmt.Errorf("issue grant: %w", err)
	}
	target := strings.TrimRight(api, "/") + client.OwnDataPath + url.PathEscape(g.DataGroup.Code)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return omadata.OwnDataUnavailable, nil, "", err
	}
	req.Header.Set("Accept", "application/json")
	if err := client.SignRequest(req, og.Grant.Token, s.key); err != nil {
		return omadata.OwnDataUnavailable, nil, "", err
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return omadata.OwnDataUnavailable, nil, "", err
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound:
		return omadata.OwnDataNone, nil, og.Grant.ID, nil
	case res.StatusCode != http.StatusOK:
		return omadata.OwnDataUnavailable, nil, "", fmt.Errorf("source answered %s", res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxBody+1))
	if err != nil {
		return omadata.OwnDataUnavailable, nil, "", fmt.Errorf("read answer: %w", err)
	} else if len(body) > MaxBody {
		return omadata.OwnDataInvalid, nil, "", fmt.Errorf("answer longer than %d bytes", MaxBody)
	}
	var a client.OwnDataAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return omadata.OwnDataInvalid, nil, "", fmt.Errorf("answer is not JSON: %w", err)
	} else if err := check(&a, g.DataGroup.Code); err != nil {
		return omadata.OwnDataInvalid, nil, "", err
	}
	return omadata.OwnDataOK, &a, og.Grant.ID, nil
}

// Limits of an answer beside its size.
const (
	maxItems  = 1000
	maxRows   = 10000
	maxColumn = 50
	maxText   = 2000
)

// check holds an answer to the protocol's shape (docs/own-data.md).
func check(a *client.OwnDataAnswer, code string) error {
	if a.DataGroup != code {
		return fmt.Errorf("answer is for data group %q, not %q", a.DataGroup, code)
	} else if len(a.Items) > maxItems {
		return fmt.Errorf("more than %d items", maxItems)
	} else if len(a.Items) == 0 && a.Table == nil {
		return errors.New("answer has neither items nor a table")
	}
	for i, it := range a.Items {
		if err := checkLabel(it.Label); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		} else if len(it.Value) > maxText {
			return fmt.Errorf("item %d: value longer than %d bytes", i, maxText)
		} else if it.Date != "" {
			if _, err := time.Parse(time.DateOnly, it.Date); err != nil {
				return fmt.Errorf("item %d: date %q is not YYYY-MM-DD", i, it.Date)
			}
		}
	}
	if t := a.Table; t != nil {
		if len(t.Columns) == 0 || len(t.Columns) > maxColumn {
			return fmt.Errorf("a table has 1 to %d columns", maxColumn)
		} else if len(t.Rows) > maxRows {
			return fmt.Errorf("more than %d rows", maxRows)
		}
		keys := map[string]bool{}
		for i, c := range t.Columns {
			if c.Key == "" || len(c.Key) > 100 || keys[c.Key] {
				return fmt.Errorf("column %d: empty, long or repeated key", i)
			} else if err := checkLabel(c.Label); err != nil {
				return fmt.Errorf("column %d: %w", i, err)
			}
			keys[c.Key] = true
		}
		for i, r := range t.Rows {
			for k, v := range r {
				if !keys[k] {
					return fmt.Errorf("row %d: no column %q", i, k)
				} else if len(v) > maxText {
					return fmt.Errorf("row %d: value longer than %d bytes", i, maxText)
				}
			}
		}
	}
	return nil
}

// checkLabel wants a label in at least one of the languages, each short.
func checkLabel(t omadata.Text) error {
	if len(t) == 0 {
		return errors.New("no label")
	}
	for lang, s := range t {
		if lang != "fi" && lang != "sv" && lang != "en" {
			return fmt.Errorf("label in unknown language %q", lang)
		} else if s == "" || len(s) > 200 {
			return fmt.Errorf("label %s empty or longer than 200 bytes", lang)
		}
	}
	return nil
}
