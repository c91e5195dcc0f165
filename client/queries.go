package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
)

// QueryOpts select the state height of a query and whether to verify it.
type QueryOpts struct {
	// Height of the state to read; 0 means the latest committed state.
	Height int64
	// Prove asks the node for proofs and verifies them with Verifier (required).
	Prove    bool
	Verifier *Verifier
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
}

// EventResult is an event record looked up by id.
type EventResult struct {
	Record api.EventRecord `json:"record"`
	// Raw is the record exactly as stored (and proven).
	Raw json.RawMessage `json:"-"`
	QueryInfo
}

// MemberResult is one member account.
type MemberResult struct {
	Member api.Member      `json:"member"`
	Raw    json.RawMessage `json:"-"`
	QueryInfo
}

// MembersResult is every member account, following the pages of /members at one
// height. With Prove each member is proven; that the list is complete is not (the
// app proves items, not the absence of others).
type MembersResult struct {
	Members []api.Member `json:"members"`
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

// run performs a query and, with opts.Prove, verifies it. A not-found answer is
// returned as the response with a nil error; the caller decides (after verification)
// how to report it. Other non-zero codes are *QueryError.
func (c *Client) run(ctx context.Context, path string, opts QueryOpts, expect expectFunc) (*abci.ResponseQuery, QueryInfo, error) {
	if opts.Prove && opts.Verifier == nil {
		return nil, QueryInfo{}, errors.New("client: a proven query needs a Verifier (QueryOpts.Verifier)")
	}
	res, err := c.query(ctx, path, opts.Height, opts.Prove)
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
		return res, QueryInfo{Height: res.Height}, nil
	}
	kvs, err := expect(res)
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
	state, ph, err := opts.Verifier.verifyResponse(ctx, res.Height, opts.Height == 0, func(appHash []byte) error {
		if len(proofs) > 0 && !bytes.Equal(root, appHash) {
			return fmt.Errorf("the proofs' root %X is not the app hash %X", root, appHash)
		}
		return checkProofs(proofs, kvs, appHash)
	})
	if err != nil {
		return nil, QueryInfo{}, err
	}
	return res, QueryInfo{Height: state, Verified: true, ProofHeight: ph}, nil
}

// notFound turns a (verified) not-found answer into a *QueryError.
func notFound(path string, res *abci.ResponseQuery, info QueryInfo) error {
	qe := queryError(path, res)
	qe.Verified, qe.ProofHeight = info.Verified, info.ProofHeight
	if info.Verified {
		qe.Height = info.Height
	}
	return qe
}

// Event looks up an event by id. A missing event is a *QueryError (IsNotFound);
// with Prove its absence is verified first.
func (c *Client) Event(ctx context.Context, id string, opts QueryOpts) (*EventResult, error) {
	if id == "" {
		return nil, errors.New("client: empty event id")
	}
	path := api.PathEvent + id
	var rec api.EventRecord
	res, info, err := c.run(ctx, path, opts, func(res *abci.ResponseQuery) ([]provenKV, error) {
		idKey, _ := api.EventQueryKeys(id, 0)
		if isNotFoundResponse(res) {
			if len(res.Value) != 0 {
				return nil, errors.New("not-found answer carries a value")
			}
			return []provenKV{{Key: idKey}}, nil
		}
		r, err := api.DecodeEventRecord(res.Value)
		if err != nil {
			return nil, fmt.Errorf("value is not an event record: %v", err)
		}
		if r.ID != id {
			return nil, fmt.Errorf("record is for event %q, asked for %q", r.ID, id)
		}
		_, logKey := api.EventQueryKeys(id, r.Seq)
		if !bytes.Equal(res.Key, logKey) {
			return nil, fmt.Errorf("response key %X, expected the log key %X of seq %d", res.Key, logKey, r.Seq)
		}
		return []provenKV{{Key: idKey, Value: api.EncodeUint64(r.Seq)}, {Key: logKey, Value: res.Value}}, nil
	})
	if err != nil {
		return nil, err
	}
	if isNotFoundResponse(res) {
		return nil, notFound(path, res, info)
	}
	if rec, err = api.DecodeEventRecord(res.Value); err != nil {
		return nil, fmt.Errorf("client: event %s: record: %w", id, err)
	}
	return &EventResult{Record: rec, Raw: bytes.Clone(res.Value), QueryInfo: info}, nil
}

// Member looks up a member by address (hex). A missing member is a *QueryError
// (IsNotFound); with Prove its absence is verified first.
func (c *Client) Member(ctx context.Context, addr string, opts QueryOpts) (*MemberResult, error) {
	a, err := tx.ParseAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	key := api.MemberKey(a)
	path := api.PathMember + tx.AddressString(a)
	res, info, err := c.run(ctx, path, opts, func(res *abci.ResponseQuery) ([]provenKV, error) {
		if !bytes.Equal(res.Key, key) {
			return nil, fmt.Errorf("response key %X, expected %X", res.Key, key)
		}
		if isNotFoundResponse(res) {
			return []provenKV{{Key: key}}, nil
		}
		if err := checkMember(res.Value, a); err != nil {
			return nil, err
		}
		return []provenKV{{Key: key, Value: res.Value}}, nil
	})
	if err != nil {
		return nil, err
	}
	if isNotFoundResponse(res) {
		return nil, notFound(path, res, info)
	}
	var m api.Member
	if err := json.Unmarshal(res.Value, &m); err != nil {
		return nil, fmt.Errorf("client: member %s: %w", addr, err)
	}
	return &MemberResult{Member: m, Raw: bytes.Clone(res.Value), QueryInfo: info}, nil
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

// maxMemberPages bounds Members against a node that never stops paging.
const maxMemberPages = 100_000

// Members returns every member, reading all pages of /members at one height (the
// first page's).
func (c *Client) Members(ctx context.Context, opts QueryOpts) (*MembersResult, error) {
	out := &MembersResult{Members: []api.Member{}}
	cursor := ""
	var lastKey []byte
	for page := 0; ; page++ {
		if page >= maxMemberPages {
			return nil, fmt.Errorf("client: /members: more than %d pages", maxMemberPages)
		}
		path := api.PathMembers
		if cursor != "" {
			path += "?" + url.Values{"cursor": {cursor}}.Encode()
		}
		var pg api.MemberPage
		pageCursor, prevLast := cursor, lastKey
		res, info, err := c.run(ctx, path, opts, func(res *abci.ResponseQuery) ([]provenKV, error) {
			var p api.MemberPage
			if err := json.Unmarshal(res.Value, &p); err != nil {
				return nil, fmt.Errorf("value is not a member page: %v", err)
			}
			kvs, _, err := memberPageKVs(p, pageCursor, prevLast)
			return kvs, err
		})
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(res.Value, &pg); err != nil {
			return nil, fmt.Errorf("client: /members: %w", err)
		}
		_, last, err := memberPageKVs(pg, pageCursor, prevLast)
		if err != nil {
			return nil, fmt.Errorf("client: /members: %w", err)
		}
		for _, raw := range pg.Members {
			var m api.Member
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("client: /members: %w", err)
			}
			out.Members = append(out.Members, m)
		}
		if page == 0 {
			out.QueryInfo = info
			// Read the following pages at the height the first page was answered (or
			// verified) for, so the list is one consistent state.
			opts.Height = info.Height
		} else {
			out.Verified = out.Verified && info.Verified
		}
		if pg.Next == "" {
			return out, nil
		}
		if pg.Next == cursor {
			return nil, fmt.Errorf("client: /members: next cursor %s repeats", pg.Next)
		}
		cursor, lastKey = pg.Next, last
	}
}

// memberPageKVs returns the member keys and values a page must prove, checking that
// the keys ascend strictly, come after the previous page and start at or after cursor.
func memberPageKVs(p api.MemberPage, cursor string, prevLast []byte) ([]provenKV, []byte, error) {
	var lower []byte
	if cursor != "" {
		c, err := hex.DecodeString(cursor)
		if err != nil {
			return nil, nil, fmt.Errorf("cursor %q: %v", cursor, err)
		}
		lower = c
	}
	kvs := make([]provenKV, 0, len(p.Members))
	last := prevLast
	for i, raw := range p.Members {
		var m api.Member
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, nil, fmt.Errorf("member %d is not a member record: %v", i, err)
		}
		a, err := tx.ParseAddress(m.Address)
		if err != nil {
			return nil, nil, fmt.Errorf("member %d: %v", i, err)
		}
		key := api.MemberKey(a)
		if last != nil && bytes.Compare(key, last) <= 0 {
			return nil, nil, fmt.Errorf("member %d (%s) is out of order", i, m.Address)
		}
		if lower != nil && bytes.Compare(key, lower) < 0 {
			return nil, nil, fmt.Errorf("member %d (%s) is before the cursor", i, m.Address)
		}
		kvs = append(kvs, provenKV{Key: key, Value: []byte(raw)})
		last = key
	}
	return kvs, last, nil
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
