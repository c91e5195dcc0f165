package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// fakeChain is a chain of really signed light blocks whose validator set rotates:
// every rotateEvery heights one of four validators is replaced by a new one, so a
// header far from the trusted one shares too little power with it to be verified
// in one step and the verifier must bisect.
type fakeChain struct {
	chainID string
	blocks  map[int64]*cmttypes.LightBlock
	top     int64

	mu      sync.Mutex
	fetched map[int64]int // commit requests per height
}

func newFakeChain(t *testing.T, top int64, rotateEvery int64) *fakeChain {
	t.Helper()
	const chainID = "fake-chain"
	var pvs []cmttypes.PrivValidator
	for range 4 + int(top/rotateEvery) + 2 {
		pvs = append(pvs, cmttypes.NewMockPV())
	}
	setAt := func(h int64) ([]cmttypes.PrivValidator, *cmttypes.ValidatorSet) {
		first := int((h - 1) / rotateEvery)
		sel := pvs[first : first+4]
		vals := make([]*cmttypes.Validator, len(sel))
		for i, pv := range sel {
			pk, _ := pv.GetPubKey()
			vals[i] = cmttypes.NewValidator(pk, 10)
		}
		return sel, cmttypes.NewValidatorSet(vals)
	}
	genTime := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	fc := &fakeChain{chainID: chainID, blocks: map[int64]*cmttypes.LightBlock{}, top: top, fetched: map[int64]int{}}
	var lastID cmttypes.BlockID
	for h := int64(1); h <= top; h++ {
		signers, vs := setAt(h)
		_, next := setAt(h + 1)
		header := &cmttypes.Header{
			Version:            cmtversion.Consensus{Block: version.BlockProtocol},
			ChainID:            chainID,
			Height:             h,
			Time:               genTime.Add(time.Duration(h) * time.Second),
			LastBlockID:        lastID,
			ValidatorsHash:     vs.Hash(),
			NextValidatorsHash: next.Hash(),
			ConsensusHash:      tmhash.Sum([]byte("params")),
			AppHash:            tmhash.Sum([]byte(fmt.Sprint("app", h))),
			ProposerAddress:    vs.Validators[0].Address,
		}
		bid := cmttypes.BlockID{Hash: header.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte(fmt.Sprint(h)))}}
		ordered := make([]cmttypes.PrivValidator, len(vs.Validators))
		for i, v := range vs.Validators {
			for _, pv := range signers {
				if pk, _ := pv.GetPubKey(); pk.Address().String() == v.Address.String() {
					ordered[i] = pv
				}
			}
		}
		voteSet := cmttypes.NewVoteSet(chainID, h, 0, cmtproto.PrecommitType, vs)
		ext, err := cmttypes.MakeExtCommit(bid, h, 0, voteSet, ordered, header.Time.Add(time.Second), false)
		if err != nil {
			t.Fatal(err)
		}
		lb := &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: header, Commit: ext.ToCommit()}, ValidatorSet: vs}
		if err := lb.ValidateBasic(chainID); err != nil {
			t.Fatalf("fake block %d: %v", h, err)
		}
		fc.blocks[h] = lb
		lastID = bid
	}
	return fc
}

func (fc *fakeChain) writeGenesis(t *testing.T) string {
	t.Helper()
	doc := &cmttypes.GenesisDoc{ChainID: fc.chainID, GenesisTime: fc.blocks[1].Time.Add(-time.Second), InitialHeight: 1}
	for _, v := range fc.blocks[1].ValidatorSet.Validators {
		doc.Validators = append(doc.Validators, cmttypes.GenesisValidator{Address: v.Address, PubKey: v.PubKey, Power: v.VotingPower})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := doc.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func intParam(v any) int64 {
	n, _ := strconv.ParseInt(strings.Trim(fmt.Sprint(v), `"`), 10, 64)
	return n
}

// ServeHTTP answers the JSON-RPC calls the verifier makes: status, commit, validators.
func (fc *fakeChain) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		ID     rpctypes.JSONRPCIntID `json:"id"`
		Method string                `json:"method"`
		Params map[string]any        `json:"params"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var res any
	switch req.Method {
	case "status":
		res = &ctypes.ResultStatus{SyncInfo: ctypes.SyncInfo{LatestBlockHeight: fc.top}}
	case "commit":
		h := intParam(req.Params["height"])
		fc.mu.Lock()
		fc.fetched[h]++
		fc.mu.Unlock()
		lb, ok := fc.blocks[h]
		if !ok {
			json.NewEncoder(w).Encode(rpctypes.RPCInternalError(req.ID, fmt.Errorf("height %d must be less than or equal to the current blockchain height %d", h, fc.top)))
			return
		}
		res = &ctypes.ResultCommit{SignedHeader: *lb.SignedHeader, CanonicalCommit: true}
	case "validators":
		lb, ok := fc.blocks[intParam(req.Params["height"])]
		if !ok {
			json.NewEncoder(w).Encode(rpctypes.RPCInternalError(req.ID, fmt.Errorf("no such height")))
			return
		}
		vals := lb.ValidatorSet.Validators
		res = &ctypes.ResultValidators{BlockHeight: lb.Height, Validators: vals, Count: len(vals), Total: len(vals)}
	default:
		json.NewEncoder(w).Encode(rpctypes.RPCMethodNotFoundError(req.ID))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rpctypes.NewRPCSuccessResponse(req.ID, res))
}

func TestLightBisectionAndBackwards(t *testing.T) {
	fc := newFakeChain(t, 40, 3)
	srv := httptest.NewServer(fc)
	t.Cleanup(srv.Close)
	c := mustClient(t, srv.URL)
	v := mustVerifier(t, c, fc.writeGenesis(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lb, err := v.VerifyHeader(ctx, 40)
	if err != nil {
		t.Fatalf("verify 40 from genesis: %v", err)
	}
	if lb.Hash().String() != fc.blocks[40].Hash().String() {
		t.Fatal("verified a different header")
	}
	fc.mu.Lock()
	intermediate := 0
	for h := range fc.fetched {
		if h != 1 && h != 40 {
			intermediate++
		}
	}
	fc.mu.Unlock()
	if intermediate == 0 {
		t.Fatal("the validator set rotated completely but no intermediate header was verified (no bisection)")
	}
	if tr, err := v.Trusted(); err != nil || tr.Height != 40 {
		t.Fatalf("trusted after verify: %v %v", tr, err)
	}
	// Below the trusted header: verified again from genesis.
	if lb, err := v.VerifyHeader(ctx, 17); err != nil || lb.Height != 17 {
		t.Fatalf("verify 17 below trusted 40: %v", err)
	}
	// Adjacent step from the stored header (none here: 40 is the top); the same height
	// again is answered from the store.
	if _, err := v.VerifyHeader(ctx, 40); err != nil {
		t.Fatalf("re-verify 40: %v", err)
	}
	if _, err := v.VerifyHeader(ctx, 41); err == nil {
		t.Fatal("verified a header above the chain's top")
	}
}

func TestLightRejectsForeignSigners(t *testing.T) {
	honest := newFakeChain(t, 12, 100) // no rotation
	fork := newFakeChain(t, 12, 100)   // same chain id, other validators
	mixed := &fakeChain{chainID: honest.chainID, top: 12, blocks: map[int64]*cmttypes.LightBlock{}, fetched: map[int64]int{}}
	for h, lb := range honest.blocks {
		mixed.blocks[h] = lb
	}
	mixed.blocks[12] = fork.blocks[12] // a well-formed, properly signed header by strangers
	mixed.blocks[6] = fork.blocks[6]
	srv := httptest.NewServer(mixed)
	t.Cleanup(srv.Close)
	c := mustClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	v := mustVerifier(t, c, honest.writeGenesis(t))
	_, err := v.VerifyHeader(ctx, 12)
	wantVerifyError(t, err, "non-adjacent foreign header")
	if _, err := v.VerifyHeader(ctx, 5); err != nil {
		t.Fatalf("honest header 5: %v", err)
	}
	_, err = v.VerifyHeader(ctx, 6)
	wantVerifyError(t, err, "adjacent foreign header")
	// Trust was not advanced by the failures.
	if tr, err := v.Trusted(); err != nil || tr.Height != 5 {
		t.Fatalf("trusted: %v %v", tr, err)
	}
	// A genesis naming the fork's validators does not accept the honest block 1.
	v2 := mustVerifier(t, c, fork.writeGenesis(t))
	_, err = v2.VerifyHeader(ctx, 3)
	wantVerifyError(t, err, "foreign genesis")
}

// A header once verified is answered from memory (no fetch), the trust file is
// read again only when it changed on disk, and a second verifier on the same
// home (another process) still reads what the first wrote.
func TestVerifierRemembersVerifiedHeaders(t *testing.T) {
	fc := newFakeChain(t, 40, 3)
	srv := httptest.NewServer(fc)
	t.Cleanup(srv.Close)
	c := mustClient(t, srv.URL)
	genesis := fc.writeGenesis(t)
	v := mustVerifier(t, c, genesis)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, h := range []int64{30, 12} {
		if _, err := v.VerifyHeader(ctx, h); err != nil {
			t.Fatalf("verify %d: %v", h, err)
		}
	}
	fetches := func() int {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		n := 0
		for _, k := range fc.fetched {
			n += k
		}
		return n
	}
	before := fetches()
	for _, h := range []int64{30, 12, 30} {
		lb, err := v.VerifyHeader(ctx, h)
		if err != nil || lb.Hash().String() != fc.blocks[h].Hash().String() {
			t.Fatalf("verify %d again: %v", h, err)
		}
	}
	if got := fetches(); got != before {
		t.Fatalf("verifying known headers again fetched %d commits", got-before)
	}
	// Another verifier on the same home moves the trusted header on; the first
	// sees it (the file changed) and trusts 40 without fetching it.
	other, err := NewVerifier(v.home, genesis, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.VerifyHeader(ctx, 40); err != nil {
		t.Fatal(err)
	}
	if tr, err := v.Trusted(); err != nil || tr.Height != 40 {
		t.Fatalf("first verifier's trusted header after the other's save: %v %v, want 40", tr, err)
	}
	before = fetches()
	if _, err := v.VerifyHeader(ctx, 40); err != nil {
		t.Fatal(err)
	}
	if got := fetches(); got != before {
		t.Fatalf("the trusted header was fetched again (%d commits)", got-before)
	}
}
