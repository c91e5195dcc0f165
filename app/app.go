package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/ledger"
)

// Version is the app protocol version reported in Info.
const AppVersion uint64 = 1

// Options configure an App.
type Options struct {
	// ChainID is the chain id of the genesis this node runs; txs for another chain
	// are refused.
	ChainID string
	// SigCacheSize bounds the cache of checked txs (by tx hash: decoded, signature
	// verified, message parsed) shared by CheckTx, its rechecks and FinalizeBlock.
	// 0 disables it.
	SigCacheSize int
	// MaxPendingPerSigner bounds the txs one signer may have waiting in the
	// mempool (CheckTx refuses more with over_quota); 0 means no bound.
	MaxPendingPerSigner int
	// MempoolTxs and MempoolBytes are the node's mempool bounds (CometBFT's
	// mempool.size and mempool.max_txs_bytes). A new tx that would not fit is
	// refused by CheckTx with mempool_full, before CometBFT's own check after
	// CheckTx could drop it silently: CometBFT answers the sender "accepted"
	// for a tx it then drops when the mempool filled meanwhile, which leaves a
	// nonce gap that holds back the signer's later txs. The count is exact
	// because the mempool rechecks every waiting tx after each Commit (the node
	// refuses mempool.recheck = false). 0 means no bound.
	MempoolTxs   int
	MempoolBytes int64
	// MaxPageItems bounds list queries; 0 means api.DefaultPageItems.
	MaxPageItems int
	// Metrics receives counters; nil means no metrics.
	Metrics *Metrics
	// Logger; nil means no logging.
	Logger log.Logger
	// SoftwareVersion is reported in Info.Version.
	SoftwareVersion string
}

// App is the poaledger ABCI application. CometBFT's local client serialises calls
// per connection; App's own mutex makes it safe under any client creator.
type App struct {
	abci.BaseApplication

	mu      sync.Mutex
	store   *ledger.Store
	opts    Options
	logger  log.Logger
	metrics *Metrics

	// checkNonces holds, per signer address, the nonces of its txs CheckTx accepted
	// since the last Commit (see checkNonce). Reset on Commit; rebuilt by rechecks.
	checkNonces map[string]map[uint64]bool
	// checkTxs and checkBytes count the txs (and their bytes) CheckTx accepted
	// since the last Commit, first checks and rechecks: after the rechecks that
	// follow a Commit, exactly the mempool's content (see Options.MempoolTxs).
	checkTxs   int
	checkBytes int64
	// checkedCache holds txs that passed every stateless check, by tx hash; only
	// authorised signers' txs get in (see remember).
	checkedCache *lru.Cache[string, *checked]
	// wrapView is a test seam: every view the app reads passes through it.
	wrapView func(ledger.View) ledger.View
	// refused remembers the peers the filter refused, to log each once.
	refusedMu sync.Mutex
	refused   map[string]bool
	// signing is the node-local signing record of the validators.
	signing signingRecord
	// decodes counts full decodes (decode, signature, parse) of txs: with the
	// cache, once per tx per node. Observed by tests; never reaches state.
	decodes uint64

	// pendingHash / pendingHeight are set by FinalizeBlock and checked by Commit.
	pendingHash   []byte
	pendingHeight int64
	// params are the chain parameters of the working state.
	params api.Params
	// memo holds what CheckTx read from the last committed version, for its
	// rechecks and FinalizeBlock (memo.go).
	memo readMemo
}

var _ abci.Application = (*App)(nil)

// New returns an App over an open store. The store must stay open for the App's life.
func New(store *ledger.Store, opts Options) (*App, error) {
	if opts.ChainID == "" {
		return nil, fmt.Errorf("app: empty chain id")
	}
	switch {
	case opts.MaxPageItems == 0:
		opts.MaxPageItems = api.DefaultPageItems
	case opts.MaxPageItems < 0 || opts.MaxPageItems > ledger.MaxPageItems:
		return nil, fmt.Errorf("app: MaxPageItems %d outside [1, %d]", opts.MaxPageItems, ledger.MaxPageItems)
	}
	a := &App{store: store, opts: opts, logger: opts.Logger, metrics: opts.Metrics, checkNonces: map[string]map[uint64]bool{}}
	if a.logger == nil {
		a.logger = log.NewNopLogger()
	}
	if a.metrics == nil {
		a.metrics = NopMetrics()
	}
	a.signing.metrics = a.metrics
	if opts.SigCacheSize > 0 {
		c, err := lru.New[string, *checked](opts.SigCacheSize)
		if err != nil {
			return nil, fmt.Errorf("app: checked-tx cache: %w", err)
		}
		a.checkedCache = c
	}
	// A store that already holds a chain must hold this chain.
	if last := store.LastCommit(); last.Version > 0 {
		stored, err := store.GetAt(api.MetaChainIDKey, last.Version)
		if err != nil {
			return nil, fmt.Errorf("app: read chain id: %w", err)
		}
		if stored != nil && string(stored) != opts.ChainID {
			return nil, fmt.Errorf("app: ledger holds chain %q, genesis says %q", stored, opts.ChainID)
		}
		p, err := loadParams(store, last.Version)
		if err != nil {
			return nil, err
		}
		a.params = p
		a.metrics.setLedger(store, last.Version)
		a.memo.reset(last.Version)
	}
	a.memo.filter.start(store)
	return a, nil
}

// Info reports the last committed height and app hash, exactly.
func (a *App) Info(_ context.Context, _ *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	last := a.store.LastCommit()
	res := &abci.ResponseInfo{
		Data:       "poaledger",
		Version:    a.opts.SoftwareVersion,
		AppVersion: AppVersion,
	}
	if last.Version > 0 {
		res.LastBlockHeight = last.Version
		res.LastBlockAppHash = last.Hash
	}
	return res, nil
}

// InitChain loads genesis members, validators and params into the working tree.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if req.ChainId != a.opts.ChainID {
		return nil, fmt.Errorf("app: InitChain for chain %q, node configured for %q", req.ChainId, a.opts.ChainID)
	}
	g, err := ParseGenesisState(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	// InitChain may be replayed after a crash before the first commit.
	a.store.Rollback()
	if err := a.store.Set(api.MetaChainIDKey, []byte(req.ChainId)); err != nil {
		return nil, err
	}
	if err := a.store.Set(api.ParamsKey(), g.Params.Encode()); err != nil {
		return nil, err
	}
	a.params = g.Params
	height := req.InitialHeight
	for _, gm := range g.Members {
		m := newMember(gm.PubKey, gm.Name, gm.Organisation, gm.Roles, height)
		if err := putMember(a.store, m); err != nil {
			return nil, err
		}
	}
	for _, gn := range g.Nodes {
		id, _ := api.ParseNodeID(gn.ID) // validated by ParseGenesisState
		if err := putNode(a.store, api.Node{ID: api.NodeIDString(id), Role: gn.Role, Operator: strings.ToUpper(gn.Operator),
			Status: api.StatusActive, SinceHeight: height, UpdatedHeight: height}); err != nil {
			return nil, err
		}
	}
	for _, vu := range req.Validators {
		if err := a.putValidator(vu); err != nil {
			return nil, err
		}
	}
	if cp := req.ConsensusParams; cp != nil && cp.Validator != nil {
		types, err := json.Marshal(cp.Validator.PubKeyTypes)
		if err != nil {
			return nil, err
		}
		if err := a.store.Set(api.MetaKeyTypesKey, types); err != nil {
			return nil, err
		}
	}
	if err := a.store.Set(api.MetaNextSeqKey, api.EncodeUint64(0)); err != nil {
		return nil, err
	}
	// Returning no validators accepts genesis's set as it is.
	return &abci.ResponseInitChain{AppHash: a.store.WorkingHash()}, nil
}

func (a *App) putValidator(vu abci.ValidatorUpdate) error {
	pk := vu.PubKey.GetEd25519()
	if len(pk) != 32 {
		return fmt.Errorf("app: validator key type %T not supported (ed25519 only)", vu.PubKey.Sum)
	}
	v := api.Validator{PubKey: pk, Address: fmt.Sprintf("%X", tx.Address(pk)), Power: vu.Power}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if vu.Power == 0 {
		return a.store.Delete(api.ValidatorKey(pk))
	}
	return a.store.Set(api.ValidatorKey(pk), b)
}

// PrepareProposal builds the block from the mempool's txs (in mempool order)
// within MaxTxBytes, with the rules FinalizeBlock would otherwise enforce by
// refusing valid txs:
//   - each signer's txs go in nonce order (peers can deliver them out of order),
//     and only a run of consecutive nonces from the signer's committed nonce:
//     a tx after a gap waits for the missing one, a stale or repeated nonce is
//     left out;
//   - a signer gets at most Params.MaxEventsPerSignerBlock events; its txs past
//     that share, and its later nonces, wait in the mempool for the next block.
//
// Txs that do not decode are left as they come: FinalizeBlock refuses them with
// a code. The proposal only reorders and drops, so it is deterministic given the
// request; other validators do not depend on it (ProcessProposal accepts).
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, err := a.committed()
	if err != nil {
		return nil, fmt.Errorf("app: PrepareProposal: %w", err)
	}
	v = a.memo.committedView(v) // a.mu is held
	var readErr error
	nonceOf := func(signer string) uint64 {
		n, err := readNonce(v, []byte(signer))
		if err != nil && readErr == nil {
			readErr = err
		}
		return n
	}
	txs := proposeTxs(req.Txs, req.MaxTxBytes, a.params, nonceOf)
	if readErr != nil {
		return nil, fmt.Errorf("app: PrepareProposal: read nonces: %w", readErr)
	}
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

// proposal is one tx as PrepareProposal sees it.
type proposal struct {
	raw    []byte
	signer string // "" for a tx that does not decode
	nonce  uint64
	events uint64
}

func proposeTxs(txs [][]byte, maxBytes int64, params api.Params, nonceOf func(signer string) uint64) [][]byte {
	ps := make([]proposal, len(txs))
	slots := map[string][]int{} // signer -> positions of its txs, in mempool order
	var order []string          // signers in order of first appearance
	for i, raw := range txs {
		ps[i] = proposal{raw: raw}
		env, err := tx.DecodeEnvelope(raw)
		if err != nil {
			continue
		}
		body, err := tx.DecodeBody(env.Body)
		if err != nil {
			continue
		}
		signer := string(tx.Address(ed25519.PublicKey(env.PubKey)))
		ps[i].signer, ps[i].nonce = signer, body.Nonce
		if m, ok := body.Msg.(*tx.RecordEvents); ok {
			ps[i].events = uint64(len(m.Events))
		}
		if _, seen := slots[signer]; !seen {
			order = append(order, signer)
		}
		slots[signer] = append(slots[signer], i)
	}
	// Sort each signer's txs by nonce into the positions its txs held.
	for _, signer := range order {
		pos := slots[signer]
		mine := make([]proposal, len(pos))
		for j, p := range pos {
			mine[j] = ps[p]
		}
		sort.SliceStable(mine, func(x, y int) bool { return mine[x].nonce < mine[y].nonce })
		for j, p := range pos {
			ps[p] = mine[j]
		}
	}
	out := make([][]byte, 0, len(txs))
	used := map[string]uint64{}
	next := map[string]uint64{}  // signer -> the nonce its next included tx must carry
	stopped := map[string]bool{} // signers whose remaining txs wait for the next block
	var total int64
	for _, p := range ps {
		if p.signer != "" {
			if stopped[p.signer] {
				continue
			}
			want, ok := next[p.signer]
			if !ok {
				want = nonceOf(p.signer)
			}
			switch {
			case p.nonce < want: // stale, or a second tx with an included nonce
				continue
			case p.nonce > want: // a gap: this and later nonces wait
				stopped[p.signer] = true
				continue
			}
			if used[p.signer]+p.events > params.MaxEventsPerSignerBlock {
				stopped[p.signer] = true
				continue
			}
		}
		if total+int64(len(p.raw)) > maxBytes {
			break
		}
		total += int64(len(p.raw))
		if p.signer != "" {
			used[p.signer] += p.events
			next[p.signer] = p.nonce + 1
		}
		out = append(out, p.raw)
	}
	return out
}

// ProcessProposal accepts every proposal: FinalizeBlock gives each invalid tx its
// own result code, so rejecting whole blocks would only cost liveness.
func (a *App) ProcessProposal(context.Context, *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// Commit persists the version FinalizeBlock built.
func (a *App) Commit(_ context.Context, _ *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	hash, version, err := a.store.Commit()
	if err != nil {
		// The block is decided; failing to persist it is not recoverable in-process.
		panic(fmt.Sprintf("app: commit of height %d failed: %v", a.pendingHeight, err))
	}
	if a.pendingHeight != 0 && (version != a.pendingHeight || !bytes.Equal(hash, a.pendingHash)) {
		panic(fmt.Sprintf("app: committed version %d hash %X, FinalizeBlock returned height %d hash %X",
			version, hash, a.pendingHeight, a.pendingHash))
	}
	a.pendingHash, a.pendingHeight = nil, 0
	clear(a.checkNonces)
	a.checkTxs, a.checkBytes = 0, 0
	a.memo.advance(a.store, version)
	a.memo.filter.advance(a.store, version)
	a.metrics.setLedger(a.store, version)
	return &abci.ResponseCommit{}, nil
}

// loadParams reads the chain parameters of a committed version.
func loadParams(s *ledger.Store, version int64) (api.Params, error) {
	b, err := s.GetAt(api.ParamsKey(), version)
	if err != nil {
		return api.Params{}, fmt.Errorf("app: load params: %w", err)
	}
	if b == nil {
		return api.Params{}, fmt.Errorf("app: no params stored at version %d", version)
	}
	p, err := api.DecodeParams(b)
	if err != nil {
		return api.Params{}, fmt.Errorf("app: stored %w", err)
	}
	return p, nil
}
