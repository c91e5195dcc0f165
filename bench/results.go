package bench

import (
	"math"
	"slices"
	"time"
)

// Results is everything one run measured; results.json holds it, and
// `poaledger bench --output json` prints it.
type Results struct {
	Tool      string    `json:"tool"`
	Version   string    `json:"version,omitempty"`
	Quick     bool      `json:"quick"`
	StartedAt time.Time `json:"started_at"`
	Seconds   float64   `json:"seconds"`
	Machine   Machine   `json:"machine"`
	Options   Options   `json:"options"`
	// RatioVsKVStore is poaledger's saturated committed tx/s over kvstore's in
	// the same run (the highest committed tx/s of any offered rate, each); null
	// when the run did not measure both.
	RatioVsKVStore *float64 `json:"ratio_vs_kvstore"`
	// SaturatedTPS is each app's highest committed tx/s over the offered rates.
	SaturatedTPS map[string]float64 `json:"saturated_tps,omitempty"`
	Network      []NetworkResult    `json:"network,omitempty"`
	InProcess    *InProcResult      `json:"in_process,omitempty"`
	Query        *QueryResult       `json:"query,omitempty"`
	// Files are the outputs written, by kind (json, markdown, chart_svg, ...).
	Files map[string]string `json:"files"`
	Notes []string          `json:"notes,omitempty"`
}

// Machine describes where the run ran.
type Machine struct {
	CPUs      int    `json:"cpus"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	GoVersion string `json:"go_version"`
	// CPUModel is the processor's model name (with x86 family and model
	// numbers), empty where /proc/cpuinfo is missing.
	CPUModel string `json:"cpu_model,omitempty"`
	// VerifyMicros is one tx signature's ed25519 verification as CheckTx does
	// it, in µs, measured at the start of the run: about half of CheckTx, and
	// the figure that differs most between hosts.
	VerifyMicros float64 `json:"ed25519_verify_us"`
}

// NetworkResult is one app's network run.
type NetworkResult struct {
	App        string      `json:"app"`
	ChainID    string      `json:"chain_id"`
	Validators int         `json:"validators"`
	Signers    int         `json:"signers"`
	Conns      int         `json:"rpc_conns"`
	TxBytes    int         `json:"tx_bytes"`
	Points     []RatePoint `json:"points"`
}

// RatePoint is one offered rate of a network run. Counts cover every tx of the
// point (warm-up included); rates, latencies, blocks and CPU cover the measured
// window.
type RatePoint struct {
	OfferedTPS float64 `json:"offered_tps"`
	// SentTPS is the rate at which txs actually left the client in the window.
	SentTPS  float64 `json:"sent_tps"`
	Sent     int     `json:"sent"`
	Accepted int     `json:"accepted"` // CheckTx code 0
	// Rejected: CheckTx refused the tx (a code) or the node refused it before
	// the app (mempool full, ...: an RPC error).
	Rejected      int `json:"rejected"`
	RejectedCheck int `json:"rejected_checktx"`
	RejectedRPC   int `json:"rejected_rpc"`
	// Unsent: the client could not send it before the send deadline.
	Unsent int `json:"unsent"`
	// Committed with code 0; FailedInBlock committed with another code.
	Committed     int `json:"committed"`
	FailedInBlock int `json:"failed_in_block"`
	// Lost: accepted but not in a block when the drain deadline passed.
	Lost          int     `json:"lost"`
	WindowSeconds float64 `json:"window_seconds"`
	CommittedTPS  float64 `json:"committed_tps"`
	// LatencyMs: submit (the scheduled send time) to commit (the poller first
	// seeing the block) of the window's committed txs.
	LatencyMs       Percentiles `json:"latency_ms"`
	Blocks          int         `json:"blocks"`
	BlockIntervalMs float64     `json:"block_interval_ms"`
	TxsPerBlock     float64     `json:"txs_per_block"`
	MaxTxsPerBlock  int         `json:"max_txs_per_block"`
	// CPUSeconds is utime+stime of all node processes in the window;
	// CPUSecondsPerTx divides it by the txs committed in the window.
	CPUSeconds      float64 `json:"cpu_seconds"`
	CPUSecondsPerTx float64 `json:"cpu_seconds_per_tx"`
	// BenchCPUSeconds is the load generator's own CPU in the window (it shares
	// the machine).
	BenchCPUSeconds float64   `json:"bench_cpu_seconds"`
	PeakRSSMiB      []float64 `json:"peak_rss_mib"` // VmHWM of each node after the point
	DrainSeconds    float64   `json:"drain_seconds"`
	RejectSamples   []string  `json:"reject_samples,omitempty"`
	// Node0Profile is node0's CPU profile over the window, by subsystem (the
	// app's ABCI calls, CometBFT's mempool, consensus, RPC, p2p, stores, tx
	// indexer, GC), with ms per committed tx.
	Node0Profile *ProfileShares `json:"node0_profile,omitempty"`
	// LoadAverage is the machine's 1-minute load average at the window's end:
	// other work on the machine shows here.
	LoadAverage float64  `json:"load_average"`
	Notes       []string `json:"notes,omitempty"`
}

// Percentiles of a latency sample, in milliseconds.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// percentiles computes nearest-rank percentiles of ds (sorted in place).
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		i = max(0, min(i, len(ds)-1))
		return ms(ds[i])
	}
	return Percentiles{N: len(ds), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// InProcResult is the in-process run: the app and the ledger without consensus.
type InProcResult struct {
	PrefillEvents       int     `json:"prefill_events"`
	PrefillBlockTxs     int     `json:"prefill_block_txs"`
	PrefillSeconds      float64 `json:"prefill_seconds"`
	PrefillEventsPerSec float64 `json:"prefill_events_per_sec"`
	Blocks              int     `json:"blocks"`
	BlockTxs            int     `json:"block_txs"`
	TxBytes             int     `json:"tx_bytes"`
	// FinalizeMs and CommitMs are per block.
	FinalizeMs Percentiles `json:"finalize_ms"`
	CommitMs   Percentiles `json:"commit_ms"`
	// EventsPerSec: events over FinalizeBlock + Commit time of the measured blocks.
	EventsPerSec float64 `json:"events_per_sec"`
	// FinalizeEventsPerSec: the same over FinalizeBlock time alone.
	FinalizeEventsPerSec float64      `json:"finalize_events_per_sec"`
	CheckTx              CheckTxStats `json:"check_tx"`
	LedgerMiB            float64      `json:"ledger_mib"`
	// ProfileBlocks covers the measured blocks, ProfileCheckTx the CheckTx runs.
	ProfileBlocks  *ProfileShares `json:"profile_blocks,omitempty"`
	ProfileCheckTx *ProfileShares `json:"profile_checktx,omitempty"`
}

// CheckTxStats: the first CheckTx of fresh txs (decode, signature, EPCIS parse,
// state checks) and the recheck after a block (the cached checked tx).
type CheckTxStats struct {
	Txs              int     `json:"txs"`
	FirstPerSec      float64 `json:"first_per_sec"`
	RecheckPerSec    float64 `json:"recheck_per_sec"`
	FirstMicrosPer   float64 `json:"first_us_per_tx"`
	RecheckMicrosPer float64 `json:"recheck_us_per_tx"`
}

// ProfileShares is a CPU profile grouped: by component (signatures, decode,
// EPCIS, app, IAVL, Badger, GC, ...), by phase (FinalizeBlock, Commit, CheckTx,
// background) and the top functions by own time.
type ProfileShares struct {
	File    string  `json:"file"`
	Seconds float64 `json:"seconds"` // CPU seconds sampled
	// MsPerTx: Seconds per committed tx of the window, ms (node profiles).
	MsPerTx     float64 `json:"ms_per_tx,omitempty"`
	ByComponent []Share `json:"by_component"`
	ByPhase     []Share `json:"by_phase"`
	Top         []Share `json:"top_functions"`
}

// Share is a part of a profile.
type Share struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Percent float64 `json:"percent"`
	// MsPerTx: CPU milliseconds per committed tx (node profiles).
	MsPerTx float64 `json:"ms_per_tx,omitempty"`
}

// QueryResult is the query run.
type QueryResult struct {
	Events  int        `json:"events"` // distinct committed events queried from
	Clients int        `json:"clients"`
	Plain   QueryStats `json:"plain"`
	Proven  QueryStats `json:"proven"`
}

// QueryStats is one mode of the query run.
type QueryStats struct {
	Queries      int         `json:"queries"`
	Errors       int         `json:"errors"`
	Seconds      float64     `json:"seconds"`
	PerSec       float64     `json:"per_sec"`
	LatencyMs    Percentiles `json:"latency_ms"`
	ErrorSamples []string    `json:"error_samples,omitempty"`
}

// saturated is the highest committed tx/s of a network run.
func (n NetworkResult) saturated() float64 {
	best := 0.0
	for _, p := range n.Points {
		best = max(best, p.CommittedTPS)
	}
	return best
}

// network returns the run of app, if any.
func (r *Results) network(app string) *NetworkResult {
	for i := range r.Network {
		if r.Network[i].App == app {
			return &r.Network[i]
		}
	}
	return nil
}

// finish fills SaturatedTPS and RatioVsKVStore.
func (r *Results) finish() {
	r.SaturatedTPS = map[string]float64{}
	for _, n := range r.Network {
		r.SaturatedTPS[n.App] = n.saturated()
	}
	ours, kv := r.network(AppPoaledger), r.network(AppKVStore)
	if ours != nil && kv != nil && kv.saturated() > 0 {
		ratio := ours.saturated() / kv.saturated()
		r.RatioVsKVStore = &ratio
	}
}
