package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// Output files in Options.Out.
const (
	FileJSON     = "results.json"
	FileMarkdown = "results.md"
	FileSVG      = "bench.svg"
	FilePNG      = "bench.png"
)

// Run runs the benchmark parts of o and writes the results into o.Out (also
// when a part fails: what was measured until then). Every node it starts is
// stopped before it returns; ctx cancels the run.
func Run(ctx context.Context, o Options) (*Results, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(o.Out, "work"), 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	prog := newProgress(o.Progress, o.Terminal)
	res := &Results{
		Tool: "poaledger bench", Version: o.Version, Quick: o.Quick, StartedAt: time.Now().UTC(),
		Machine: Machine{CPUs: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(),
			CPUModel: cpuModel()},
		Options: o, Files: map[string]string{},
	}
	us, err := verifyMicros(verifyRuns)
	if err != nil {
		return nil, err
	}
	res.Machine.VerifyMicros = us
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		res.Notes = append(res.Notes, "no /proc on this system: CPU and peak RSS figures are 0")
	}
	res.Notes = append(res.Notes,
		"The load generator runs on the same machine as the nodes (its CPU is bench_cpu_seconds); all nodes share the machine's CPUs.",
		"Latency runs from each tx's scheduled send time (open loop) to the moment a poller of node0's RPC (every 25 ms) first saw its block committed.")
	if o.has(PartNetwork) && len(o.Apps) > 1 {
		res.Notes = append(res.Notes, "One testnet at a time: each app's testnet is started, carries every rate, and is stopped "+
			"before the next app's starts (a testnet that has just carried a load keeps compacting and collecting, and would take CPU from the other's run).")
	}
	runErr := run(ctx, &o, prog, res)
	prog.done()
	res.Seconds = time.Since(res.StartedAt).Seconds()
	res.finish()
	werr := res.write(o.Out)
	if !o.Keep && runErr == nil {
		if err := os.RemoveAll(filepath.Join(o.Out, "work")); err != nil {
			werr = errors.Join(werr, err)
		}
	}
	if runErr != nil {
		return res, runErr
	}
	return res, werr
}

func run(ctx context.Context, o *Options, prog *progress, res *Results) error {
	var apps []string
	switch {
	case o.has(PartNetwork):
		apps = o.Apps
	case o.has(PartQuery):
		apps = []string{AppPoaledger}
	}
	if len(apps) > 0 {
		if err := runNetworks(ctx, o, apps, prog, res); err != nil {
			return err
		}
	}
	if o.has(PartQuery) && !slices.Contains(apps, AppPoaledger) {
		return fmt.Errorf("bench: the query run needs a poaledger network")
	}
	if o.has(PartInProc) {
		if err := runInProc(ctx, o, prog, res); err != nil {
			return err
		}
	}
	return nil
}

// write writes results.json, results.md and, with network results, the chart.
func (r *Results) write(dir string) error {
	r.Files[FileJSON] = filepath.Join(dir, FileJSON)
	r.Files[FileMarkdown] = filepath.Join(dir, FileMarkdown)
	if len(r.Network) > 0 {
		r.Files[FileSVG] = filepath.Join(dir, FileSVG)
		r.Files[FilePNG] = filepath.Join(dir, FilePNG)
	}
	if r.InProcess != nil {
		for _, p := range []*ProfileShares{r.InProcess.ProfileBlocks, r.InProcess.ProfileCheckTx} {
			if p != nil {
				r.Files[filepath.Base(p.File)] = p.File
			}
		}
	}
	var errs []error
	if len(r.Network) > 0 {
		errs = append(errs, r.WriteChart(r.Files[FileSVG], true), r.WriteChart(r.Files[FilePNG], false))
	}
	md, err := os.Create(r.Files[FileMarkdown])
	if err == nil {
		err = errors.Join(r.WriteMarkdown(md), md.Close())
	}
	errs = append(errs, err)
	data, err := json.MarshalIndent(r, "", "  ")
	if err == nil {
		err = os.WriteFile(r.Files[FileJSON], append(data, '\n'), 0o644)
	}
	errs = append(errs, err)
	return errors.Join(errs...)
}
