package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/poaledger/poaledger/bench"
	"github.com/poaledger/poaledger/node"
)

// startOptions are the node options of `poaledger start`: poaledger's app, or
// the baseline app that config.toml's proxy_app names (bench.AppForHome).
func startOptions(home string) (node.Options, func(), error) {
	opts := node.Options{Version: version, Commit: commit}
	app, closeApp, err := bench.AppForHome(home)
	if err != nil {
		return opts, nil, err
	}
	if app == nil {
		return opts, func() {}, nil
	}
	opts.App = app
	return opts, func() { _ = closeApp() }, nil
}

func newBenchCmd(g *globals) *cobra.Command {
	full, quick := bench.Defaults(false), bench.Defaults(true)
	var (
		isQuick                             bool
		out, rates, apps, parts, logLevel   string
		warmup, measure, drain              time.Duration
		validators, signers, conns, txBytes int
		basePort, prefill, blocks, blockTxs int
		prefillBy                           int
		checkTxs, queries, queryClients     int
		keep                                bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark poaledger side by side with CometBFT's kvstore on a local testnet",
		Long: `bench measures, in one invocation:

  network   a fresh local testnet of --validators processes on 127.0.0.1, started
            twice with identical config: once with poaledger, once with CometBFT's
            kvstore example app (linked into this binary). Open-loop load at each
            offered rate of --rates: signed RecordEvents of one unique EPCIS
            ObjectEvent (--tx-bytes each) from --signers genesis recorders for
            poaledger, key=value txs of the same size for kvstore, over --conns RPC
            connections spread over all nodes. Per rate: committed tx/s (from the
            blocks, over the measured window after --warmup), latency submit ->
            commit p50/p95/p99, rejected and lost txs, block interval, txs per
            block, CPU seconds per committed tx and peak RSS per node.
  query     event by id over RPC, with and without proof (light-verified from
            genesis), --query-clients at once: queries/s, p50, p99.
  inproc    FinalizeBlock + Commit of blocks of --block-txs signed events through
            the app on a ledger already holding --prefill events, CheckTx first
            check and recheck, with CPU profiles grouped by component and phase.

Results go to --out: results.json, results.md, bench.svg and bench.png (committed
throughput and p50/p99 latency against offered rate, both apps), cpu-*.pprof.
--output json prints the results, with ratio_vs_kvstore: poaledger's saturated
committed tx/s over kvstore's. --quick is the smoke-sized run (two rates for 10 s
each, a small ledger, few queries; under two minutes). Only 127.0.0.1 is used;
every node is stopped when bench ends, however it ends.`,
		Example: `  poaledger bench --quick
  poaledger bench --out build/bench                 # the full sweep, about 35 minutes
  poaledger bench --rates 500,1000 --duration 30s --parts network --apps poaledger`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := full
			if isQuick {
				o = quick
			}
			f := cmd.Flags()
			set := func(name string, apply func()) {
				if f.Changed(name) {
					apply()
				}
			}
			var perr error
			set("out", func() { o.Out = out })
			set("rates", func() { o.Rates, perr = parseRates(rates) })
			if perr != nil {
				return usagef("--rates %q: %v", rates, perr)
			}
			set("apps", func() { o.Apps = splitList(apps) })
			set("parts", func() { o.Parts = splitList(parts) })
			set("warmup", func() { o.Warmup = warmup })
			set("duration", func() { o.Measure = measure })
			set("drain", func() { o.Drain = drain })
			set("validators", func() { o.Validators = validators })
			set("signers", func() { o.Signers = signers })
			set("conns", func() { o.Conns = conns })
			set("tx-bytes", func() { o.TxBytes = txBytes })
			set("base-port", func() { o.BasePort = basePort })
			set("node-log-level", func() { o.LogLevel = logLevel })
			set("prefill", func() { o.Prefill = prefill })
			set("prefill-block-txs", func() { o.PrefillBy = prefillBy })
			set("blocks", func() { o.Blocks = blocks })
			set("block-txs", func() { o.BlockTxs = blockTxs })
			set("check-txs", func() { o.CheckTxs = checkTxs })
			set("queries", func() { o.Queries = queries })
			set("query-clients", func() { o.QueryClients = queryClients })
			o.Keep = keep
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("bench: cannot find own binary: %w", err)
			}
			o.Exe = exe
			o.Version = version
			o.Progress = cmd.ErrOrStderr()
			if fd, ok := o.Progress.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(fd.Fd())) {
				o.Terminal = true
			}
			if err := o.Validate(); err != nil {
				return usagef("%v", err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			res, err := bench.Run(ctx, o)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return fmt.Errorf("bench: interrupted (partial results in %s)", o.Out)
				}
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				_ = res.WriteMarkdown(w)
				fmt.Fprintf(w, "results: %s, %s", res.Files[bench.FileJSON], res.Files[bench.FileMarkdown])
				if svg, ok := res.Files[bench.FileSVG]; ok {
					fmt.Fprintf(w, ", chart %s and %s", svg, res.Files[bench.FilePNG])
				}
				fmt.Fprintln(w)
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&isQuick, "quick", false, "the smoke-sized run: rates "+joinRates(quick.Rates)+", "+quick.Warmup.String()+" + "+
		quick.Measure.String()+" each, prefill "+strconv.Itoa(quick.Prefill)+" events, "+strconv.Itoa(quick.Queries)+" queries per mode")
	fl.StringVar(&out, "out", full.Out, "directory of the results (work files in OUT/work, removed afterwards unless --keep)")
	fl.StringVar(&rates, "rates", joinRates(full.Rates), "offered rates, tx/s, comma-separated")
	fl.StringVar(&apps, "apps", strings.Join(full.Apps, ","), "apps of the network run, in order: poaledger, kvstore")
	fl.StringVar(&parts, "parts", strings.Join(full.Parts, ","), "parts to run: network, inproc, query")
	fl.DurationVar(&warmup, "warmup", full.Warmup, "load before each rate's measured window")
	fl.DurationVar(&measure, "duration", full.Measure, "measured window of each rate")
	fl.DurationVar(&drain, "drain", full.Drain, "after each rate's load, how long accepted txs may take to commit before they count as lost")
	fl.IntVar(&validators, "validators", full.Validators, "validators of the testnet")
	fl.IntVar(&signers, "signers", full.Signers, "load signers (genesis recorders) of the poaledger run")
	fl.IntVar(&conns, "conns", full.Conns, "RPC connections of the load, spread over the nodes (each signer uses one)")
	fl.IntVar(&txBytes, "tx-bytes", full.TxBytes, "size of every tx")
	fl.IntVar(&basePort, "base-port", 0, "first port of the testnet on 127.0.0.1 (node i uses base+10i..+2); 0 picks a free block")
	fl.StringVar(&logLevel, "node-log-level", "", "log_level of every node's config.toml (empty: the node default)")
	fl.IntVar(&prefill, "prefill", full.Prefill, "events in the in-process ledger before the measured blocks")
	fl.IntVar(&prefillBy, "prefill-block-txs", full.PrefillBy, "txs per block of the prefill")
	fl.IntVar(&blocks, "blocks", full.Blocks, "measured in-process blocks")
	fl.IntVar(&blockTxs, "block-txs", full.BlockTxs, "txs (one event each) per in-process block")
	fl.IntVar(&checkTxs, "check-txs", full.CheckTxs, "txs of the in-process CheckTx measurement")
	fl.IntVar(&queries, "queries", full.Queries, "queries per mode (plain, proven)")
	fl.IntVar(&queryClients, "query-clients", full.QueryClients, "concurrent query clients")
	fl.BoolVar(&keep, "keep", false, "keep OUT/work (testnet homes and logs, the in-process ledger)")
	return cmd
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func joinRates(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strings.Join(parts, ",")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
