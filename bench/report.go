package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the results as markdown tables (results.md).
func (r *Results) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	o := r.Options
	mode := "full sweep"
	if r.Quick {
		mode = "quick (smoke) run"
	}
	fmt.Fprintf(&b, "# poaledger bench\n\n")
	cpu := ""
	if r.Machine.CPUModel != "" {
		cpu = r.Machine.CPUModel + "; "
	}
	fmt.Fprintf(&b, "%s, %s, %.0f s on %d CPUs (%s%s/%s, %s); a tx signature verifies in %.0f µs here (ed25519 as CheckTx does it, about half of CheckTx).\n",
		r.StartedAt.UTC().Format(time.RFC3339), mode, r.Seconds,
		r.Machine.CPUs, cpu, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.GoVersion, r.Machine.VerifyMicros)
	if len(r.Network) > 0 {
		fmt.Fprintf(&b, "Network: %d validators as processes on 127.0.0.1 (identical config), %d signers over %d RPC connections spread over the nodes, "+
			"%d-byte txs; each rate %s warm-up then %s measured, drain deadline %s.\n",
			o.Validators, o.Signers, o.Conns, o.TxBytes, o.Warmup, o.Measure, o.Drain)
	}
	b.WriteString("\n")
	if r.RatioVsKVStore != nil {
		fmt.Fprintf(&b, "**Saturated committed throughput: poaledger %.0f tx/s, kvstore %.0f tx/s: ratio %.2f.**\n\n",
			r.SaturatedTPS[AppPoaledger], r.SaturatedTPS[AppKVStore], *r.RatioVsKVStore)
	}
	if len(r.Network) > 0 {
		r.writeComparison(&b)
		r.writeNodeProfiles(&b)
		for _, n := range r.Network {
			writeNetwork(&b, n)
		}
	}
	if r.Query != nil {
		writeQuery(&b, r.Query)
	}
	if r.InProcess != nil {
		writeInProc(&b, r.InProcess)
	}
	if len(r.Notes) > 0 {
		b.WriteString("## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeComparison is the side-by-side table of both apps, one row per rate.
func (r *Results) writeComparison(b *strings.Builder) {
	ours, kv := r.network(AppPoaledger), r.network(AppKVStore)
	if ours == nil || kv == nil {
		return
	}
	b.WriteString("## poaledger and kvstore side by side\n\n")
	b.WriteString("| offered tx/s | poaledger committed tx/s | kvstore committed tx/s | ratio | poaledger p50 / p95 / p99 ms | kvstore p50 / p95 / p99 ms | poaledger CPU ms/tx | kvstore CPU ms/tx |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for i, p := range ours.Points {
		if i >= len(kv.Points) {
			break
		}
		q := kv.Points[i]
		ratio := "-"
		if q.CommittedTPS > 0 {
			ratio = fmt.Sprintf("%.2f", p.CommittedTPS/q.CommittedTPS)
		}
		fmt.Fprintf(b, "| %g | %.0f | %.0f | %s | %s | %s | %.2f | %.2f |\n", p.OfferedTPS, p.CommittedTPS, q.CommittedTPS, ratio,
			lat3(p.LatencyMs), lat3(q.LatencyMs), p.CPUSecondsPerTx*1000, q.CPUSecondsPerTx*1000)
	}
	b.WriteString("\n")
}

func lat3(p Percentiles) string {
	if p.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f / %.0f / %.0f", p.P50, p.P95, p.P99)
}

func writeNetwork(b *strings.Builder, n NetworkResult) {
	fmt.Fprintf(b, "## Network run: %s\n\n", n.App)
	b.WriteString("| offered tx/s | sent tx/s | committed tx/s | p50 / p95 / p99 / max ms | accepted | rejected (CheckTx / RPC) | unsent | lost | failed in block | blocks | block interval ms | txs/block (max) | node CPU s | CPU ms/tx | bench CPU s | peak RSS MiB per node | drain s | load avg |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, p := range n.Points {
		rss := make([]string, len(p.PeakRSSMiB))
		for i, v := range p.PeakRSSMiB {
			rss[i] = fmt.Sprintf("%.0f", v)
		}
		latency := "-"
		if p.LatencyMs.N > 0 {
			latency = fmt.Sprintf("%.0f / %.0f / %.0f / %.0f", p.LatencyMs.P50, p.LatencyMs.P95, p.LatencyMs.P99, p.LatencyMs.Max)
		}
		fmt.Fprintf(b, "| %g | %.0f | %.0f | %s | %d | %d (%d / %d) | %d | %d | %d | %d | %.0f | %.0f (%d) | %.1f | %.2f | %.1f | %s | %.1f | %.1f |\n",
			p.OfferedTPS, p.SentTPS, p.CommittedTPS, latency, p.Accepted, p.Rejected, p.RejectedCheck, p.RejectedRPC,
			p.Unsent, p.Lost, p.FailedInBlock, p.Blocks, p.BlockIntervalMs, p.TxsPerBlock, p.MaxTxsPerBlock,
			p.CPUSeconds, p.CPUSecondsPerTx*1000, p.BenchCPUSeconds, strings.Join(rss, ", "), p.DrainSeconds, p.LoadAverage)
	}
	b.WriteString("\n")
	for _, p := range n.Points {
		for _, note := range p.Notes {
			fmt.Fprintf(b, "Note at %g tx/s: %s.\n\n", p.OfferedTPS, note)
		}
	}
	var samples []string
	for _, p := range n.Points {
		for _, s := range p.RejectSamples {
			samples = append(samples, fmt.Sprintf("%g tx/s: %s", p.OfferedTPS, s))
		}
	}
	if len(samples) > 0 {
		b.WriteString("Refusals seen (samples):\n\n")
		for _, s := range samples {
			fmt.Fprintf(b, "- `%s`\n", strings.ReplaceAll(s, "`", "'"))
		}
		b.WriteString("\n")
	}
}

func writeQuery(b *strings.Builder, q *QueryResult) {
	b.WriteString("## Queries: event by id over RPC (poaledger network, idle)\n\n")
	fmt.Fprintf(b, "%d clients at once, spread over the nodes; ids drawn from %d committed events.\n\n", q.Clients, q.Events)
	b.WriteString("| mode | queries | errors | queries/s | p50 ms | p95 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, m := range []struct {
		name string
		s    QueryStats
	}{{"plain (no proof)", q.Plain}, {"proven (ICS23 + light client)", q.Proven}} {
		fmt.Fprintf(b, "| %s | %d | %d | %.0f | %.1f | %.1f | %.1f |\n", m.name, m.s.Queries, m.s.Errors, m.s.PerSec,
			m.s.LatencyMs.P50, m.s.LatencyMs.P95, m.s.LatencyMs.P99)
	}
	b.WriteString("\n")
}

func writeInProc(b *strings.Builder, r *InProcResult) {
	b.WriteString("## In-process: the app and the ledger without consensus\n\n")
	fmt.Fprintf(b, "Ledger prefilled with %d events through FinalizeBlock + Commit (blocks of %d) in %.1f s (%.0f events/s); ledger on disk afterwards %.0f MiB.\n",
		r.PrefillEvents, r.PrefillBlockTxs, r.PrefillSeconds, r.PrefillEventsPerSec, r.LedgerMiB)
	fmt.Fprintf(b, "Then %d blocks of %d signed %d-byte txs (one event each), each tx CheckTx'd first as the mempool does (so FinalizeBlock finds it in the checked-tx cache).\n\n",
		r.Blocks, r.BlockTxs, r.TxBytes)
	b.WriteString("| FinalizeBlock p50 / p99 ms | Commit p50 / p99 ms | events/s (FinalizeBlock + Commit) | events/s (FinalizeBlock) | CheckTx first /s (µs/tx) | CheckTx recheck /s (µs/tx) |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(b, "| %.0f / %.0f | %.0f / %.0f | %.0f | %.0f | %.0f (%.0f) | %.0f (%.1f) |\n\n",
		r.FinalizeMs.P50, r.FinalizeMs.P99, r.CommitMs.P50, r.CommitMs.P99, r.EventsPerSec, r.FinalizeEventsPerSec,
		r.CheckTx.FirstPerSec, r.CheckTx.FirstMicrosPer, r.CheckTx.RecheckPerSec, r.CheckTx.RecheckMicrosPer)
	for _, p := range []struct {
		title string
		s     *ProfileShares
	}{{"measured blocks (CheckTx, FinalizeBlock, Commit)", r.ProfileBlocks}, {fmt.Sprintf("CheckTx of %d txs, then their recheck", r.CheckTx.Txs), r.ProfileCheckTx}} {
		if p.s == nil {
			continue
		}
		fmt.Fprintf(b, "### CPU profile: %s\n\n%.1f CPU seconds sampled (`go tool pprof %s`).\n\n", p.title, p.s.Seconds, p.s.File)
		b.WriteString("| component | share | | phase | share |\n| --- | ---: | --- | --- | ---: |\n")
		for i := 0; i < max(len(p.s.ByComponent), len(p.s.ByPhase)); i++ {
			var cells [4]string
			if i < len(p.s.ByComponent) {
				cells[0], cells[1] = p.s.ByComponent[i].Name, fmt.Sprintf("%.1f%%", p.s.ByComponent[i].Percent)
			}
			if i < len(p.s.ByPhase) {
				cells[2], cells[3] = p.s.ByPhase[i].Name, fmt.Sprintf("%.1f%%", p.s.ByPhase[i].Percent)
			}
			fmt.Fprintf(b, "| %s | %s | | %s | %s |\n", cells[0], cells[1], cells[2], cells[3])
		}
		b.WriteString("\nTop functions (own time):\n\n| function | share |\n| --- | ---: |\n")
		for _, t := range p.s.Top {
			fmt.Fprintf(b, "| `%s` | %.1f%% |\n", t.Name, t.Percent)
		}
		b.WriteString("\n")
	}
}

// saturatedPoint is the point of n with the highest committed tx/s.
func (n NetworkResult) saturatedPoint() *RatePoint {
	var best *RatePoint
	for i := range n.Points {
		if best == nil || n.Points[i].CommittedTPS > best.CommittedTPS {
			best = &n.Points[i]
		}
	}
	return best
}

// writeNodeProfiles compares where node0's CPU went, per committed tx, at each
// app's saturated point.
func (r *Results) writeNodeProfiles(b *strings.Builder) {
	type col struct {
		app string
		pt  *RatePoint
	}
	var cols []col
	names := map[string]bool{}
	var order []string
	for _, n := range r.Network {
		pt := n.saturatedPoint()
		if pt == nil || pt.Node0Profile == nil {
			continue
		}
		cols = append(cols, col{n.App, pt})
		for _, s := range pt.Node0Profile.ByComponent {
			if !names[s.Name] {
				names[s.Name] = true
				order = append(order, s.Name)
			}
		}
	}
	if len(cols) == 0 {
		return
	}
	b.WriteString("## Where a node's CPU goes, at each app's saturated rate\n\n")
	b.WriteString("node0's CPU profile over the measured window, by subsystem, in CPU ms per committed tx (and share of node0's CPU).\n\n")
	b.WriteString("| subsystem |")
	for _, c := range cols {
		fmt.Fprintf(b, " %s @ %g tx/s |", c.app, c.pt.OfferedTPS)
	}
	b.WriteString("\n| --- |")
	for range cols {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for _, name := range order {
		fmt.Fprintf(b, "| %s |", name)
		for _, c := range cols {
			cell := "-"
			for _, s := range c.pt.Node0Profile.ByComponent {
				if s.Name == name {
					cell = fmt.Sprintf("%.3f (%.0f%%)", s.MsPerTx, s.Percent)
				}
			}
			fmt.Fprintf(b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total** |")
	for _, c := range cols {
		fmt.Fprintf(b, " **%.3f** |", c.pt.Node0Profile.MsPerTx)
	}
	b.WriteString("\n\n")
}
