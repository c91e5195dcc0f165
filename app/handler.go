package app

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/ledger"
)

// registry maps each message kind to its one handler. CheckTx and FinalizeBlock
// both reach a message only through it (see route); adding a kind adds one line
// here, its handler file and its tests (ARCHITECTURE.md has the checklist).
var registry = map[string]route{
	tx.KindRecordEvents: recordEvents,
	tx.KindPropose:      propose,
	tx.KindVote:         vote,
}

// retiredKinds still decode (old encodings never change meaning) but are
// refused: member changes go through governance since proposals arrived.
var retiredKinds = []string{tx.KindAddMember, tx.KindRevokeMember}

// txCtx is what a handler knows of the authenticated tx carrying its message.
type txCtx struct {
	addr   []byte     // signer address
	signer api.Member // signer account (active, holding the handler's role)
	hash   []byte     // sha256 of the tx bytes
	params api.Params // chain parameters in force
	index  uint32     // position in the block (FinalizeBlock only)
	block  *block     // the block being executed; nil in CheckTx
}

// handler is the one handler of message kind M. Its steps run in this order, the
// same in CheckTx and FinalizeBlock, each only if the previous passed:
//
//  1. Stateless checks the message alone against the chain parameters and
//     prepares what the later steps need (e.g. each event parsed once). No
//     state reads.
//  2. Check decides against a read view: the committed state in CheckTx, the
//     working state (including earlier txs of the block) in FinalizeBlock.
//  3. Execute (FinalizeBlock only) writes to the working state and returns the
//     ABCI events. Every refusal happened in 1 and 2, so an error here is a
//     broken invariant or a failing store, never a bad tx: the node stops.
//
// A refusal is a *txError (code + readable log); none of the steps panics on
// bad input.
type handler[M tx.Msg, P any] struct {
	// Role is the member role the signer needs (consensus.Role*).
	Role      string
	Stateless func(params api.Params, m M) (P, *txError)
	Check     func(v ledger.View, t *txCtx, p P) *txError
	Execute   func(b *block, t *txCtx, p P) ([]abci.Event, error)
}

// route is a handler with its message type erased, for the registry.
type route interface {
	role() string
	// stateless runs the handler's Stateless step and binds its result.
	stateless(params api.Params, m tx.Msg) (prepared, *txError)
}

// prepared is a message that passed its stateless step: its Check and Execute
// steps bound to what Stateless prepared. It holds no state reads, so CheckTx may
// keep it (by tx hash) for the mempool's rechecks.
type prepared interface {
	check(v ledger.View, t *txCtx) *txError
	execute(b *block, t *txCtx) ([]abci.Event, error)
}

func (h handler[M, P]) role() string { return h.Role }

func (h handler[M, P]) stateless(params api.Params, m tx.Msg) (prepared, *txError) {
	msg, ok := m.(M)
	if !ok {
		panic(fmt.Sprintf("app: handler of %T given %T", *new(M), m)) // registry maps each kind to its own type
	}
	p, rerr := h.Stateless(params, msg)
	if rerr != nil {
		return nil, rerr
	}
	return bound[M, P]{h: h, p: p}, nil
}

type bound[M tx.Msg, P any] struct {
	h handler[M, P]
	p P
}

func (b bound[M, P]) check(v ledger.View, t *txCtx) *txError { return b.h.Check(v, t, b.p) }
func (b bound[M, P]) execute(blk *block, t *txCtx) ([]abci.Event, error) {
	return b.h.Execute(blk, t, b.p)
}

// block is the state of one FinalizeBlock, shared by the txs it executes.
type block struct {
	store   *ledger.Store // working state
	height  int64
	time    string            // block time, RFC 3339 UTC
	nonces  map[string]uint64 // signer -> next nonce, written once at the end of the block
	nextSeq uint64            // next event sequence number
	events  int               // events recorded in this block (metrics)
	// signerEvents counts the events each signer recorded in this block, against
	// api.Params.MaxEventsPerSignerBlock.
	signerEvents map[string]uint64
}
