package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

// checked is a tx that decoded, carries a valid signature for this chain, and
// whose message passed its stateless step. None of that depends on state, so it
// is cached by tx hash (App.checkedCache) for the mempool's rechecks and for
// FinalizeBlock: a tx is decoded, verified and parsed once per node.
type checked struct {
	body     *tx.Body
	route    route
	prepared prepared
	addr     []byte
	hash     []byte
}

// decode runs the checks that need neither state nor the signer's account: size,
// strict decoding, chain id, signature, the body's stateless rules and the
// handler's stateless step. A refusal here never uses a nonce.
func (a *App) decode(raw []byte, h []byte) (*checked, *txError) {
	a.decodes++
	if len(raw) > tx.MaxTxBytes {
		return nil, refuse(api.CodeTooLarge, fmt.Sprintf("tx is %d bytes, limit %d", len(raw), tx.MaxTxBytes))
	}
	env, err := tx.DecodeEnvelope(raw)
	if err != nil {
		if errors.Is(err, tx.ErrTooLarge) {
			return nil, refuse(api.CodeTooLarge, err.Error())
		}
		return nil, refuse(api.CodeMalformed, "not a poaledger tx envelope: "+err.Error())
	}
	body, err := tx.DecodeBody(env.Body)
	if err != nil {
		if errors.Is(err, tx.ErrTooLarge) {
			return nil, refuse(api.CodeTooLarge, err.Error())
		}
		return nil, refuse(api.CodeMalformed, "tx body: "+err.Error())
	}
	if body.ChainID != a.opts.ChainID {
		return nil, refuse(api.CodeWrongChainID, fmt.Sprintf("tx is for chain %q, this is %q", body.ChainID, a.opts.ChainID))
	}
	if err := env.VerifySignature(); err != nil {
		return nil, refuse(api.CodeBadSignature, err.Error())
	}
	kind := body.Msg.Kind()
	r, ok := registry[kind]
	switch {
	case !ok && slices.Contains(retiredKinds, kind):
		return nil, errRetired
	case !ok:
		return nil, refuse(api.CodeInvalidMessage, fmt.Sprintf("message kind %q not supported", kind))
	}
	c := &checked{body: body, route: r, addr: tx.Address(ed25519.PublicKey(env.PubKey)), hash: h}
	// The message's own rules: refused after authorize (below) has run, so that
	// the refusal of an authorised signer's tx still uses its nonce.
	return c, nil
}

// validate runs the body's stateless rules and the handler's stateless step.
func (a *App) validate(c *checked) *txError {
	if err := c.body.ValidateBasic(); err != nil {
		if errors.Is(err, tx.ErrTooLarge) {
			return refuse(api.CodeTooLarge, err.Error())
		}
		return refuse(api.CodeInvalidMessage, err.Error())
	}
	p, rerr := c.route.stateless(a.params, c.body.Msg)
	if rerr != nil {
		return rerr
	}
	c.prepared = p
	return nil
}

// authorize checks the signer against state: a member, active, holding the role
// the message's handler needs, sending its next nonce.
func (a *App) authorize(c *checked, v ledger.View, nonceOK func(addr []byte, nonce uint64) *txError) (*txCtx, *txError) {
	addrStr := tx.AddressString(c.addr)
	m, err := getMember(v, c.addr)
	if err != nil {
		return nil, refuse(api.CodeInternal, "read member: "+err.Error())
	}
	if m == nil {
		return nil, refuse(api.CodeUnknownSigner, fmt.Sprintf("signer %s is not a member", addrStr))
	}
	if m.Status != api.StatusActive {
		return nil, refuse(api.CodeRevokedSigner, fmt.Sprintf("signer %s is %s since height %d", addrStr, m.Status, m.UpdatedHeight))
	}
	kind := c.body.Msg.Kind()
	if err := consensus.Authorize(m.Roles, kind, c.route.role()); err != nil {
		return nil, refuse(api.CodeRoleNotAllowed, fmt.Sprintf("signer %s: %v", addrStr, err))
	}
	if rerr := nonceOK(c.addr, c.body.Nonce); rerr != nil {
		return nil, rerr
	}
	return &txCtx{addr: c.addr, signer: *m, hash: c.hash, params: a.params}, nil
}

// lookup returns the cached decode of raw, or decodes it. fresh reports a
// decode done now (not yet validated nor cached).
func (a *App) lookup(raw []byte) (c *checked, fresh bool, _ *txError) {
	h := tx.Hash(raw)
	if a.checkedCache != nil {
		if c, ok := a.checkedCache.Get(string(h)); ok {
			return c, false, nil
		}
	}
	c, rerr := a.decode(raw, h)
	return c, true, rerr
}

// remember caches a fully checked tx. Only txs whose signer passed authorize
// (an active member with the role) get in, so non-members cannot evict members'
// entries by flooding valid signatures.
func (a *App) remember(c *checked) {
	if a.checkedCache != nil {
		a.checkedCache.Add(string(c.hash), c)
	}
}

// CheckTx is the mempool's weak filter, against committed state plus check nonces.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	code, log := a.mempoolRoom(req)
	if code == api.CodeOK {
		code, log = a.checkTx(req.Tx)
	}
	if code == api.CodeOK {
		a.checkTxs++
		a.checkBytes += int64(len(req.Tx))
	}
	a.metrics.txChecked(code)
	if code != api.CodeOK {
		return &abci.ResponseCheckTx{Code: code, Codespace: api.Codespace, Log: log}, nil
	}
	return &abci.ResponseCheckTx{Code: api.CodeOK}, nil
}

// mempoolRoom refuses a new tx the mempool has no room for (Options.MempoolTxs).
// A recheck is of a tx already in the mempool: it always has room. The
// refusal is cheap (before decoding) and definitive: nothing was kept, the
// tx's nonce is still free, and the same tx may be sent again later.
func (a *App) mempoolRoom(req *abci.RequestCheckTx) (uint32, string) {
	if req.Type == abci.CheckTxType_Recheck {
		return api.CodeOK, ""
	}
	if n := a.opts.MempoolTxs; n > 0 && a.checkTxs >= n {
		return api.CodeMempoolFull, fmt.Sprintf("this node's mempool is full (%d txs waiting, mempool.size %d); send the tx again after the next block", a.checkTxs, n)
	}
	if b := a.opts.MempoolBytes; b > 0 && a.checkBytes+int64(len(req.Tx)) > b {
		return api.CodeMempoolFull, fmt.Sprintf("this node's mempool is full (%d bytes waiting, this tx %d bytes, mempool.max_txs_bytes %d); send the tx again after the next block", a.checkBytes, len(req.Tx), b)
	}
	return api.CodeOK, ""
}

// committed is the view CheckTx reads: the last committed version, or the
// working state (genesis only) before the first commit.
func (a *App) committed() (ledger.View, error) {
	last := a.store.LastCommit()
	if last.Version == 0 {
		return a.view(a.store.Working()), nil
	}
	v, err := a.store.At(last.Version)
	if err != nil {
		return nil, err
	}
	return a.view(v), nil
}

// view passes every view the app reads through the test seam (identity in
// production).
func (a *App) view(v ledger.View) ledger.View {
	if a.wrapView != nil {
		return a.wrapView(v)
	}
	return v
}

func (a *App) checkTx(raw []byte) (uint32, string) {
	v, err := a.committed()
	if err != nil {
		return api.CodeInternal, "read committed state: " + err.Error()
	}
	v = a.memo.committedView(v) // a.mu is held

	c, fresh, rerr := a.lookup(raw)
	if rerr != nil {
		return rerr.Code, rerr.Log
	}
	t, rerr := a.authorize(c, v, func(addr []byte, nonce uint64) *txError { return a.checkNonce(v, addr, nonce) })
	if rerr != nil {
		return rerr.Code, rerr.Log
	}
	if fresh {
		if rerr := a.validate(c); rerr != nil {
			return rerr.Code, rerr.Log
		}
	}
	if rerr := c.prepared.check(v, t); rerr != nil {
		return rerr.Code, rerr.Log
	}
	if fresh {
		a.remember(c)
	}
	a.pending(c.addr)[c.body.Nonce] = true
	return api.CodeOK, ""
}

// nonceWindow bounds how far ahead of its committed nonce a signer's tx may be
// when MaxPendingPerSigner sets no bound.
const nonceWindow = 10_000

// checkNonce is CheckTx's nonce rule. A tx may carry any nonce from the
// signer's committed nonce up to MaxPendingPerSigner ahead of it, once: peers
// gossip a signer's txs in any order, and a validator that refused a later
// nonce for arriving first would never see it again. PrepareProposal puts each
// signer's txs in nonce order and leaves out what cannot execute yet.
func (a *App) checkNonce(v ledger.View, addr []byte, nonce uint64) *txError {
	base, err := readNonce(v, addr)
	if err != nil {
		return refuse(api.CodeInternal, "read nonce: "+err.Error())
	}
	addrStr := tx.AddressString(addr)
	limit, code := uint64(nonceWindow), api.CodeBadNonce
	if a.opts.MaxPendingPerSigner > 0 {
		limit, code = uint64(a.opts.MaxPendingPerSigner), api.CodeOverQuota
	}
	switch {
	case nonce < base:
		return refuse(api.CodeBadNonce, fmt.Sprintf("signer %s: nonce %d is used; next is %d", addrStr, nonce, base))
	case a.pending(addr)[nonce]:
		return refuse(api.CodeBadNonce, fmt.Sprintf("signer %s: a tx with nonce %d is already waiting in the mempool", addrStr, nonce))
	case nonce-base >= limit && code == api.CodeOverQuota:
		return refuse(code, fmt.Sprintf("signer %s: nonce %d is %d ahead of the next (%d): the mempool holds at most %d txs of a signer (limit %d); wait for them to commit",
			addrStr, nonce, nonce-base, base, limit, limit))
	case nonce-base >= limit:
		return refuse(code, fmt.Sprintf("signer %s: nonce %d is more than %d ahead of the next (%d)", addrStr, nonce, limit, base))
	}
	return nil
}

// pending is the set of nonces of addr's txs CheckTx accepted since the last
// Commit (the mempool rechecks every waiting tx after each Commit).
func (a *App) pending(addr []byte) map[uint64]bool {
	m := a.checkNonces[string(addr)]
	if m == nil {
		m = map[uint64]bool{}
		a.checkNonces[string(addr)] = m
	}
	return m
}

func readNonce(v ledger.View, addr []byte) (uint64, error) {
	b, err := v.Get(api.NonceKey(addr))
	if err != nil || b == nil {
		return 0, err
	}
	n, err := api.DecodeUint64(b)
	if err != nil {
		panic(fmt.Sprintf("app: stored nonce of %X undecodable: %v", addr, err))
	}
	return n, nil
}

// FinalizeBlock executes the decided block on the working tree.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if want := a.store.WorkingVersion(); req.Height != want {
		return nil, fmt.Errorf("app: FinalizeBlock height %d, ledger working version %d", req.Height, want)
	}
	if a.pendingHeight != 0 {
		// CometBFT never finalizes a second block before Commit; doing so would mix
		// two blocks' writes in one version.
		panic(fmt.Sprintf("app: FinalizeBlock %d before Commit of %d", req.Height, a.pendingHeight))
	}
	seqRaw, err := a.store.Get(api.MetaNextSeqKey)
	if err != nil {
		return nil, err
	}
	var nextSeq uint64
	if seqRaw != nil {
		if nextSeq, err = api.DecodeUint64(seqRaw); err != nil {
			panic(fmt.Sprintf("app: stored next_seq undecodable: %v", err))
		}
	}
	b := &block{
		store:        a.store,
		height:       req.Height,
		time:         req.Time.UTC().Format(time.RFC3339Nano),
		nonces:       map[string]uint64{},
		nextSeq:      nextSeq,
		signerEvents: map[string]uint64{},
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		res, err := a.deliverTx(b, uint32(i), raw)
		if err != nil {
			// The block is decided; a node that cannot execute it must stop, not
			// diverge. CometBFT halts consensus on this error.
			a.logger.Error("CONSENSUS HALT: cannot execute block", "height", req.Height, "err", err)
			return nil, err
		}
		results[i] = res
		a.metrics.txDelivered(res.Code)
	}
	a.metrics.eventsRecorded(b.events)
	updates, govEvents, err := a.endBlock(b)
	if err != nil {
		a.logger.Error("CONSENSUS HALT: cannot decide proposals", "height", req.Height, "err", err)
		return nil, err
	}
	if err := a.finishBlock(b, req.Misbehavior); err != nil {
		a.logger.Error("CONSENSUS HALT: cannot write block state", "height", req.Height, "err", err)
		return nil, err
	}
	a.pendingHash = a.store.WorkingHash()
	a.pendingHeight = req.Height
	a.signing.observe(req)
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: a.pendingHash,
		ValidatorUpdates: updates, Events: govEvents}, nil
}

// deliverTx executes one tx of the block. Once the signer is authorised (an
// active member with the role, sending its next nonce), the nonce is used even
// if the message is then refused, so the tx's public bytes can never be
// replayed later. A store failure is returned as an error: FinalizeBlock stops
// rather than record a refusal that other nodes would not.
func (a *App) deliverTx(b *block, index uint32, raw []byte) (*abci.ExecTxResult, error) {
	v := a.memo.workingView(a.store, a.view(a.store.Working()))
	refused := func(rerr *txError) (*abci.ExecTxResult, error) {
		if rerr.Code == api.CodeInternal {
			return nil, fmt.Errorf("app: store failure in tx %d of block %d: %s", index, b.height, rerr.Log)
		}
		return &abci.ExecTxResult{Code: rerr.Code, Codespace: api.Codespace, Log: rerr.Log}, nil
	}
	c, fresh, rerr := a.lookup(raw)
	if rerr != nil {
		return refused(rerr)
	}
	nonceOK := func(addr []byte, nonce uint64) *txError {
		want, ok := b.nonces[string(addr)]
		if !ok {
			var err error
			if want, err = readNonce(v, addr); err != nil {
				return refuse(api.CodeInternal, "read nonce: "+err.Error())
			}
		}
		if nonce != want {
			return refuse(api.CodeBadNonce, fmt.Sprintf("signer %s: nonce %d, expected %d", tx.AddressString(addr), nonce, want))
		}
		return nil
	}
	t, rerr := a.authorize(c, v, nonceOK)
	if rerr != nil {
		return refused(rerr)
	}
	t.index, t.block = index, b
	// From here on the nonce is used, whatever the message's fate.
	b.nonces[string(c.addr)] = c.body.Nonce + 1
	if fresh {
		if rerr := a.validate(c); rerr != nil {
			return refused(rerr)
		}
		a.remember(c)
	}
	if rerr := c.prepared.check(v, t); rerr != nil {
		return refused(rerr)
	}
	events, err := c.prepared.execute(b, t)
	if err != nil {
		// Every refusal happened in check; a failing write is not a bad tx.
		return nil, fmt.Errorf("app: executing %s in tx %d of block %d: %w", c.body.Msg.Kind(), index, b.height, err)
	}
	return &abci.ExecTxResult{Code: api.CodeOK, Events: events, Data: []byte(fmt.Sprintf("%d", len(events)))}, nil
}

// finishBlock writes the per-block state: nonces (one write per signer, in address
// order), the event sequence and misbehaviour reports.
func (a *App) finishBlock(b *block, mis []abci.Misbehavior) error {
	addrs := make([]string, 0, len(b.nonces))
	for k := range b.nonces {
		addrs = append(addrs, k)
	}
	sort.Strings(addrs)
	for _, k := range addrs {
		if err := a.store.Set(api.NonceKey([]byte(k)), api.EncodeUint64(b.nonces[k])); err != nil {
			return err
		}
	}
	if len(b.nonces) > 0 {
		if err := a.store.Set(api.MetaNextSeqKey, api.EncodeUint64(b.nextSeq)); err != nil {
			return err
		}
	}
	for i, m := range mis {
		rec, err := json.Marshal(api.Misbehaviour{
			Type: m.Type.String(), Validator: fmt.Sprintf("%X", m.Validator.Address), Power: m.Validator.Power,
			Height: m.Height, Time: m.Time.UTC().Format(time.RFC3339Nano), TotalVotingPower: m.TotalVotingPower,
			ReportedAt: b.height,
		})
		if err != nil {
			return err
		}
		if err := a.store.SetOnce(api.MisbehaviourKey(b.height, uint32(i)), rec); err != nil {
			return err
		}
		a.logger.Info("misbehaviour reported", "type", m.Type.String(), "validator", fmt.Sprintf("%X", m.Validator.Address), "height", m.Height)
	}
	return nil
}
