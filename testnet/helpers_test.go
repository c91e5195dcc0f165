package testnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/internal/testutil"
	"github.com/poaledger/poaledger/keyring"
)

// testBinary is the poaledger binary the cluster tests run (built once in TestMain,
// without -race so the nodes stay fast), or $POALEDGER_TEST_BIN.
var testBinary string

func TestMain(m *testing.M) {
	code := func() int {
		if bin := os.Getenv("POALEDGER_TEST_BIN"); bin != "" {
			testBinary = bin
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "poaledger-testnet-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		testBinary = filepath.Join(dir, "poaledger")
		cmd := exec.Command("go", "build", "-o", testBinary, "./cmd/poaledger")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building poaledger for the cluster tests: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// report prints to the test log and to stdout, so CI logs show it with or without -v.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	t.Log(msg)
	fmt.Printf("[%s] %s\n", t.Name(), msg)
}

// fastConsensus shortens CometBFT's timeouts for a loopback cluster and makes
// blocks keep coming without load (create_empty_blocks, interval 0), so block
// gaps measure liveness rather than the load generator's pace.
func fastConsensus(_ int, c *cmtcfg.Config) {
	c.Consensus.TimeoutPropose = 1500 * time.Millisecond
	c.Consensus.TimeoutProposeDelta = 200 * time.Millisecond
	c.Consensus.TimeoutPrevote = 300 * time.Millisecond
	c.Consensus.TimeoutPrevoteDelta = 200 * time.Millisecond
	c.Consensus.TimeoutPrecommit = 300 * time.Millisecond
	c.Consensus.TimeoutPrecommitDelta = 200 * time.Millisecond
	c.Consensus.TimeoutCommit = 300 * time.Millisecond
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.CreateEmptyBlocksInterval = 0
	c.P2P.PersistentPeersMaxDialPeriod = 2 * time.Second
	c.LogLevel = "*:info,p2p:error,pex:error"
}

// freeBasePort finds a base port whose block for n nodes is free on 127.0.0.1.
func freeBasePort(t *testing.T, n int) int {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		var b [2]byte
		_, _ = rand.Read(b[:])
		base := 20000 + (int(b[0])<<8|int(b[1]))%3000*10
		ok := true
		for p := base; p < base+PortsPerNode*n && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free block of ports found")
	return 0
}

// node is an RPC view of one node.
type rpcNode struct {
	name string
	rpc  *rpchttp.HTTP
}

func newRPCNodes(t *testing.T, names, addrs []string) []*rpcNode {
	t.Helper()
	out := make([]*rpcNode, len(addrs))
	for i, a := range addrs {
		c, err := rpchttp.New(a, "/websocket")
		if err != nil {
			t.Fatal(err)
		}
		out[i] = &rpcNode{name: names[i], rpc: c}
	}
	return out
}

// height returns the node's latest height, or an error if it does not answer in 2 s.
func (n *rpcNode) height(ctx context.Context) (int64, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := n.rpc.Status(ctx)
	if err != nil {
		return 0, false, err
	}
	return st.SyncInfo.LatestBlockHeight, st.SyncInfo.CatchingUp, nil
}

type blockMeta struct {
	hash, appHash []byte
	time          time.Time
}

// metas returns the block metas of heights [from, to] (at most 20 per call). A
// call that fails or lacks a height is retried (testutil.Poll) until ctx, bounded
// by liveness, ends: the caller asks only for heights the node has.
func (n *rpcNode) metas(ctx context.Context, from, to int64) (map[int64]blockMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, liveness)
	defer cancel()
	out := make(map[int64]blockMeta, to-from+1)
	for lo := from; lo <= to; lo += 20 {
		hi := min(lo+19, to)
		err := testutil.Poll(ctx, fmt.Sprintf("%s: block metas %d..%d", n.name, lo, hi), func(ctx context.Context) error {
			res, err := n.rpc.BlockchainInfo(ctx, lo, hi)
			if err != nil {
				return err
			}
			for _, m := range res.BlockMetas {
				out[m.Header.Height] = blockMeta{hash: m.BlockID.Hash, appHash: m.Header.AppHash, time: m.Header.Time}
			}
			for h := lo; h <= hi; h++ {
				if _, ok := out[h]; !ok {
					return fmt.Errorf("no block meta at height %d", h)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// waitHeight polls until every node in nodes is at height >= h (and not catching up),
// all within timeout.
func waitHeight(ctx context.Context, nodes []*rpcNode, h int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, n := range nodes {
		if _, err := testutil.WaitCaughtUp(ctx, n.rpc, h); err != nil {
			return fmt.Errorf("%s not at height %d within %s: %w", n.name, h, timeout, err)
		}
	}
	return nil
}

// maxHeight is the highest height any answering node reports.
func maxHeight(ctx context.Context, nodes []*rpcNode) int64 {
	var best int64
	for _, n := range nodes {
		if h, _, err := n.height(ctx); err == nil && h > best {
			best = h
		}
	}
	return best
}

// commonHeight is the lowest latest height of nodes: every one of them has every
// block up to it, so it is the highest height that can be compared across them.
// Each node's /status is polled until it answers (deadline liveness).
func commonHeight(ctx context.Context, nodes []*rpcNode) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, liveness)
	defer cancel()
	common := int64(-1)
	for _, n := range nodes {
		st, err := testutil.WaitHeight(ctx, n.rpc, 0)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", n.name, err)
		}
		if h := st.SyncInfo.LatestBlockHeight; common < 0 || h < common {
			common = h
		}
	}
	return common, nil
}

// consistency is what checkConsistency found.
type consistency struct {
	common     int64 // heights 1..common compared on every node
	acked      int   // txs acknowledged as committed
	found      int   // acknowledged txs found on every node
	events     int   // events of acknowledged txs
	uniqueOnce int   // events stored exactly once
}

// checkConsistency compares block and app hashes at every common height of nodes
// (1 to the lowest latest height among them), looks every acknowledged tx up on
// every node and checks each of its events is stored exactly once. It first waits
// until every node has the last acked tx's block. A lookup that fails or finds
// nothing yet (the tx indexer runs behind the block store) is retried until the
// check's deadline (liveness); a wrong answer fails at once.
func checkConsistency(t *testing.T, ctx context.Context, nodes []*rpcNode, acked []ackedTx) consistency {
	t.Helper()
	var c consistency
	var top int64
	for _, a := range acked {
		top = max(top, a.height)
	}
	if err := waitHeight(ctx, nodes, top, liveness); err != nil {
		t.Fatalf("before consistency check: %v", err)
	}
	var err error
	if c.common, err = commonHeight(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	ref, err := nodes[0].metas(ctx, 1, c.common)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[1:] {
		got, err := n.metas(ctx, 1, c.common)
		if err != nil {
			t.Fatal(err)
		}
		for h := int64(1); h <= c.common; h++ {
			if !bytes.Equal(ref[h].hash, got[h].hash) || !bytes.Equal(ref[h].appHash, got[h].appHash) {
				t.Fatalf("FORK at height %d: %s block %X app %X, %s block %X app %X", h,
					nodes[0].name, ref[h].hash, ref[h].appHash, n.name, got[h].hash, got[h].appHash)
			}
		}
	}
	c.acked = len(acked)
	lctx, cancel := context.WithTimeout(ctx, liveness)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	foundBy := make([]int, len(acked))
	var errs []error
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, a := range acked {
				var wrong error
				err := testutil.Poll(lctx, fmt.Sprintf("%s: acked tx %X (height %d)", n.name, a.hash, a.height), func(ctx context.Context) error {
					r, err := n.rpc.Tx(ctx, a.hash, false)
					if err != nil {
						return err
					}
					if r.Height != a.height || r.TxResult.Code != 0 {
						wrong = fmt.Errorf("%s: tx %X at height %d code %d, acked at %d", n.name, a.hash, r.Height, r.TxResult.Code, a.height)
					}
					return nil
				})
				mu.Lock()
				switch {
				case err != nil:
					errs = append(errs, fmt.Errorf("missing: %w", err))
				case wrong != nil:
					errs = append(errs, wrong)
				default:
					foundBy[i]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, f := range foundBy {
		if f == len(nodes) {
			c.found++
		}
	}
	if len(errs) > 0 {
		t.Fatalf("%d acknowledged-tx lookups failed, first: %v", len(errs), errs[0])
	}
	// Duplicates: the tx indexer lists every tx that stored an event id; exactly one.
	for _, a := range acked {
		for _, id := range a.eventIDs {
			c.events++
			var stored int
			err := testutil.Poll(lctx, "tx_search event "+id, func(ctx context.Context) error {
				page, perPage := 1, 5
				res, err := nodes[0].rpc.TxSearch(ctx, fmt.Sprintf("poaledger.event.id='%s'", id), false, &page, &perPage, "asc")
				if err != nil {
					return err
				}
				if stored = res.TotalCount; stored == 0 {
					return errors.New("not indexed yet")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if stored != 1 {
				t.Fatalf("event %s stored %d times", id, stored)
			}
			c.uniqueOnce++
		}
	}
	return c
}

// ackedTx is a tx the load generator saw committed with code 0.
type ackedTx struct {
	hash     []byte
	height   int64
	nonce    uint64
	eventIDs []string
}

// loadGen sends signed RecordEvents of unique events with the recorder key and
// sequential nonces, keeping up to window txs in flight. The tx for nonce n is a
// pure function of (run, n), so resending after a fault can never create a second,
// different tx for the same nonce. Bounded by maxTxs and minInterval per send.
type loadGen struct {
	nodes       []*rpcNode
	chainID     string
	priv        ed25519.PrivateKey
	run         string
	maxTxs      int
	window      int
	eventsPerTx int
	minInterval time.Duration
	resendAfter time.Duration

	mu      sync.Mutex
	acked   []ackedTx
	sent    int
	resends int
	failed  []error
}

func newLoadGen(t *testing.T, nodes []*rpcNode, chainID, recorderHome string) *loadGen {
	t.Helper()
	k, err := keyring.New(recorderHome).Get(RecorderKeyName)
	if err != nil {
		t.Fatal(err)
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	return &loadGen{nodes: nodes, chainID: chainID, priv: k.PrivKey, run: hex.EncodeToString(r[:]),
		maxTxs: 5000, window: 4, eventsPerTx: 2, minInterval: 50 * time.Millisecond, resendAfter: 3 * time.Second}
}

func (g *loadGen) build(nonce uint64) ([]byte, []string, error) {
	events := make([][]byte, g.eventsPerTx)
	ids := make([]string, g.eventsPerTx)
	for j := range events {
		events[j] = fmt.Appendf(nil, `{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.%s-%d-%d"]}`, g.run, nonce, j)
		ids[j] = epcis.EventID(events[j])
	}
	_, bz, err := tx.Sign(g.priv, &tx.Body{ChainID: g.chainID, Nonce: nonce, Msg: &tx.RecordEvents{Events: events}})
	return bz, ids, err
}

// Acked returns a copy of the acknowledged txs.
func (g *loadGen) Acked() []ackedTx {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]ackedTx(nil), g.acked...)
}

func (g *loadGen) stats() (sent, acked, resends int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sent, len(g.acked), g.resends
}

type pendingTx struct {
	bz       []byte
	hash     []byte
	nonce    uint64
	ids      []string
	lastSent time.Time
}

// Run sends txs until ctx ends or maxTxs are acknowledged. It starts at the
// recorder's committed nonce, read from the first node that answers.
func (g *loadGen) Run(ctx context.Context) {
	nonce, err := g.committedNonce(ctx)
	if err != nil {
		g.fail(err)
		return
	}
	k := 0 // node we send to and poll
	var pending []*pendingTx
	send := func(p *pendingTx) {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, _ = g.nodes[k].rpc.BroadcastTxSync(cctx, p.bz) // duplicates and refusals: the poll decides
		cancel()
		p.lastSent = time.Now()
	}
	for ctx.Err() == nil {
		g.mu.Lock()
		done := len(g.acked) >= g.maxTxs
		g.mu.Unlock()
		if done {
			return
		}
		for len(pending) < g.window && g.sent < g.maxTxs {
			bz, ids, err := g.build(nonce)
			if err != nil {
				g.fail(err)
				return
			}
			p := &pendingTx{bz: bz, hash: tx.Hash(bz), nonce: nonce, ids: ids}
			nonce++
			pending = append(pending, p)
			send(p)
			g.mu.Lock()
			g.sent++
			g.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(g.minInterval):
			}
		}
		if len(pending) == 0 {
			return
		}
		p := pending[0]
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		r, err := g.nodes[k].rpc.Tx(cctx, p.hash, false)
		cancel()
		switch {
		case err == nil && r.TxResult.Code == 0:
			g.mu.Lock()
			g.acked = append(g.acked, ackedTx{hash: p.hash, height: r.Height, nonce: p.nonce, eventIDs: p.ids})
			g.mu.Unlock()
			pending = pending[1:]
			continue
		case err == nil:
			g.fail(fmt.Errorf("tx nonce %d committed with code %d: %s", p.nonce, r.TxResult.Code, r.TxResult.Log))
			return
		case err != nil && !strings.Contains(err.Error(), "not found"):
			// node down or paused: move on to the next one and resend there
			k = (k + 1) % len(g.nodes)
			g.resendAll(pending, send)
			continue
		}
		if time.Since(p.lastSent) > g.resendAfter {
			k = (k + 1) % len(g.nodes)
			g.resendAll(pending, send)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (g *loadGen) resendAll(pending []*pendingTx, send func(*pendingTx)) {
	for _, p := range pending {
		send(p)
	}
	g.mu.Lock()
	g.resends++
	g.mu.Unlock()
}

func (g *loadGen) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failed = append(g.failed, err)
}

func (g *loadGen) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.failed...)
}

// committedNonce is the recorder's next nonce from the first node that answers; a
// malformed answer is an error at once.
func (g *loadGen) committedNonce(ctx context.Context) (uint64, error) {
	addr := tx.AddressString(tx.Address(g.priv.Public().(ed25519.PublicKey)))
	var last error
	for _, n := range g.nodes {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		v, err := testutil.NextNonce(cctx, n.rpc, addr)
		cancel()
		if errors.Is(err, testutil.ErrNonceValue) {
			return 0, err
		}
		if err != nil {
			last = err
			continue
		}
		return v, nil
	}
	return 0, fmt.Errorf("no node answered the nonce query: %w", last)
}

// startLoad runs g in the background; the returned stop waits for it to end.
func startLoad(g *loadGen) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// longestGap is the longest time between consecutive block headers in [from, to].
func longestGap(ctx context.Context, n *rpcNode, from, to int64) (time.Duration, error) {
	if to <= from {
		return 0, nil
	}
	ms, err := n.metas(ctx, from, to)
	if err != nil {
		return 0, err
	}
	var gap time.Duration
	for h := from + 1; h <= to; h++ {
		gap = max(gap, ms[h].time.Sub(ms[h-1].time))
	}
	return gap, nil
}
