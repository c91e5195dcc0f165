package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

// authed is a decoded, authenticated tx and the handler of its message.
type authed struct {
	body  *tx.Body
	route route
	txCtx
}

// authenticate runs every check that does not depend on the message's effect:
// size, decoding, chain id, signature, membership, role, nonce and the body's
// stateless rules. expectNonce gives the signer's next nonce.
func (a *App) authenticate(raw []byte, v ledger.View, expectNonce func(addr []byte) (uint64, error)) (*authed, *txError) {
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
	h := tx.Hash(raw)
	if err := a.verifySignature(env, h); err != nil {
		return nil, refuse(api.CodeBadSignature, err.Error())
	}
	addr := tx.Address(ed25519.PublicKey(env.PubKey))
	addrStr := tx.AddressString(addr)
	m, err := getMember(v, addr)
	if err != nil {
		return nil, refuse(api.CodeInternal, "read member: "+err.Error())
	}
	if m == nil {
		return nil, refuse(api.CodeUnknownSigner, fmt.Sprintf("signer %s is not a member", addrStr))
	}
	if m.Status != api.StatusActive {
		return nil, refuse(api.CodeRevokedSigner, fmt.Sprintf("signer %s is %s since height %d", addrStr, m.Status, m.UpdatedHeight))
	}
	kind := body.Msg.Kind()
	r, ok := registry[kind]
	if !ok {
		return nil, refuse(api.CodeInvalidMessage, fmt.Sprintf("message kind %q not supported", kind))
	}
	if err := consensus.Authorize(m.Roles, kind, r.role()); err != nil {
		return nil, refuse(api.CodeRoleNotAllowed, fmt.Sprintf("signer %s: %v", addrStr, err))
	}
	want, err := expectNonce(addr)
	if err != nil {
		return nil, refuse(api.CodeInternal, "read nonce: "+err.Error())
	}
	if body.Nonce != want {
		return nil, refuse(api.CodeBadNonce, fmt.Sprintf("signer %s: nonce %d, expected %d", addrStr, body.Nonce, want))
	}
	if err := body.ValidateBasic(); err != nil {
		if errors.Is(err, tx.ErrTooLarge) {
			return nil, refuse(api.CodeTooLarge, err.Error())
		}
		return nil, refuse(api.CodeInvalidMessage, err.Error())
	}
	return &authed{body: body, route: r, txCtx: txCtx{addr: addr, signer: *m, hash: h}}, nil
}

func (a *App) verifySignature(env *tx.Envelope, hash []byte) error {
	key := string(hash)
	if a.sigCache != nil {
		if _, ok := a.sigCache.Get(key); ok {
			return nil
		}
	}
	if err := env.VerifySignature(); err != nil {
		return err
	}
	if a.sigCache != nil {
		a.sigCache.Add(key, struct{}{})
	}
	return nil
}

// CheckTx is the mempool's weak filter, against committed state plus check nonces.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	code, log := a.checkTx(req.Tx)
	a.metrics.txChecked(code)
	if code != api.CodeOK {
		return &abci.ResponseCheckTx{Code: code, Codespace: api.Codespace, Log: log}, nil
	}
	return &abci.ResponseCheckTx{Code: api.CodeOK}, nil
}

// committed is the view CheckTx reads: the last committed version, or the
// working state (genesis only) before the first commit.
func (a *App) committed() (ledger.View, error) {
	last := a.store.LastCommit()
	if last.Version == 0 {
		return a.store.Working(), nil
	}
	return a.store.At(last.Version)
}

func (a *App) checkTx(raw []byte) (uint32, string) {
	v, err := a.committed()
	if err != nil {
		return api.CodeInternal, "read committed state: " + err.Error()
	}
	nonce := func(addr []byte) (uint64, error) {
		if n, ok := a.checkNonces[string(addr)]; ok {
			return n, nil
		}
		return readNonce(v, addr)
	}
	t, rerr := a.authenticate(raw, v, nonce)
	if rerr != nil {
		return rerr.Code, rerr.Log
	}
	if _, rerr := t.route.prepare(a.params, v, &t.txCtx, t.body.Msg); rerr != nil {
		return rerr.Code, rerr.Log
	}
	a.checkNonces[string(t.addr)] = t.body.Nonce + 1
	return api.CodeOK, ""
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
		store:   a.store,
		height:  req.Height,
		time:    req.Time.UTC().Format(time.RFC3339Nano),
		nonces:  map[string]uint64{},
		nextSeq: nextSeq,
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		results[i] = a.deliverTx(b, uint32(i), raw)
		a.metrics.txDelivered(results[i].Code)
	}
	a.metrics.eventsRecorded(b.events)
	if err := a.finishBlock(b, req.Misbehavior); err != nil {
		return nil, err
	}
	a.pendingHash = a.store.WorkingHash()
	a.pendingHeight = req.Height
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: a.pendingHash}, nil
}

func (a *App) deliverTx(b *block, index uint32, raw []byte) *abci.ExecTxResult {
	v := a.store.Working()
	nonce := func(addr []byte) (uint64, error) {
		if n, ok := b.nonces[string(addr)]; ok {
			return n, nil
		}
		return readNonce(v, addr)
	}
	t, rerr := a.authenticate(raw, v, nonce)
	if rerr != nil {
		return &abci.ExecTxResult{Code: rerr.Code, Codespace: api.Codespace, Log: rerr.Log}
	}
	t.index = index
	execute, rerr := t.route.prepare(a.params, v, &t.txCtx, t.body.Msg)
	if rerr != nil {
		return &abci.ExecTxResult{Code: rerr.Code, Codespace: api.Codespace, Log: rerr.Log}
	}
	events, err := execute(b)
	if err != nil {
		// Every refusal happened in prepare; a failing write is not a bad tx.
		panic(fmt.Sprintf("app: broken invariant executing %s at height %d: %v", t.body.Msg.Kind(), b.height, err))
	}
	b.nonces[string(t.addr)] = t.body.Nonce + 1
	return &abci.ExecTxResult{Code: api.CodeOK, Events: events, Data: []byte(fmt.Sprintf("%d", len(events)))}
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
