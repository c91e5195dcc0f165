package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/node"
)

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(ds)
	if p.N != 100 || p.P50 != 50 || p.P95 != 95 || p.P99 != 99 || p.Max != 100 {
		t.Fatalf("percentiles of 1..100 ms: %+v", p)
	}
	if got := percentiles(nil); got != (Percentiles{}) {
		t.Fatalf("percentiles of nothing: %+v", got)
	}
	if got := percentiles([]time.Duration{7 * time.Millisecond}); got.P50 != 7 || got.P99 != 7 || got.N != 1 {
		t.Fatalf("percentiles of one: %+v", got)
	}
}

// The generated txs are the size asked for, and their events are valid, unique
// EPCIS events.
func TestGeneratedTxs(t *testing.T) {
	const chain, run, size = "bench-test", "r1", 1024
	pad, err := eventPad(run, chain, size)
	if err != nil {
		t.Fatal(err)
	}
	s := newSigners(chain, 2)
	ids := map[string]bool{}
	for _, n := range []uint64{0, 7, 12345, 1 << 30} {
		ev := objectEvent(run, n, pad)
		e, err := epcis.Parse(ev)
		if err != nil {
			t.Fatalf("event %d: %v\n%s", n, err, ev)
		}
		if len(e.EPCs) != 6 || ids[e.ID] {
			t.Fatalf("event %d: %d EPCs, id %s seen before: %v", n, len(e.EPCs), e.ID, ids[e.ID])
		}
		ids[e.ID] = true
		raw, err := recordTx(s[n%2], chain, n, ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) < size-16 || len(raw) > size+16 {
			t.Fatalf("tx of event %d is %d bytes, want about %d", n, len(raw), size)
		}
		if kv := kvTx(run, n, size); len(kv) != size || bytes.Count(kv, []byte("=")) != 1 || bytes.Contains(kv, []byte(":")) {
			t.Fatalf("kvstore tx %d: %d bytes, %q...", n, len(kv), kv[:32])
		}
	}
	if a, b := newSigners("x", 3), newSigners("x", 3); !bytes.Equal(a[2].addr, b[2].addr) {
		t.Fatal("signer keys are not deterministic")
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		stack []string
		comp  string
		phase string
		node  string
	}{
		{[]string{"crypto/internal/fips140/edwards25519/field.feMul", "crypto/ed25519.Verify", "github.com/poaledger/poaledger/app/tx.(*Envelope).VerifySignature", "github.com/poaledger/poaledger/app.(*App).CheckTx"},
			compSignatures, "CheckTx", "app CheckTx"},
		{[]string{"crypto/sha256.block", "github.com/cosmos/iavl.(*Node)._hash", "github.com/poaledger/poaledger/ledger.(*Store).Commit", "github.com/poaledger/poaledger/app.(*App).Commit"},
			compIAVL, "Commit", "app Commit"},
		{[]string{"runtime.mallocgc", "github.com/poaledger/poaledger/epcis.Parse", "github.com/poaledger/poaledger/app.(*App).FinalizeBlock"},
			compEPCIS, "FinalizeBlock", "app FinalizeBlock"},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, compGC, "GC (background)", compGC},
		{[]string{"github.com/dgraph-io/badger/v4.(*levelsController).compact"}, compBadger, "Badger background (flush, compaction)", compBadger},
		{[]string{"encoding/json.(*decodeState).object", "github.com/cometbft/cometbft/rpc/jsonrpc/server.handler", "github.com/cometbft/cometbft/mempool.(*CListMempool).CheckTx", "github.com/cometbft/cometbft/abci/example/kvstore.(*Application).CheckTx"},
			compCometBFT, "other", "app CheckTx"},
		{[]string{"github.com/cometbft/cometbft/state/txindex/kv.(*TxIndex).Index"}, compCometBFT, "other", "CometBFT tx indexer"},
		{[]string{"runtime.futex", "runtime.schedule"}, compOther, "other", compOther},
	} {
		if got := component(c.stack); got != c.comp {
			t.Errorf("component(%v) = %q, want %q", c.stack, got, c.comp)
		}
		if got := phase(c.stack); got != c.phase {
			t.Errorf("phase(%v) = %q, want %q", c.stack, got, c.phase)
		}
		if got := nodeSubsystem(c.stack); got != c.node {
			t.Errorf("nodeSubsystem(%v) = %q, want %q", c.stack, got, c.node)
		}
	}
}

func TestOptions(t *testing.T) {
	for _, quick := range []bool{false, true} {
		o := Defaults(quick)
		o.Exe = "/bin/true"
		if err := o.Validate(); err != nil {
			t.Fatalf("Defaults(%v): %v", quick, err)
		}
	}
	for name, f := range map[string]func(*Options){
		"no out":        func(o *Options) { o.Out = "" },
		"bad part":      func(o *Options) { o.Parts = []string{"network", "everything"} },
		"bad app":       func(o *Options) { o.Apps = []string{"geth"} },
		"no rates":      func(o *Options) { o.Rates = nil },
		"rate 0":        func(o *Options) { o.Rates = []float64{0} },
		"huge rate":     func(o *Options) { o.Rates = []float64{MaxRate + 1} },
		"long window":   func(o *Options) { o.Measure = time.Hour },
		"no signers":    func(o *Options) { o.Signers = 0 },
		"tiny tx":       func(o *Options) { o.TxBytes = 100 },
		"low port":      func(o *Options) { o.BasePort = 80 },
		"no exe":        func(o *Options) { o.Exe = "" },
		"query, no app": func(o *Options) { o.Apps = []string{AppKVStore} },
		"no blocks":     func(o *Options) { o.Blocks = 0 },
		"no queries":    func(o *Options) { o.Queries = 0 },
	} {
		o := Defaults(true)
		o.Exe = "/bin/true"
		f(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A results set renders to markdown, JSON and both charts, and the ratio is
// the saturated throughputs' quotient.
func TestReport(t *testing.T) {
	point := func(rate, tps, p50 float64) RatePoint {
		return RatePoint{OfferedTPS: rate, CommittedTPS: tps, Sent: int(rate), Committed: int(tps),
			LatencyMs: Percentiles{N: 10, P50: p50, P95: p50 * 1.5, P99: p50 * 2, Max: p50 * 3},
			Node0Profile: &ProfileShares{Seconds: 1, MsPerTx: 0.5,
				ByComponent: []Share{{Name: "app CheckTx", Seconds: 0.5, Percent: 50, MsPerTx: 0.25}, {Name: compGC, Seconds: 0.5, Percent: 50, MsPerTx: 0.25}}}}
	}
	r := &Results{Tool: "poaledger bench", StartedAt: time.Now(), Options: Defaults(true), Files: map[string]string{},
		Network: []NetworkResult{
			{App: AppPoaledger, Points: []RatePoint{point(200, 200, 900), point(400, 300, 4000)}},
			{App: AppKVStore, Points: []RatePoint{point(200, 200, 950), point(400, 400, 1100)}},
		},
		Query:     &QueryResult{Events: 10, Clients: 2, Plain: QueryStats{Queries: 5, PerSec: 100}},
		InProcess: &InProcResult{PrefillEvents: 10, EventsPerSec: 1000, ProfileBlocks: &ProfileShares{ByComponent: []Share{{Name: compIAVL, Percent: 100}}}},
	}
	r.finish()
	if r.RatioVsKVStore == nil || *r.RatioVsKVStore != 0.75 {
		t.Fatalf("ratio_vs_kvstore = %v, want 0.75 (300/400)", r.RatioVsKVStore)
	}
	dir := t.TempDir()
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, FileMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ratio 0.75", "| 400 | 300 | 400 | 0.75 |", "## Network run: kvstore", "## Queries", "## In-process", "| app CheckTx | 0.250 (50%) |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back["ratio_vs_kvstore"] != 0.75 {
		t.Errorf("results.json ratio_vs_kvstore = %v", back["ratio_vs_kvstore"])
	}
	for _, f := range []string{FileSVG, FilePNG} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) < 1000 {
			t.Errorf("%s: %d bytes, %v", f, len(b), err)
		}
	}
}

// AppForHome runs kvstore only where config.toml's proxy_app names it.
func TestAppForHome(t *testing.T) {
	for _, c := range []struct {
		proxy  string
		expect bool
	}{{"", false}, {"tcp://127.0.0.1:26658", false}, {ProxyAppKVStore, true}, {"kvstore", true}} {
		home := t.TempDir()
		cfg := config.NodeDefaults(home, "n")
		if c.proxy != "" {
			cfg.ProxyApp = c.proxy
		}
		if _, err := node.WriteNodeFiles(home, "n", cfg); err != nil {
			t.Fatal(err)
		}
		app, closeApp, err := AppForHome(home)
		if err != nil {
			t.Fatalf("proxy_app %q: %v", c.proxy, err)
		}
		if (app != nil) != c.expect {
			t.Fatalf("proxy_app %q: app %T", c.proxy, app)
		}
		if app != nil {
			if err := closeApp(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(home, "data", "kvstore.db")); err != nil {
				t.Fatalf("kvstore database: %v", err)
			}
		}
	}
}

// The in-process run on a tiny ledger produces every figure.
func TestInProcSmall(t *testing.T) {
	o := Defaults(true)
	o.Out = t.TempDir()
	o.Parts = []string{PartInProc}
	o.Prefill, o.PrefillBy, o.Blocks, o.BlockTxs, o.CheckTxs = 120, 40, 2, 50, 100
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	r := res.InProcess
	if r == nil || r.PrefillEvents != 120 || r.EventsPerSec <= 0 || r.CheckTx.FirstPerSec <= 0 || r.CheckTx.RecheckPerSec <= 0 ||
		r.FinalizeMs.N != 2 || r.ProfileBlocks == nil || r.ProfileCheckTx == nil {
		t.Fatalf("in-process results: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(o.Out, "work")); !os.IsNotExist(err) {
		t.Errorf("work directory left behind: %v", err)
	}
	for _, f := range []string{FileJSON, FileMarkdown, "cpu-blocks.pprof", "cpu-checktx.pprof"} {
		if _, err := os.Stat(filepath.Join(o.Out, f)); err != nil {
			t.Error(err)
		}
	}
}
