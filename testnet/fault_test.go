package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/internal/testutil"
)

// Fault-suite parameters (issue 4). What the suite asserts is counted in blocks
// and heights; durations (catch-up time, longest block gap, ...) are measured and
// reported, never compared with a budget, so a loaded machine cannot fail it.
// liveness is the one deadline on waits: generous, it only keeps a stalled
// cluster from hanging the test.
const (
	faultBlocks     = 10               // heights the others commit while one validator is killed
	pauseBlocks     = 5                // heights the others commit while one validator is paused
	pauseFor        = 15 * time.Second // the SIGSTOP lasts at least this long (the fault, not a bound)
	haltObservation = 6 * time.Second  // how long "no block without quorum" is watched
	liveness        = 2 * time.Minute  // deadline of every wait for blocks or a catch-up
	stopDeadline    = time.Minute      // a clean stop (SIGTERM) that takes longer is a hang
)

// procCluster is a 4-validator loopback cluster of poaledger processes.
type procCluster struct {
	c     *Cluster
	nodes []*rpcNode
}

func startProcCluster(t *testing.T, validators int) *procCluster {
	t.Helper()
	return startProcClusterWith(t, InitOptions{Validators: validators, ChainID: "faults", Tune: fastConsensus})
}

// startProcClusterWith starts the testnet opts describes (Dir and BasePort are
// filled in), with members added to its genesis first.
func startProcClusterWith(t *testing.T, opts InitOptions, members ...app.GenesisMember) *procCluster {
	t.Helper()
	opts.Dir = t.TempDir()
	opts.BasePort = freeBasePort(t, opts.Validators)
	m, err := Init(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := AddGenesisMembers(m, members...); err != nil {
		t.Fatal(err)
	}
	c := NewCluster(m, testBinary)
	t.Cleanup(func() {
		if err := c.StopAll(stopDeadline); err != nil {
			t.Errorf("stopping cluster: %v", err)
		}
		if t.Failed() {
			for i, n := range m.Nodes {
				dumpLogTail(t, n.Name, filepath.Join(m.HomePath(i), LogFile))
			}
		}
	})
	if err := c.StartAll(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartupTimeout)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	var names, addrs []string
	for _, n := range m.Nodes {
		names, addrs = append(names, n.Name), append(addrs, n.RPC)
	}
	pc := &procCluster{c: c, nodes: newRPCNodes(t, names, addrs)}
	if err := waitHeight(ctx, pc.nodes, 2, liveness); err != nil {
		t.Fatal(err)
	}
	return pc
}

func dumpLogTail(t *testing.T, name, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	lines = lines[max(0, len(lines)-25):]
	t.Logf("--- last lines of %s (%s) ---\n%s", name, path, strings.Join(lines, "\n"))
}

// noUnexpectedExits fails the test if a node died without being asked to.
func (pc *procCluster) noUnexpectedExits(t *testing.T) {
	t.Helper()
	for {
		select {
		case e := <-pc.c.Exits():
			t.Errorf("node %s exited unexpectedly: %v", e.Node, e.Err)
		default:
			return
		}
	}
}

func (pc *procCluster) except(idx ...int) []*rpcNode {
	var out []*rpcNode
	for i, n := range pc.nodes {
		skip := false
		for _, j := range idx {
			skip = skip || i == j
		}
		if !skip {
			out = append(out, n)
		}
	}
	return out
}

func heightsString(ctx context.Context, nodes []*rpcNode) string {
	var parts []string
	for _, n := range nodes {
		h, _, err := n.height(ctx)
		if err != nil {
			parts = append(parts, n.name+":down")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s:%d", n.name, h))
	}
	return strings.Join(parts, " ")
}

// catchUp polls node until it reaches the others' height at the time of the call
// (deadline liveness) and returns how long that took.
func catchUp(ctx context.Context, node *rpcNode, others []*rpcNode) (time.Duration, error) {
	start := time.Now()
	target := maxHeight(ctx, others)
	if err := waitHeight(ctx, []*rpcNode{node}, target, liveness); err != nil {
		return time.Since(start), err
	}
	return time.Since(start), nil
}

func (pc *procCluster) consistencyReport(t *testing.T, ctx context.Context, g *loadGen, scenario string, extra string) {
	t.Helper()
	c := checkConsistency(t, ctx, pc.nodes, g.Acked())
	sent, _, resends := g.stats()
	report(t, "scenario=%s heights=[%s] %s compared_heights=1..%d txs_sent=%d txs_acked=%d acked_found_on_all=%d events=%d stored_once=%d resends=%d",
		scenario, heightsString(ctx, pc.nodes), extra, c.common, sent, c.acked, c.found, c.events, c.uniqueOnce, resends)
	if c.found != c.acked || c.uniqueOnce != c.events {
		t.Fatalf("acked %d found %d, events %d stored once %d", c.acked, c.found, c.events, c.uniqueOnce)
	}
}

// TestProcessClusterFaults runs fault scenarios 1, 5, 3 and 2 of issue 4 in turn on
// one 4-validator cluster of OS processes on 127.0.0.1, with the load generator
// running throughout. After each: identical block and app hashes at every common
// height, every acknowledged tx on every node, every event stored once.
func TestProcessClusterFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test; skipped with -short")
	}
	ctx := context.Background()
	pc := startProcCluster(t, 4)
	g := newLoadGen(t, pc.nodes, "faults", pc.c.Manifest().HomePath(0))
	stopLoad := startLoad(g)
	var stopOnce sync.Once
	t.Cleanup(func() { stopOnce.Do(stopLoad) })

	// Let some load commit before the first fault (and before scraping metrics).
	if err := pollUntil(ctx, liveness, func() bool { _, a, _ := g.stats(); return a >= 10 }); err != nil {
		t.Fatalf("load generator: no 10 txs acknowledged: %v (%v)", err, g.err())
	}

	t.Run("metrics_referenced_by_deploy_configs", func(t *testing.T) {
		checkDeployMetrics(t, strings.TrimSuffix(pc.c.Manifest().Nodes[0].Metrics, "/metrics")+"/metrics")
	})

	t.Run("1_kill_one_validator", func(t *testing.T) {
		const victim = 1
		others := pc.except(victim)
		h0 := maxHeight(ctx, others)
		if err := pc.c.Kill(victim); err != nil {
			t.Fatal(err)
		}
		// Blocks keep coming with 3 of 4 (75% > 2/3 of the power).
		if err := waitHeight(ctx, others, h0+faultBlocks, liveness); err != nil {
			t.Fatalf("chain stalled with one validator down: %v", err)
		}
		if err := pc.c.Start(victim); err != nil {
			t.Fatal(err)
		}
		pc.catchUpAndReport(t, ctx, g, victim, others, h0, "kill_one", fmt.Sprintf("killed=node%d", victim))
	})

	t.Run("5_pause_one_validator", func(t *testing.T) {
		const victim = 2
		others := pc.except(victim)
		h0 := maxHeight(ctx, others)
		if err := pc.c.Pause(victim); err != nil {
			t.Fatal(err)
		}
		paused := time.Now()
		resumed := false
		defer func() {
			if !resumed {
				_ = pc.c.Resume(victim)
			}
		}()
		// Meanwhile the other three must commit pauseBlocks heights; the fault lasts
		// until they have and at least pauseFor.
		if err := waitHeight(ctx, others, h0+pauseBlocks, liveness); err != nil {
			t.Fatalf("chain stalled with one validator paused: %v", err)
		}
		if err := pollUntil(ctx, pauseFor, func() bool { return time.Since(paused) >= pauseFor }); err != nil {
			t.Fatal(err)
		}
		if err := pc.c.Resume(victim); err != nil {
			t.Fatal(err)
		}
		resumed = true
		pausedFor := time.Since(paused)
		pc.catchUpAndReport(t, ctx, g, victim, others, h0, "pause_one", fmt.Sprintf("paused=node%d for=%s", victim, pausedFor.Round(time.Millisecond)))
	})

	t.Run("3_stop_two_validators", func(t *testing.T) {
		a, b := 1, 2
		live := pc.except(a, b)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k, i := range []int{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[k] = pc.c.Stop(i, stopDeadline) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// A block whose precommits were already out may still land: allow one.
		hStop := maxHeight(ctx, live)
		watched := time.Now()
		var hMax int64
		tick := time.NewTicker(200 * time.Millisecond) // observation interval of a negative check
		for time.Since(watched) < haltObservation {
			hMax = max(hMax, maxHeight(ctx, live))
			if hMax > hStop+1 {
				t.Fatalf("blocks committed without quorum: height %d -> %d with 2 of 4 validators", hStop, hMax)
			}
			<-tick.C
		}
		tick.Stop()
		cHalt := checkConsistency(t, ctx, live, nil)
		if err := pc.c.Start(a); err != nil {
			t.Fatal(err)
		}
		resumeStart := time.Now()
		resumedNodes := pc.except(b)
		if err := waitHeight(ctx, resumedNodes, hMax+3, liveness); err != nil {
			t.Fatalf("chain did not resume with 3 of 4 validators: %v", err)
		}
		resumeTook := time.Since(resumeStart)
		if err := pc.c.Start(b); err != nil {
			t.Fatal(err)
		}
		took, err := catchUp(ctx, pc.nodes[b], resumedNodes)
		if err != nil {
			t.Fatalf("second validator did not catch up: %v", err)
		}
		pc.noUnexpectedExits(t)
		pc.consistencyReport(t, ctx, g, "stop_two", fmt.Sprintf("stopped=node%d,node%d halted_at=%d max_seen_while_halted=%d (watched %s, heights 1..%d agreed on live nodes) resumed_in=%s second_catch_up=%s",
			a, b, hStop, hMax, haltObservation, cHalt.common, resumeTook.Round(time.Millisecond), took.Round(time.Millisecond)))
	})

	t.Run("2_kill_all_validators", func(t *testing.T) {
		hBefore := maxHeight(ctx, pc.nodes)
		ackedBefore := len(g.Acked())
		var wg sync.WaitGroup
		errs := make([]error, len(pc.nodes))
		for i := range pc.nodes {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = pc.c.Kill(i) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		restart := time.Now()
		if err := pc.c.StartAll(); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, StartupTimeout)
		defer cancel()
		if err := pc.c.WaitReady(rctx); err != nil {
			t.Fatal(err)
		}
		if err := waitHeight(ctx, pc.nodes, hBefore+3, liveness); err != nil {
			t.Fatalf("chain did not resume after killing all validators: %v", err)
		}
		took := time.Since(restart)
		pc.noUnexpectedExits(t)
		pc.consistencyReport(t, ctx, g, "kill_all", fmt.Sprintf("height_before_kill=%d acked_before_kill=%d restart_to_3_new_blocks=%s",
			hBefore, ackedBefore, took.Round(time.Millisecond)))
	})

	stopOnce.Do(stopLoad)
	if err := g.err(); err != nil {
		t.Fatalf("load generator: %v", err)
	}
	sent, acked, resends := g.stats()
	report(t, "load: sent=%d acked=%d resends=%d (window %d, %d events/tx)", sent, acked, resends, g.window, g.eventsPerTx)
}

// pollUntil polls cond (testutil.Poll's interval) until it holds or timeout passes.
func pollUntil(ctx context.Context, timeout time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return testutil.Poll(ctx, "condition", func(context.Context) error {
		if cond() {
			return nil
		}
		return errors.New("not met")
	})
}

// catchUpAndReport is the end of a one-validator fault: the victim must catch up
// with the others and no node exit unexpectedly; then the consistency checks and
// the report, which gives the catch-up time and the longest block gap of the fault
// heights h0..h1 (h1 the others' common height) as measurements.
func (pc *procCluster) catchUpAndReport(t *testing.T, ctx context.Context, g *loadGen, victim int, others []*rpcNode, h0 int64, scenario, fault string) {
	t.Helper()
	took, err := catchUp(ctx, pc.nodes[victim], others)
	if err != nil {
		t.Fatalf("node%d did not catch up: %v", victim, err)
	}
	h1, err := commonHeight(ctx, others)
	if err != nil {
		t.Fatal(err)
	}
	gap, err := longestGap(ctx, others[0], h0, h1)
	if err != nil {
		t.Fatal(err)
	}
	pc.noUnexpectedExits(t)
	pc.consistencyReport(t, ctx, g, scenario, fmt.Sprintf("%s fault_heights=%d..%d longest_gap=%s catch_up=%s",
		fault, h0, h1, gap.Round(time.Millisecond), took.Round(time.Millisecond)))
}
