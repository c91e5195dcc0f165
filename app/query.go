package app

import (
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

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/ledger"
)

// ProofOpType is the type of every ProofOp the app returns: Data is an encoded
// ics23.CommitmentProof for Key against the app hash (the IAVL root; there is one tree).
const ProofOpType = "ics23:iavl"

// Query paths (abci_query). Each honours height (0 = latest committed) and prove.
const (
	PathEvent      = "/event/"  // /event/<id>: value = event record JSON
	PathMember     = "/member/" // /member/<address>: value = member JSON
	PathMembers    = "/members" // /members[?cursor=<hex>&limit=<n>]: value = MemberPage JSON
	PathNonce      = "/nonce/"  // /nonce/<address>: value = next nonce, 8 bytes big-endian (empty if 0)
	PathParams     = "/params"  // value = params JSON object (name -> decimal string)
	PathValidators = "/validators"
	// PathMisbehaviour lists evidence CometBFT reported (value = MisbehaviourList JSON).
	PathMisbehaviour = "/misbehaviour"
)

// MisbehaviourList is the value of a /misbehaviour query, oldest first.
type MisbehaviourList struct {
	Misbehaviour []json.RawMessage `json:"misbehaviour"`
}

// MemberPage is the value of a /members query.
type MemberPage struct {
	Members []json.RawMessage `json:"members"`
	// Next is the cursor (hex) for the following page; empty when done.
	Next string `json:"next,omitempty"`
}

// ValidatorList is the value of a /validators query.
type ValidatorList struct {
	Validators []json.RawMessage `json:"validators"`
}

// Query answers abci_query from committed state.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	last := a.store.LastCommit()
	height := req.Height
	if height == 0 {
		height = last.Version
	}
	switch {
	case last.Version == 0:
		return qerr(CodeNotFound, 0, "no block committed yet"), nil
	case height < 0 || height > last.Version:
		return qerr(CodeBadQuery, height, fmt.Sprintf("height %d outside committed range [1, %d]", height, last.Version)), nil
	case !a.store.VersionExists(height):
		return qerr(CodeBadQuery, height, fmt.Sprintf("height %d is not stored on this node (pruned)", height)), nil
	}
	q := &querier{a: a, height: height, prove: req.Prove}
	// Only /members takes a query string: event ids (CBV 2.0 hash ids) contain '?'.
	path, rawQuery := req.Path, ""
	if strings.HasPrefix(path, PathMembers+"?") {
		path, rawQuery, _ = strings.Cut(path, "?")
	}
	var res *abci.ResponseQuery
	switch {
	case strings.HasPrefix(path, PathEvent):
		res = q.event(strings.TrimPrefix(path, PathEvent))
	case strings.HasPrefix(path, PathMember):
		res = q.member(strings.TrimPrefix(path, PathMember))
	case path == PathMembers:
		res = q.members(rawQuery)
	case strings.HasPrefix(path, PathNonce):
		res = q.nonce(strings.TrimPrefix(path, PathNonce))
	case path == PathParams:
		res = q.prefixMap([]byte{prefixParams}, "params")
	case path == PathValidators:
		res = q.validators()
	case path == PathMisbehaviour:
		res = q.misbehaviour()
	default:
		res = qerr(CodeBadQuery, height, fmt.Sprintf("unknown query path %q; paths: /event/<id>, /member/<address>, /members, /nonce/<address>, /params, /validators, /misbehaviour", req.Path))
	}
	res.Height = height
	return res, nil
}

type querier struct {
	a      *App
	height int64
	prove  bool
}

func qerr(code uint32, height int64, log string) *abci.ResponseQuery {
	return &abci.ResponseQuery{Code: code, Codespace: Codespace, Log: log, Height: height}
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
	return cmtcrypto.ProofOp{Type: ProofOpType, Key: key, Data: data}, nil
}

// single answers a one-key query, proving presence or absence.
func (q *querier) single(key []byte, what string) *abci.ResponseQuery {
	v, err := q.a.store.GetAt(key, q.height)
	if err != nil {
		return qerr(CodeInternal, q.height, err.Error())
	}
	res := &abci.ResponseQuery{Key: key, Value: v}
	if v == nil {
		res.Code, res.Codespace, res.Log = CodeNotFound, Codespace, what+" not found"
	}
	if q.prove {
		op, err := q.proofOp(key)
		if err != nil {
			return qerr(CodeInternal, q.height, "proof: "+err.Error())
		}
		res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op}}
	}
	return res
}

// event resolves id -> seq -> record. With prove, ProofOps holds two proofs: the id
// index entry (value = seq) and the log entry (value = record); a missing id gets a
// non-existence proof of the index key.
func (q *querier) event(id string) *abci.ResponseQuery {
	if id == "" || len(eventIDKey(id)) > ledger.MaxKeyBytes {
		return qerr(CodeBadQuery, q.height, "event id is empty or too long")
	}
	idKey := eventIDKey(id)
	seqRaw, err := q.a.store.GetAt(idKey, q.height)
	if err != nil {
		return qerr(CodeInternal, q.height, err.Error())
	}
	if seqRaw == nil {
		return q.single(idKey, fmt.Sprintf("event %q", id))
	}
	seq, err := decodeUint64(seqRaw)
	if err != nil {
		return qerr(CodeInternal, q.height, "stored sequence: "+err.Error())
	}
	logKey := eventLogKey(seq)
	rec, err := q.a.store.GetAt(logKey, q.height)
	if err != nil || rec == nil {
		return qerr(CodeInternal, q.height, fmt.Sprintf("event %q index points at missing seq %d: %v", id, seq, err))
	}
	res := &abci.ResponseQuery{Key: logKey, Value: rec}
	if q.prove {
		op1, err := q.proofOp(idKey)
		if err != nil {
			return qerr(CodeInternal, q.height, "proof: "+err.Error())
		}
		op2, err := q.proofOp(logKey)
		if err != nil {
			return qerr(CodeInternal, q.height, "proof: "+err.Error())
		}
		res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op1, op2}}
	}
	return res
}

// EventQueryKeys returns the index and log keys a /event/<id> answer must prove;
// clients use it to check the ProofOps they receive.
func EventQueryKeys(id string, seq uint64) (idKey, logKey []byte) {
	return eventIDKey(id), eventLogKey(seq)
}

// MemberKey, NonceKey and ParamKey expose the state keys that clients verify proofs for.
func MemberKey(addr []byte) []byte { return memberKey(addr) }
func NonceKey(addr []byte) []byte  { return nonceKey(addr) }
func ParamKey(name string) []byte  { return paramKey(name) }
func EncodeSeq(seq uint64) []byte  { return encodeUint64(seq) }
func DecodeNonce(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return decodeUint64(b)
}

func (q *querier) member(addrStr string) *abci.ResponseQuery {
	addr, err := tx.ParseAddress(addrStr)
	if err != nil {
		return qerr(CodeBadQuery, q.height, err.Error())
	}
	return q.single(memberKey(addr), "member "+tx.AddressString(addr))
}

func (q *querier) nonce(addrStr string) *abci.ResponseQuery {
	addr, err := tx.ParseAddress(addrStr)
	if err != nil {
		return qerr(CodeBadQuery, q.height, err.Error())
	}
	res := q.single(nonceKey(addr), "nonce")
	if res.Code == CodeNotFound { // no tx yet: next nonce is 0, proven by absence
		res.Code, res.Codespace, res.Log = CodeOK, "", ""
	}
	return res
}

func (q *querier) members(rawQuery string) *abci.ResponseQuery {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return qerr(CodeBadQuery, q.height, "query string: "+err.Error())
	}
	limit := q.a.opts.MaxPageItems
	if s := vals.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return qerr(CodeBadQuery, q.height, fmt.Sprintf("limit %q: want a positive integer", s))
		}
		limit = min(n, limit)
	}
	var cursor []byte
	if s := vals.Get("cursor"); s != "" {
		c, err := hex.DecodeString(s)
		if err != nil || len(c) == 0 || c[0] != prefixMember {
			return qerr(CodeBadQuery, q.height, fmt.Sprintf("cursor %q is not a member cursor", s))
		}
		cursor = c
	}
	items, next, err := q.a.store.IterateAt(q.height, []byte{prefixMember}, cursor, limit)
	if err != nil {
		if errors.Is(err, ledger.ErrVersionNotFound) {
			return qerr(CodeBadQuery, q.height, err.Error())
		}
		return qerr(CodeInternal, q.height, err.Error())
	}
	page := MemberPage{Members: make([]json.RawMessage, 0, len(items))}
	for _, kv := range items {
		page.Members = append(page.Members, kv.Value)
	}
	if next != nil {
		page.Next = hex.EncodeToString(next)
	}
	return q.list(items, page)
}

func (q *querier) validators() *abci.ResponseQuery {
	items, _, err := q.a.store.IterateAt(q.height, []byte{prefixValidator}, nil, 0)
	if err != nil {
		return qerr(CodeInternal, q.height, err.Error())
	}
	l := ValidatorList{Validators: make([]json.RawMessage, 0, len(items))}
	for _, kv := range items {
		l.Validators = append(l.Validators, kv.Value)
	}
	return q.list(items, l)
}

func (q *querier) misbehaviour() *abci.ResponseQuery {
	items, _, err := q.a.store.IterateAt(q.height, []byte{prefixMisbehaviour}, nil, 0)
	if err != nil {
		return qerr(CodeInternal, q.height, err.Error())
	}
	l := MisbehaviourList{Misbehaviour: make([]json.RawMessage, 0, len(items))}
	for _, kv := range items {
		l.Misbehaviour = append(l.Misbehaviour, kv.Value)
	}
	return q.list(items, l)
}

// prefixMap returns every key under prefix as a JSON object name -> value.
func (q *querier) prefixMap(prefix []byte, what string) *abci.ResponseQuery {
	items, _, err := q.a.store.IterateAt(q.height, prefix, nil, 0)
	if err != nil {
		return qerr(CodeInternal, q.height, err.Error())
	}
	m := make(map[string]string, len(items))
	for _, kv := range items {
		m[string(kv.Key[len(prefix):])] = string(kv.Value)
	}
	return q.list(items, m)
}

// list encodes v and, with prove, adds one existence proof per item (each item is
// provable; completeness of the page is not).
func (q *querier) list(items []ledger.KV, v any) *abci.ResponseQuery {
	b, err := json.Marshal(v)
	if err != nil {
		return qerr(CodeInternal, q.height, err.Error())
	}
	res := &abci.ResponseQuery{Value: b}
	if q.prove {
		ops := make([]cmtcrypto.ProofOp, 0, len(items))
		for _, kv := range items {
			op, err := q.proofOp(kv.Key)
			if err != nil {
				return qerr(CodeInternal, q.height, "proof: "+err.Error())
			}
			ops = append(ops, op)
		}
		res.ProofOps = &cmtcrypto.ProofOps{Ops: ops}
	}
	return res
}

// loadParams reads params at a committed version.
func (a *App) loadParams(version int64) (Params, error) {
	p := DefaultParams()
	items, _, err := a.store.IterateAt(version, []byte{prefixParams}, nil, 0)
	if err != nil {
		return p, fmt.Errorf("app: load params: %w", err)
	}
	for _, kv := range items {
		if err := p.set(string(kv.Key[1:]), string(kv.Value)); err != nil {
			return p, fmt.Errorf("app: stored %w", err)
		}
	}
	return p, p.Validate()
}
