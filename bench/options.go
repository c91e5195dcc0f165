package bench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// The two apps of the network run.
const (
	AppPoaledger = "poaledger"
	AppKVStore   = "kvstore"
)

// Parts of a run.
const (
	PartNetwork = "network"
	PartInProc  = "inproc"
	PartQuery   = "query"
)

// Bounds of Options, so a typo cannot run for a day or exhaust memory.
const (
	MaxRate       = 50_000 // tx/s offered
	MaxRates      = 20
	MaxWindow     = 10 * time.Minute
	MaxSigners    = 1_000
	MaxConns      = 256
	MinTxBytes    = 512
	MaxTxBytes    = 64 << 10
	MaxPrefill    = 50_000_000
	MaxBlocks     = 10_000
	MaxBlockTxs   = 10_000
	MaxCheckTxs   = 1_000_000
	MaxQueries    = 1_000_000
	MaxQueryConns = 256
	MaxValidators = 16
)

// ErrBadOptions wraps every invalid Options.
var ErrBadOptions = errors.New("bench: invalid options")

// Options configure Run. Defaults(quick) fills every field.
type Options struct {
	// Quick marks the smoke-sized run (recorded in the results).
	Quick bool `json:"quick"`
	// Out is the directory of the results (created); work files go to Out/work.
	Out string `json:"out"`
	// Exe is the poaledger binary the nodes run (`poaledger start --home`).
	Exe string `json:"-"`
	// Parts to run: PartNetwork, PartInProc, PartQuery (the query run needs the
	// network run of poaledger).
	Parts []string `json:"parts"`
	// Apps of the network run, in order: AppPoaledger and/or AppKVStore.
	Apps []string `json:"apps"`

	// Network run.
	Validators int           `json:"validators"`
	Rates      []float64     `json:"rates"`          // offered tx/s, one point each
	Warmup     time.Duration `json:"warmup_ns"`      // load before the measured window
	Measure    time.Duration `json:"measure_ns"`     // the measured window of each rate
	Drain      time.Duration `json:"drain_ns"`       // deadline for accepted txs to commit after the load
	Signers    int           `json:"signers"`        // genesis recorders sending (poaledger)
	Conns      int           `json:"rpc_conns"`      // RPC connections, spread over the nodes
	TxBytes    int           `json:"tx_bytes"`       // size of every tx
	BasePort   int           `json:"base_port"`      // first port on 127.0.0.1; 0 picks a free block
	LogLevel   string        `json:"node_log_level"` // config.toml log_level of every node ("" = node default)

	// In-process run.
	Prefill   int `json:"prefill_events"`    // events in the ledger before the measured blocks
	PrefillBy int `json:"prefill_block_txs"` // txs per prefill block
	Blocks    int `json:"blocks"`            // measured blocks
	BlockTxs  int `json:"block_txs"`         // txs (one event each) per block
	CheckTxs  int `json:"check_txs"`         // txs of the CheckTx measurement

	// Query run.
	Queries      int `json:"queries"`       // per mode (plain, proven)
	QueryClients int `json:"query_clients"` // concurrent clients

	// Keep leaves Out/work (testnet homes, ledgers) in place.
	Keep bool `json:"keep"`
	// Progress receives the progress display (a terminal) or phase lines; nil
	// means none.
	Progress io.Writer `json:"-"`
	// Terminal says Progress is a terminal (a live progress bar instead of lines).
	Terminal bool `json:"-"`
	// Version is the software version recorded in the results.
	Version string `json:"-"`
}

// DefaultRates are the offered rates of the full sweep, tx/s.
var DefaultRates = []float64{250, 500, 1000, 2000, 4000}

// QuickRates are the offered rates of --quick.
var QuickRates = []float64{200, 400}

// Defaults returns the full sweep's options, or with quick the smoke-sized run
// (under two minutes).
func Defaults(quick bool) Options {
	o := Options{
		Out:        "build/bench",
		Parts:      []string{PartNetwork, PartInProc, PartQuery},
		Apps:       []string{AppPoaledger, AppKVStore},
		Validators: 4,
		Rates:      slices.Clone(DefaultRates),
		Warmup:     5 * time.Second,
		Measure:    20 * time.Second,
		Drain:      240 * time.Second,
		Signers:    32,
		Conns:      32,
		TxBytes:    1024,
		LogLevel:   "",

		Prefill:   1_000_000,
		PrefillBy: 4000,
		Blocks:    20,
		BlockTxs:  1000,
		CheckTxs:  20_000,

		Queries:      4000,
		QueryClients: 8,
	}
	if quick {
		o.Quick = true
		o.Rates = slices.Clone(QuickRates)
		o.Warmup = 2 * time.Second
		o.Measure = 8 * time.Second
		o.Drain = 60 * time.Second
		o.Prefill = 2000
		o.Blocks = 3
		o.CheckTxs = 2000
		o.Queries = 100
		o.QueryClients = 4
	}
	return o
}

func (o *Options) has(part string) bool { return slices.Contains(o.Parts, part) }

// Validate checks every option and names the first bad one.
func (o *Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadOptions, fmt.Sprintf(format, args...))
	}
	if o.Out == "" {
		return bad("--out is empty")
	}
	if len(o.Parts) == 0 {
		return bad("nothing to run (no parts)")
	}
	for _, p := range o.Parts {
		if p != PartNetwork && p != PartInProc && p != PartQuery {
			return bad("unknown part %q (want %s, %s or %s)", p, PartNetwork, PartInProc, PartQuery)
		}
	}
	if o.has(PartNetwork) || o.has(PartQuery) {
		if o.Exe == "" {
			return bad("no poaledger binary to run the nodes with")
		}
		if o.Validators < 1 || o.Validators > MaxValidators {
			return bad("--validators %d outside [1, %d]", o.Validators, MaxValidators)
		}
		if o.Signers < 1 || o.Signers > MaxSigners {
			return bad("--signers %d outside [1, %d]", o.Signers, MaxSigners)
		}
		if o.Conns < 1 || o.Conns > MaxConns {
			return bad("--conns %d outside [1, %d]", o.Conns, MaxConns)
		}
		if o.TxBytes < MinTxBytes || o.TxBytes > MaxTxBytes {
			return bad("--tx-bytes %d outside [%d, %d]", o.TxBytes, MinTxBytes, MaxTxBytes)
		}
		if o.BasePort != 0 && (o.BasePort < 1024 || o.BasePort+10*o.Validators > 65535) {
			return bad("--base-port %d: the nodes' ports must lie in 1024..65535", o.BasePort)
		}
	}
	if o.has(PartNetwork) {
		if len(o.Apps) == 0 {
			return bad("--apps is empty")
		}
		for _, a := range o.Apps {
			if a != AppPoaledger && a != AppKVStore {
				return bad("unknown app %q (want %s or %s)", a, AppPoaledger, AppKVStore)
			}
		}
		if len(o.Rates) == 0 || len(o.Rates) > MaxRates {
			return bad("%d rates, want 1..%d", len(o.Rates), MaxRates)
		}
		for _, r := range o.Rates {
			if !(r >= 1 && r <= MaxRate) {
				return bad("rate %v outside [1, %d] tx/s", r, MaxRate)
			}
		}
		for _, d := range []struct {
			name string
			v    time.Duration
			min  time.Duration
		}{{"--warmup", o.Warmup, 0}, {"--duration", o.Measure, time.Second}, {"--drain", o.Drain, time.Second}} {
			if d.v < d.min || d.v > MaxWindow {
				return bad("%s %s outside [%s, %s]", d.name, d.v, d.min, MaxWindow)
			}
		}
	}
	if o.has(PartQuery) {
		if !slices.Contains(o.Apps, AppPoaledger) && o.has(PartNetwork) {
			return bad("the query run needs the network run of %s (--apps)", AppPoaledger)
		}
		if o.Queries < 1 || o.Queries > MaxQueries {
			return bad("--queries %d outside [1, %d]", o.Queries, MaxQueries)
		}
		if o.QueryClients < 1 || o.QueryClients > MaxQueryConns {
			return bad("--query-clients %d outside [1, %d]", o.QueryClients, MaxQueryConns)
		}
	}
	if o.has(PartInProc) {
		if o.Prefill < 0 || o.Prefill > MaxPrefill {
			return bad("--prefill %d outside [0, %d]", o.Prefill, MaxPrefill)
		}
		if o.Blocks < 1 || o.Blocks > MaxBlocks {
			return bad("--blocks %d outside [1, %d]", o.Blocks, MaxBlocks)
		}
		if o.PrefillBy < 1 || o.PrefillBy > MaxBlockTxs {
			return bad("--prefill-block-txs %d outside [1, %d]", o.PrefillBy, MaxBlockTxs)
		}
		if o.BlockTxs < 1 || o.BlockTxs > MaxBlockTxs {
			return bad("--block-txs %d outside [1, %d]", o.BlockTxs, MaxBlockTxs)
		}
		if o.CheckTxs < 1 || o.CheckTxs > MaxCheckTxs {
			return bad("--check-txs %d outside [1, %d]", o.CheckTxs, MaxCheckTxs)
		}
	}
	return nil
}
