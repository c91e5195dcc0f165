package bench

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// topFunctions is how many functions ProfileShares.Top lists.
const topFunctions = 12

// Component names of a CPU profile, in the order they are reported.
const (
	compSignatures = "signatures (ed25519)"
	compDecode     = "decode (app/tx)"
	compEPCIS      = "EPCIS validation (epcis)"
	compApp        = "app: checks, records, indexes"
	compIAVL       = "IAVL (cosmos/iavl)"
	compBadger     = "Badger (dgraph-io/badger)"
	compLedger     = "ledger: commit marker, store"
	compCometBFT   = "CometBFT types"
	compGC         = "GC"
	compOther      = "runtime, other"
)

// componentRules map a function name to its component: a sample goes to the
// component of the first frame, from the leaf up, that matches a rule (so
// sha256 under IAVL's hashing counts as IAVL, and an allocation in the EPCIS
// parser as EPCIS). GC's own goroutines and assists are recognised first.
var componentRules = []struct {
	comp    string
	matches []string
}{
	{compSignatures, []string{"crypto/ed25519", "edwards25519", "/fips140/ed25519"}},
	{compEPCIS, []string{"github.com/poaledger/poaledger/epcis."}},
	{compDecode, []string{"github.com/poaledger/poaledger/app/tx."}},
	{compIAVL, []string{"github.com/cosmos/iavl", "github.com/cosmos/cosmos-db", "cosmossdk.io/"}},
	{compBadger, []string{"github.com/dgraph-io/"}},
	{compLedger, []string{"github.com/poaledger/poaledger/ledger."}},
	{compApp, []string{"github.com/poaledger/poaledger/app.", "github.com/poaledger/poaledger/app/api.", "github.com/poaledger/poaledger/consensus.", "golang-lru"}},
	{compCometBFT, []string{"github.com/cometbft/"}},
}

// gcMarkers are frames of the garbage collector's work (background marking and
// sweeping, and the assists that allocating goroutines pay).
var gcMarkers = []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcStart", "runtime.markroot"}

// phaseRules name the ABCI call (or background work) a sample belongs to, by the
// frames anywhere on its stack, first rule first.
var phaseRules = []struct {
	phase   string
	matches []string
}{
	{"Commit", []string{"app.(*App).Commit"}},
	{"FinalizeBlock", []string{"app.(*App).FinalizeBlock"}},
	{"CheckTx", []string{"app.(*App).CheckTx"}},
	{"GC (background)", gcMarkers},
	{"Badger background (flush, compaction)", []string{"github.com/dgraph-io/"}},
}

// stackFuncs returns a sample's function names from the leaf up, inlined frames
// included.
func stackFuncs(s *profile.Sample) []string {
	var out []string
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil {
				out = append(out, l.Function.Name)
			}
		}
	}
	return out
}

func anyContains(funcs []string, subs []string) bool {
	for _, f := range funcs {
		for _, s := range subs {
			if strings.Contains(f, s) {
				return true
			}
		}
	}
	return false
}

// component classifies one stack (leaf first).
func component(funcs []string) string {
	if anyContains(funcs, gcMarkers) {
		return compGC
	}
	for _, f := range funcs {
		for _, r := range componentRules {
			for _, m := range r.matches {
				if strings.Contains(f, m) {
					return r.comp
				}
			}
		}
	}
	return compOther
}

// phase names the ABCI call of one stack.
func phase(funcs []string) string {
	for _, r := range phaseRules {
		if anyContains(funcs, r.matches) {
			return r.phase
		}
	}
	return "other"
}

// nodeSubsystem classifies a sample of a node's profile (leaf first) by the
// subsystem whose work it is, first rule first: the ABCI app's calls (poaledger's
// or kvstore's; a CheckTx reached through the mempool or the RPC is the app's),
// then CometBFT's tx indexer, block and state stores, mempool, RPC, consensus,
// p2p, then Badger's background work and GC.
func nodeSubsystem(funcs []string) string {
	if anyContains(funcs, gcMarkers) {
		return compGC
	}
	for _, r := range nodeRules {
		if anyContains(funcs, r.matches) {
			return r.comp
		}
	}
	return compOther
}

var nodeRules = []struct {
	comp    string
	matches []string
}{
	{"app CheckTx", []string{"poaledger/app.(*App).CheckTx", "kvstore.(*Application).CheckTx"}},
	{"app PrepareProposal", []string{"poaledger/app.(*App).PrepareProposal", "kvstore.(*Application).PrepareProposal"}},
	{"app ProcessProposal", []string{"poaledger/app.(*App).ProcessProposal", "kvstore.(*Application).ProcessProposal"}},
	{"app FinalizeBlock", []string{"poaledger/app.(*App).FinalizeBlock", "kvstore.(*Application).FinalizeBlock"}},
	{"app Commit", []string{"poaledger/app.(*App).Commit", "kvstore.(*Application).Commit"}},
	{"app Query", []string{"poaledger/app.(*App).Query", "kvstore.(*Application).Query"}},
	{"CometBFT tx indexer", []string{"cometbft/state/txindex", "cometbft/state/indexer"}},
	{"CometBFT block/state store", []string{"cometbft/store.", "cometbft/state.dbStore", "cometbft/state.(*dbStore)"}},
	{"CometBFT mempool", []string{"cometbft/mempool."}},
	{"CometBFT RPC", []string{"cometbft/rpc/"}},
	{"CometBFT consensus", []string{"cometbft/consensus.", "cometbft/state."}},
	{"CometBFT p2p", []string{"cometbft/p2p"}},
	{compBadger, []string{"github.com/dgraph-io/"}},
	{"net/http, syscalls", []string{"net/http.", "internal/poll.", "syscall."}},
}

// profileShares reads a CPU profile written by runtime/pprof and groups its
// samples' CPU time by component, by phase, and by leaf function.
func profileShares(path string) (*ProfileShares, error) {
	return profileSharesWith(path, component)
}

// profileSharesWith is profileShares with another component classifier.
func profileSharesWith(path string, classify func([]string) string) (*ProfileShares, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("bench: profile %s: %w", path, err)
	}
	return shares(p, path, classify)
}

func shares(p *profile.Profile, path string, classify func([]string) string) (*ProfileShares, error) {
	vi := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			vi = i
		}
	}
	if vi < 0 {
		return nil, fmt.Errorf("bench: profile %s has no cpu samples", path)
	}
	byComp, byPhase, byFunc := map[string]int64{}, map[string]int64{}, map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[vi]
		funcs := stackFuncs(s)
		total += v
		byComp[classify(funcs)] += v
		byPhase[phase(funcs)] += v
		if len(funcs) > 0 {
			byFunc[funcs[0]] += v
		}
	}
	out := &ProfileShares{File: path, Seconds: float64(total) / 1e9}
	out.ByComponent = toShares(byComp, total, 0)
	out.ByPhase = toShares(byPhase, total, 0)
	out.Top = toShares(byFunc, total, topFunctions)
	return out, nil
}

// toShares sorts m by value (largest first; ties by name), limited to top
// entries when top > 0.
func toShares(m map[string]int64, total int64, top int) []Share {
	out := make([]Share, 0, len(m))
	for name, v := range m {
		pct := 0.0
		if total > 0 {
			pct = math.Round(float64(v)/float64(total)*1000) / 10
		}
		out = append(out, Share{Name: name, Seconds: float64(v) / 1e9, Percent: pct})
	}
	slices.SortFunc(out, func(a, b Share) int {
		if c := cmp.Compare(b.Seconds, a.Seconds); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if top > 0 && len(out) > top {
		out = out[:top]
	}
	return out
}

// perTx fills each component's milliseconds per committed tx.
func (p *ProfileShares) perTx(txs int) {
	for i := range p.ByComponent {
		p.ByComponent[i].MsPerTx = p.ByComponent[i].Seconds * 1000 / float64(txs)
	}
	p.MsPerTx = p.Seconds * 1000 / float64(txs)
}
