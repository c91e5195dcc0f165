package client

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
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
)

// QueryOpts select the state height of a query and whether to verify it.
type QueryOpts struct {
	// SkipRecordTime leaves EventResult.RecordTime empty (no header fetch), for
	// callers that only need to know whether an event exists.
	SkipRecordTime bool
	// Height of the state to read; 0 means the latest committed state.
	Height int64
	// Prove asks the node for proofs and verifies them with Verifier (required).
	Prove    bool
	Verifier *Verifier
	// PageLimit asks list queries (Members, Validators, Misbehaviour) for at most
	// this many items per page; 0 = the node's default.
	PageLimit int

	pin *pinnedState // see sameState
}

// QueryInfo says which state a result comes from and whether it was verified.
type QueryInfo struct {
	// Height is the state height the answer holds for (the state after block
	// Height). When Verified, it is ProofHeight-1.
	Height int64 `json:"height"`
	// Verified is true only when every proof in the answer verified against the app
	// hash of header ProofHeight and that header was light-verified from genesis.
	// With Prove, a getter never returns Verified=false: it returns an error instead.
	Verified    bool  `json:"verified"`
	ProofHeight int64 `json:"proof_height,omitempty"`
	// responseHeight is the height the node answered at (the state read).
	responseHeight int64
}

// EventResult is an event record looked up by id.
type EventResult struct {
	Record api.EventRecord `json:"record"`
	// Raw is the record exactly as stored (and proven).
	Raw json.RawMessage `json:"-"`
	// Declaration is set when the event was declared erroneous (EPCIS
	// errorDeclaration): the original stays as recorded.
	Declaration *api.Declaration `json:"declaration,omitempty"`
	// RecordTime is when the event's block was committed (EPCIS recordTime),
	// from header Record.Height+1; verified with Prove.
	RecordTime RecordTime `json:"record_time"`
	QueryInfo
}

// MemberResult is one member account.
type MemberResult struct {
	Member api.Member      `json:"member"`
	Raw    json.RawMessage `json:"-"`
	QueryInfo
}

// MembersResult is every member account, following the pages of /members at one
// height (QueryInfo.Height).
type MembersResult struct {
	Members []api.Member `json:"members"`
	// Complete is true when the list is proven to hold every member at Height:
	// with Prove, every page proves its items and, with non-existence proofs of
	// the gaps between them, that no other member key exists in its range. It is
	// false without Prove (nothing proven).
	Complete bool `json:"complete"`
	QueryInfo
}

// ValidatorsResult is every validator the app records, at one height.
type ValidatorsResult struct {
	Validators []api.Validator `json:"validators"`
	// Complete: as MembersResult.Complete.
	Complete bool `json:"complete"`
	QueryInfo
}

// MisbehaviourResult is every misbehaviour record, at one height.
type MisbehaviourResult struct {
	Misbehaviour []api.Misbehaviour `json:"misbehaviour"`
	// Complete: as MembersResult.Complete.
	Complete bool `json:"complete"`
	QueryInfo
}

// NonceResult is a member's next nonce (0 and a proven absence for a new signer).
type NonceResult struct {
	Address string `json:"address"`
	Nonce   uint64 `json:"nonce"`
	QueryInfo
}

// ParamsResult holds the chain parameters.
type ParamsResult struct {
	Params api.Params `json:"params"`
	QueryInfo
}

// expectFunc derives from a response the keys and values its proofs must prove,
// checking that the response answers the question asked.
type expectFunc func(res *abci.ResponseQuery) ([]provenKV, error)

// pinnedState fixes the state of a proven query to the one an earlier answer was
// verified for: ask for height query and verify against header proof, whose app
// hash is the root the earlier answer verified under. It keeps the pages of a list
// (and the lookups of DropRecorded) on one state without waiting for a header that
// an idle chain does not make yet.
type pinnedState struct {
	query, proof, state int64
}

// sameState returns opts reading the state info was answered for: with a verified
// info, pinned to the same root; otherwise at the height the node answered.
func (o QueryOpts) sameState(info QueryInfo) QueryOpts {
	if o.Prove && info.Verified && info.responseHeight > 0 {
		o.pin = &pinnedState{query: info.responseHeight, proof: info.ProofHeight, state: info.Height}
		o.Height = info.responseHeight
		return o
	}
	if o.Height == 0 {
		o.Height = info.Height
	}
	return o
}

// run performs a query and, with opts.Prove, verifies it. A not-found answer is
// returned as the response with a nil error; the caller decides (after verification)
// how to report it. Other non-zero codes are *QueryError.
//
// A proven query first checks that the node serves the genesis chain. A proven
// query of the latest state (Height 0) is bounded by freshness: L, the larger of
// the node's latest block height and the latest header this client has verified,
// is taken before the query, a node reporting a latest block below a verified
// header is refused as stale, and the answer must verify for state height L-1 or
// later.
func (c *Client) run(ctx context.Context, path string, opts QueryOpts, expect expectFunc) (*abci.ResponseQuery, QueryInfo, error) {
	if opts.Prove && opts.Verifier == nil {
		return nil, QueryInfo{}, errors.New("client: a proven query needs a Verifier (QueryOpts.Verifier)")
	}
	var floor int64
	if opts.Prove && opts.pin == nil {
		var err error
		if opts.Height == 0 {
			floor, err = opts.Verifier.freshFloor(ctx)
		} else {
			_, err = opts.Verifier.CheckChain(ctx)
		}
		if err != nil {
			return nil, QueryInfo{}, err
		}
	}
	res, err := c.queryCommitted(ctx, path, opts.Height, opts.Prove)
	if err != nil {
		return nil, QueryInfo{}, err
	}
	if res.Code != 0 && !isNotFoundResponse(res) {
		return res, QueryInfo{}, queryError(path, res)
	}
	if opts.Height != 0 && res.Height != opts.Height {
		if opts.Prove {
			return nil, QueryInfo{}, verifyErr(res.Height, nil, "asked for height %d, response height %d", opts.Height, res.Height)
		}
		return nil, QueryInfo{}, fmt.Errorf("client: query %s: asked for height %d, node answered for height %d", path, opts.Height, res.Height)
	}
	if !opts.Prove {
		return res, QueryInfo{Height: res.Height, responseHeight: res.Height}, nil
	}
	kvs, err := expect(res)
	if err == nil && len(kvs) == 0 {
		err = errors.New("nothing in the answer to prove")
	}
	if err != nil {
		return nil, QueryInfo{}, verifyErr(res.Height, err, "response to %s does not answer the query", path)
	}
	proofs, err := decodeOps(res.ProofOps, kvs)
	if err != nil {
		return nil, QueryInfo{}, verifyErr(res.Height, err, "proofs of the response to %s", path)
	}
	root, err := proofsRoot(proofs, kvs)
	if err != nil {
		return nil, QueryInfo{}, verifyErr(res.Height, err, "proofs of the response to %s", path)
	}
	check := func(appHash []byte) error {
		if !bytes.Equal(root, appHash) {
			return fmt.Errorf("the proofs' root %X is not the app hash %X", root, appHash)
		}
		return checkProofs(proofs, kvs, appHash)
	}
	if pin := opts.pin; pin != nil {
		lb, err := opts.Verifier.VerifyHeader(ctx, pin.proof)
		if err != nil {
			return nil, QueryInfo{}, err
		}
		if err := check(lb.AppHash); err != nil {
			return nil, QueryInfo{}, verifyErr(res.Height, err, "proof does not verify against app hash %X of header %d (the state of the earlier answers)",
				[]byte(lb.AppHash), lb.Height)
		}
		return res, QueryInfo{Height: pin.state, Verified: true, ProofHeight: pin.proof, responseHeight: res.Height}, nil
	}
	state, ph, err := opts.Verifier.verifyResponse(ctx, res.Height, floor, check)
	if err != nil {
		return nil, QueryInfo{}, err
	}
	if floor > 0 && state < floor-1 {
		return nil, QueryInfo{}, verifyErr(state, nil, "stale answer: asked for the latest state, the answer verified for state height %d, but block %d exists, so it must be for state height %d or later",
			state, floor, floor-1)
	}
	return res, QueryInfo{Height: state, Verified: true, ProofHeight: ph, responseHeight: res.Height}, nil
}

// notFound turns a (verified) not-found answer into a *QueryError.
func notFound(path string, res *abci.ResponseQuery, info QueryInfo) error {
	qe := queryError(path, res)
	qe.Verified, qe.ProofHeight = info.Verified, info.ProofHeight
	if info.Verified {
		qe.Height = info.Height
	}
	qe.info = info
	return qe
}

// Event looks up an event by ledger id (CBV 2.0 hash id, any case, or its
// hex) or by the eventID it was submitted with (api.LookupEvent). A missing
// event is a *QueryError (IsNotFound); with Prove its absence is verified
// first. A malformed ledger id is an *InvalidIDError.
func (c *Client) Event(ctx context.Context, id string, opts QueryOpts) (*EventResult, error) {
	look, err := api.LookupEvent(id)
	if err != nil {
		return nil, &InvalidIDError{ID: id, Err: err}
	}
	asked := look.ID
	if asked == "" {
		asked = look.Alias // the node takes the whole rest of the path, '?' and all
	}
	path := api.PathEvent + asked
	var ans api.EventAnswer
	var rec api.EventRecord
	parse := func(res *abci.ResponseQuery) error {
		if err := json.Unmarshal(res.Value, &ans); err != nil {
			return fmt.Errorf("value is not an event answer: %v", err)
		}
		r, err := api.DecodeEventRecord(ans.Record)
		if err != nil {
			return fmt.Errorf("answer holds no event record: %v", err)
		}
		if look.ID != "" && r.ID != look.ID {
			return fmt.Errorf("record is for event %q, asked for %q", r.ID, look.ID)
		}
		if ans.Declaration != nil {
			var d api.Declaration
			if err := json.Unmarshal(ans.Declaration, &d); err != nil || d.ID != r.ID {
				return fmt.Errorf("declaration is not one of event %s (%v)", r.ID, err)
			}
		}
		rec = r
		return nil
	}
	res, info, err := c.run(ctx, path, opts, func(res *abci.ResponseQuery) ([]provenKV, error) {
		var kvs []provenKV
		if isNotFoundResponse(res) {
			if len(res.Value) != 0 {
				return nil, errors.New("not-found answer carries a value")
			}
			if look.Alias != "" {
				return []provenKV{{Key: api.EventAliasKey(look.Alias)}}, nil
			}
			return []provenKV{{Key: api.EventIDKey(look.ID)}}, nil
		}
		if err := parse(res); err != nil {
			return nil, err
		}
		if look.Alias != "" {
			kvs = append(kvs, provenKV{Key: api.EventAliasKey(look.Alias), Value: []byte(rec.ID)})
		}
		idKey, logKey := api.EventQueryKeys(rec.ID, rec.Seq)
		if !bytes.Equal(res.Key, logKey) {
			return nil, fmt.Errorf("response key %X, expected the log key %X of seq %d", res.Key, logKey, rec.Seq)
		}
		var decl []byte
		if ans.Declaration != nil {
			decl = ans.Declaration
		}
		return append(kvs, provenKV{Key: idKey, Value: api.EncodeUint64(rec.Seq)}, provenKV{Key: logKey, Value: ans.Record},
			provenKV{Key: api.DeclarationKey(rec.ID), Value: decl}), nil
	})
	if err != nil {
		return nil, err
	}
	if isNotFoundResponse(res) {
		return nil, notFound(path, res, info)
	}
	if err := parse(res); err != nil {
		return nil, fmt.Errorf("client: event %s: %w", id, err)
	}
	out := &EventResult{Record: rec, Raw: bytes.Clone(ans.Record), QueryInfo: info}
	if ans.Declaration != nil {
		out.Declaration = new(api.Declaration)
		_ = json.Unmarshal(ans.Declaration, out.Declaration) // checked by parse
	}
	if !opts.SkipRecordTime {
		var v *Verifier
		if opts.Prove {
			v = opts.Verifier
		}
		if out.RecordTime, err = c.recordTime(ctx, rec.Height, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InvalidIDError is a malformed event id (a usage error, not "not found").
type InvalidIDError struct {
	ID  string
	Err error
}

func (e *InvalidIDError) Error() string {
	return "event id " + strconv.Quote(e.ID) + ": " + e.Err.Error()
}
func (e *InvalidIDError) Unwrap() error { return e.Err }

// Member looks up a member by address (hex). A missing member is a *QueryError
// (IsNotFound); with Prove its absence is verified first.
func (c *Client) Member(ctx context.Context, addr string, opts QueryOpts) (*MemberResult, error) {
	a, err := tx.ParseAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	path := api.PathMember + tx.AddressString(a)
	raw, info, err := c.single(ctx, path, api.MemberKey(a), opts, func(raw []byte) error { return checkMember(raw, a) })
	if err != nil {
		return nil, err
	}
	var m api.Member
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("client: member %s: %w", addr, err)
	}
	return &MemberResult{Member: m, Raw: raw, QueryInfo: info}, nil
}

// checkMember checks that raw is a member record for address addr.
func checkMember(raw []byte, addr []byte) error {
	var m api.Member
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("value is not a member record: %v", err)
	}
	if !strings.EqualFold(m.Address, tx.AddressString(addr)) {
		return fmt.Errorf("record is for member %s, expected %s", m.Address, tx.AddressString(addr))
	}
	return nil
}

// maxListPages bounds a list query against a node that never stops paging.
const maxListPages = 100_000

// listSpec describes a paged list query (/members, /validators, /misbehaviour).
type listSpec struct {
	path   string
	prefix byte
	// prefixBytes, when set, is the list's prefix instead of prefix (an index
	// under one EPC or field value); query is added to every page's query.
	prefixBytes []byte
	query       url.Values
	what        string
	// value returns what the state holds under an item's key, when that is not
	// the item's JSON itself (index entries hold an event id).
	value func(raw json.RawMessage) ([]byte, error)
	// extra returns further keys an item's proofs cover, after the page's gaps
	// (the event record an index entry points at).
	extra func(raw json.RawMessage) ([]provenKV, error)
	// items decodes a page: its items as stored and the next cursor ("" when done).
	items func(value []byte) ([]json.RawMessage, string, error)
	// key returns the state key of an item, checking that it is the record stored
	// under that key. proofKey is the key the node's proof op for the item names
	// (nil without proofs), used only when the record alone does not determine
	// its key.
	key func(raw json.RawMessage, proofKey []byte) ([]byte, error)
}

// listResult is every item of a list read at one height.
type listResult struct {
	items []json.RawMessage
	info  QueryInfo
	// complete: every page's gaps were proven absent (api.PageGaps), so the
	// items are all the list holds at info.Height.
	complete bool
}

// list reads every page of a list at one height (the first page's). With Prove,
// each page is verified complete: its items are proven present with their values,
// and the gaps between its start, its items and the next page's cursor (or the end
// of the list) are proven empty with non-existence proofs whose neighbours are
// those items (api.PageGaps, api.CheckPageGapNeighbours). Any failure is an error; a
// proven list is complete or not returned.
func (c *Client) list(ctx context.Context, spec listSpec, opts QueryOpts) (*listResult, error) {
	out := &listResult{items: []json.RawMessage{}}
	prefix := []byte{spec.prefix}
	if spec.prefixBytes != nil {
		prefix = spec.prefixBytes
	}
	var cursor []byte
	for page := 0; ; page++ {
		if page >= maxListPages {
			return nil, fmt.Errorf("client: %s: more than %d pages", spec.path, maxListPages)
		}
		q := url.Values{}
		for k, vs := range spec.query {
			q[k] = vs
		}
		if cursor != nil {
			q.Set("cursor", hex.EncodeToString(cursor))
		}
		if opts.PageLimit > 0 {
			q.Set("limit", strconv.Itoa(opts.PageLimit))
		}
		path := spec.path
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		start := prefix
		if cursor != nil {
			start = cursor
		}
		var (
			raws []json.RawMessage
			next []byte
		)
		parse := func(res *abci.ResponseQuery, proven bool) ([]provenKV, error) {
			var nextHex string
			var err error
			if raws, nextHex, err = spec.items(res.Value); err != nil {
				return nil, fmt.Errorf("value is not a %s page: %v", spec.what, err)
			}
			next = nil
			if nextHex != "" {
				if next, err = hex.DecodeString(nextHex); err != nil || len(next) == 0 || !bytes.HasPrefix(next, prefix) {
					return nil, fmt.Errorf("next cursor %q is not a %s key", nextHex, spec.what)
				}
				if bytes.Compare(next, start) <= 0 {
					return nil, fmt.Errorf("next cursor %s does not advance past %x", nextHex, start)
				}
			}
			if !proven {
				return nil, nil
			}
			var ops []cmtcrypto.ProofOp
			if res.ProofOps != nil {
				ops = res.ProofOps.Ops
			}
			keys := make([][]byte, len(raws))
			kvs := make([]provenKV, 0, 2*len(raws)+1)
			for i, raw := range raws {
				var opKey []byte
				if i < len(ops) {
					opKey = ops[i].Key
				}
				k, err := spec.key(raw, opKey)
				if err != nil {
					return nil, fmt.Errorf("%s %d: %v", spec.what, i, err)
				}
				switch {
				case !bytes.HasPrefix(k, prefix):
					return nil, fmt.Errorf("%s %d: key %x is not in the list", spec.what, i, k)
				case bytes.Compare(k, start) < 0:
					return nil, fmt.Errorf("%s %d: key %x is before the page start %x", spec.what, i, k, start)
				case i > 0 && bytes.Compare(k, keys[i-1]) <= 0:
					return nil, fmt.Errorf("%s %d: key %x is out of order", spec.what, i, k)
				case next != nil && bytes.Compare(k, next) >= 0:
					return nil, fmt.Errorf("%s %d: key %x is not before the next cursor %x", spec.what, i, k, next)
				}
				keys[i] = k
				v := []byte(raw)
				if spec.value != nil {
					if v, err = spec.value(raw); err != nil {
						return nil, fmt.Errorf("%s %d: %v", spec.what, i, err)
					}
				}
				kvs = append(kvs, provenKV{Key: k, Value: v})
			}
			var extras []provenKV
			if spec.extra != nil {
				for i, raw := range raws {
					more, err := spec.extra(raw)
					if err != nil {
						return nil, fmt.Errorf("%s %d: %v", spec.what, i, err)
					}
					extras = append(extras, more...)
				}
			}
			gaps := api.PageGaps(prefix, start, keys, next)
			if err := checkGaps(res.ProofOps, len(raws), gaps, len(extras)); err != nil {
				return nil, err
			}
			for _, g := range gaps {
				kvs = append(kvs, provenKV{Key: g.Key})
			}
			return append(kvs, extras...), nil
		}
		res, info, err := c.run(ctx, path, opts, func(res *abci.ResponseQuery) ([]provenKV, error) { return parse(res, true) })
		if err != nil {
			return nil, err
		}
		if _, err := parse(res, false); err != nil {
			return nil, fmt.Errorf("client: %s: %w", spec.path, err)
		}
		out.items = append(out.items, raws...)
		if page == 0 {
			out.info = info
			out.complete = info.Verified
			// Read the following pages in the state the first page was answered (and
			// verified) for, so the list is one consistent state.
			opts = opts.sameState(info)
		} else {
			out.complete = out.complete && info.Verified
			out.info.Verified = out.info.Verified && info.Verified
		}
		if next == nil {
			return out, nil
		}
		cursor = next
	}
}

// Members returns every member, reading all pages of /members at one height (the
// first page's). With Prove the list is proven complete (MembersResult.Complete).
func (c *Client) Members(ctx context.Context, opts QueryOpts) (*MembersResult, error) {
	l, err := c.list(ctx, listSpec{
		path: api.PathMembers, prefix: api.PrefixMember, what: "member",
		items: func(v []byte) ([]json.RawMessage, string, error) {
			var p api.MemberPage
			err := json.Unmarshal(v, &p)
			return p.Members, p.Next, err
		},
		key: func(raw json.RawMessage, _ []byte) ([]byte, error) {
			var m api.Member
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("not a member record: %v", err)
			}
			a, err := tx.ParseAddress(m.Address)
			if err != nil {
				return nil, err
			}
			return api.MemberKey(a), nil
		},
	}, opts)
	if err != nil {
		return nil, err
	}
	out := &MembersResult{Members: make([]api.Member, len(l.items)), Complete: l.complete, QueryInfo: l.info}
	for i, raw := range l.items {
		if err := json.Unmarshal(raw, &out.Members[i]); err != nil {
			return nil, fmt.Errorf("client: %s: %w", api.PathMembers, err)
		}
	}
	return out, nil
}

// Validators returns every validator the app records (/validators), all pages at
// one height. With Prove the list is proven complete (ValidatorsResult.Complete).
func (c *Client) Validators(ctx context.Context, opts QueryOpts) (*ValidatorsResult, error) {
	l, err := c.list(ctx, listSpec{
		path: api.PathValidators, prefix: api.PrefixValidator, what: "validator",
		items: func(v []byte) ([]json.RawMessage, string, error) {
			var p api.ValidatorList
			err := json.Unmarshal(v, &p)
			return p.Validators, p.Next, err
		},
		key: func(raw json.RawMessage, _ []byte) ([]byte, error) {
			var val api.Validator
			if err := json.Unmarshal(raw, &val); err != nil {
				return nil, fmt.Errorf("not a validator record: %v", err)
			}
			if len(val.PubKey) == 0 {
				return nil, errors.New("validator record without a public key")
			}
			return api.ValidatorKey(val.PubKey), nil
		},
	}, opts)
	if err != nil {
		return nil, err
	}
	out := &ValidatorsResult{Validators: make([]api.Validator, len(l.items)), Complete: l.complete, QueryInfo: l.info}
	for i, raw := range l.items {
		if err := json.Unmarshal(raw, &out.Validators[i]); err != nil {
			return nil, fmt.Errorf("client: %s: %w", api.PathValidators, err)
		}
	}
	return out, nil
}

// Misbehaviour returns every misbehaviour record (/misbehaviour), all pages at one
// height, oldest first. With Prove the list is proven complete.
func (c *Client) Misbehaviour(ctx context.Context, opts QueryOpts) (*MisbehaviourResult, error) {
	l, err := c.list(ctx, listSpec{
		path: api.PathMisbehaviour, prefix: api.PrefixMisbehaviour, what: "misbehaviour",
		items: func(v []byte) ([]json.RawMessage, string, error) {
			var p api.MisbehaviourList
			err := json.Unmarshal(v, &p)
			return p.Misbehaviour, p.Next, err
		},
		// The key is (reported height, index in that block); the record holds the
		// height, so the key named by the proof must carry it.
		key: func(raw json.RawMessage, proofKey []byte) ([]byte, error) {
			var m api.Misbehaviour
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("not a misbehaviour record: %v", err)
			}
			if len(proofKey) != len(api.MisbehaviourKey(0, 0)) ||
				!bytes.HasPrefix(proofKey, api.MisbehaviourKey(m.ReportedAt, 0)[:9]) {
				return nil, fmt.Errorf("proof key %x is not a misbehaviour key of height %d", proofKey, m.ReportedAt)
			}
			return bytes.Clone(proofKey), nil
		},
	}, opts)
	if err != nil {
		return nil, err
	}
	out := &MisbehaviourResult{Misbehaviour: make([]api.Misbehaviour, len(l.items)), Complete: l.complete, QueryInfo: l.info}
	for i, raw := range l.items {
		if err := json.Unmarshal(raw, &out.Misbehaviour[i]); err != nil {
			return nil, fmt.Errorf("client: %s: %w", api.PathMisbehaviour, err)
		}
	}
	return out, nil
}

// Nonce returns the next nonce of a member address (hex).
func (c *Client) Nonce(ctx context.Context, addr string, opts QueryOpts) (*NonceResult, error) {
	a, err := tx.ParseAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	key := api.NonceKey(a)
	path := api.PathNonce + tx.AddressString(a)
	res, info, err := c.run(ctx, path, opts, func(res *abci.ResponseQuery) ([]provenKV, error) {
		if !bytes.Equal(res.Key, key) {
			return nil, fmt.Errorf("response key %X, expected %X", res.Key, key)
		}
		if len(res.Value) == 0 {
			return []provenKV{{Key: key}}, nil
		}
		if _, err := api.DecodeNonce(res.Value); err != nil {
			return nil, fmt.Errorf("nonce value: %v", err)
		}
		return []provenKV{{Key: key, Value: res.Value}}, nil
	})
	if err != nil {
		return nil, err
	}
	if isNotFoundResponse(res) { // an older app answered not_found: nonce 0
		res.Value = nil
	}
	n, err := api.DecodeNonce(res.Value)
	if err != nil {
		return nil, fmt.Errorf("client: nonce of %s: %w", addr, err)
	}
	return &NonceResult{Address: tx.AddressString(a), Nonce: n, QueryInfo: info}, nil
}

// Params returns the chain parameters: the one value under api.ParamsKey, so a
// proven answer proves every parameter (none can be dropped or added).
func (c *Client) Params(ctx context.Context, opts QueryOpts) (*ParamsResult, error) {
	key := api.ParamsKey()
	res, info, err := c.run(ctx, api.PathParams, opts, func(res *abci.ResponseQuery) ([]provenKV, error) {
		if isNotFoundResponse(res) {
			return nil, errors.New("the node says the chain has no parameters")
		}
		if !bytes.Equal(res.Key, key) {
			return nil, fmt.Errorf("response key %X, expected %X", res.Key, key)
		}
		if _, err := api.DecodeParams(res.Value); err != nil {
			return nil, err
		}
		return []provenKV{{Key: key, Value: res.Value}}, nil
	})
	if err != nil {
		return nil, err
	}
	if isNotFoundResponse(res) {
		return nil, notFound(api.PathParams, res, info)
	}
	p, err := api.DecodeParams(res.Value)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return &ParamsResult{Params: p, QueryInfo: info}, nil
}

// queryCommitted is query, except that an answer from a node whose app has not
// committed its first block yet (not_found at height 0: CometBFT reports block
// 1 a moment before the app's Commit returns) is asked again, until ctx ends.
func (c *Client) queryCommitted(ctx context.Context, path string, height int64, prove bool) (*abci.ResponseQuery, error) {
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		res, err := c.query(ctx, path, height, prove)
		if err != nil || !isNotFoundResponse(res) || res.Height != 0 {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, nil
		case <-tick.C:
		}
	}
}
