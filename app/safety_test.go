package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted "github.com/cometbft/cometbft/crypto/ed25519"
	cmtenc "github.com/cometbft/cometbft/crypto/encoding"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

// A tx refused after its signer was authorised uses its nonce, so its public
// bytes cannot be replayed once they would succeed (the reproduced attack: a
// revoke of a member that did not exist yet, replayed after it was added).
func TestRefusedTxUsesNonceNoReplay(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	x := testKey("x")
	revoke := h.sign(admin, &tx.Propose{Action: &tx.RevokeMember{Address: tx.Address(pubOf(x))}})
	if r := h.block(revoke)[0]; r.Code != api.CodeInvalidMessage {
		t.Fatalf("revoke of a non-member: %d %s", r.Code, r.Log)
	}
	// The refused revoke used admin's nonce 0: this proposal takes nonce 1.
	h.govern(&tx.AddMember{PubKey: pubOf(x), Roles: []string{"recorder"}}, consensus.StatusPassed)
	if r := h.check(revoke); r.Code != api.CodeBadNonce {
		t.Fatalf("replay in CheckTx: %d %s", r.Code, r.Log)
	}
	if r := h.block(revoke)[0]; r.Code != api.CodeBadNonce {
		t.Fatalf("replay in FinalizeBlock: %d %s", r.Code, r.Log)
	}
	m, err := getMember(h.store.Working(), tx.Address(pubOf(x)))
	if err != nil || m == nil || m.Status != api.StatusActive {
		t.Fatalf("member after replay: %+v %v", m, err)
	}
	// A refusal before authorisation (here: not a member) uses nothing.
	stranger0 := h.sign(stranger, &tx.RecordEvents{Events: [][]byte{event(1)}})
	h.block(stranger0)
	if n, _ := readNonce(h.store.Working(), tx.Address(pubOf(stranger))); n != 0 {
		t.Fatalf("a non-member's refused tx wrote nonce %d", n)
	}
}

// Only authorised signers' txs enter the checked-tx cache: a flood of validly
// signed txs from non-members cannot evict a member's entry.
func TestCheckedCacheAdmitsOnlyMembers(t *testing.T) {
	h := newHarness(t, "", func(s *harnessSetup) { s.opts.SigCacheSize = 4 })
	h.block()
	member := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})
	if r := h.check(member); r.Code != api.CodeOK {
		t.Fatalf("member tx: %d %s", r.Code, r.Log)
	}
	key := string(tx.Hash(member))
	if !h.app.checkedCache.Contains(key) {
		t.Fatal("member's checked tx not cached")
	}
	for i := 0; i < 100; i++ {
		flood := h.sign(stranger, &tx.RecordEvents{Events: [][]byte{event(100 + i)}}, func(b *tx.Body) { b.Nonce = uint64(i) })
		if r := h.check(flood); r.Code != api.CodeUnknownSigner {
			t.Fatalf("flood %d: %d %s", i, r.Code, r.Log)
		}
	}
	if !h.app.checkedCache.Contains(key) || h.app.checkedCache.Len() != 1 {
		t.Fatalf("after the flood: member entry present %v, cache holds %d", h.app.checkedCache.Contains(key), h.app.checkedCache.Len())
	}
}

// failingView fails every read once armed.
type failingView struct {
	ledger.View
	armed *bool
}

var errDisk = errors.New("injected: disk read failed")

func (f failingView) Get(k []byte) ([]byte, error) {
	if *f.armed {
		return nil, errDisk
	}
	return f.View.Get(k)
}

func (f failingView) Has(k []byte) (bool, error) {
	if *f.armed {
		return false, errDisk
	}
	return f.View.Has(k)
}

// A store that fails during block execution stops FinalizeBlock with an error
// (CometBFT halts) instead of recording a refusal other nodes would not; in
// CheckTx the same failure is only a refusal (nothing is decided there).
func TestStoreFailureHaltsFinalizeBlock(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	armed := false
	h.app.wrapView = func(v ledger.View) ledger.View { return failingView{View: v, armed: &armed} }
	raw := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})
	armed = true
	if r := h.check(raw); r.Code != api.CodeInternal || r.Codespace != api.Codespace {
		t.Fatalf("CheckTx on a failing store: %d %s", r.Code, r.Log)
	}
	res, err := h.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Txs: [][]byte{raw}, Height: 2, Time: time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC),
	})
	if err == nil || !strings.Contains(err.Error(), errDisk.Error()) {
		t.Fatalf("FinalizeBlock on a failing store = %+v, %v; want a halting error naming the failure", res, err)
	}
}

// Every list query pages with a cursor; none stops silently at a cap.
func TestListQueriesPage(t *testing.T) {
	var vals []abci.ValidatorUpdate
	for i := 0; i < 5; i++ {
		pk, _ := cmtenc.PubKeyToProto(cmted.GenPrivKeyFromSecret([]byte(fmt.Sprintf("val%d", i))).PubKey())
		vals = append(vals, abci.ValidatorUpdate{PubKey: pk, Power: 10})
	}
	h := newHarness(t, "", func(s *harnessSetup) {
		s.validators = vals
		s.opts.MaxPageItems = 2 // the node's cap: a page, never a truncation
	})
	var mis []abci.Misbehavior
	for i := 0; i < 5; i++ {
		mis = append(mis, abci.Misbehavior{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Height: 1,
			Validator: abci.Validator{Address: bytes.Repeat([]byte{byte(i)}, 20), Power: 10}, TotalVotingPower: 50})
	}
	h.height++
	if _, err := h.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Misbehavior: mis,
		Time: time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	type page struct {
		Validators   []json.RawMessage `json:"validators"`
		Misbehaviour []json.RawMessage `json:"misbehaviour"`
		Members      []json.RawMessage `json:"members"`
		Next         string            `json:"next"`
	}
	for _, c := range []struct {
		path string
		want int
	}{{api.PathValidators, 5}, {api.PathMisbehaviour, 5}, {api.PathMembers, 3}} {
		seen, pages, cursor := 0, 0, ""
		for {
			path := c.path
			if cursor != "" {
				path += "?cursor=" + cursor
			}
			q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: path, Prove: true})
			if q.Code != api.CodeOK {
				t.Fatalf("%s: %d %s", path, q.Code, q.Log)
			}
			var p page
			if err := json.Unmarshal(q.Value, &p); err != nil {
				t.Fatal(err)
			}
			n := len(p.Validators) + len(p.Misbehaviour) + len(p.Members)
			if n > 2 || len(q.ProofOps.Ops) < n {
				t.Fatalf("%s: %d items, %d proofs; cap 2, a proof for each", path, n, len(q.ProofOps.Ops))
			}
			seen, pages = seen+n, pages+1
			if p.Next == "" {
				break
			}
			if p.Next == cursor || pages > 10 {
				t.Fatalf("%s: cursor does not advance (%s)", path, p.Next)
			}
			cursor = p.Next
		}
		if seen != c.want {
			t.Fatalf("%s: %d items over %d pages, want %d", c.path, seen, pages, c.want)
		}
	}
	bad, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathValidators + "?cursor=" + hex.EncodeToString([]byte{api.PrefixMember})})
	if bad.Code != api.CodeBadQuery {
		t.Fatalf("a member cursor on /validators: code %d", bad.Code)
	}
}

// A signer records at most MaxEventsPerSignerBlock events per block; others are
// not affected, and the refused tx is over_quota (its nonce used: it was
// authorised).
func TestPerSignerBlockQuota(t *testing.T) {
	h := newHarness(t, "", func(s *harnessSetup) {
		s.genesis.Params.MaxEventsPerTx = 2
		s.genesis.Params.MaxEventsPerSignerBlock = 3
	})
	h.block()
	r1 := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1), event(2)}})
	r2 := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(3), event(4)}}, func(b *tx.Body) { b.Nonce = 1 })
	a1 := h.sign(admin, &tx.RecordEvents{Events: [][]byte{event(5), event(6)}})
	res := h.block(r1, r2, a1)
	if res[0].Code != api.CodeOK || res[1].Code != api.CodeOverQuota || res[2].Code != api.CodeOK {
		t.Fatalf("codes %d %d %d, want ok over_quota ok (%s)", res[0].Code, res[1].Code, res[2].Code, res[1].Log)
	}
	// Next block, the signer has a fresh share.
	r3 := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(3), event(4)}})
	if res := h.block(r3); res[0].Code != api.CodeOK {
		t.Fatalf("next block: %d %s", res[0].Code, res[0].Log)
	}
}

// The mempool holds at most MaxPendingPerSigner txs of one signer.
func TestMempoolBoundPerSigner(t *testing.T) {
	h := newHarness(t, "", func(s *harnessSetup) { s.opts.MaxPendingPerSigner = 3 })
	h.block()
	var txs [][]byte
	for i := 0; i < 4; i++ {
		raw := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(i)}}, func(b *tx.Body) { b.Nonce = uint64(i) })
		r := h.check(raw)
		if i < 3 && r.Code != api.CodeOK || i == 3 && r.Code != api.CodeOverQuota {
			t.Fatalf("check nonce %d: %d %s", i, r.Code, r.Log)
		}
		txs = append(txs, raw)
	}
	if r := h.check(h.sign(admin, &tx.RecordEvents{Events: [][]byte{event(9)}})); r.Code != api.CodeOK {
		t.Fatalf("another signer is not bound by the first one's share: %d %s", r.Code, r.Log)
	}
	h.block(txs[:3]...)
	if r := h.check(txs[3]); r.Code != api.CodeOK {
		t.Fatalf("after the block, nonce 3: %d %s", r.Code, r.Log)
	}
}

// A tx is decoded, verified and parsed once per node: rechecks and
// FinalizeBlock reuse the first check.
func TestRecheckReusesFirstParse(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	raw := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})
	if r := h.check(raw); r.Code != api.CodeOK {
		t.Fatal(r.Log)
	}
	before := h.app.decodes
	h.block() // a block without it: Commit resets the check nonces, the mempool rechecks
	if r, err := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_Recheck}); err != nil || r.Code != api.CodeOK {
		t.Fatalf("recheck: %+v %v", r, err)
	}
	if res := h.block(raw); res[0].Code != api.CodeOK {
		t.Fatal(res[0].Log)
	}
	if h.app.decodes != before {
		t.Fatalf("recheck and FinalizeBlock decoded the tx %d more times", h.app.decodes-before)
	}
	// The recheck still re-runs the stateful checks: now recorded, it is a duplicate.
	if r, _ := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_Recheck}); r.Code != api.CodeBadNonce {
		t.Fatalf("recheck after commit: %d %s", r.Code, r.Log)
	}
}

func TestProposeTxs(t *testing.T) {
	params := api.DefaultParams()
	params.MaxEventsPerTx, params.MaxEventsPerSignerBlock = 2, 3
	mk := func(key string, nonce uint64, events int) []byte {
		evs := make([][]byte, events)
		for i := range evs {
			evs[i] = event(int(nonce)*10 + i)
		}
		_, raw, err := tx.Sign(testKey(key), &tx.Body{ChainID: testChain, Nonce: nonce, Msg: &tx.RecordEvents{Events: evs}})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	a0, a1, a2, a3 := mk("a", 0, 1), mk("a", 1, 1), mk("a", 2, 2), mk("a", 3, 1)
	a0bis := mk("a", 0, 2) // another tx with nonce 0
	b0, b1 := mk("b", 0, 2), mk("b", 1, 2)
	junk := []byte("kvstore=junk")
	cases := []struct {
		name      string
		in        [][]byte
		max       int64
		want      [][]byte
		committed uint64 // signer a's committed nonce
	}{
		{"in order", [][]byte{a0, b0, a1}, 1 << 20, [][]byte{a0, b0, a1}, 0},
		{"nonces sorted within each signer's slots", [][]byte{a1, b0, a0}, 1 << 20, [][]byte{a0, b0, a1}, 0},
		{"signer over its share waits, with its later nonces", [][]byte{b0, a0, b1, a1}, 1 << 20, [][]byte{b0, a0, a1}, 0},
		{"share counts events not txs", [][]byte{a0, a1, a2}, 1 << 20, [][]byte{a0, a1}, 0},
		{"undecodable txs pass through for FinalizeBlock to refuse", [][]byte{junk, a0}, 1 << 20, [][]byte{junk, a0}, 0},
		{"byte bound", [][]byte{a0, a1}, int64(len(a0)), [][]byte{a0}, 0},
		{"a gap waits with everything after it", [][]byte{a0, a3, b0}, 1 << 20, [][]byte{a0, b0}, 0},
		{"a second tx with the same nonce is left out", [][]byte{a0, a0bis, a1}, 1 << 20, [][]byte{a0, a1}, 0},
		{"stale nonces are left out", [][]byte{a0, a1, b0}, 1 << 20, [][]byte{a1, b0}, 1},
		{"nothing from the committed nonce yet", [][]byte{a1, b0}, 1 << 20, [][]byte{b0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addrA := string(tx.Address(pubOf(testKey("a"))))
			got := proposeTxs(c.in, c.max, params, func(signer string) uint64 {
				if signer == addrA {
					return c.committed
				}
				return 0
			})
			if len(got) != len(c.want) {
				t.Fatalf("%d txs, want %d", len(got), len(c.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], c.want[i]) {
					t.Fatalf("tx %d differs", i)
				}
			}
		})
	}
}

// A validator that receives a signer's txs out of order (gossip from several
// peers) keeps all of them; the proposal puts them in nonce order and leaves a
// gap for later, so no accepted tx is refused in FinalizeBlock for its nonce.
func TestOutOfOrderTxsAllCommit(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	var txs [][]byte
	for i := 0; i < 6; i++ {
		txs = append(txs, h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(i)}}, func(b *tx.Body) { b.Nonce = uint64(i) }))
	}
	// Arrival order 3, 1, 0, 5, 2 (4 is late).
	for _, i := range []int{3, 1, 0, 5, 2} {
		if r := h.check(txs[i]); r.Code != api.CodeOK {
			t.Fatalf("check nonce %d: %d %s", i, r.Code, r.Log)
		}
	}
	if r := h.check(txs[3]); r.Code != api.CodeBadNonce {
		t.Fatalf("the same nonce twice: %d %s", r.Code, r.Log)
	}
	mempool := [][]byte{txs[3], txs[1], txs[0], txs[5], txs[2]}
	prop, err := h.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 20})
	if err != nil || len(prop.Txs) != 4 {
		t.Fatalf("proposal of %d txs (%v), want nonces 0..3", len(prop.Txs), err)
	}
	for _, r := range h.block(prop.Txs...) {
		if r.Code != api.CodeOK {
			t.Fatalf("block 1: %d %s", r.Code, r.Log)
		}
	}
	// The late nonce 4 arrives; after the commit, 5 is still waiting.
	if r := h.check(txs[4]); r.Code != api.CodeOK {
		t.Fatalf("late nonce 4: %d %s", r.Code, r.Log)
	}
	prop, err = h.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: [][]byte{txs[5], txs[4]}, MaxTxBytes: 1 << 20})
	if err != nil || len(prop.Txs) != 2 || !bytes.Equal(prop.Txs[0], txs[4]) {
		t.Fatalf("second proposal: %d txs, %v", len(prop.Txs), err)
	}
	for _, r := range h.block(prop.Txs...) {
		if r.Code != api.CodeOK {
			t.Fatalf("block 2: %d %s", r.Code, r.Log)
		}
	}
	if r := h.check(txs[2]); r.Code != api.CodeBadNonce {
		t.Fatalf("a committed nonce again: %d %s", r.Code, r.Log)
	}
}
