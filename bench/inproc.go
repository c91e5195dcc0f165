package bench

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted "github.com/cometbft/cometbft/crypto/ed25519"
	cmtenc "github.com/cometbft/cometbft/crypto/encoding"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

// inprocChainID is the chain of the in-process run.
const inprocChainID = "bench-inproc"

// inproc drives app.App directly, as CometBFT's local client would: no
// consensus, no network, no mempool.
type inproc struct {
	o       *Options
	prog    *progress
	store   *ledger.Store
	app     *app.App
	signers []*signer
	nonces  []uint64 // next nonce of each signer
	height  int64    // next block height
	seq     uint64   // next event number
	pad     int
	run     string
	time    time.Time
}

// newInproc opens a fresh ledger in dir exactly as node.New does (the node's
// ledger options with poaledger.toml's defaults), builds the app with the
// node's default options and runs InitChain with the load signers as recorders.
func newInproc(o *Options, prog *progress, dir string) (*inproc, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg := config.Default()
	lopts := ledger.DefaultOptions()
	lopts.CacheSize = cfg.Ledger.CacheSize
	lopts.KeepRecent = cfg.Ledger.KeepRecent
	lopts.InitialVersion = 1
	lopts.WriteOncePrefixes = api.WriteOncePrefixes()
	store, err := ledger.Open(filepath.Join(dir, "ledger"), lopts)
	if err != nil {
		return nil, fmt.Errorf("bench: open ledger: %w", err)
	}
	a, err := app.New(store, app.Options{
		ChainID:             inprocChainID,
		SigCacheSize:        cfg.App.SigCacheSize,
		MaxPageItems:        cfg.App.MaxPageItems,
		MaxPendingPerSigner: cfg.App.MaxPendingPerSigner,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	// Enough signers that the CheckTx run stays within each signer's mempool
	// bound (max_pending_txs_per_signer).
	nSigners := max(32, (o.CheckTxs+cfg.App.MaxPendingPerSigner-1)/cfg.App.MaxPendingPerSigner)
	p := &inproc{o: o, prog: prog, store: store, app: a, signers: newSigners(inprocChainID, nSigners),
		nonces: make([]uint64, nSigners), height: 1, run: "inproc",
		time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := p.initChain(); err != nil {
		store.Close()
		return nil, err
	}
	if p.pad, err = eventPad(p.run, inprocChainID, o.TxBytes); err != nil {
		store.Close()
		return nil, err
	}
	return p, nil
}

func (p *inproc) close() error { return p.store.Close() }

func (p *inproc) initChain() error {
	authority := newSigners(inprocChainID+"/authority", 1)[0]
	state := app.DefaultGenesisState(append([]app.GenesisMember{{
		PubKey: authority.priv.Public().(ed25519.PublicKey), Name: "authority", Roles: []string{consensus.RoleAuthority},
	}}, genesisMembers(p.signers)...)...)
	raw, err := json.Marshal(state)
	if err != nil {
		return err
	}
	vpk, err := cmtenc.PubKeyToProto(cmted.GenPrivKeyFromSecret([]byte(inprocChainID + "/validator")).PubKey())
	if err != nil {
		return err
	}
	_, err = p.app.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: inprocChainID, InitialHeight: 1, AppStateBytes: raw,
		Validators: []abci.ValidatorUpdate{{PubKey: vpk, Power: 10}},
	})
	return err
}

// makeTxs signs n RecordEvents txs of one event each, round-robin over the
// signers with their next nonces, in parallel.
func (p *inproc) makeTxs(n int) ([][]byte, error) {
	S := len(p.signers)
	base := make([]uint64, S)
	copy(base, p.nonces)
	out := make([][]byte, n)
	errs := make([]error, n)
	seq := p.seq
	parallel(n, func(k int) {
		s, j := k%S, uint64(k/S)
		out[k], errs[k] = recordTx(p.signers[s], inprocChainID, base[s]+j, objectEvent(p.run, seq+uint64(k), p.pad))
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for k := range n {
		p.nonces[k%S]++
	}
	p.seq += uint64(n)
	return out, nil
}

// block runs FinalizeBlock and Commit of txs and returns their durations. Every
// tx must succeed.
func (p *inproc) block(txs [][]byte) (fin, commit time.Duration, err error) {
	ctx := context.Background()
	p.time = p.time.Add(time.Second)
	t0 := time.Now()
	res, err := p.app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: p.height, Time: p.time, Txs: txs})
	if err != nil {
		return 0, 0, err
	}
	t1 := time.Now()
	if _, err := p.app.Commit(ctx, &abci.RequestCommit{}); err != nil {
		return 0, 0, err
	}
	t2 := time.Now()
	for i, r := range res.TxResults {
		if r.Code != 0 {
			return 0, 0, fmt.Errorf("bench: block %d tx %d refused: code %d: %s", p.height, i, r.Code, r.Log)
		}
	}
	p.height++
	return t1.Sub(t0), t2.Sub(t1), nil
}

// checkAll runs CheckTx of typ on every tx; every one must pass.
func (p *inproc) checkAll(txs [][]byte, typ abci.CheckTxType) (time.Duration, error) {
	ctx := context.Background()
	t0 := time.Now()
	for i, raw := range txs {
		res, err := p.app.CheckTx(ctx, &abci.RequestCheckTx{Tx: raw, Type: typ})
		if err != nil {
			return 0, err
		}
		if res.Code != 0 {
			return 0, fmt.Errorf("bench: CheckTx (%s) of tx %d refused: code %d: %s", typ, i, res.Code, res.Log)
		}
	}
	return time.Since(t0), nil
}

// runInProc is the in-process run: prefill, measured blocks, CheckTx.
func runInProc(ctx context.Context, o *Options, prog *progress, res *Results) error {
	dir := filepath.Join(o.Out, "work", "inproc")
	p, err := newInproc(o, prog, dir)
	if err != nil {
		return err
	}
	defer p.close()
	// The GC target of a node (poaledger.toml's runtime.gc_percent), as node.New
	// sets it, unless GOGC says otherwise; restored afterwards.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(config.Default().Runtime.GCPercent))
	}
	r := &InProcResult{Blocks: o.Blocks, BlockTxs: o.BlockTxs, TxBytes: o.TxBytes, PrefillBlockTxs: o.PrefillBy}

	// Prefill: blocks through FinalizeBlock + Commit, signed while the previous
	// block executes.
	per := o.PrefillBy
	prog.logf("in-process: prefilling the ledger with %d events (blocks of %d)", o.Prefill, per)
	prog.phase("in-process: prefill", int64(o.Prefill))
	start := time.Now()
	type batch struct {
		txs [][]byte
		err error
	}
	batches := make(chan batch, 2)
	gctx, stopGen := context.WithCancel(ctx)
	go func() {
		defer close(batches)
		for left := o.Prefill; left > 0 && gctx.Err() == nil; {
			n := min(per, left)
			txs, err := p.makeTxs(n)
			select {
			case batches <- batch{txs, err}:
			case <-gctx.Done():
				return
			}
			if err != nil {
				return
			}
			left -= n
		}
	}()
	for b := range batches {
		if b.err == nil {
			_, _, b.err = p.block(b.txs)
		}
		if b.err == nil {
			b.err = ctx.Err()
		}
		if b.err != nil {
			stopGen()
			for range batches { // let the generator end
			}
			return b.err
		}
		prog.add(len(b.txs))
	}
	stopGen()
	r.PrefillEvents = int(p.seq)
	r.PrefillSeconds = time.Since(start).Seconds()
	if r.PrefillSeconds > 0 {
		r.PrefillEventsPerSec = float64(r.PrefillEvents) / r.PrefillSeconds
	}
	prog.logf("in-process: prefilled %d events in %.1f s (%.0f events/s)", r.PrefillEvents, r.PrefillSeconds, r.PrefillEventsPerSec)

	// Measured blocks, each as a node runs it: the mempool's CheckTx of every
	// tx first (which caches the checked tx), then FinalizeBlock and Commit.
	prog.phase("in-process: signing the measured blocks", int64(o.Blocks))
	blocks := make([][][]byte, o.Blocks)
	for i := range blocks {
		if blocks[i], err = p.makeTxs(o.BlockTxs); err != nil {
			return err
		}
		prog.add(1)
	}
	prog.phase("in-process: measured blocks", int64(o.Blocks))
	stopProf, err := startProfile(filepath.Join(o.Out, "cpu-blocks.pprof"))
	if err != nil {
		return err
	}
	var fins, commits []time.Duration
	var checkTotal time.Duration
	for _, txs := range blocks {
		if err := ctx.Err(); err != nil {
			stopProf()
			return err
		}
		d, err := p.checkAll(txs, abci.CheckTxType_New)
		if err != nil {
			stopProf()
			return err
		}
		checkTotal += d
		fin, commit, err := p.block(txs)
		if err != nil {
			stopProf()
			return err
		}
		fins, commits = append(fins, fin), append(commits, commit)
		prog.add(1)
	}
	stopProf()
	var finSum, comSum time.Duration
	for i := range fins {
		finSum += fins[i]
		comSum += commits[i]
	}
	events := float64(o.Blocks * o.BlockTxs)
	r.EventsPerSec = events / (finSum + comSum).Seconds()
	r.FinalizeEventsPerSec = events / finSum.Seconds()
	r.FinalizeMs, r.CommitMs = percentiles(fins), percentiles(commits)
	if r.ProfileBlocks, err = profileShares(filepath.Join(o.Out, "cpu-blocks.pprof")); err != nil {
		return err
	}
	prog.logf("in-process: %d blocks of %d events on %d: %.0f events/s (FinalizeBlock p50 %.0f ms, Commit p50 %.0f ms; their CheckTx %.0f ms/block before)",
		o.Blocks, o.BlockTxs, r.PrefillEvents, r.EventsPerSec, r.FinalizeMs.P50, r.CommitMs.P50, ms(checkTotal)/float64(o.Blocks))

	// CheckTx: fresh txs, then the recheck after a block (an empty one: the
	// mempool still holds them all), which finds each in the checked-tx cache.
	prog.phase("in-process: CheckTx", 2)
	txs, err := p.makeTxs(o.CheckTxs)
	if err != nil {
		return err
	}
	stopProf, err = startProfile(filepath.Join(o.Out, "cpu-checktx.pprof"))
	if err != nil {
		return err
	}
	first, err := p.checkAll(txs, abci.CheckTxType_New)
	if err != nil {
		stopProf()
		return err
	}
	prog.add(1)
	if _, _, err := p.block(nil); err != nil {
		stopProf()
		return err
	}
	recheck, err := p.checkAll(txs, abci.CheckTxType_Recheck)
	stopProf()
	if err != nil {
		return err
	}
	prog.add(1)
	n := float64(len(txs))
	r.CheckTx = CheckTxStats{Txs: len(txs), FirstPerSec: n / first.Seconds(), RecheckPerSec: n / recheck.Seconds(),
		FirstMicrosPer: float64(first.Microseconds()) / n, RecheckMicrosPer: float64(recheck.Microseconds()) / n}
	if r.ProfileCheckTx, err = profileShares(filepath.Join(o.Out, "cpu-checktx.pprof")); err != nil {
		return err
	}
	prog.logf("in-process: CheckTx %.0f/s first, %.0f/s recheck", r.CheckTx.FirstPerSec, r.CheckTx.RecheckPerSec)
	r.LedgerMiB = float64(dirSize(filepath.Join(dir, "ledger"))) / (1 << 20)
	res.InProcess = r
	return nil
}

// startProfile starts a CPU profile into path; the returned func stops it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// dirSize is the disk space of the files under dir (allocated blocks where the
// system says: Badger preallocates and memory-maps its files).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += allocated(info)
			}
		}
		return nil
	})
	return n
}
