//go:build linux || darwin || freebsd

package testnet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"go.yaml.in/yaml/v3"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/internal/testutil"
)

// The live-panel test (issue 15, section 5). Its phases, in order, under load
// except the last:
const (
	monLoaded   = 130 * time.Second // steady load before the first fault (a whole 2-m interval window)
	monPause    = 30 * time.Second  // node2 SIGSTOPped
	monBetween  = 30 * time.Second  // all up again
	monDown     = 30 * time.Second  // node1 SIGKILLed, then restarted
	monRecovery = 75 * time.Second  // steady load after the restart (a whole 1-m window after catch-up)
	monIdle     = 150 * time.Second // no load: ~31-s empty blocks (a whole 2-m window of them)
	// monScrape replaces deploy/prometheus.yml's 5-s scrape and evaluation
	// interval (the only change besides targets and paths): a restarted node
	// catches up in a few seconds, and a 1-s scrape gets a sample inside that.
	// Every panel expression keeps its own windows.
	monScrape = time.Second
	monPoll   = 250 * time.Millisecond // /status of every node, for heights and catching_up
	monPaused = 2                      // node index SIGSTOPped
	monKilled = 1                      // node index SIGKILLed and restarted
)

// TestMonitoringPanels starts Prometheus (POALEDGER_PROMETHEUS: `make test`
// builds it from tools/go.mod; else a prometheus on PATH) with deploy/'s config
// and alert rules against a 4-validator cluster with the node defaults, under
// load through one validator paused and another killed and restarted, then idle.
// It reads every panel's expressions from the dashboard JSON, evaluates them
// over Prometheus's HTTP API ($chain_id and $instance substituted) and compares
// them with the chain read over RPC: heights with /status, block times and
// intervals with header times, rounds and signatures with each block's last
// commit, rates with the txs committed, up and catching-up with what the test
// did and what /status said. It prints, per panel, the value shown and the
// truth, and fails on any panel without a check.
func TestMonitoringPanels(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test; skipped with -short")
	}
	promBin := os.Getenv("POALEDGER_PROMETHEUS")
	if promBin == "" {
		if p, err := exec.LookPath("prometheus"); err == nil {
			promBin = p
		} else if os.Getenv("CI") == "true" {
			t.Fatal("POALEDGER_PROMETHEUS unset and no prometheus on PATH (make test builds build/prometheus)")
		} else {
			t.Skip("POALEDGER_PROMETHEUS unset and no prometheus on PATH: `make test` builds it from tools/go.mod")
		}
	}
	ctx := context.Background()
	r := &monRun{t: t}
	r.startCluster(t)
	r.prom = startPrometheus(t, promBin, r.targets())
	r.polls = startMonPoller(r.nodes)
	defer r.polls.stop()

	// Phases. Every instant is recorded; the checks run afterwards on what
	// Prometheus stored, so nothing here races a scrape.
	r.start = time.Now()
	g := newLoadGen(t, r.nodes, r.chainID, r.cluster.Manifest().HomePath(0))
	stopLoad := startLoad(g)
	var stopOnce sync.Once
	t.Cleanup(func() { stopOnce.Do(stopLoad) })
	r.sleep(monLoaded)

	r.pause0 = time.Now()
	if err := r.cluster.Pause(monPaused); err != nil {
		t.Fatal(err)
	}
	r.sleep(monPause)
	// With one validator paused, another node's /metrics names it and its misses.
	r.pausedScrape = r.scrapeSigning(ctx, 0)
	if err := r.cluster.Resume(monPaused); err != nil {
		t.Fatal(err)
	}
	r.pause1 = time.Now()
	r.sleep(monBetween)

	r.kill0 = time.Now()
	if err := r.cluster.Kill(monKilled); err != nil {
		t.Fatal(err)
	}
	r.sleep(monDown)
	if err := r.cluster.Start(monKilled); err != nil {
		t.Fatal(err)
	}
	r.kill1 = time.Now()
	if _, err := catchUp(ctx, r.nodes[monKilled], r.except(monKilled)); err != nil {
		t.Fatalf("node%d did not catch up: %v", monKilled, err)
	}
	r.sleep(monRecovery)

	stopOnce.Do(stopLoad)
	r.loadStop = time.Now()
	if err := g.err(); err != nil {
		t.Fatalf("load generator: %v", err)
	}
	r.sleep(monIdle)
	r.end = time.Now()
	r.sleep(2 * monScrape) // the last scrapes are in
	r.polls.stop()
	for {
		select {
		case e := <-r.cluster.Exits():
			t.Errorf("node %s exited unexpectedly: %v", e.Node, e.Err)
			continue
		default:
		}
		break
	}

	r.readChain(ctx)
	r.readScrapes(ctx)
	panels := readPanels(t)
	for _, p := range panels {
		check := monChecks[monCheckKey(p.Title)]
		if check == nil {
			t.Errorf("panel %q has no live check", p.Title)
			continue
		}
		check(r, p)
	}
	r.checkAlerts(ctx)
	sent, acked, resends := g.stats()
	report(t, "load: sent=%d acked=%d resends=%d; phases from start: pause %s..%s kill %s..%s load stop %s end %s; chain heights 1..%d, %d commits after round 0",
		sent, acked, resends, r.at(r.pause0), r.at(r.pause1), r.at(r.kill0), r.at(r.kill1), r.at(r.loadStop), r.at(r.end), r.chain.top, r.chain.lateCount())
	r.printTable()
	if r.failed > 0 {
		t.Fatalf("%d panel checks failed (table above)", r.failed)
	}
}

// monRun is one run of the live-panel test: the cluster, Prometheus, what the
// test did when, what /status said, and the chain's truth.
type monRun struct {
	t       *testing.T
	cluster *Cluster
	nodes   []*rpcNode
	chainID string
	inst    []string // Prometheus instance label of each node
	vals    []string // validator address of each node
	prom    *monProm
	polls   *monPoller
	chain   *monChain

	start, pause0, pause1, kill0, kill1, loadStop, end time.Time
	pausedScrape                                       monSigningScrape

	scrapes [][]monScrapeRec // per node: every scrape attempt, by time

	rows   []monRow
	failed int
}

type monRow struct {
	panel, what, shown, truth string
	ok                        bool
}

func (r *monRun) row(panel, what, shown, truth string, ok bool) {
	r.rows = append(r.rows, monRow{panel, what, shown, truth, ok})
	if !ok {
		r.failed++
	}
}

func (r *monRun) printTable() {
	var b strings.Builder
	fmt.Fprintf(&b, "per panel, shown vs truth:\n")
	for _, w := range r.rows {
		mark := "ok  "
		if !w.ok {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %-40.40s | %-38s | shown: %s | truth: %s\n", mark, w.panel, w.what, w.shown, w.truth)
	}
	report(r.t, "%s", b.String())
}

func (r *monRun) at(t time.Time) string {
	return fmt.Sprintf("+%ds", int(t.Sub(r.start).Round(time.Second).Seconds()))
}

func (r *monRun) sleep(d time.Duration) { time.Sleep(d) }

func (r *monRun) except(i int) []*rpcNode {
	var out []*rpcNode
	for j, n := range r.nodes {
		if j != i {
			out = append(out, n)
		}
	}
	return out
}

// startCluster starts 4 validators with the node defaults (1-s commit, empty
// blocks every 30 s), as `poaledger testnet` would.
func (r *monRun) startCluster(t *testing.T) {
	dir := t.TempDir()
	r.chainID = "monitoring"
	m, err := Init(InitOptions{Dir: dir, Validators: 4, ChainID: r.chainID, BasePort: freeBasePort(t, 4)})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCluster(m, testBinary)
	r.cluster = c
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
	for i, n := range m.Nodes {
		names, addrs = append(names, n.Name), append(addrs, n.RPC)
		u, err := url.Parse(n.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		r.inst = append(r.inst, u.Host)
		var key struct {
			Address string `json:"address"`
		}
		raw, err := os.ReadFile(filepath.Join(m.HomePath(i), "config", "priv_validator_key.json"))
		if err != nil || json.Unmarshal(raw, &key) != nil {
			t.Fatalf("%s: validator key: %v", n.Name, err)
		}
		r.vals = append(r.vals, key.Address)
	}
	r.nodes = newRPCNodes(t, names, addrs)
	if err := waitHeight(ctx, r.nodes, 1, liveness); err != nil {
		t.Fatal(err)
	}
}

func (r *monRun) targets() []string { return r.inst }

func (r *monRun) nodeOf(instance string) int {
	for i, in := range r.inst {
		if in == instance {
			return i
		}
	}
	return -1
}

// ---- Prometheus ----

type monProm struct {
	url string
}

// startPrometheus runs bin with deploy/prometheus.yml (targets, rule file path
// and intervals adjusted, see monScrape) until the test ends.
func startPrometheus(t *testing.T, bin string, targets []string) *monProm {
	t.Helper()
	raw, err := os.ReadFile("../deploy/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	global, _ := cfg["global"].(map[string]any)
	if global == nil {
		t.Fatal("deploy/prometheus.yml: no global section")
	}
	global["scrape_interval"] = monScrape.String()
	global["scrape_timeout"] = monScrape.String()
	global["evaluation_interval"] = monScrape.String()
	rules, _ := cfg["rule_files"].([]any)
	if len(rules) == 0 {
		t.Fatal("deploy/prometheus.yml loads no rule file")
	}
	for i, f := range rules {
		abs, err := filepath.Abs(filepath.Join("../deploy", f.(string)))
		if err != nil {
			t.Fatal(err)
		}
		rules[i] = abs
	}
	scs, _ := cfg["scrape_configs"].([]any)
	if len(scs) != 1 {
		t.Fatalf("deploy/prometheus.yml: %d scrape configs, want 1", len(scs))
	}
	sc := scs[0].(map[string]any)
	if sc["job_name"] != "poaledger" {
		t.Fatalf("deploy/prometheus.yml: job %v, want poaledger (the dashboard's up panel selects it)", sc["job_name"])
	}
	sc["static_configs"] = []any{map[string]any{"targets": targets}}
	dir := t.TempDir()
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	logPath := filepath.Join(dir, "prometheus.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("prometheus log:\n%s", b)
			}
		}
	})
	p := &monProm{url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := testutil.Poll(ctx, "prometheus ready", func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/-/ready", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

type monPoint struct {
	t time.Time
	v float64
}

type monSeries struct {
	labels map[string]string
	pts    []monPoint
}

// api calls a Prometheus query endpoint and decodes its data.
func (p *monProm) api(ctx context.Context, path string, params url.Values) (string, json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+path, strings.NewReader(params.Encode()))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer res.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return "", nil, err
	}
	if body.Status != "success" {
		return "", nil, fmt.Errorf("prometheus %s %s: %s", path, params.Get("query"), body.Error)
	}
	return body.Data.ResultType, body.Data.Result, nil
}

func parseMonValue(v [2]any) (monPoint, error) {
	ts, ok := v[0].(float64)
	s, ok2 := v[1].(string)
	if !ok || !ok2 {
		return monPoint{}, fmt.Errorf("bad sample %v", v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return monPoint{}, err
	}
	return monPoint{t: time.Unix(0, int64(ts*1e9)), v: f}, nil
}

// instant evaluates expr at t; a range-vector expr gives the raw samples.
func (p *monProm) instant(ctx context.Context, expr string, at time.Time) ([]monSeries, error) {
	typ, raw, err := p.api(ctx, "/api/v1/query", url.Values{"query": {expr}, "time": {monTS(at)}})
	if err != nil {
		return nil, err
	}
	return decodeMon(typ, raw)
}

// rangeQuery evaluates expr every step over [from, to], as a Grafana panel does.
func (p *monProm) rangeQuery(ctx context.Context, expr string, from, to time.Time, step time.Duration) ([]monSeries, error) {
	typ, raw, err := p.api(ctx, "/api/v1/query_range", url.Values{"query": {expr}, "start": {monTS(from)}, "end": {monTS(to)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}})
	if err != nil {
		return nil, err
	}
	return decodeMon(typ, raw)
}

func monTS(t time.Time) string { return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64) }

func decodeMon(typ string, raw json.RawMessage) ([]monSeries, error) {
	switch typ {
	case "vector":
		var v []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		out := make([]monSeries, len(v))
		for i, s := range v {
			pt, err := parseMonValue(s.Value)
			if err != nil {
				return nil, err
			}
			out[i] = monSeries{labels: s.Metric, pts: []monPoint{pt}}
		}
		return out, nil
	case "matrix":
		var m []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		out := make([]monSeries, len(m))
		for i, s := range m {
			out[i].labels = s.Metric
			for _, v := range s.Values {
				pt, err := parseMonValue(v)
				if err != nil {
					return nil, err
				}
				out[i].pts = append(out[i].pts, pt)
			}
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		pt, err := parseMonValue(v)
		if err != nil {
			return nil, err
		}
		return []monSeries{{labels: map[string]string{}, pts: []monPoint{pt}}}, nil
	}
	return nil, fmt.Errorf("result type %q", typ)
}

// ---- /status polling ----

type monStatus struct {
	a, b       time.Time // request sent, answer received
	ok         bool
	height     int64
	catchingUp bool
	mempool    int // /num_unconfirmed_txs, -1 if it did not answer
}

type monPoller struct {
	mu    sync.Mutex
	polls [][]monStatus
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

func startMonPoller(nodes []*rpcNode) *monPoller {
	p := &monPoller{polls: make([][]monStatus, len(nodes)), quit: make(chan struct{})}
	for i, n := range nodes {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			tick := time.NewTicker(monPoll)
			defer tick.Stop()
			for {
				a := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				st, err := n.rpc.Status(ctx)
				cancel()
				s := monStatus{a: a, b: time.Now(), ok: err == nil, mempool: -1}
				if err == nil {
					s.height, s.catchingUp = st.SyncInfo.LatestBlockHeight, st.SyncInfo.CatchingUp
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					if res, err := n.rpc.NumUnconfirmedTxs(ctx); err == nil {
						s.mempool, s.b = res.Total, time.Now()
					}
					cancel()
				}
				p.mu.Lock()
				p.polls[i] = append(p.polls[i], s)
				p.mu.Unlock()
				select {
				case <-p.quit:
					return
				case <-tick.C:
				}
			}
		}()
	}
	return p
}

func (p *monPoller) stop() {
	p.once.Do(func() { close(p.quit); p.wg.Wait() })
}

// heightBounds is what /status says node i's height was over [from, to]: at
// least lo (the last answer received before from) and at most hi (the first
// answer to a request sent after to). ok is false without both.
func (p *monPoller) heightBounds(i int, from, to time.Time) (lo, hi int64, ok bool) {
	lo, hi = -1, -1
	for _, s := range p.polls[i] {
		if !s.ok {
			continue
		}
		if !s.b.After(from) {
			lo = max(lo, s.height)
		}
		if !s.a.Before(to) && hi < 0 {
			hi = s.height
		}
	}
	return lo, hi, lo >= 0 && hi >= 0
}

// catchingUp is what /status said about node i over [from, to]: known when the
// last answer before from, the first after to and every answer between agree.
func (p *monPoller) catchingUp(i int, from, to time.Time) (value, known bool) {
	first, last := -1, -1
	ps := p.polls[i]
	for k, s := range ps {
		if !s.ok {
			continue
		}
		if !s.b.After(from) {
			first = k
		}
		if !s.a.Before(to) {
			last = k
			break
		}
	}
	if first < 0 || last < 0 {
		return false, false
	}
	v := ps[first].catchingUp
	for _, s := range ps[first : last+1] {
		if !s.ok || s.catchingUp != v {
			return false, false
		}
	}
	return v, true
}

// catchUpSpan is the first and last time /status said node i was catching up
// after since (zero times if never).
func (p *monPoller) catchUpSpan(i int, since time.Time) (from, to time.Time) {
	for _, s := range p.polls[i] {
		if s.ok && s.catchingUp && s.a.After(since) {
			if from.IsZero() {
				from = s.a
			}
			to = s.b
		}
	}
	return from, to
}

// ---- the chain's truth ----

type monChain struct {
	top    int64
	time   map[int64]time.Time
	ntx    map[int64]int
	round  map[int64]int32           // round the commit of height h was made in (from block h+1)
	signed map[int64]map[string]bool // validators whose signature for the block the commit of h holds
	set    []string                  // the validator set (static here), in commit order
}

func (c *monChain) lateCount() int {
	n := 0
	for _, r := range c.round {
		if r > 0 {
			n++
		}
	}
	return n
}

// missed counts the commits of heights [1, upTo] lacking v's signature.
func (c *monChain) missed(v string, upTo int64) int {
	n := 0
	for h := int64(1); h <= upTo; h++ {
		if s, ok := c.signed[h]; ok && !s[v] {
			n++
		}
	}
	return n
}

// lag is the commits up to the commit of height upTo since v's last signature.
func (c *monChain) lag(v string, upTo int64) int64 {
	for h := upTo; h >= 1; h-- {
		if s, ok := c.signed[h]; ok && s[v] {
			return upTo - h
		}
	}
	return upTo
}

// events is the events in the ledger after height h (every tx of the load records 2).
func (c *monChain) events(h int64) int {
	n := 0
	for k := int64(1); k <= h; k++ {
		n += 2 * c.ntx[k]
	}
	return n
}

// observed is when nodes executed block h (FinalizeBlock of h runs as h is
// committed, whose time is the next header's): time(h+1), or false for the last.
func (c *monChain) observed(h int64) (time.Time, bool) {
	t, ok := c.time[h+1]
	return t, ok
}

// readChain reads every header, tx count and last commit from node0 (which
// stayed up throughout).
func (r *monRun) readChain(ctx context.Context) {
	t := r.t
	n := r.nodes[0]
	c := &monChain{time: map[int64]time.Time{}, ntx: map[int64]int{}, round: map[int64]int32{}, signed: map[int64]map[string]bool{}}
	vctx, cancel := context.WithTimeout(ctx, liveness)
	defer cancel()
	st, err := testutil.WaitHeight(vctx, n.rpc, 1)
	if err != nil {
		t.Fatal(err)
	}
	c.top = st.SyncInfo.LatestBlockHeight
	h1 := int64(1)
	vres, err := n.rpc.Validators(vctx, &h1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vres.Validators {
		c.set = append(c.set, v.Address.String())
	}
	for lo := int64(1); lo <= c.top; lo += 20 {
		hi := min(lo+19, c.top)
		res, err := n.rpc.BlockchainInfo(vctx, lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.BlockMetas {
			c.time[m.Header.Height] = m.Header.Time
			c.ntx[m.Header.Height] = m.NumTxs
		}
	}
	for h := int64(2); h <= c.top; h++ {
		hh := h
		b, err := n.rpc.Block(vctx, &hh)
		if err != nil {
			t.Fatal(err)
		}
		lc := b.Block.LastCommit
		c.round[h-1] = lc.Round
		s := map[string]bool{}
		for i, sig := range lc.Signatures {
			if sig.BlockIDFlag == cmttypes.BlockIDFlagCommit && i < len(c.set) {
				s[c.set[i]] = true
			}
		}
		c.signed[h-1] = s
	}
	r.chain = c
}

// ---- scrapes ----

type monScrapeRec struct {
	ts  time.Time
	ok  bool
	dur time.Duration
}

// readScrapes reads every scrape of every node from Prometheus (up and
// scrape_duration_seconds, raw samples): a panel's value at time t comes from
// the node's last scrape at or before t, whose values the node held between ts
// and ts + dur.
func (r *monRun) readScrapes(ctx context.Context) {
	span := fmt.Sprintf("[%ds]", int(r.end.Sub(r.start).Seconds())+30)
	r.scrapes = make([][]monScrapeRec, len(r.nodes))
	up, err := r.prom.instant(ctx, `up{job="poaledger"}`+span, r.end)
	if err != nil {
		r.t.Fatal(err)
	}
	dur, err := r.prom.instant(ctx, `scrape_duration_seconds{job="poaledger"}`+span, r.end)
	if err != nil {
		r.t.Fatal(err)
	}
	durs := map[string]map[int64]float64{}
	for _, s := range dur {
		m := map[int64]float64{}
		for _, p := range s.pts {
			m[p.t.UnixMilli()] = p.v
		}
		durs[s.labels["instance"]] = m
	}
	for _, s := range up {
		i := r.nodeOf(s.labels["instance"])
		if i < 0 {
			continue
		}
		for _, p := range s.pts {
			d := durs[s.labels["instance"]][p.t.UnixMilli()]
			r.scrapes[i] = append(r.scrapes[i], monScrapeRec{ts: p.t, ok: p.v == 1, dur: time.Duration(d * float64(time.Second))})
		}
	}
}

// scrapeAt is node i's last scrape at or before t.
func (r *monRun) scrapeAt(i int, t time.Time) (monScrapeRec, bool) {
	ss := r.scrapes[i]
	k := sort.Search(len(ss), func(k int) bool { return ss[k].ts.After(t) })
	if k == 0 {
		return monScrapeRec{}, false
	}
	return ss[k-1], true
}

// capture is when node i's values shown at t were read: [ts, ts+dur] of its
// last scrape (dur at least 1 ms, at most the scrape timeout).
func (r *monRun) capture(i int, t time.Time) (time.Time, time.Time, bool) {
	s, ok := r.scrapeAt(i, t)
	if !ok || !s.ok {
		return time.Time{}, time.Time{}, false
	}
	d := min(max(s.dur, time.Millisecond), monScrape)
	return s.ts, s.ts.Add(d), true
}

// ---- the dashboard ----

type monPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

func readPanels(t *testing.T) []monPanel {
	t.Helper()
	raw, err := os.ReadFile("../deploy/grafana/dashboards/poaledger.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []monPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d.Panels
}

// expr is target k of p with the dashboard variables set: $chain_id to this
// chain, $instance to instRE (".*" for all nodes).
func (r *monRun) expr(p monPanel, k int, instRE string) string {
	e := p.Targets[k].Expr
	e = strings.ReplaceAll(e, "$chain_id", r.chainID)
	return strings.ReplaceAll(e, "$instance", instRE)
}

// monCheckKey is the part of a panel title that names its check.
func monCheckKey(title string) string {
	for k := range monChecks {
		if strings.HasPrefix(title, k) {
			return k
		}
	}
	return ""
}

// monChecks holds one check per panel, by title prefix.
var monChecks = map[string]func(*monRun, monPanel){
	"Up per node":                    (*monRun).checkUp,
	"Catching up per node":           (*monRun).checkCatchingUp,
	"Block height per node":          (*monRun).checkHeights,
	"Blocks behind the highest node": (*monRun).checkBehind,
	"Last block age per node":        (*monRun).checkBlockAge,
	"Block interval per node":        (*monRun).checkInterval,
	"Commits after round 0":          (*monRun).checkRounds,
	"Missed blocks per validator":    (*monRun).checkMissed,
	"Signing lag per validator":      (*monRun).checkLag,
	"Validators and those missing":   (*monRun).checkValidators,
	"Peers per node":                 (*monRun).checkPeers,
	"Mempool size per node":          (*monRun).checkMempool,
	"Txs delivered / s":              (*monRun).checkDelivered,
	"CheckTx / s per node":           (*monRun).checkChecked,
	"Events recorded / s per node":   (*monRun).checkEventsRate,
	"Events in ledger per node":      (*monRun).checkEventsInLedger,
	"Txs per block per node":         (*monRun).checkTxsPerBlock,
	"FinalizeBlock / Commit p99":     (*monRun).checkLatency,
	"Members per node":               (*monRun).checkMembers,
	"CPU per node":                   (*monRun).checkCPU,
	"Memory per node":                (*monRun).checkMemory,
	"Disk per node":                  (*monRun).checkDisk,
}

// series evaluates target k of p over the whole run, one point a second, by node.
func (r *monRun) series(p monPanel, k int) map[int][]monPoint {
	ss, err := r.prom.rangeQuery(context.Background(), r.expr(p, k, ".*"), r.start, r.end, time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[int][]monPoint{}
	for _, s := range ss {
		if i := r.nodeOf(s.labels["instance"]); i >= 0 {
			out[i] = s.pts
		}
	}
	return out
}

// valuesAt evaluates target k of p at t (instances matching instRE), by label key.
func (r *monRun) valuesAt(p monPanel, k int, instRE string, t time.Time, key string) map[string]float64 {
	ss, err := r.prom.instant(context.Background(), r.expr(p, k, instRE), t)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]float64{}
	for _, s := range ss {
		out[s.labels[key]] = s.pts[0].v
	}
	return out
}

// regexpQuote is s as a regular expression inside a PromQL string literal.
func regexpQuote(s string) string { return strings.ReplaceAll(regexp.QuoteMeta(s), `\`, `\\`) }

// heightSeries gives, for every node and second, the ledger height the same
// scrape read, for the checks that relate a panel to the height.
func (r *monRun) heightSeries() map[int][]monPoint {
	ss, err := r.prom.rangeQuery(context.Background(), fmt.Sprintf(`poaledger_ledger_height{chain_id=%q}`, r.chainID), r.start, r.end, time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[int][]monPoint{}
	for _, s := range ss {
		if i := r.nodeOf(s.labels["instance"]); i >= 0 {
			out[i] = s.pts
		}
	}
	return out
}

func pointAt(pts []monPoint, t time.Time) (float64, bool) {
	for _, p := range pts {
		if p.t.Equal(t) {
			return p.v, true
		}
	}
	return 0, false
}

// ---- the checks ----

// sampleCheck runs ok on every point of target k of p; ok returns whether the
// point could be checked and whether it agrees. It records one row per node.
func (r *monRun) sampleCheck(p monPanel, k int, what, truth string, ok func(i int, pt monPoint) (checked, agree bool, detail string)) {
	byNode := r.series(p, k)
	for i := range r.nodes {
		pts := byNode[i]
		var checked, bad int
		var first string
		for _, pt := range pts {
			c, a, d := ok(i, pt)
			if !c {
				continue
			}
			checked++
			if !a {
				bad++
				if first == "" {
					first = fmt.Sprintf(" first at %s: %s", r.at(pt.t), d)
				}
			}
		}
		r.row(p.Title, fmt.Sprintf("%s %s", r.nodes[i].name, what),
			fmt.Sprintf("%d points, %d checked, %d off%s", len(pts), checked, bad, first), truth, bad == 0 && checked > 0)
	}
}

func (r *monRun) checkHeights(p monPanel) {
	r.sampleCheck(p, 0, "height each second", "/status latest_block_height polled every 250 ms (ledger may trail by 1 while applying)",
		func(i int, pt monPoint) (bool, bool, string) {
			from, to, ok := r.capture(i, pt.t)
			if !ok {
				return false, false, ""
			}
			lo, hi, ok := r.polls.heightBounds(i, from, to)
			if !ok {
				return false, false, ""
			}
			v := int64(pt.v)
			return true, v >= lo-1 && v <= hi, fmt.Sprintf("shown %d, /status %d..%d", v, lo, hi)
		})
}

func (r *monRun) checkBehind(p monPanel) {
	heights := r.heightSeries()
	r.sampleCheck(p, 0, "blocks behind each second", "highest node's height minus own, both as scraped",
		func(i int, pt monPoint) (bool, bool, string) {
			own, ok := pointAt(heights[i], pt.t)
			if !ok {
				return false, false, ""
			}
			var top float64
			for j := range r.nodes {
				if v, ok := pointAt(heights[j], pt.t); ok {
					top = max(top, v)
				}
			}
			return true, pt.v == top-own, fmt.Sprintf("shown %g, heights say %g", pt.v, top-own)
		})
	// And against /status at the end of the loaded phase: every node within 2.
	t := r.pause0.Add(-2 * time.Second)
	vals := r.valuesAt(p, 0, ".*", t, "instance")
	for i := range r.nodes {
		v, ok := vals[r.inst[i]]
		r.row(p.Title, fmt.Sprintf("%s under load (%s)", r.nodes[i].name, r.at(t)), fmt.Sprintf("%g", v), "≤ 2 (all nodes keep up)", ok && v <= 2)
	}
}

func (r *monRun) checkUp(p monPanel) {
	down := func(i int) (time.Time, time.Time) {
		switch i {
		case monPaused:
			return r.pause0, r.pause1
		case monKilled:
			return r.kill0, r.kill1
		}
		return time.Time{}, time.Time{}
	}
	byNode := r.series(p, 0)
	for i := range r.nodes {
		f0, f1 := down(i)
		var zeros, ones, expZero, expOne, badZero, badOne int
		var first string
		for _, pt := range byNode[i] {
			s, ok := r.scrapeAt(i, pt.t)
			if !ok {
				continue
			}
			inFault := !f0.IsZero() && !s.ts.Before(f0) && s.ts.Add(monScrape).Before(f1)
			nearFault := !f0.IsZero() && s.ts.Add(monScrape).After(f0.Add(-time.Second)) && s.ts.Before(f1.Add(5*time.Second))
			if pt.v == 0 {
				zeros++
			} else {
				ones++
			}
			switch {
			case inFault:
				expZero++
				if pt.v != 0 {
					badZero++
					if first == "" {
						first = fmt.Sprintf(" first: up at %s while down", r.at(pt.t))
					}
				}
			case !nearFault:
				expOne++
				if pt.v != 1 {
					badOne++
					if first == "" {
						first = fmt.Sprintf(" first: 0 at %s while running", r.at(pt.t))
					}
				}
			}
		}
		fault := "running throughout"
		switch i {
		case monPaused:
			fault = fmt.Sprintf("SIGSTOPped %s..%s", r.at(f0), r.at(f1))
		case monKilled:
			fault = fmt.Sprintf("SIGKILLed %s, restarted %s", r.at(f0), r.at(f1))
		}
		// Down is down at every scrape; a scrape of a running node may time out on
		// a loaded machine (1-s timeout): at most 2 % of them.
		okNode := badZero == 0 && badOne*50 <= expOne && (f0.IsZero() || expZero > 0)
		r.row(p.Title, r.nodes[i].name, fmt.Sprintf("%d s at 1, %d s at 0 (%d expected 0, %d expected 1; off: %d + %d timeouts%s)", ones, zeros, expZero, expOne, badZero, badOne, first),
			fault, okNode)
	}
}

func (r *monRun) checkCatchingUp(p monPanel) {
	byNode := r.series(p, 0)
	for i := range r.nodes {
		var exp1, got1, exp0, bad int
		var first string
		for _, pt := range byNode[i] {
			from, to, ok := r.capture(i, pt.t)
			if !ok {
				continue
			}
			v, known := r.polls.catchingUp(i, from, to)
			if !known {
				continue
			}
			if v {
				exp1++
				if pt.v == 1 {
					got1++
				}
			} else {
				exp0++
			}
			if (pt.v == 1) != v {
				bad++
				if first == "" {
					first = fmt.Sprintf(" first at %s: shown %g, /status catching_up %v", r.at(pt.t), pt.v, v)
				}
			}
		}
		truth := "/status catching_up false throughout"
		okNode := bad == 0 && exp0 > 0
		if i == monKilled {
			c0, c1 := r.polls.catchUpSpan(i, r.kill1)
			truth = fmt.Sprintf("/status catching_up true %s..%s (%.1f s) after the restart", r.at(c0), r.at(c1), c1.Sub(c0).Seconds())
			// Catching up that lasted two scrape intervals holds a scrape.
			if c1.Sub(c0) >= 2*monScrape && got1 == 0 {
				okNode = false
			}
		}
		r.row(p.Title, r.nodes[i].name, fmt.Sprintf("1 at %d scrapes (of %d catching up), 0 at %d, %d off%s", got1, exp1, exp0, bad, first), truth, okNode)
	}
}

func (r *monRun) checkBlockAge(p monPanel) {
	heights := r.heightSeries()
	r.sampleCheck(p, 0, "age each second", "t − header time of the block the same scrape's height names (or the next, being applied)",
		func(i int, pt monPoint) (bool, bool, string) {
			h, ok := pointAt(heights[i], pt.t)
			if !ok {
				return false, false, ""
			}
			hh := int64(h)
			for _, c := range []int64{hh, hh + 1} {
				if bt, ok := r.chain.time[c]; ok && math.Abs(pt.v-pt.t.Sub(bt).Seconds()) < 0.01 {
					return true, true, ""
				}
			}
			return true, false, fmt.Sprintf("shown %.2f s at height %d", pt.v, hh)
		})
	// The largest age on the idle chain. A block's header time is when the
	// previous one was committed (BFT time), and a node executes it when it is
	// committed itself, one interval later: idle, the age swings between one and
	// two ~31-s intervals, well under the alert's 90 s.
	from := r.loadStop.Add(40 * time.Second)
	maxAge, _ := r.maxOver(p, 0, from, r.end)
	var truth float64
	for t := from; !t.After(r.end); t = t.Add(time.Second) {
		// The block node0 had at t, by its /status polls.
		var h int64 = -1
		for _, s := range r.polls.polls[0] {
			if s.ok && !s.b.After(t) {
				h = max(h, s.height)
			}
		}
		if last, ok := r.chain.time[h]; ok {
			truth = max(truth, t.Sub(last).Seconds())
		}
	}
	r.row(p.Title, "largest age while idle", fmt.Sprintf("%.1f s", maxAge),
		fmt.Sprintf("%.1f s from the header times (±2 s: scrape); alert at 90 s", truth), math.Abs(maxAge-truth) <= 2 && maxAge < 90)
}

func (r *monRun) maxOver(p monPanel, k int, from, to time.Time) (float64, bool) {
	ss, err := r.prom.rangeQuery(context.Background(), r.expr(p, k, ".*"), from, to, time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	m, any := math.Inf(-1), false
	for _, s := range ss {
		for _, pt := range s.pts {
			m, any = max(m, pt.v), true
		}
	}
	return m, any
}

// intervals is the chain's block intervals the nodes observed in (from, to].
func (r *monRun) intervals(from, to time.Time) []float64 {
	var d []float64
	for h := int64(2); h <= r.chain.top; h++ {
		obs, ok := r.chain.observed(h)
		if !ok || !obs.After(from) || obs.After(to) {
			continue
		}
		d = append(d, r.chain.time[h].Sub(r.chain.time[h-1]).Seconds())
	}
	sort.Float64s(d)
	return d
}

func quantileOf(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

func within(shown, truth, tol float64) bool {
	return !math.IsNaN(shown) && math.Abs(shown-truth) <= tol*math.Abs(truth)
}

func (r *monRun) checkInterval(p monPanel) {
	const window = 2 * time.Minute
	up := []int{0, 1, 2, 3}
	stayed := []int{0, 3}
	for _, w := range []struct {
		name  string
		at    time.Time
		nodes []int
	}{
		{"loaded", r.pause0.Add(-2 * time.Second), up},
		{"loaded, through node2's pause", r.pause1.Add(28 * time.Second), stayed},
		{"loaded, through node1's kill", r.kill1.Add(monRecovery - 5*time.Second), stayed},
		{"idle", r.end, up},
	} {
		truth := r.intervals(w.at.Add(-window), w.at)
		mean := 0.0
		for _, d := range truth {
			mean += d
		}
		mean /= float64(len(truth))
		tp50, tp99 := quantileOf(truth, 0.5), quantileOf(truth, 0.99)
		p50 := r.valuesAt(p, 0, ".*", w.at, "instance")
		p99 := r.valuesAt(p, 1, ".*", w.at, "instance")
		avg := r.valuesAt(p, 2, ".*", w.at, "instance")
		for _, i := range w.nodes {
			in := r.inst[i]
			ok := len(truth) >= 3 && within(p50[in], tp50, 0.25) && within(p99[in], tp99, 0.5) && within(avg[in], mean, 0.25)
			r.row(p.Title, fmt.Sprintf("%s %s (%d blocks, %s)", r.nodes[i].name, w.name, len(truth), r.at(w.at)),
				fmt.Sprintf("p50 %.2f p99 %.2f mean %.2f", p50[in], p99[in], avg[in]),
				fmt.Sprintf("p50 %.2f p99 %.2f mean %.2f (p50 ±25%%, p99 ±50%%, mean ±25%%)", tp50, tp99, mean), ok)
		}
	}
}

func (r *monRun) checkRounds(p monPanel) {
	const window = time.Minute
	slack := monScrape + time.Second
	type late struct{ lo, hi time.Time }
	var lates []late
	for h, rd := range r.chain.round {
		if rd == 0 {
			continue
		}
		lo, ok := r.chain.time[h+1]
		if !ok {
			continue
		}
		hi, ok := r.chain.time[h+2]
		if !ok {
			hi = r.end.Add(time.Hour)
		}
		lates = append(lates, late{lo, hi.Add(2 * time.Second)})
	}
	for _, i := range []int{0, 3} {
		var pos, neg, posOK, negOK, skipped int
		var first string
		for t := r.start.Add(window); !t.After(r.end); t = t.Add(5 * time.Second) {
			v := r.valuesAt(p, 0, regexpQuote(r.inst[i]), t, "instance")[r.inst[i]]
			isPos, isNeg := false, true
			for _, l := range lates {
				if l.lo.After(t.Add(-window).Add(slack)) && !l.hi.Add(slack).After(t) {
					isPos = true
				}
				if l.hi.After(t.Add(-window).Add(-slack)) && l.lo.Before(t.Add(time.Second)) {
					isNeg = false
				}
			}
			switch {
			case isPos:
				pos++
				if v > 0 {
					posOK++
				} else if first == "" {
					first = fmt.Sprintf(" first: 0 at %s", r.at(t))
				}
			case isNeg:
				neg++
				if v == 0 {
					negOK++
				} else if first == "" {
					first = fmt.Sprintf(" first: %g at %s", v, r.at(t))
				}
			default:
				skipped++
			}
		}
		r.row(p.Title, fmt.Sprintf("%s late commits in 1 m, every 5 s", r.nodes[i].name),
			fmt.Sprintf("> 0 in %d of %d windows, 0 in %d of %d (%d at an edge, not judged)%s", posOK, pos, negOK, neg, skipped, first),
			fmt.Sprintf("%d commits after round 0", r.chain.lateCount()), pos > 0 && neg > 0 && posOK == pos && negOK == neg)
	}
	// The last commit round gauge: the round of the commit the scrape's block carried.
	heights := r.heightSeries()
	var maxShown float64
	r.sampleCheck(p, 1, "last commit round each second", "round of the last commit of the scraped height (or the next)",
		func(i int, pt monPoint) (bool, bool, string) {
			h, ok := pointAt(heights[i], pt.t)
			if !ok {
				return false, false, ""
			}
			maxShown = max(maxShown, pt.v)
			hh := int64(h)
			for _, c := range []int64{hh - 1, hh} {
				if rd, ok := r.chain.round[c]; ok && float64(rd) == pt.v {
					return true, true, ""
				}
			}
			if hh <= 1 {
				return false, false, ""
			}
			return true, false, fmt.Sprintf("shown %g at height %d", pt.v, hh)
		})
}

// monSigningScrape is node i's own /metrics read directly during the pause.
type monSigningScrape struct {
	node   int
	height int64
	missed map[string]float64
	lag    map[string]float64
	err    error
}

var monSeriesRE = regexp.MustCompile(`^(poaledger_[a-z_]+)\{([^}]*)\} (\S+)$`)
var monValidatorRE = regexp.MustCompile(`validator="([0-9A-F]+)"`)

func (r *monRun) scrapeSigning(ctx context.Context, i int) monSigningScrape {
	s := monSigningScrape{node: i, missed: map[string]float64{}, lag: map[string]float64{}}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.cluster.Manifest().Nodes[i].Metrics, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.err = err
		return s
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := monSeriesRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		val := ""
		if vm := monValidatorRE.FindStringSubmatch(m[2]); vm != nil {
			val = vm[1]
		}
		switch m[1] {
		case "poaledger_validator_missed_blocks_total":
			s.missed[val] = v
		case "poaledger_validator_signing_lag_blocks":
			s.lag[val] = v
		case "poaledger_ledger_height":
			s.height = int64(v)
		}
	}
	s.err = sc.Err()
	return s
}

func (r *monRun) checkMissed(p monPanel) {
	// At the end, from node0 (up throughout): every validator's misses since genesis.
	vals := r.valuesAt(p, 0, regexpQuote(r.inst[0]), r.end, "validator")
	h := int64(r.valuesAtHeight(0, r.end))
	for i, v := range r.vals {
		truth := r.chain.missed(v, h-1)
		shown, ok := vals[v]
		r.row(p.Title, fmt.Sprintf("validator of %s, from %s, end (height %d)", r.nodes[i].name, r.nodes[0].name, h),
			fmt.Sprintf("%g", shown), fmt.Sprintf("%d commits lacking its signature (±1)", truth), ok && math.Abs(shown-float64(truth)) <= 1)
	}
	// During the pause, node0's own /metrics names the paused validator.
	s := r.pausedScrape
	v := r.vals[monPaused]
	truth := r.chain.missed(v, s.height-1)
	r.row(p.Title, fmt.Sprintf("%s's /metrics while %s paused (height %d)", r.nodes[0].name, r.nodes[monPaused].name, s.height),
		fmt.Sprintf("validator %s… missed %g", v[:8], s.missed[v]), fmt.Sprintf("%d commits lacking its signature (±1)", truth),
		s.err == nil && math.Abs(s.missed[v]-float64(truth)) <= 1)
}

// valuesAtHeight is node i's ledger height shown at t.
func (r *monRun) valuesAtHeight(i int, t time.Time) float64 {
	ss, err := r.prom.instant(context.Background(), fmt.Sprintf(`poaledger_ledger_height{instance=%q}`, r.inst[i]), t)
	if err != nil || len(ss) == 0 {
		r.t.Fatalf("ledger height of %s at %s: %v", r.nodes[i].name, r.at(t), err)
	}
	return ss[0].pts[0].v
}

func (r *monRun) checkLag(p monPanel) {
	// Just before the resume, from node0: the paused validator's lag.
	t := r.pause1.Add(-time.Second)
	vals := r.valuesAt(p, 0, regexpQuote(r.inst[0]), t, "validator")
	h := int64(r.valuesAtHeight(0, t))
	for i, v := range r.vals {
		truth := r.chain.lag(v, h-1)
		shown, ok := vals[v]
		r.row(p.Title, fmt.Sprintf("validator of %s, end of %s's pause (height %d)", r.nodes[i].name, r.nodes[monPaused].name, h),
			fmt.Sprintf("%g", shown), fmt.Sprintf("%d commits since its last signature (±1)", truth), ok && math.Abs(shown-float64(truth)) <= 1)
	}
	s := r.pausedScrape
	v := r.vals[monPaused]
	truth := r.chain.lag(v, s.height-1)
	r.row(p.Title, fmt.Sprintf("%s's /metrics while %s paused", r.nodes[0].name, r.nodes[monPaused].name),
		fmt.Sprintf("lag %g", s.lag[v]), fmt.Sprintf("%d (±1)", truth), s.err == nil && math.Abs(s.lag[v]-float64(truth)) <= 1)
	end := r.valuesAt(p, 0, ".*", r.end, "validator")
	var worst float64
	for _, v := range r.vals {
		worst = max(worst, end[v])
	}
	r.row(p.Title, "every validator at the end", fmt.Sprintf("highest %g", worst), "0 (all sign again)", len(end) == 4 && worst == 0)
}

func (r *monRun) checkValidators(p monPanel) {
	for k := range 2 {
		hi, _ := r.maxOver(p, k, r.start, r.end)
		lo := r.minOver(p, k)
		r.row(p.Title, p.Targets[k].LegendFormat, fmt.Sprintf("%g..%g", lo, hi), fmt.Sprintf("%d (the genesis set, /validators)", len(r.chain.set)),
			lo == float64(len(r.chain.set)) && hi == lo)
	}
	// Missing from the last commit: the highest node's count, against the commits
	// the nodes' scraped heights carried.
	heights := r.heightSeries()
	for k, per := range []float64{1, 10} {
		all, err := r.prom.rangeQuery(context.Background(), r.expr(p, k+2, ".*"), r.start, r.end, time.Second)
		if err != nil {
			r.t.Fatal(err)
		}
		var checked, bad int
		var first string
		var seen float64
		for _, s := range all {
			for _, pt := range s.pts {
				lo, hi, ok := math.Inf(1), math.Inf(-1), false
				for i := range r.nodes {
					h, has := pointAt(heights[i], pt.t)
					if !has {
						continue
					}
					for _, c := range []int64{int64(h) - 1, int64(h)} {
						if sg, has := r.chain.signed[c]; has {
							m := float64(len(r.chain.set)-len(sg)) * per
							lo, hi, ok = min(lo, m), max(hi, m), true
						}
					}
				}
				if !ok {
					continue
				}
				checked++
				seen = max(seen, pt.v)
				if pt.v < lo || pt.v > hi {
					bad++
					if first == "" {
						first = fmt.Sprintf(" first at %s: %g not in %g..%g", r.at(pt.t), pt.v, lo, hi)
					}
				}
			}
		}
		r.row(p.Title, p.Targets[k+2].LegendFormat+" each second", fmt.Sprintf("%d checked, %d off, highest %g%s", checked, bad, seen, first),
			"commits at the scraped heights", bad == 0 && checked > 0 && seen >= per)
	}
}

func (r *monRun) minOver(p monPanel, k int) float64 {
	ss, err := r.prom.rangeQuery(context.Background(), r.expr(p, k, ".*"), r.start, r.end, time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	m := math.Inf(1)
	for _, s := range ss {
		for _, pt := range s.pts {
			m = min(m, pt.v)
		}
	}
	return m
}

func (r *monRun) netPeers(i int) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ni, err := r.nodes[i].rpc.NetInfo(ctx)
	if err != nil {
		return -1
	}
	return ni.NPeers
}

func (r *monRun) checkPeers(p monPanel) {
	vals := r.valuesAt(p, 0, ".*", r.end, "instance")
	exp := r.valuesAt(p, 1, ".*", r.end, "")
	for i := range r.nodes {
		truth := r.netPeers(i)
		r.row(p.Title, fmt.Sprintf("%s at the end", r.nodes[i].name), fmt.Sprintf("%g (line: %g)", vals[r.inst[i]], exp[""]),
			fmt.Sprintf("/net_info n_peers %d; validators − 1 = %d", truth, len(r.chain.set)-1),
			vals[r.inst[i]] == float64(truth) && exp[""] == float64(len(r.chain.set)-1))
	}
}

func (r *monRun) checkMempool(p monPanel) {
	vals := r.valuesAt(p, 0, ".*", r.end, "instance")
	for i := range r.nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := r.nodes[i].rpc.NumUnconfirmedTxs(ctx)
		cancel()
		truth := -1
		if err == nil {
			truth = res.Total
		}
		v, ok := vals[r.inst[i]]
		r.row(p.Title, fmt.Sprintf("%s idle, at the end", r.nodes[i].name), fmt.Sprintf("%g", v),
			fmt.Sprintf("/num_unconfirmed_txs %d", truth), ok && v == float64(truth))
	}
	// Each second, against /num_unconfirmed_txs polled every 250 ms around the
	// scrape. Under load the mempool empties into every block and refills within
	// a poll interval, so the poll that matches a scrape may be missing: the
	// scrape must not exceed the most the polls saw within 1.5 s (at most 5 % of
	// the seconds may), and the means over the run must agree within 25 %.
	byNode := r.series(p, 0)
	for i := range r.nodes {
		var checked, off int
		var sumShown, sumPolled float64
		for _, pt := range byNode[i] {
			from, to, ok := r.capture(i, pt.t)
			if !ok {
				continue
			}
			hi, any := math.Inf(-1), false
			for _, s := range r.polls.polls[i] {
				if s.ok && s.mempool >= 0 && s.b.After(from.Add(-1500*time.Millisecond)) && s.a.Before(to.Add(1500*time.Millisecond)) {
					hi, any = max(hi, float64(s.mempool)), true
				}
			}
			if !any {
				continue
			}
			checked++
			if pt.v > hi {
				off++
			}
			sumShown += pt.v
		}
		var polls int
		for _, s := range r.polls.polls[i] {
			if s.ok && s.mempool >= 0 && s.a.After(r.start) && s.b.Before(r.end) {
				polls++
				sumPolled += float64(s.mempool)
			}
		}
		meanShown, meanPolled := sumShown/float64(max(checked, 1)), sumPolled/float64(max(polls, 1))
		r.row(p.Title, r.nodes[i].name+" each second", fmt.Sprintf("%d checked, %d above the polls; mean %.2f", checked, off, meanShown),
			fmt.Sprintf("/num_unconfirmed_txs: mean %.2f over %d polls (means ±25%%, ≤ 5 %% above)", meanPolled, polls),
			checked > 0 && off*20 <= checked && math.Abs(meanShown-meanPolled) <= 0.25*math.Max(meanPolled, 0.2))
	}
}

// committedRate is the txs per second the chain committed in blocks the nodes
// executed in (to-d, to].
func (r *monRun) committedRate(to time.Time, d time.Duration) float64 {
	n := 0
	for h := int64(1); h <= r.chain.top; h++ {
		if obs, ok := r.chain.observed(h); ok && obs.After(to.Add(-d)) && !obs.After(to) {
			n += r.chain.ntx[h]
		}
	}
	return float64(n) / d.Seconds()
}

// rateWindows are the instants rates are compared at: windows of steady load
// (before the faults, in the pause, after the restart's catch-up) and idle.
func (r *monRun) rateWindows() []struct {
	name string
	at   time.Time
} {
	return []struct {
		name string
		at   time.Time
	}{
		{"loaded", r.pause0.Add(-2 * time.Second)},
		{"node2 paused", r.pause1.Add(-2 * time.Second)},
		{"after node1's restart", r.kill1.Add(monRecovery - 5*time.Second)},
		{"idle", r.end},
	}
}

func (r *monRun) checkDelivered(p monPanel) {
	for _, w := range r.rateWindows() {
		v := r.valuesAt(p, 0, ".*", w.at, "result")
		truth := r.committedRate(w.at, time.Minute)
		shown := v["ok"]
		ok := within(shown, truth, 0.2) && len(v) <= 1
		r.row(p.Title, fmt.Sprintf("ok, %s (%s)", w.name, r.at(w.at)), fmt.Sprintf("%.2f tx/s", shown), fmt.Sprintf("%.2f tx/s committed (±20%%)", truth), ok)
	}
	// Shown for the record: the window holding node2's catch-up after the resume,
	// where the node that executes the missed blocks at once is the highest.
	t := r.pause1.Add(20 * time.Second)
	v := r.valuesAt(p, 0, ".*", t, "result")
	r.row(p.Title, fmt.Sprintf("ok, just after node2 resumed (%s), not compared", r.at(t)), fmt.Sprintf("%.2f tx/s", v["ok"]),
		fmt.Sprintf("%.2f tx/s committed (not judged: a node executing the blocks it missed may lead the highest rate)", r.committedRate(t, time.Minute)), true)
}

func (r *monRun) checkChecked(p monPanel) {
	at := r.pause0.Add(-2 * time.Second)
	ss, err := r.prom.instant(context.Background(), r.expr(p, 0, ".*"), at)
	if err != nil {
		r.t.Fatal(err)
	}
	truth := r.committedRate(at, time.Minute)
	for i := range r.nodes {
		var okRate, refused float64
		for _, s := range ss {
			if s.labels["instance"] != r.inst[i] {
				continue
			}
			if s.labels["result"] == "ok" {
				okRate = s.pts[0].v
			} else {
				refused += s.pts[0].v
			}
		}
		// Every node checks every tx once as it arrives (gossip) plus rechecks of
		// those still waiting after a block: at least the committed rate.
		r.row(p.Title, fmt.Sprintf("%s, loaded (%s)", r.nodes[i].name, r.at(at)), fmt.Sprintf("ok %.2f/s, refused %.2f/s", okRate, refused),
			fmt.Sprintf("%.2f tx/s committed; each node checks each (±20%%, rechecks above)", truth), okRate >= 0.8*truth && okRate <= 3*truth)
	}
}

func (r *monRun) checkEventsRate(p monPanel) {
	for _, w := range r.rateWindows() {
		vals := r.valuesAt(p, 0, ".*", w.at, "instance")
		truth := 2 * r.committedRate(w.at, time.Minute)
		nodes := []int{0, 3}
		if w.name == "loaded" || w.name == "idle" {
			nodes = []int{0, 1, 2, 3}
		}
		for _, i := range nodes {
			shown := vals[r.inst[i]]
			r.row(p.Title, fmt.Sprintf("%s, %s (%s)", r.nodes[i].name, w.name, r.at(w.at)), fmt.Sprintf("%.2f/s", shown),
				fmt.Sprintf("%.2f events/s committed (±20%%)", truth), within(shown, truth, 0.2))
		}
	}
}

func (r *monRun) checkEventsInLedger(p monPanel) {
	heights := r.heightSeries()
	r.sampleCheck(p, 0, "events each second", "2 events per tx committed up to the scraped height (±1 block)",
		func(i int, pt monPoint) (bool, bool, string) {
			h, ok := pointAt(heights[i], pt.t)
			if !ok {
				return false, false, ""
			}
			hh := int64(h)
			lo, hi := r.chain.events(max(hh-1, 0)), r.chain.events(hh+1)
			return true, pt.v >= float64(lo) && pt.v <= float64(hi), fmt.Sprintf("shown %g, chain %d..%d at height %d", pt.v, lo, hi, hh)
		})
}

func (r *monRun) checkTxsPerBlock(p monPanel) {
	heights := r.heightSeries()
	r.sampleCheck(p, 0, "txs of the last block each second", "num_txs of the scraped height's block (±1 height)",
		func(i int, pt monPoint) (bool, bool, string) {
			h, ok := pointAt(heights[i], pt.t)
			if !ok {
				return false, false, ""
			}
			hh := int64(h)
			// CometBFT sets it only for blocks committed in consensus (not block sync).
			for _, c := range []int64{hh - 1, hh, hh + 1} {
				if n, ok := r.chain.ntx[c]; ok && float64(n) == pt.v {
					return true, true, ""
				}
			}
			if i == monKilled {
				return false, false, "" // stale from the catch-up
			}
			return true, false, fmt.Sprintf("shown %g at height %d", pt.v, hh)
		})
}

func (r *monRun) checkLatency(p monPanel) {
	at := r.pause0.Add(-2 * time.Second)
	for k := range p.Targets {
		vals := r.valuesAt(p, k, ".*", at, "instance")
		for i := range r.nodes {
			v, ok := vals[r.inst[i]]
			r.row(p.Title, fmt.Sprintf("%s %s, loaded", p.Targets[k].LegendFormat[:strings.Index(p.Targets[k].LegendFormat, " ")], r.nodes[i].name),
				fmt.Sprintf("%.4f s", v), "no chain truth (wall clock): present, 0 < p99 < 1 s", ok && v > 0 && v < 1)
		}
	}
}

func (r *monRun) checkMembers(p monPanel) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := r.nodes[0].rpc.ABCIQuery(ctx, api.PathMembers, nil)
	truth := -1
	if err == nil {
		var page api.MemberPage
		if json.Unmarshal(res.Response.Value, &page) == nil {
			truth = len(page.Members)
		}
	}
	vals := r.valuesAt(p, 0, ".*", r.end, "instance")
	for i := range r.nodes {
		v, ok := vals[r.inst[i]]
		r.row(p.Title, r.nodes[i].name+" at the end", fmt.Sprintf("%g", v), fmt.Sprintf("/members lists %d", truth), ok && v == float64(truth))
	}
}

func (r *monRun) checkCPU(p monPanel) {
	at := r.pause0.Add(-2 * time.Second)
	vals := r.valuesAt(p, 0, ".*", at, "instance")
	for i := range r.nodes {
		v, ok := vals[r.inst[i]]
		r.row(p.Title, r.nodes[i].name+", loaded", fmt.Sprintf("%.3f cores", v),
			fmt.Sprintf("no chain truth: present, 0 < cores ≤ %d", runtime.NumCPU()), ok && v > 0 && v <= float64(runtime.NumCPU()))
	}
}

func (r *monRun) checkMemory(p monPanel) {
	for k := range p.Targets {
		vals := r.valuesAt(p, k, ".*", r.end, "instance")
		for i := range r.nodes {
			v, ok := vals[r.inst[i]]
			r.row(p.Title, fmt.Sprintf("%s %s", strings.Fields(p.Targets[k].LegendFormat)[0], r.nodes[i].name), fmt.Sprintf("%.1f MiB", v/(1<<20)),
				"no chain truth: present, 1 MiB .. 4 GiB", ok && v > 1<<20 && v < 4<<30)
		}
	}
}

func (r *monRun) checkDisk(p monPanel) {
	used := r.valuesAt(p, 0, ".*", r.end, "instance")
	free := r.valuesAt(p, 1, ".*", r.end, "instance")
	for i := range r.nodes {
		home := r.cluster.Manifest().HomePath(i)
		truth := monDirUsage(filepath.Join(home, "data"))
		var st syscall.Statfs_t
		fsErr := syscall.Statfs(home, &st)
		fsFree := float64(st.Bavail) * float64(st.Bsize)
		u, f := used[r.inst[i]], free[r.inst[i]]
		r.row(p.Title, r.nodes[i].name+" data used", fmt.Sprintf("%.1f MiB", u/(1<<20)),
			fmt.Sprintf("%.1f MiB allocated under data/ now (±25%%: measured ≤ 30 s ago)", float64(truth)/(1<<20)), within(u, float64(truth), 0.25))
		r.row(p.Title, r.nodes[i].name+" filesystem free", fmt.Sprintf("%.2f GiB", f/(1<<30)),
			fmt.Sprintf("%.2f GiB statfs now (±2%%)", fsFree/(1<<30)), fsErr == nil && within(f, fsFree, 0.02))
	}
}

func monDirUsage(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n += int64(st.Blocks) * 512
		}
		return nil
	})
	return n
}

// checkAlerts reports the alerts that fired and requires the validator alert
// for both faulty validators.
func (r *monRun) checkAlerts(ctx context.Context) {
	ss, err := r.prom.rangeQuery(ctx, `ALERTS{alertstate="firing"}`, r.start, r.end, time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	fired := map[string][2]time.Time{}
	for _, s := range ss {
		key := s.labels["alertname"]
		for _, l := range []string{"validator", "instance"} {
			if v := s.labels[l]; v != "" {
				if i := r.nodeOf(v); i >= 0 {
					v = r.nodes[i].name
				}
				for i, val := range r.vals {
					if val == v {
						v = "validator of " + r.nodes[i].name
					}
				}
				key += " " + v
			}
		}
		if len(s.pts) > 0 {
			fired[key] = [2]time.Time{s.pts[0].t, s.pts[len(s.pts)-1].t}
		}
	}
	var names []string
	for k, v := range fired {
		names = append(names, fmt.Sprintf("%s (%s..%s)", k, r.at(v[0]), r.at(v[1])))
	}
	sort.Strings(names)
	for _, i := range []int{monPaused, monKilled} {
		key := "PoaledgerValidatorNotSigning validator of " + r.nodes[i].name
		_, ok := fired[key]
		r.row("alerts (deploy/alerts.yml, live)", key, fmt.Sprintf("fired: %v", ok), "its validator was down ≥ 30 s", ok)
	}
	report(r.t, "alerts that fired: %s", strings.Join(names, "; "))
}

// monAggRE finds an aggregation and its by-clause.
var monAggRE = regexp.MustCompile(`\b(sum|avg|count|max|min|quantile)\s*(?:by\s*\(([^)]*)\))?\s*\(`)

// TestDashboardRules checks the dashboard without a cluster: every panel has a
// query and a unique title; every query selects the chain ($chain_id) or the
// job, and the nodes ($instance) where it reads per-node series; no query adds
// the nodes together (a sum, avg or count must keep instance) unless its title
// says so; the chain_id and instance variables exist; and every
// promql_expr_test of deploy/alerts_test.yml is, with $chain_id = c1 and
// $instance = .*, verbatim a dashboard query, covering the corrected panels.
func TestDashboardRules(t *testing.T) {
	raw, err := os.ReadFile("../deploy/grafana/dashboards/poaledger.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels     []monPanel `json:"panels"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	if !vars["chain_id"] || !vars["instance"] {
		t.Errorf("dashboard variables %v, want chain_id and instance", vars)
	}
	titles := map[string]bool{}
	exprs := map[string]string{} // substituted -> panel title
	for _, p := range d.Panels {
		if titles[p.Title] {
			t.Errorf("two panels titled %q", p.Title)
		}
		titles[p.Title] = true
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			e := tg.Expr
			if !strings.Contains(e, `chain_id="$chain_id"`) && !strings.Contains(e, `job="poaledger"`) {
				t.Errorf("panel %q: %s selects neither the chain nor the job", p.Title, e)
			}
			if strings.Contains(tg.LegendFormat, "{{instance}}") && !strings.Contains(e, `instance=~"$instance"`) {
				t.Errorf("panel %q: %s is per node but ignores $instance", p.Title, e)
			}
			for _, m := range monAggRE.FindAllStringSubmatch(e, -1) {
				adds := m[1] == "sum" || m[1] == "avg" || m[1] == "count"
				if adds && !strings.Contains(m[2], "instance") && !strings.Contains(strings.ToLower(p.Title), "all nodes") {
					t.Errorf("panel %q adds the nodes together (%s) without saying so: %s", p.Title, m[0], e)
				}
			}
			exprs[strings.ReplaceAll(strings.ReplaceAll(e, "$chain_id", "c1"), "$instance", ".*")] = p.Title
		}
	}
	raw, err = os.ReadFile("../deploy/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var ut struct {
		Tests []struct {
			PromQL []struct {
				Expr string `yaml:"expr"`
			} `yaml:"promql_expr_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &ut); err != nil {
		t.Fatal(err)
	}
	pinned := map[string]bool{}
	for _, tg := range ut.Tests {
		for _, q := range tg.PromQL {
			title, ok := exprs[q.Expr]
			if !ok {
				t.Errorf("promql_expr_test %q is not a dashboard query (with $chain_id=c1, $instance=.*)", q.Expr)
				continue
			}
			pinned[monCheckKey(title)] = true
		}
	}
	for _, k := range []string{"Txs delivered / s", "CheckTx / s per node", "Block interval per node", "Commits after round 0",
		"Missed blocks per validator", "Blocks behind the highest node", "Last block age per node", "Catching up per node"} {
		if !pinned[k] {
			t.Errorf("no promql_expr_test pins the panel %q", k)
		}
	}
	for _, p := range d.Panels {
		if monCheckKey(p.Title) == "" {
			t.Errorf("panel %q has no live check in TestMonitoringPanels", p.Title)
		}
	}
}

// TestDeployMetricNames: the names the deploy configs reference are found in the
// dashboard, the rules (also in their annotations' queries) and through a
// __name__ alternation; a running node exports them (checkDeployMetrics, in
// TestProcessClusterFaults).
func TestDeployMetricNames(t *testing.T) {
	names := deployMetricNames(t)
	got := map[string]bool{}
	for _, n := range names {
		got[n] = true
	}
	for _, want := range []string{"poaledger_validator_missed_blocks_total", "poaledger_validator_signing_lag_blocks",
		"poaledger_last_block_time_seconds", "poaledger_misbehaviour_total", "poaledger_filesystem_free_bytes",
		"cometbft_blocksync_syncing", "cometbft_statesync_syncing", "process_cpu_seconds_total", "go_memstats_heap_inuse_bytes"} {
		if !got[want] {
			t.Errorf("deploy configs: %s not found among %v", want, names)
		}
	}
}
