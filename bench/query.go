package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/poaledger/poaledger/client"
)

// queryTimeout bounds one query (a proven one may wait for a header).
const queryTimeout = 60 * time.Second

// queryRun looks events up by id over RPC, QueryClients clients at once spread
// over the nodes: first Queries plain lookups, then Queries proven ones
// (client.Event with a light-client Verifier from the testnet's genesis). Each
// client makes one untimed lookup of each kind first (the verifier's first
// header walk from genesis is a one-off).
func (n *network) queryRun(ctx context.Context) (*QueryResult, error) {
	o := n.o
	res := &QueryResult{Events: len(n.ids), Clients: o.QueryClients}
	if len(n.ids) == 0 {
		return nil, fmt.Errorf("bench: query run: no committed event to look up")
	}
	genesis := filepath.Join(n.m.HomePath(0), "config", "genesis.json")
	type qc struct {
		c *client.Client
		v *client.Verifier
	}
	clients := make([]qc, o.QueryClients)
	for i := range clients {
		c, err := client.New(n.m.Nodes[i%len(n.m.Nodes)].RPC)
		if err != nil {
			return nil, err
		}
		home := filepath.Join(n.o.Out, "work", "query", fmt.Sprintf("client%d", i))
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		v, err := client.NewVerifier(home, genesis, c)
		if err != nil {
			return nil, err
		}
		clients[i] = qc{c, v}
	}
	for _, prove := range []bool{false, true} {
		mode := "plain"
		if prove {
			mode = "proven"
		}
		n.prog.phase("query "+mode, int64(o.Queries))
		for _, c := range clients { // warm-up, untimed
			opts := client.QueryOpts{Prove: prove, Verifier: c.v}
			qctx, cancel := context.WithTimeout(ctx, queryTimeout)
			_, err := c.c.Event(qctx, n.ids[0], opts)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("bench: query run (%s): %w", mode, err)
			}
		}
		var (
			mu      sync.Mutex
			lat     []time.Duration
			errs    int
			samples []string
			wg      sync.WaitGroup
		)
		start := time.Now()
		for i, c := range clients {
			count := o.Queries / len(clients)
			if i < o.Queries%len(clients) {
				count++
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), 42))
				opts := client.QueryOpts{Prove: prove, Verifier: c.v}
				for range count {
					if ctx.Err() != nil {
						return
					}
					id := n.ids[rng.IntN(len(n.ids))]
					qctx, cancel := context.WithTimeout(ctx, queryTimeout)
					t0 := time.Now()
					r, err := c.c.Event(qctx, id, opts)
					d := time.Since(t0)
					cancel()
					if err == nil && prove && !r.Verified {
						err = fmt.Errorf("event %s: not verified", id)
					}
					mu.Lock()
					if err != nil {
						errs++
						if len(samples) < maxRejectSamples {
							samples = append(samples, err.Error())
						}
					} else {
						lat = append(lat, d)
					}
					mu.Unlock()
					n.prog.add(1)
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		secs := time.Since(start).Seconds()
		st := QueryStats{Queries: len(lat) + errs, Errors: errs, Seconds: secs, ErrorSamples: samples}
		st.PerSec = float64(len(lat)) / secs
		st.LatencyMs = percentiles(lat)
		if prove {
			res.Proven = st
		} else {
			res.Plain = st
		}
		n.prog.logf("query %s: %.0f queries/s, p50 %.1f ms, p99 %.1f ms, %d errors", mode, st.PerSec, st.LatencyMs.P50, st.LatencyMs.P99, errs)
	}
	return res, nil
}
