package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/ledger"
)

// Query answers abci_query from committed state.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	if strings.HasPrefix(req.Path, "/p2p/filter/") {
		return a.peerFilter(req.Path), nil
	}
	last := a.store.LastCommit()
	height := req.Height
	if height == 0 {
		height = last.Version
	}
	switch {
	case last.Version == 0:
		return qerr(api.CodeNotFound, 0, "no block committed yet"), nil
	case height < 0 || height > last.Version:
		return qerr(api.CodeBadQuery, height, fmt.Sprintf("height %d outside committed range [1, %d]", height, last.Version)), nil
	}
	v, err := a.store.At(height)
	if err != nil {
		return qerr(api.CodeBadQuery, height, fmt.Sprintf("height %d is not stored on this node (pruned)", height)), nil
	}
	q := &querier{a: a, v: v, height: height, prove: req.Prove}
	// Only the list paths take a query string: event ids (CBV 2.0 hash ids) contain '?'.
	path, rawQuery := req.Path, ""
	for _, list := range []string{api.PathMembers, api.PathValidators, api.PathMisbehaviour, api.PathProposals, api.PathNodes, api.PathEvents} {
		if strings.HasPrefix(path, list+"?") {
			path, rawQuery, _ = strings.Cut(path, "?")
		}
	}
	var res *abci.ResponseQuery
	switch {
	case strings.HasPrefix(path, api.PathEvent):
		res = q.event(strings.TrimPrefix(path, api.PathEvent))
	case strings.HasPrefix(path, api.PathMember):
		res = q.member(strings.TrimPrefix(path, api.PathMember))
	case path == api.PathMembers:
		res = q.members(rawQuery)
	case strings.HasPrefix(path, api.PathNonce):
		res = q.nonce(strings.TrimPrefix(path, api.PathNonce))
	case path == api.PathParams:
		res = q.single(api.ParamsKey(), "params")
	case path == api.PathValidators:
		res = q.validators(rawQuery)
	case path == api.PathMisbehaviour:
		res = q.misbehaviour(rawQuery)
	case strings.HasPrefix(path, api.PathProposal):
		res = q.proposal(strings.TrimPrefix(path, api.PathProposal))
	case path == api.PathProposals:
		res = q.proposals(rawQuery)
	case path == api.PathSigning:
		res = q.signingList()
	case strings.HasPrefix(path, api.PathNode):
		res = q.node(strings.TrimPrefix(path, api.PathNode))
	case strings.HasPrefix(path, api.PathHistory):
		res = q.history(strings.TrimPrefix(path, api.PathHistory))
	case path == api.PathEvents:
		res = q.events(rawQuery)
	case path == api.PathNodes:
		res = q.nodes(rawQuery)
	default:
		res = qerr(api.CodeBadQuery, height, fmt.Sprintf("unknown query path %q; paths: /event/<id>, /member/<address>, /members, /nonce/<address>, /params, /validators, /misbehaviour, /proposal/<id>, /proposals, /signing, /node/<id>, /nodes, /history/<epc>, /events?field=&value=", req.Path))
	}
	res.Height = height
	return res, nil
}

type querier struct {
	a      *App
	v      ledger.View // the committed version height
	height int64
	prove  bool
}

func qerr(code uint32, height int64, log string) *abci.ResponseQuery {
	return &abci.ResponseQuery{Code: code, Codespace: api.Codespace, Log: log, Height: height}
}

// proofOp proves key (present or absent) at q.height.
func (q *querier) proofOp(key []byte) (cmtcrypto.ProofOp, error) {
	p, _, err := q.a.store.Prove(key, q.height)
	if err != nil {
		return cmtcrypto.ProofOp{}, err
	}
	data, err := p.Marshal()
	if err != nil {
		return cmtcrypto.ProofOp{}, err
	}
	return cmtcrypto.ProofOp{Type: api.ProofOpType, Key: key, Data: data}, nil
}

// single answers a one-key query, proving presence or absence.
func (q *querier) single(key []byte, what string) *abci.ResponseQuery {
	v, err := q.v.Get(key)
	if err != nil {
		return qerr(api.CodeInternal, q.height, err.Error())
	}
	res := &abci.ResponseQuery{Key: key, Value: v}
	if v == nil {
		res.Code, res.Codespace, res.Log = api.CodeNotFound, api.Codespace, what+" not found"
	}
	if q.prove {
		op, err := q.proofOp(key)
		if err != nil {
			return qerr(api.CodeInternal, q.height, "proof: "+err.Error())
		}
		res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op}}
	}
	return res
}

// event answers /event/<s> (see api.LookupEvent): an alias resolves to the
// ledger id, the id to its sequence, the sequence to the record, and the
// declaration key says whether the event was declared erroneous. With prove,
// ProofOps holds, in that order: the alias entry (alias lookups only), the id
// entry (value = seq), the log entry (value = record) and the declaration key
// (present or absent). A miss proves the absence of the alias or id key.
func (q *querier) event(s string) *abci.ResponseQuery {
	look, err := api.LookupEvent(s)
	if err != nil {
		return qerr(api.CodeBadQuery, q.height, err.Error())
	}
	var keys [][]byte
	id := look.ID
	if look.Alias != "" {
		aliasKey := api.EventAliasKey(look.Alias)
		if len(aliasKey) > ledger.MaxKeyBytes {
			return qerr(api.CodeBadQuery, q.height, "eventID is too long")
		}
		v, err := q.v.Get(aliasKey)
		if err != nil {
			return qerr(api.CodeInternal, q.height, err.Error())
		}
		if v == nil {
			return q.single(aliasKey, fmt.Sprintf("event with eventID %q", look.Alias))
		}
		keys, id = append(keys, aliasKey), string(v)
	}
	idKey := api.EventIDKey(id)
	seqRaw, err := q.v.Get(idKey)
	if err != nil {
		return qerr(api.CodeInternal, q.height, err.Error())
	}
	if seqRaw == nil {
		if len(keys) > 0 {
			return qerr(api.CodeInternal, q.height, fmt.Sprintf("eventID %q points at missing event %s", look.Alias, id))
		}
		return q.single(idKey, fmt.Sprintf("event %q", id))
	}
	seq, err := api.DecodeUint64(seqRaw)
	if err != nil {
		return qerr(api.CodeInternal, q.height, "stored sequence: "+err.Error())
	}
	logKey := api.EventLogKey(seq)
	rec, err := q.v.Get(logKey)
	if err != nil || rec == nil {
		return qerr(api.CodeInternal, q.height, fmt.Sprintf("event %q index points at missing seq %d: %v", id, seq, err))
	}
	declKey := api.DeclarationKey(id)
	decl, err := q.v.Get(declKey)
	if err != nil {
		return qerr(api.CodeInternal, q.height, err.Error())
	}
	b, err := json.Marshal(api.EventAnswer{Record: rec, Declaration: decl})
	if err != nil {
		return qerr(api.CodeInternal, q.height, err.Error())
	}
	res := &abci.ResponseQuery{Key: logKey, Value: b}
	if q.prove {
		keys = append(keys, idKey, logKey, declKey)
		ops := make([]cmtcrypto.ProofOp, 0, len(keys))
		for _, k := range keys {
			op, err := q.proofOp(k)
			if err != nil {
				return qerr(api.CodeInternal, q.height, "proof: "+err.Error())
			}
			ops = append(ops, op)
		}
		res.ProofOps = &cmtcrypto.ProofOps{Ops: ops}
	}
	return res
}

func (q *querier) member(addrStr string) *abci.ResponseQuery {
	addr, err := tx.ParseAddress(addrStr)
	if err != nil {
		return qerr(api.CodeBadQuery, q.height, err.Error())
	}
	return q.single(api.MemberKey(addr), "member "+tx.AddressString(addr))
}

func (q *querier) nonce(addrStr string) *abci.ResponseQuery {
	addr, err := tx.ParseAddress(addrStr)
	if err != nil {
		return qerr(api.CodeBadQuery, q.height, err.Error())
	}
	res := q.single(api.NonceKey(addr), "nonce")
	if res.Code == api.CodeNotFound { // no tx yet: next nonce is 0, proven by absence
		res.Code, res.Codespace, res.Log = api.CodeOK, "", ""
	}
	return res
}

// listPage is one page of a list: the key it starts at (the cursor, or the
// prefix on the first page), its items and the next page's first key (nil when
// done).
type listPage struct {
	prefix, start []byte
	items         []ledger.KV
	next          []byte
}

// nextCursor is the hex cursor of the following page ("" when done).
func (p listPage) nextCursor() string { return hex.EncodeToString(p.next) }

// page reads one page of a list under prefix, as asked by rawQuery
// (cursor=<hex key>&limit=<n>): items in key order from the cursor, at most
// min(limit, MaxPageItems), and the cursor of the next page ("" when done). No
// list is ever cut short silently: a client follows next until it is empty.
func (q *querier) page(prefix byte, what, rawQuery string) (listPage, *abci.ResponseQuery) {
	return q.pageUnder([]byte{prefix}, what, rawQuery)
}

// pageUnder is page for a list under a multi-byte prefix (an index of one EPC
// or one field value).
func (q *querier) pageUnder(prefix []byte, what, rawQuery string) (listPage, *abci.ResponseQuery) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return listPage{}, qerr(api.CodeBadQuery, q.height, "query string: "+err.Error())
	}
	limit := q.a.opts.MaxPageItems
	if s := vals.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return listPage{}, qerr(api.CodeBadQuery, q.height, fmt.Sprintf("limit %q: want a positive integer", s))
		}
		limit = min(n, limit)
	}
	var cursor []byte
	if s := vals.Get("cursor"); s != "" {
		c, err := hex.DecodeString(s)
		if err != nil || !bytes.HasPrefix(c, prefix) {
			return listPage{}, qerr(api.CodeBadQuery, q.height, fmt.Sprintf("cursor %q is not a %s cursor", s, what))
		}
		cursor = c
	}
	items, next, err := q.v.Iterate(prefix, cursor, limit)
	if err != nil {
		if errors.Is(err, ledger.ErrVersionNotFound) {
			return listPage{}, qerr(api.CodeBadQuery, q.height, err.Error())
		}
		return listPage{}, qerr(api.CodeInternal, q.height, err.Error())
	}
	start := cursor
	if start == nil {
		start = bytes.Clone(prefix)
	}
	return listPage{prefix: bytes.Clone(prefix), start: start, items: items, next: next}, nil
}

func values(items []ledger.KV) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(items))
	for _, kv := range items {
		out = append(out, kv.Value)
	}
	return out
}

func (q *querier) members(rawQuery string) *abci.ResponseQuery {
	pg, res := q.page(api.PrefixMember, "member", rawQuery)
	if res != nil {
		return res
	}
	return q.list(pg, api.MemberPage{Members: values(pg.items), Next: pg.nextCursor()})
}

func (q *querier) validators(rawQuery string) *abci.ResponseQuery {
	pg, res := q.page(api.PrefixValidator, "validator", rawQuery)
	if res != nil {
		return res
	}
	return q.list(pg, api.ValidatorList{Validators: values(pg.items), Next: pg.nextCursor()})
}

func (q *querier) misbehaviour(rawQuery string) *abci.ResponseQuery {
	pg, res := q.page(api.PrefixMisbehaviour, "misbehaviour", rawQuery)
	if res != nil {
		return res
	}
	return q.list(pg, api.MisbehaviourList{Misbehaviour: values(pg.items), Next: pg.nextCursor()})
}

// list encodes v and, with prove, adds one existence proof per item, then one
// non-existence proof per gap of the page (api.PageGaps), which together prove
// the page complete: no key of the list lies between its start, its items and the
// next page's cursor (or the end of the list); then a proof of each extra key
// (e.g. the records an index page points at).
func (q *querier) list(pg listPage, v any, extra ...[]byte) *abci.ResponseQuery {
	b, err := json.Marshal(v)
	if err != nil {
		return qerr(api.CodeInternal, q.height, err.Error())
	}
	res := &abci.ResponseQuery{Value: b}
	if q.prove {
		keys := make([][]byte, len(pg.items))
		for i, kv := range pg.items {
			keys[i] = kv.Key
		}
		prove := append(keys, api.PageGapKeys(pg.prefix, pg.start, keys, pg.next)...)
		prove = append(prove, extra...)
		ops := make([]cmtcrypto.ProofOp, 0, len(prove))
		for _, key := range prove {
			op, err := q.proofOp(key)
			if err != nil {
				return qerr(api.CodeInternal, q.height, "proof: "+err.Error())
			}
			ops = append(ops, op)
		}
		res.ProofOps = &cmtcrypto.ProofOps{Ops: ops}
	}
	return res
}

func (q *querier) proposal(idStr string) *abci.ResponseQuery {
	id, err := strconv.ParseUint(idStr, 10, 64)
	if err != nil || id == 0 {
		return qerr(api.CodeBadQuery, q.height, fmt.Sprintf("proposal id %q: want a positive integer", idStr))
	}
	return q.single(api.ProposalKey(id), fmt.Sprintf("proposal %d", id))
}

func (q *querier) proposals(rawQuery string) *abci.ResponseQuery {
	pg, res := q.page(api.PrefixProposal, "proposal", rawQuery)
	if res != nil {
		return res
	}
	return q.list(pg, api.ProposalPage{Proposals: values(pg.items), Next: pg.nextCursor()})
}

// signingList answers /signing from the node's own observation: it is not
// state, so it cannot be proven.
func (q *querier) signingList() *abci.ResponseQuery {
	if q.prove {
		return qerr(api.CodeBadQuery, q.height, "/signing is this node's own observation, not ledger state: it cannot be proven (ask without prove)")
	}
	b, err := json.Marshal(api.SigningList{Signing: q.a.signing.list()})
	if err != nil {
		return qerr(api.CodeInternal, q.height, err.Error())
	}
	return &abci.ResponseQuery{Value: b}
}

func (q *querier) node(idStr string) *abci.ResponseQuery {
	id, err := api.ParseNodeID(idStr)
	if err != nil {
		return qerr(api.CodeBadQuery, q.height, err.Error())
	}
	return q.single(api.NodeKey(id), "node "+api.NodeIDString(id))
}

func (q *querier) nodes(rawQuery string) *abci.ResponseQuery {
	pg, res := q.page(api.PrefixNode, "node", rawQuery)
	if res != nil {
		return res
	}
	return q.list(pg, api.NodePage{Nodes: values(pg.items), Next: pg.nextCursor()})
}

// peerFilter answers CometBFT's peer filters (filter_peers) from the last
// committed state, or genesis before the first block (peers must connect to
// make it): an admitted, active node gets code 0; anything else a refusal
// whose log names the node. Addresses are not filtered.
func (a *App) peerFilter(path string) *abci.ResponseQuery {
	if strings.HasPrefix(path, api.PathFilterAddr) {
		return &abci.ResponseQuery{Code: api.CodeOK}
	}
	idStr := strings.TrimPrefix(path, api.PathFilterID)
	id, err := api.ParseNodeID(idStr)
	if err != nil {
		return qerr(api.CodeBadQuery, 0, "peer refused: "+err.Error())
	}
	v, err := a.committed()
	if err != nil {
		return qerr(api.CodeInternal, 0, "peer filter: "+err.Error())
	}
	n, err := getNode(v, id)
	switch {
	case err != nil:
		return qerr(api.CodeInternal, v.Version(), "peer filter: "+err.Error())
	case n == nil:
		return a.refusePeer(idStr, v.Version(), fmt.Sprintf("node %s is not admitted to this network (an authority must propose admit-node and the authorities vote)", idStr))
	case n.Status != api.StatusActive:
		return a.refusePeer(idStr, v.Version(), fmt.Sprintf("node %s was revoked at height %d", idStr, n.UpdatedHeight))
	}
	return &abci.ResponseQuery{Code: api.CodeOK, Height: v.Version()}
}

// Admitted reports whether node id (hex) is admitted and active in the last
// committed state (genesis before the first block). The node uses it to drop
// live peers that a block revoked and to check its own admission at start.
func (a *App) Admitted(idHex string) (bool, string) {
	res := a.peerFilter(api.PathFilterID + idHex)
	return res.Code == api.CodeOK, res.Log
}

// IsValidator reports whether pub (an ed25519 consensus key) is a validator in
// the last committed state (genesis before the first block).
func (a *App) IsValidator(pub []byte) bool {
	v, err := a.committed()
	if err != nil {
		return false
	}
	ok, err := v.Has(api.ValidatorKey(pub))
	return err == nil && ok
}

// refusePeer answers a peer filter with a refusal, logging it once per node ID
// (CometBFT asks again at every dial).
func (a *App) refusePeer(id string, height int64, why string) *abci.ResponseQuery {
	a.refusedMu.Lock()
	if a.refused == nil {
		a.refused = map[string]bool{}
	}
	first := !a.refused[id]
	if first && len(a.refused) < maxLoggedPeers {
		a.refused[id] = true
	}
	a.refusedMu.Unlock()
	if first {
		a.logger.Info("refusing peer", "peer", id, "reason", why)
	}
	return qerr(api.CodeUnauthorizedNode, height, why)
}

// maxLoggedPeers bounds the set of refused peers remembered for logging.
const maxLoggedPeers = 10_000
