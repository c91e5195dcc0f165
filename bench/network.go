package bench

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/poaledger/poaledger/client"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/testnet"
)

// Network-run timing bounds. They are generous: the smoke run must pass on a
// slow, loaded machine, and only results are asserted, never speed.
const (
	startupTimeout  = 3 * time.Minute  // every node's RPC answers and block 1 exists
	broadcastTimout = 30 * time.Second // one broadcast_tx_sync
	// sendGrace is how long after its schedule ends a point keeps sending txs a
	// slow client still holds; the rest are counted as unsent.
	sendGrace = 30 * time.Second
	// dispatchTick is the scheduler's resolution: each tick hands every tx whose
	// scheduled time has come to its connection.
	dispatchTick = 2 * time.Millisecond
	// maxQueryIDs bounds the committed event ids kept for the query run.
	maxQueryIDs = 200_000
	// maxRejectSamples bounds the distinct refusal messages kept per point.
	maxRejectSamples = 4
	// drainStall ends a drain early: no accepted tx committed for this long
	// while some are still missing (they are lost, e.g. dropped by a full
	// mempool after CheckTx accepted them).
	drainStall = 30 * time.Second
	// offPprof is the pprof port's offset in a node's block of ports (testnet
	// uses 0..2).
	offPprof = 3
)

// network is one app's running testnet and its load state.
type network struct {
	o       *Options
	app     string
	prog    *progress
	dir     string
	m       *testnet.Manifest
	c       *testnet.Cluster
	poller  *blockPoller
	pprof   string // node0's pprof address
	stopPol context.CancelFunc
	polDone chan struct{}
	conns   []*client.Client
	signers []*signer
	nonces  []uint64 // next nonce of each signer, as far as this client knows
	chainID string
	run     string // token making this run's events and keys unique
	seq     uint64 // next event/key number
	pad     int    // padding of each event to reach TxBytes
	ids     []string
}

// pickBasePort finds a block of ports on 127.0.0.1 where every port a node of
// an n-node testnet listens on (p2p, rpc, metrics) is free right now.
func pickBasePort(n int) (int, error) {
	start := 27000 + (os.Getpid()%200)*100
	for try := range 100 {
		base := 20000 + (start-20000+try*testnet.PortsPerNode*(n+1))%40000
		base -= base % 10
		ok := true
		var ls []net.Listener
		for i := 0; i < n && ok; i++ {
			for off := 0; off <= offPprof; off++ {
				l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+testnet.PortsPerNode*i+off))
				if err != nil {
					ok = false
					break
				}
				ls = append(ls, l)
			}
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("bench: no free block of ports on 127.0.0.1 (tried 100); give one with --base-port")
}

// startNetwork writes a fresh testnet for app into Out/work/<app>, admits the
// load signers at genesis, starts every node and waits for block 1. The caller
// must call stop, which stops every node; the nodes also die with this process.
func startNetwork(ctx context.Context, o *Options, app string, prog *progress) (*network, error) {
	n := &network{o: o, app: app, prog: prog, dir: filepath.Join(o.Out, "work", app),
		chainID: "bench-" + app, run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
	if err := os.RemoveAll(n.dir); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	base := o.BasePort
	if base == 0 {
		var err error
		if base, err = pickBasePort(o.Validators); err != nil {
			return nil, err
		}
	}
	m, err := testnet.Init(testnet.InitOptions{
		Dir: n.dir, Validators: o.Validators, ChainID: n.chainID, BasePort: base,
		Tune: func(i int, c *cmtcfg.Config) {
			if app == AppKVStore {
				c.ProxyApp = ProxyAppKVStore
			}
			// Every node serves pprof on loopback (identical config); the bench
			// profiles node0 during each measured window.
			c.RPC.PprofListenAddress = fmt.Sprintf("127.0.0.1:%d", base+testnet.PortsPerNode*i+offPprof)
			if o.LogLevel != "" {
				c.LogLevel = o.LogLevel
			}
		},
	})
	if err != nil {
		return nil, err
	}
	n.m = m
	n.pprof = fmt.Sprintf("127.0.0.1:%d", base+offPprof)
	n.signers = newSigners(n.chainID, o.Signers)
	n.nonces = make([]uint64, o.Signers)
	// The same genesis for both apps: kvstore ignores app_state.
	if err := testnet.AddGenesisMembers(m, genesisMembers(n.signers)...); err != nil {
		return nil, err
	}
	if app == AppPoaledger {
		if n.pad, err = eventPad(n.run, n.chainID, o.TxBytes); err != nil {
			return nil, err
		}
		if err := checkEvent(objectEvent(n.run, 0, n.pad)); err != nil {
			return nil, err
		}
	}
	prog.logf("%s: starting %d validators on 127.0.0.1:%d.. (%s)", app, o.Validators, base, n.dir)
	n.c = testnet.NewCluster(m, o.Exe)
	if err := n.c.StartAll(); err != nil {
		n.stop()
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if err := n.c.WaitReady(sctx); err != nil {
		n.stop()
		return nil, err
	}
	for i, nd := range m.Nodes {
		if err := n.waitHeight(sctx, newRPCGet(nd.RPC), 1); err != nil {
			n.stop()
			return nil, fmt.Errorf("bench: %s: %s has no block 1: %w (see %s)", app, nd.Name, err,
				filepath.Join(m.HomePath(i), testnet.LogFile))
		}
	}
	for i := range o.Conns {
		c, err := client.New(m.Nodes[i%len(m.Nodes)].RPC)
		if err != nil {
			n.stop()
			return nil, err
		}
		n.conns = append(n.conns, c)
	}
	pctx, pcancel := context.WithCancel(context.Background())
	n.poller, n.stopPol, n.polDone = newBlockPoller(m.Nodes[0].RPC), pcancel, make(chan struct{})
	go func() {
		defer close(n.polDone)
		n.poller.run(pctx)
	}()
	return n, nil
}

// stop stops the poller and every node (SIGTERM, SIGKILL after the testnet's
// stop timeout).
func (n *network) stop() error {
	if n.stopPol != nil {
		n.stopPol()
		<-n.polDone
		n.stopPol = nil
	}
	if n.c == nil {
		return nil
	}
	return n.c.StopAll(testnet.DefaultStopTimeout)
}

// pids returns the node processes' ids (0 for a node not running).
func (n *network) pids() []int {
	out := make([]int, len(n.m.Nodes))
	for i := range out {
		out[i] = n.c.PID(i)
	}
	return out
}

// died reports a node that exited on its own, if one did.
func (n *network) died() error {
	select {
	case e := <-n.c.Exits():
		why := ""
		if e.Reason != "" {
			why = ": " + e.Reason
		}
		return fmt.Errorf("bench: %s: node %s exited during the run (%v)%s; see %s", n.app, e.Node, e.Err, why,
			filepath.Join(n.dir, e.Node, testnet.LogFile))
	default:
		return nil
	}
}

// waitHeight polls until the node reports a height >= h, bounded by ctx.
func (n *network) waitHeight(ctx context.Context, r *rpcGet, h int64) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		got, err := r.latestHeight(ctx)
		if err == nil && got >= h {
			return nil
		}
		if err != nil {
			last = err
		}
		if err := n.died(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// loadTx is one tx of a rate point.
type loadTx struct {
	raw  []byte
	hash [32]byte
	id   string // event id (poaledger, when the query run needs ids)
}

// sendState is what became of one tx of a point.
type sendState uint8

const (
	stUnsent sendState = iota
	stAccepted
	stRejectedCheck
	stRejectedRPC
)

type sendRecord struct {
	state sendState
	hash  [32]byte
	nonce uint64 // poaledger: the nonce it carried
}

// runPoint offers rate tx/s for Warmup+Measure, then waits up to Drain for the
// accepted txs to commit, and measures.
func (n *network) runPoint(ctx context.Context, rate float64) (RatePoint, error) {
	o := n.o
	S, C := len(n.signers), len(n.conns)
	total := max(1, int(math.Round(rate*(o.Warmup+o.Measure).Seconds())))
	pt := RatePoint{OfferedTPS: rate, WindowSeconds: o.Measure.Seconds()}
	label := fmt.Sprintf("%s %g tx/s", n.app, rate)

	// Every tx of the point, made before the clock starts: signing is not part
	// of the offered load.
	n.prog.phase(label+": signing", int64(total))
	txs := make([]loadTx, total)
	wantIDs := n.app == AppPoaledger && o.has(PartQuery)
	var genErr error
	var genMu sync.Mutex
	parallel(total, func(k int) {
		s, j := k%S, k/S
		var raw []byte
		var id string
		if n.app == AppPoaledger {
			ev := objectEvent(n.run, n.seq+uint64(k), n.pad)
			var err error
			if raw, err = recordTx(n.signers[s], n.chainID, n.nonces[s]+uint64(j), ev); err != nil {
				genMu.Lock()
				genErr = err
				genMu.Unlock()
				return
			}
			if wantIDs {
				id = epcis.EventID(ev) // the id the ledger knows it by
			}
		} else {
			raw = kvTx(n.run, n.seq+uint64(k), o.TxBytes)
		}
		txs[k] = loadTx{raw: raw, hash: sha256.Sum256(raw), id: id}
		n.prog.add(1)
	})
	if genErr != nil {
		return pt, fmt.Errorf("bench: sign: %w", genErr)
	}

	// Each signer's txs go to one connection, in order (connection s % C); the
	// connections are spread over the nodes.
	conn := func(k int) int { return (k % S) % C }
	perConn := make([]int, C)
	for k := range total {
		perConn[conn(k)]++
	}
	queues := make([]chan int, C)
	for c := range queues {
		queues[c] = make(chan int, perConn[c])
	}
	recs := make([]sendRecord, total)
	shift := make([]uint64, S)    // txs of the signer refused so far: later nonces move down
	resync := make([]bool, S)     // an ambiguous failure: re-read the nonce from the chain
	accepted := make([]uint64, S) // txs of the signer accepted in this point
	var samplesMu sync.Mutex
	samples := map[string]bool{}
	sample := func(msg string) {
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		samplesMu.Lock()
		if len(samples) < maxRejectSamples {
			samples[msg] = true
		}
		samplesMu.Unlock()
	}

	start := time.Now().Add(100 * time.Millisecond)
	interval := float64(time.Second) / rate
	at := func(k int) time.Time { return start.Add(time.Duration(float64(k) * interval)) }
	winFrom := start.Add(o.Warmup)
	winTo := winFrom.Add(o.Measure)
	sendEnd := start.Add(o.Warmup + o.Measure + sendGrace)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// CPU of the node processes and of this process, at the window's edges.
	pids := n.pids()
	type cpuSnap struct{ nodes, self float64 }
	snap := func() cpuSnap {
		var s cpuSnap
		for _, pid := range pids {
			if v, err := cpuSeconds(pid); err == nil {
				s.nodes += v
			}
		}
		if v, err := cpuSeconds(os.Getpid()); err == nil {
			s.self = v
		}
		return s
	}
	cpuDone := make(chan [2]cpuSnap, 1)
	var loadAvg float64 // written before cpuDone is sent
	go func() {
		var out [2]cpuSnap
		for i, t := range []time.Time{winFrom, winTo} {
			timer := time.NewTimer(time.Until(t))
			select {
			case <-pctx.Done():
				timer.Stop()
				cpuDone <- out
				return
			case <-timer.C:
			}
			out[i] = snap()
		}
		loadAvg = loadAverage()
		cpuDone <- out
	}()

	// node0's CPU profile over the window.
	profPath := filepath.Join(o.Out, "profiles", fmt.Sprintf("node0-%s-%g.pprof", n.app, rate))
	profDone := make(chan error, 1)
	go func() { profDone <- n.profileNode0(pctx, winFrom, o.Measure, profPath) }()

	var wg sync.WaitGroup
	for c := range C {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range queues[c] {
				s, j := k%S, uint64(k/S)
				if pctx.Err() != nil || time.Now().After(sendEnd) {
					continue // stUnsent
				}
				raw := txs[k].raw
				recs[k].nonce = n.nonces[s] + j - shift[s]
				if n.app == AppPoaledger && shift[s] > 0 {
					// Earlier txs of this signer were refused: its nonces did not
					// advance, so this one takes the next free nonce.
					var err error
					raw, err = recordTx(n.signers[s], n.chainID, recs[k].nonce, objectEvent(n.run, n.seq+uint64(k), n.pad))
					if err != nil {
						sample("sign: " + err.Error())
						continue
					}
					txs[k].raw, txs[k].hash = raw, sha256.Sum256(raw)
				}
				err := n.broadcast(pctx, c, raw)
				recs[k].hash = txs[k].hash
				var te *client.TxError
				switch {
				case err == nil:
					recs[k].state = stAccepted
					accepted[s]++
				case errors.As(err, &te):
					recs[k].state = stRejectedCheck
					shift[s]++
					sample(fmt.Sprintf("code %d: %s", te.Code, te.Log))
				default:
					recs[k].state = stRejectedRPC
					msg := err.Error()
					if definitive(msg) {
						shift[s]++ // refused before the app: the nonce is free
					} else {
						resync[s] = true // no answer, even when retried: it may be in a mempool
					}
					sample(msg)
				}
			}
		}()
	}

	// The open-loop schedule: tx k is due at start + k/rate, whatever happened
	// to the txs before it.
	n.prog.phase(label+": load", int64(total))
	tick := time.NewTicker(dispatchTick)
	next := 0
	var runErr error
dispatch:
	for next < total {
		select {
		case <-ctx.Done():
			runErr = ctx.Err()
			break dispatch
		case <-tick.C:
		}
		now := time.Now()
		for next < total && !at(next).After(now) {
			queues[conn(next)] <- next
			next++
			n.prog.add(1)
		}
		if err := n.died(); err != nil {
			runErr = err
			break dispatch
		}
	}
	tick.Stop()
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	if runErr != nil {
		return pt, runErr
	}
	sentDone := time.Now()
	for s := range S {
		n.nonces[s] += accepted[s]
	}
	n.seq += uint64(total)

	// Drain: every accepted tx in a block, or the deadline.
	var acc [][32]byte
	for k, r := range recs {
		switch r.state {
		case stAccepted:
			pt.Accepted++
			acc = append(acc, r.hash)
			pt.Sent++
		case stRejectedCheck:
			pt.RejectedCheck++
			pt.Sent++
		case stRejectedRPC:
			pt.RejectedRPC++
			pt.Sent++
		default:
			pt.Unsent++
		}
		if r.state != stUnsent && !at(k).Before(winFrom) && at(k).Before(winTo) {
			pt.SentTPS++
		}
	}
	pt.SentTPS /= o.Measure.Seconds()
	pt.Rejected = pt.RejectedCheck + pt.RejectedRPC
	n.prog.phase(label+": drain", int64(len(acc)))
	deadline := time.Now().Add(o.Drain)
	dtick := time.NewTicker(200 * time.Millisecond)
	last, progressed := 0, time.Now()
	for {
		got := n.poller.committedCount(acc)
		n.prog.add(got - last)
		if got > last {
			progressed = time.Now()
		}
		last = got
		if got == len(acc) || !time.Now().Before(deadline) || time.Since(progressed) >= drainStall {
			break
		}
		if err := n.died(); err != nil {
			dtick.Stop()
			return pt, err
		}
		select {
		case <-ctx.Done():
			dtick.Stop()
			return pt, ctx.Err()
		case <-dtick.C:
		}
	}
	dtick.Stop()
	pt.DrainSeconds = time.Since(sentDone).Seconds()
	cancel()
	cpu := <-cpuDone
	pt.LoadAverage = loadAvg
	if err := <-profDone; err != nil {
		n.prog.logf("%s: no node0 profile: %v", label, err)
	} else if sh, err := profileSharesWith(profPath, nodeSubsystem); err != nil {
		n.prog.logf("%s: node0 profile: %v", label, err)
	} else {
		sh.ByPhase = nil // a node's phases are its subsystems
		pt.Node0Profile = sh
	}

	// Outcomes and latencies.
	var lat []time.Duration
	var lastSeen time.Time
	for k, r := range recs {
		if r.state != stAccepted {
			continue
		}
		c, ok := n.poller.commit(r.hash)
		switch {
		case !ok:
			pt.Lost++
			continue
		case c.Code != 0:
			pt.FailedInBlock++
			continue
		}
		pt.Committed++
		if c.Seen.After(lastSeen) {
			lastSeen = c.Seen
		}
		if t := at(k); !t.Before(winFrom) && t.Before(winTo) {
			lat = append(lat, c.Seen.Sub(t))
		}
		if wantIDs && len(n.ids) < maxQueryIDs {
			n.ids = append(n.ids, txs[k].id)
		}
	}
	pt.LatencyMs = percentiles(lat)

	// Throughput and blocks of the window. Committed tx/s is measured between
	// the first and the last block of the window (no quantisation to whole
	// blocks at the window's edges) when there are at least three blocks.
	blocks := n.poller.blocksSeen(winFrom, winTo)
	pt.Blocks = len(blocks)
	okAll := 0
	for _, b := range blocks {
		okAll += b.OK
		pt.MaxTxsPerBlock = max(pt.MaxTxsPerBlock, b.Txs)
		pt.TxsPerBlock += float64(b.Txs)
	}
	if len(blocks) > 0 {
		pt.TxsPerBlock /= float64(len(blocks))
	}
	switch {
	case len(blocks) >= 3:
		span := blocks[len(blocks)-1].Seen.Sub(blocks[0].Seen).Seconds()
		pt.CommittedTPS = float64(okAll-blocks[0].OK) / span
		pt.BlockIntervalMs = ms(blocks[len(blocks)-1].Time.Sub(blocks[0].Time)) / float64(len(blocks)-1)
	case lastSeen.After(start) && pt.Committed > 0:
		// Blocks too slow for the window (an overloaded machine): the point's
		// committed txs over the time from its start to its last commit.
		pt.CommittedTPS = float64(pt.Committed) / lastSeen.Sub(start).Seconds()
		pt.Notes = append(pt.Notes, fmt.Sprintf("%d blocks in the measured window: committed tx/s is the point's committed txs over its start to its last commit", len(blocks)))
		if len(blocks) == 2 {
			pt.BlockIntervalMs = ms(blocks[1].Time.Sub(blocks[0].Time))
		}
	}
	if cpu[1].nodes > 0 {
		pt.CPUSeconds = cpu[1].nodes - cpu[0].nodes
		pt.BenchCPUSeconds = cpu[1].self - cpu[0].self
		if okAll > 0 {
			pt.CPUSecondsPerTx = pt.CPUSeconds / float64(okAll)
		}
	}
	if pt.Node0Profile != nil && okAll > 0 {
		pt.Node0Profile.perTx(okAll)
	}
	for _, pid := range pids {
		v, _ := peakRSS(pid)
		pt.PeakRSSMiB = append(pt.PeakRSSMiB, math.Round(float64(v)/(1<<20)*10)/10)
	}
	for msg := range samples {
		pt.RejectSamples = append(pt.RejectSamples, msg)
	}
	// Lost poaledger txs leave nonce gaps that block their signer's later txs
	// in every mempool: fill them before the next point. A signer with an
	// ambiguous failure takes the chain's word for its next nonce.
	if n.app == AppPoaledger && pt.Lost > 0 {
		if err := n.repair(ctx, recs, txs); err != nil {
			return pt, err
		}
	}
	if err := n.resyncNonces(ctx, resync); err != nil {
		return pt, err
	}
	// The next point's txs are all new: drop this point's index.
	n.poller.forget(func([32]byte) bool { return false })
	if pt.Lost > 0 || pt.FailedInBlock > 0 {
		n.prog.logf("%s: %d txs lost, %d failed in their block", label, pt.Lost, pt.FailedInBlock)
	}
	if err := n.poller.lastErr(); err != nil && pt.Blocks == 0 {
		return pt, fmt.Errorf("bench: %s: no block seen in the measured window (poller: %v)", label, err)
	}
	return pt, nil
}

// definitive reports an RPC refusal that says the node did not take the tx
// (as opposed to no answer).
func definitive(msg string) bool {
	return strings.Contains(msg, "mempool is full") || strings.Contains(msg, "already exists in cache")
}

// broadcast sends raw on connection c. A failure without an answer (a timeout,
// a dropped connection) is retried twice with the same bytes, so that its
// outcome is known: "already exists in cache" on a retry means an earlier
// attempt got in.
func (n *network) broadcast(ctx context.Context, c int, raw []byte) error {
	var err error
	for attempt := range 3 {
		bctx, cancel := context.WithTimeout(ctx, broadcastTimout)
		_, err = n.conns[c].Broadcast(bctx, raw, false)
		cancel()
		var te *client.TxError
		switch {
		case err == nil, errors.As(err, &te):
			return err
		case attempt > 0 && strings.Contains(err.Error(), "already exists in cache"):
			return nil
		case definitive(err.Error()), ctx.Err() != nil:
			return err
		}
	}
	return err
}

// resyncNonces reads the next nonce of each marked signer from the chain.
func (n *network) resyncNonces(ctx context.Context, which []bool) error {
	if n.app != AppPoaledger {
		return nil
	}
	for s, ok := range which {
		if !ok {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, broadcastTimout)
		nonce, err := n.conns[0].NextNonce(qctx, n.signers[s].addr, client.QueryOpts{})
		cancel()
		if err != nil {
			return fmt.Errorf("bench: nonce of signer %d: %w", s, err)
		}
		n.nonces[s] = nonce
	}
	return nil
}

// runNetworks runs each app in turn on a fresh testnet of its own: start it,
// offer every rate, run the query run (poaledger), stop it, then the next app.
// One testnet at a time: a testnet that has just carried a load is not idle
// (Badger compacts, the GC runs, peers gossip) and would take CPU from the
// other app's measurement if both ran side by side. Every node is stopped on
// return.
func runNetworks(ctx context.Context, o *Options, apps []string, prog *progress, res *Results) (err error) {
	for _, app := range apps {
		if err := runNetwork(ctx, o, app, prog, res); err != nil {
			return err
		}
	}
	return nil
}

// runNetwork is runNetworks for one app.
func runNetwork(ctx context.Context, o *Options, app string, prog *progress, res *Results) (err error) {
	n, err := startNetwork(ctx, o, app, prog)
	if err != nil {
		return err
	}
	defer func() {
		prog.logf("%s: stopping the nodes", n.app)
		if serr := n.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	if o.has(PartNetwork) {
		res.Network = append(res.Network, NetworkResult{App: n.app, ChainID: n.chainID, Validators: o.Validators,
			Signers: o.Signers, Conns: o.Conns, TxBytes: o.TxBytes})
		i := len(res.Network) - 1
		for _, rate := range o.Rates {
			pt, err := n.runPoint(ctx, rate)
			if err != nil {
				return err
			}
			prog.logf("%s %g tx/s: committed %.0f tx/s, p50 %.0f ms, p99 %.0f ms, rejected %d, lost %d",
				n.app, rate, pt.CommittedTPS, pt.LatencyMs.P50, pt.LatencyMs.P99, pt.Rejected, pt.Lost)
			res.Network[i].Points = append(res.Network[i].Points, pt) // partial results survive a failure
		}
	}
	if n.app != AppPoaledger || !o.has(PartQuery) {
		return nil
	}
	if len(n.ids) == 0 {
		// No network points ran (or none committed): record a few events to
		// query.
		if _, err := n.runPoint(ctx, 200); err != nil {
			return err
		}
	}
	q, err := n.queryRun(ctx)
	if err != nil {
		return err
	}
	res.Query = q
	return nil
}

// profileNode0 saves node0's CPU profile of the window [from, from+d] to path.
func (n *network) profileNode0(ctx context.Context, from time.Time, d time.Duration, path string) error {
	timer := time.NewTimer(time.Until(from))
	select {
	case <-ctx.Done():
		timer.Stop()
		return ctx.Err()
	case <-timer.C:
	}
	secs := max(1, int(d.Round(time.Second).Seconds()))
	ctx, cancel := context.WithTimeout(context.Background(), d+60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", n.pprof, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, io.LimitReader(resp.Body, 64<<20)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// repairTimeout bounds the wait for the txs behind a filled nonce gap.
const repairTimeout = 2 * time.Minute

// repair resends, for every signer whose committed nonce is behind what this
// client sent, its accepted txs from the committed nonce on (a full mempool
// may drop a tx after CheckTx accepted it), then waits until every signer's
// chain nonce reaches the client's. Signers still behind at the deadline take
// the chain's nonce.
func (n *network) repair(ctx context.Context, recs []sendRecord, txs []loadTx) error {
	S, C := len(n.signers), len(n.conns)
	behind := make([]bool, S)
	count := 0
	for s := range S {
		qctx, cancel := context.WithTimeout(ctx, broadcastTimout)
		c, err := n.conns[s%C].NextNonce(qctx, n.signers[s].addr, client.QueryOpts{})
		cancel()
		if err != nil {
			return fmt.Errorf("bench: nonce of signer %d: %w", s, err)
		}
		if c >= n.nonces[s] {
			continue
		}
		behind[s] = true
		var ks []int
		for k := s; k < len(recs); k += S {
			if recs[k].state == stAccepted && recs[k].nonce >= c && recs[k].nonce < n.nonces[s] {
				ks = append(ks, k)
			}
		}
		slices.SortFunc(ks, func(a, b int) int { return cmp.Compare(recs[a].nonce, recs[b].nonce) })
		for _, k := range ks {
			bctx, cancel := context.WithTimeout(ctx, broadcastTimout)
			_, _ = n.conns[s%C].Broadcast(bctx, txs[k].raw, false) // "already in cache" for the ones still waiting
			cancel()
			count++
		}
	}
	n.prog.logf("%s: resent %d txs from the first nonce gap of their signers", n.app, count)
	deadline := time.Now().Add(repairTimeout)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		left := 0
		for s := range S {
			if !behind[s] {
				continue
			}
			qctx, cancel := context.WithTimeout(ctx, broadcastTimout)
			c, err := n.conns[s%C].NextNonce(qctx, n.signers[s].addr, client.QueryOpts{})
			cancel()
			if err == nil && c >= n.nonces[s] {
				behind[s] = false
				continue
			}
			left++
		}
		if left == 0 {
			return nil
		}
		if !time.Now().Before(deadline) {
			n.prog.logf("%s: %d signers still behind after %s; continuing from the chain's nonces", n.app, left, repairTimeout)
			return n.resyncNonces(ctx, behind)
		}
		if err := n.died(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
