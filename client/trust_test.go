package client

// Regression tests of the trust root: the trust file is bound to the genesis, and
// heights below a verified header are verified backwards by hash links, never with
// the keys of older validator sets.

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// keyedChain is a fakeChain whose validator keys the test keeps, so that it can
// sign forged headers with them. Every rotateEvery heights one of four validators
// is replaced.
type keyedChain struct {
	*fakeChain
	pvs         []cmttypes.PrivValidator
	rotateEvery int64
}

// setAt returns the signers and the validator set of height h.
func (kc *keyedChain) setAt(h int64) ([]cmttypes.PrivValidator, *cmttypes.ValidatorSet) {
	first := int((h - 1) / kc.rotateEvery)
	sel := kc.pvs[first : first+4]
	vals := make([]*cmttypes.Validator, len(sel))
	for i, pv := range sel {
		pk, _ := pv.GetPubKey()
		vals[i] = cmttypes.NewValidator(pk, 10)
	}
	return sel, cmttypes.NewValidatorSet(vals)
}

func newKeyedChain(t *testing.T, chainID string, top, rotateEvery int64) *keyedChain {
	t.Helper()
	kc := &keyedChain{rotateEvery: rotateEvery,
		fakeChain: &fakeChain{chainID: chainID, blocks: map[int64]*cmttypes.LightBlock{}, top: top, fetched: map[int64]int{}}}
	for range 4 + int(top/rotateEvery) + 2 {
		kc.pvs = append(kc.pvs, cmttypes.NewMockPV())
	}
	genTime := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	var lastID cmttypes.BlockID
	for h := int64(1); h <= top; h++ {
		signers, vs := kc.setAt(h)
		_, next := kc.setAt(h + 1)
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
		lb := signHeader(t, header, signers, vs)
		kc.blocks[h] = lb
		lastID = lb.Commit.BlockID
	}
	return kc
}

// signHeader makes the light block of header signed by signers, the validators
// of vs.
func signHeader(t *testing.T, header *cmttypes.Header, signers []cmttypes.PrivValidator, vs *cmttypes.ValidatorSet) *cmttypes.LightBlock {
	t.Helper()
	h := header.Height
	bid := cmttypes.BlockID{Hash: header.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte(fmt.Sprint(h)))}}
	ordered := make([]cmttypes.PrivValidator, len(vs.Validators))
	for i, v := range vs.Validators {
		for _, pv := range signers {
			if pk, _ := pv.GetPubKey(); bytes.Equal(pk.Address(), v.Address) {
				ordered[i] = pv
			}
		}
	}
	voteSet := cmttypes.NewVoteSet(header.ChainID, h, 0, cmtproto.PrecommitType, vs)
	ext, err := cmttypes.MakeExtCommit(bid, h, 0, voteSet, ordered, header.Time.Add(time.Second), false)
	if err != nil {
		t.Fatal(err)
	}
	lb := &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: header, Commit: ext.ToCommit()}, ValidatorSet: vs}
	if err := lb.ValidateBasic(header.ChainID); err != nil {
		t.Fatalf("block %d: %v", h, err)
	}
	return lb
}

// serve starts an RPC server for blocks (a copy of kc's with replacements).
func serveBlocks(t *testing.T, kc *keyedChain, replace map[int64]*cmttypes.LightBlock) (*fakeChain, *Client) {
	t.Helper()
	fc := &fakeChain{chainID: kc.chainID, top: kc.top, blocks: map[int64]*cmttypes.LightBlock{}, fetched: map[int64]int{}}
	for h, lb := range kc.blocks {
		fc.blocks[h] = lb
	}
	for h, lb := range replace {
		fc.blocks[h] = lb
	}
	srv := httptest.NewServer(fc)
	t.Cleanup(srv.Close)
	return fc, mustClient(t, srv.URL)
}

func (fc *fakeChain) fetches() int {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	n := 0
	for _, c := range fc.fetched {
		n += c
	}
	return n
}

// Case 5: an old header forged with the keys of the genesis validators (long
// rotated out) is refused: below a verified header, headers are verified by hash
// links from it. Before the fix, it was verified forward from genesis with those
// very keys and accepted.
func TestOldHeaderForgedWithRetiredKeysRefused(t *testing.T) {
	kc := newKeyedChain(t, "fake-chain", 40, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	genesis := kc.writeGenesis(t)
	home := t.TempDir()

	_, c := serveBlocks(t, kc, nil)
	v, err := NewVerifier(home, genesis, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyHeader(ctx, 40); err != nil {
		t.Fatalf("verify 40: %v", err)
	}

	// Header 17 forged by the genesis validators: it names them as its validators
	// and links to the honest header 16, with another app hash.
	honest := kc.blocks[17].Header
	genSigners, genVals := kc.setAt(1)
	forged := *honest
	forged.AppHash = tmhash.Sum([]byte("forged state"))
	forged.ValidatorsHash = genVals.Hash()
	forged.NextValidatorsHash = genVals.Hash()
	forged.ProposerAddress = genVals.Validators[0].Address
	forgedLB := signHeader(t, &forged, genSigners, genVals)

	_, fc := serveBlocks(t, kc, map[int64]*cmttypes.LightBlock{17: forgedLB})
	fv, err := NewVerifier(home, genesis, fc) // the same home: it trusts header 40
	if err != nil {
		t.Fatal(err)
	}
	_, err = fv.VerifyHeader(ctx, 17)
	wantVerifyError(t, err, "old header forged with retired keys")
	if !strings.Contains(err.Error(), "does not link") {
		t.Fatalf("error does not say the header does not link: %v", err)
	}

	// The honest header 17 is verified backwards and becomes a checkpoint, so
	// header 16 is one step from it.
	hfc, hc := serveBlocks(t, kc, nil)
	hv, err := NewVerifier(home, genesis, hc)
	if err != nil {
		t.Fatal(err)
	}
	if lb, err := hv.VerifyHeader(ctx, 17); err != nil || !bytes.Equal(lb.Hash(), kc.blocks[17].Hash()) {
		t.Fatalf("honest 17: %v", err)
	}
	cps, err := hv.Checkpoints()
	if err != nil || !containsHeight(cps, 17) || !containsHeight(cps, 40) || !containsHeight(cps, 1) {
		t.Fatalf("checkpoints %v %v", cps, err)
	}
	before := hfc.fetches()
	if _, err := hv.VerifyHeader(ctx, 16); err != nil {
		t.Fatalf("honest 16: %v", err)
	}
	if n := hfc.fetches() - before; n > 2 {
		t.Fatalf("verifying 16 below checkpoint 17 fetched %d commits, want at most 2", n)
	}
	if tr, err := hv.Trusted(); err != nil || tr.Height != 40 {
		t.Fatalf("latest trusted header moved: %v %v", tr, err)
	}

	// A walk is bounded.
	hv.MaxBackwardSteps = 5
	_, err = hv.VerifyHeader(ctx, 5)
	wantVerifyError(t, err, "walk beyond the bound")
	if !strings.Contains(err.Error(), "bounded at 5 headers") {
		t.Fatalf("bound error: %v", err)
	}
	hv.MaxBackwardSteps = 0 // default
	if _, err := hv.VerifyHeader(ctx, 5); err != nil {
		t.Fatalf("honest 5 within the default bound: %v", err)
	}
}

func containsHeight(hs []int64, h int64) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

// The checkpoint list stays bounded, keeps the lowest and the latest, and stays
// spread over the verified range.
func TestCheckpointsBounded(t *testing.T) {
	ts := &trustState{}
	for h := int64(1); h <= 5000; h += 7 {
		ts.add(h, bytes.Repeat([]byte{1}, 32))
	}
	if len(ts.checkpoints) != MaxCheckpoints {
		t.Fatalf("%d checkpoints, want %d", len(ts.checkpoints), MaxCheckpoints)
	}
	first, last := ts.checkpoints[0].Height, ts.checkpoints[len(ts.checkpoints)-1].Height
	if first != 1 || last != 4999 {
		t.Fatalf("range [%d, %d]", first, last)
	}
	for i := 1; i < len(ts.checkpoints); i++ {
		if gap := ts.checkpoints[i].Height - ts.checkpoints[i-1].Height; gap <= 0 || gap > 4*5000/MaxCheckpoints {
			t.Fatalf("gap %d between checkpoints %d and %d", gap, ts.checkpoints[i-1].Height, ts.checkpoints[i].Height)
		}
	}
}

// writeTrust writes a trust file at path.
func writeTrust(t *testing.T, path string, tf any) {
	t.Helper()
	b, err := cmtjson.MarshalIndent(tf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Case 4: the trust file is bound to the genesis. A forged light block (signed by
// an unrelated validator set of the same chain id) stored where an older client
// kept it, or stored for another genesis, is not trusted; a stored block whose
// commit does not verify with its validator set is refused as corrupt. Before
// the fix, the forged block was accepted and a header signed by the same
// strangers verified from it.
func TestTrustFileBoundToGenesis(t *testing.T) {
	honest := newKeyedChain(t, "fake-chain", 12, 100)
	fork := newKeyedChain(t, "fake-chain", 12, 100) // same chain id, other validators
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	genesis := honest.writeGenesis(t)
	forkGenesis := fork.writeGenesis(t)
	_, c := serveBlocks(t, honest, map[int64]*cmttypes.LightBlock{12: fork.blocks[12]})

	newV := func(home string) (*Verifier, *bytes.Buffer) {
		v, err := NewVerifier(home, genesis, c)
		if err != nil {
			t.Fatal(err)
		}
		var notes bytes.Buffer
		v.Notes = &notes
		return v, &notes
	}

	t.Run("file named by chain id only", func(t *testing.T) {
		home := t.TempDir()
		type legacyTrustFile struct { // the format an older client kept at light/<chain-id>.json
			ChainID    string               `json:"chain_id"`
			LightBlock *cmttypes.LightBlock `json:"light_block"`
		}
		writeTrust(t, filepath.Join(home, "light", "fake-chain.json"), legacyTrustFile{"fake-chain", fork.blocks[10]})
		v, notes := newV(home)
		_, err := v.VerifyHeader(ctx, 12)
		wantVerifyError(t, err, "header of strangers after a forged trust file")
		if strings.Count(notes.String(), "ignoring") != 1 {
			t.Fatalf("want one note about the ignored file, got %q", notes.String())
		}
		if _, err := v.VerifyHeader(ctx, 11); err != nil {
			t.Fatalf("honest 11: %v", err)
		}
	})

	t.Run("file of another genesis", func(t *testing.T) {
		home := t.TempDir()
		v, notes := newV(home)
		fv, err := NewVerifier(home, forkGenesis, c)
		if err != nil {
			t.Fatal(err)
		}
		if v.TrustFile() == fv.TrustFile() {
			t.Fatalf("two genesis files of chain id fake-chain share the trust file %s", v.TrustFile())
		}
		writeTrust(t, v.TrustFile(), trustFile{ChainID: "fake-chain", GenesisHash: fv.GenesisHash(), LightBlock: fork.blocks[10]})
		_, err = v.VerifyHeader(ctx, 12)
		wantVerifyError(t, err, "header of strangers after a trust file of another genesis")
		if !strings.Contains(notes.String(), "ignoring trusted header file") {
			t.Fatalf("no note about the ignored file: %q", notes.String())
		}
		if _, err := v.VerifyHeader(ctx, 11); err != nil {
			t.Fatalf("honest 11: %v", err)
		}
		// The file was replaced by one of this genesis.
		tr, err := v.Trusted()
		if err != nil || tr.Height != 11 || !bytes.Equal(tr.Hash(), honest.blocks[11].Hash()) {
			t.Fatalf("trusted after re-verification: %v %v", tr, err)
		}
	})

	t.Run("commit does not verify", func(t *testing.T) {
		home := t.TempDir()
		v, _ := newV(home)
		lb := *honest.blocks[10]
		sh := *lb.SignedHeader
		commit := *sh.Commit
		commit.Signatures = append([]cmttypes.CommitSig(nil), commit.Signatures...)
		for i := range commit.Signatures {
			sig := bytes.Clone(commit.Signatures[i].Signature)
			sig[0] ^= 0xFF
			commit.Signatures[i].Signature = sig
		}
		sh.Commit = &commit
		lb.SignedHeader = &sh
		writeTrust(t, v.TrustFile(), trustFile{ChainID: "fake-chain", GenesisHash: v.GenesisHash(), LightBlock: &lb})
		_, err := v.VerifyHeader(ctx, 11)
		if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "commit") {
			t.Fatalf("garbage trust file: %v", err)
		}
	})

	t.Run("genesis hash is canonical", func(t *testing.T) {
		doc, err := cmttypes.GenesisDocFromFile(genesis)
		if err != nil {
			t.Fatal(err)
		}
		compact, err := cmtjson.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		other := filepath.Join(t.TempDir(), "genesis.json")
		if err := os.WriteFile(other, compact, 0o600); err != nil {
			t.Fatal(err)
		}
		v1, _ := newV(t.TempDir())
		v2, err := NewVerifier(t.TempDir(), other, c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(v1.GenesisHash(), v2.GenesisHash()) {
			t.Fatalf("same genesis, other layout: hashes %X and %X", v1.GenesisHash(), v2.GenesisHash())
		}
	})
}
