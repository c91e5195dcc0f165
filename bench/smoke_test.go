package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/poaledger/poaledger/bench"
)

// smokeTimeout bounds the whole smoke run: `--quick` takes about a minute on two
// idle cores; the bound is generous for a loaded CI machine. Speed is never
// asserted: only that every result was produced.
const smokeTimeout = 15 * time.Minute

// TestQuickBench builds the poaledger binary (without -race, like the testnet
// suite) and runs `poaledger bench --quick --output json`, then checks that the
// results exist: the printed JSON and results.json parse, the markdown and the
// charts were written, and the figures that any run must produce are positive.
func TestQuickBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two 4-node testnets")
	}
	ctx, cancel := context.WithTimeout(context.Background(), smokeTimeout)
	defer cancel()
	bin := os.Getenv("POALEDGER_TEST_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "poaledger")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/poaledger")
		build.Dir = ".."
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	out := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "bench", "--quick", "--output", "json", "--out", out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 30 * time.Second
	start := time.Now()
	err := cmd.Run()
	t.Logf("poaledger bench --quick: %s\n%s", time.Since(start).Round(time.Second), stderr.String())
	if err != nil {
		t.Fatalf("poaledger bench --quick: %v\nstdout:\n%s", err, stdout.String())
	}

	var res bench.Results
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("--output json: %v\n%s", err, stdout.String())
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["ratio_vs_kvstore"]; !ok {
		t.Error("--output json has no ratio_vs_kvstore")
	}
	fileJSON, err := os.ReadFile(filepath.Join(out, bench.FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var fromFile bench.Results
	if err := json.Unmarshal(fileJSON, &fromFile); err != nil {
		t.Fatalf("%s: %v", bench.FileJSON, err)
	}
	for _, f := range []string{bench.FileMarkdown, bench.FileSVG, bench.FilePNG, "cpu-blocks.pprof", "cpu-checktx.pprof"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "work")); !os.IsNotExist(err) {
		t.Errorf("work directory left behind: %v", err)
	}

	positive := func(what string, v float64) {
		t.Helper()
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", what, v)
		}
	}
	if !res.Quick || len(res.Network) != 2 {
		t.Fatalf("quick=%v, %d network runs, want a quick run of both apps", res.Quick, len(res.Network))
	}
	for _, n := range res.Network {
		if len(n.Points) != len(bench.QuickRates) {
			t.Fatalf("%s: %d points, want %d", n.App, len(n.Points), len(bench.QuickRates))
		}
		for _, p := range n.Points {
			at := fmt.Sprintf("%s at %g tx/s: ", n.App, p.OfferedTPS)
			positive(at+"sent", float64(p.Sent))
			positive(at+"committed", float64(p.Committed))
			positive(at+"committed tx/s", p.CommittedTPS)
			positive(at+"latency p50", p.LatencyMs.P50)
			positive(at+"latency p99", p.LatencyMs.P99)
			if len(p.PeakRSSMiB) != n.Validators {
				t.Errorf("%s%d peak RSS figures for %d nodes", at, len(p.PeakRSSMiB), n.Validators)
			}
		}
	}
	positive("ed25519_verify_us", res.Machine.VerifyMicros)
	if res.RatioVsKVStore == nil {
		t.Error("ratio_vs_kvstore is null")
	} else {
		positive("ratio_vs_kvstore", *res.RatioVsKVStore)
	}
	if q := res.Query; q == nil {
		t.Error("no query results")
	} else {
		positive("plain queries/s", q.Plain.PerSec)
		positive("proven queries/s", q.Proven.PerSec)
	}
	if r := res.InProcess; r == nil {
		t.Error("no in-process results")
	} else {
		positive("prefill events", float64(r.PrefillEvents))
		positive("in-process events/s", r.EventsPerSec)
		positive("CheckTx first/s", r.CheckTx.FirstPerSec)
		positive("CheckTx recheck/s", r.CheckTx.RecheckPerSec)
		if r.ProfileBlocks == nil || len(r.ProfileBlocks.ByComponent) == 0 {
			t.Error("no profile of the measured blocks")
		}
	}
}
