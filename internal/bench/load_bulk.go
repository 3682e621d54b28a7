// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/omadata/omadata/internal/keys"
)

// loadChunk is how many residents one write transaction loads.
const loadChunk = 10000

// rowWriter writes chunks of rows to one engine.
type rowWriter interface {
	write(ctx context.Context, c *chunk) error
	finish(ctx context.Context) error // after the last chunk: restore what the load set aside
	close() error
}

// bulkLoad writes every resident's rows. Rows are made by a worker per
// CPU and written in k order by one connection, so that every index
// grows at its right edge; residents are numbered in the order of their
// blind index, the one key that would otherwise land at random.
func (d *Dataset) bulkLoad(ctx context.Context, logf func(string, ...any)) error {
	kr, err := keys.NewKeyring(d.SecretKey)
	if err != nil {
		return err
	}
	total := d.Mix + 2*d.Pool
	start := time.Now()
	order := blindOrder(kr, total)
	logf("%s: %d identity codes hashed and ordered in %v", d.Engine, total, time.Since(start).Round(time.Millisecond))

	var w rowWriter
	switch d.Engine {
	case "sqlite":
		w, err = openSQLiteWriter(ctx, d.URL)
	default:
		w, err = openPostgresWriter(ctx, d.URL, logf)
	}
	if err != nil {
		return err
	}
	defer w.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		c   *chunk
		err error
	}
	n := (total + loadChunk - 1) / loadChunk
	slots := make([]chan result, n)
	for j := range slots {
		slots[j] = make(chan result, 1)
	}
	ahead := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	go func() {
		for j := 0; j < n; j++ {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				c, err := d.makeChunk(kr, order, j*loadChunk, min(total, (j+1)*loadChunk))
				slots[j] <- result{c, err}
			}()
		}
	}()
	start, reported := time.Now(), 0
	for j := 0; j < n; j++ {
		var r result
		select {
		case r = <-slots[j]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-ahead
		if r.err != nil {
			return r.err
		}
		if err := w.write(ctx, r.c); err != nil {
			return err
		}
		d.Residents += len(r.c.residents)
		d.Consents += len(r.c.consents)
		d.ConsentRecords += len(r.c.records)
		if pct := 10 * (j + 1) / n; pct > reported {
			reported = pct
			logf("%s: %3d%% of residents written (%v)", d.Engine, 10*pct, time.Since(start).Round(time.Second))
		}
	}
	return w.finish(ctx)
}

// blindOrder returns the indexes 0…n-1 of the synthetic identity codes,
// sorted by their blind index.
func blindOrder(kr *keys.Keyring, n int) []uint32 {
	type entry struct {
		h uint64
		i uint32
	}
	es := make([]entry, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			var b [8]byte
			for i := w; i < n; i += workers {
				code, _ := identityCode(i)
				hex.Decode(b[:], []byte(kr.BlindIndex(code)[:16]))
				es[i] = entry{binary.BigEndian.Uint64(b[:]), uint32(i)}
			}
		})
	}
	wg.Wait()
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.h, b.h) })
	order := make([]uint32, n)
	for k, e := range es {
		order[k] = e.i
	}
	return order
}
