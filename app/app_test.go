package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted "github.com/cometbft/cometbft/crypto/ed25519"
	cmtenc "github.com/cometbft/cometbft/crypto/encoding"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

const testChain = "test-chain"

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

type harness struct {
	t      testing.TB
	app    *App
	store  *ledger.Store
	height int64
	nonces map[string]uint64
}

var (
	admin    = testKey("admin")    // authority + recorder
	recorder = testKey("recorder") // recorder
	auth2    = testKey("auth2")    // authority only
	stranger = testKey("stranger") // not a member
)

func openStore(t testing.TB, dir string) *ledger.Store {
	t.Helper()
	o := ledger.DefaultOptions()
	o.InMemory = dir == ""
	o.NoSync = true
	o.WriteOncePrefixes = api.WriteOncePrefixes()
	s, err := ledger.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// harnessSetup adjusts a harness before InitChain.
type harnessSetup struct {
	opts       Options
	genesis    GenesisState
	validators []abci.ValidatorUpdate
}

func newHarness(t testing.TB, dir string, setups ...func(*harnessSetup)) *harness {
	t.Helper()
	vpk, _ := cmtenc.PubKeyToProto(cmted.GenPrivKeyFromSecret([]byte("val")).PubKey())
	hs := harnessSetup{
		opts: Options{ChainID: testChain, SigCacheSize: 100},
		genesis: DefaultGenesisState(
			GenesisMember{PubKey: pubOf(admin), Name: "admin", Roles: []string{consensus.RoleAuthority, consensus.RoleRecorder}},
			GenesisMember{PubKey: pubOf(recorder), Name: "rec", Roles: []string{consensus.RoleRecorder}},
			GenesisMember{PubKey: pubOf(auth2), Name: "auth2", Roles: []string{consensus.RoleAuthority}},
		),
		validators: []abci.ValidatorUpdate{{PubKey: vpk, Power: 10}},
	}
	for _, f := range setups {
		f(&hs)
	}
	s := openStore(t, dir)
	a, err := New(s, hs.opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, app: a, store: s, nonces: map[string]uint64{}}
	t.Cleanup(func() { s.Close() })
	raw, _ := json.Marshal(hs.genesis)
	res, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: testChain, InitialHeight: 1, AppStateBytes: raw,
		Validators: hs.validators,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.AppHash) == 0 {
		t.Fatal("InitChain returned no app hash")
	}
	return h
}

// sign builds a tx from key with its next nonce (or the given one).
func (h *harness) sign(key ed25519.PrivateKey, msg tx.Msg, opts ...func(*tx.Body)) []byte {
	h.t.Helper()
	addr := string(tx.Address(pubOf(key)))
	b := &tx.Body{ChainID: testChain, Nonce: h.nonces[addr], Msg: msg}
	for _, o := range opts {
		o(b)
	}
	_, raw, err := tx.Sign(key, b)
	if err != nil {
		h.t.Fatal(err)
	}
	return raw
}

// block runs FinalizeBlock + Commit and sets the expected nonce of every signer
// in the block to the committed one (refused txs may have used theirs).
func (h *harness) block(txs ...[]byte) []*abci.ExecTxResult {
	h.t.Helper()
	return h.finalize(&abci.RequestFinalizeBlock{Txs: txs}).TxResults
}

// finalize runs FinalizeBlock (height and time filled in) + Commit, as block.
func (h *harness) finalize(req *abci.RequestFinalizeBlock) *abci.ResponseFinalizeBlock {
	h.t.Helper()
	h.height++
	req.Height, req.Time = h.height, time.Date(2026, 1, 1, 0, 0, int(h.height), 0, time.UTC)
	txs := req.Txs
	res, err := h.app.FinalizeBlock(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		h.t.Fatal(err)
	}
	for _, raw := range txs {
		env, err := tx.DecodeEnvelope(raw)
		if err != nil {
			continue
		}
		addr := tx.Address(env.PubKey)
		n, err := h.store.GetAt(api.NonceKey(addr), h.height)
		if err != nil {
			h.t.Fatal(err)
		}
		if next, err := api.DecodeNonce(n); err == nil {
			h.nonces[string(addr)] = next
		}
	}
	if got := h.store.LastCommit(); got.Version != h.height || string(got.Hash) != string(res.AppHash) {
		h.t.Fatalf("commit %d/%X, FinalizeBlock %d/%X", got.Version, got.Hash, h.height, res.AppHash)
	}
	return res
}

func (h *harness) check(raw []byte) *abci.ResponseCheckTx {
	h.t.Helper()
	r, err := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New})
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func event(i int) []byte {
	return []byte(fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:%02dZ","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.%d"]}`, i%60, i))
}

func TestRefusalsInCheckTxAndFinalizeBlock(t *testing.T) {
	cases := []struct {
		name  string
		code  uint32
		build func(h *harness) []byte
	}{
		{"kvstore bytes are malformed", api.CodeMalformed, func(h *harness) []byte { return []byte("a=b") }},
		{"empty tx is malformed", api.CodeMalformed, func(h *harness) []byte { return []byte{} }},
		{"bad signature", api.CodeBadSignature, func(h *harness) []byte {
			raw := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})
			env, _ := tx.DecodeEnvelope(raw)
			env.Signature[0] ^= 1
			b, _ := env.Encode()
			return b
		}},
		{"wrong chain id", api.CodeWrongChainID, func(h *harness) []byte {
			return h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}}, func(b *tx.Body) { b.ChainID = "other" })
		}},
		{"unknown signer", api.CodeUnknownSigner, func(h *harness) []byte {
			return h.sign(stranger, &tx.RecordEvents{Events: [][]byte{event(1)}})
		}},
		{"revoked signer", api.CodeRevokedSigner, func(h *harness) []byte {
			h.govern(&tx.RevokeMember{Address: tx.Address(pubOf(recorder))}, consensus.StatusPassed)
			return h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})
		}},
		{"recorder may not propose", api.CodeRoleNotAllowed, func(h *harness) []byte {
			return h.sign(recorder, &tx.Propose{Action: &tx.AddMember{PubKey: pubOf(stranger), Roles: []string{"recorder"}}})
		}},
		{"recorder may not vote", api.CodeRoleNotAllowed, func(h *harness) []byte {
			return h.sign(recorder, &tx.Vote{ProposalID: 1, Option: tx.VoteYes})
		}},
		{"direct member change is retired", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(admin, &tx.AddMember{PubKey: pubOf(stranger), Roles: []string{"recorder"}})
		}},
		{"authority without recorder may not record", api.CodeRoleNotAllowed, func(h *harness) []byte {
			return h.sign(auth2, &tx.RecordEvents{Events: [][]byte{event(1)}})
		}},
		{"nonce beyond the pending window", api.CodeBadNonce, func(h *harness) []byte {
			return h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}}, func(b *tx.Body) { b.Nonce = nonceWindow })
		}},
		{"replayed nonce", api.CodeBadNonce, func(h *harness) []byte {
			first := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})
			if r := h.block(first); r[0].Code != api.CodeOK {
				h.t.Fatalf("first: %d %s", r[0].Code, r[0].Log)
			}
			return first
		}},
		{"event without eventTime", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(recorder, &tx.RecordEvents{Events: [][]byte{[]byte(`{"type":"ObjectEvent"}`)}})
		}},
		{"event that is not JSON", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(recorder, &tx.RecordEvents{Events: [][]byte{[]byte(`not json`)}})
		}},
		{"revoke unknown member", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(admin, &tx.Propose{Action: &tx.RevokeMember{Address: tx.Address(pubOf(stranger))}})
		}},
		{"vote on a proposal that does not exist", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(admin, &tx.Vote{ProposalID: 9, Option: tx.VoteYes})
		}},
		{"set an unknown parameter", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(admin, &tx.Propose{Action: &tx.SetParam{Name: "block_reward", Value: 5}})
		}},
		{"remove an absent validator", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(admin, &tx.Propose{Action: &tx.RemoveValidator{PubKey: pubOf(stranger)}})
		}},
		{"validator change of a third of the power", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(admin, &tx.Propose{Action: &tx.AddValidator{PubKey: pubOf(stranger), Power: 10, Operator: tx.Address(pubOf(admin))}})
		}},
		{"event already recorded", api.CodeDuplicate, func(h *harness) []byte {
			if r := h.block(h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(7)}})); r[0].Code != api.CodeOK {
				h.t.Fatalf("first: %d %s", r[0].Code, r[0].Log)
			}
			return h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(7)}})
		}},
		{"same event twice in one tx", api.CodeDuplicate, func(h *harness) []byte {
			return h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(3), event(3)}})
		}},
		{"member already exists", api.CodeInvalidMessage, func(h *harness) []byte {
			return h.sign(admin, &tx.Propose{Action: &tx.AddMember{PubKey: pubOf(recorder), Roles: []string{"recorder"}}})
		}},
		{"tx over MaxTxBytes", api.CodeTooLarge, func(h *harness) []byte {
			return make([]byte, tx.MaxTxBytes+1)
		}},
		{"event over MaxEventBytes", api.CodeTooLarge, func(h *harness) []byte {
			big := []byte(`{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","x":"` + strings.Repeat("a", tx.MaxEventBytes) + `"}`)
			// tx.Sign refuses oversize events, so the bytes are built by hand.
			return oversizeEventTx(h, big)
		}},
	}
	for _, c := range cases {
		for _, via := range []string{"CheckTx", "FinalizeBlock"} {
			t.Run(via+"/"+c.name, func(t *testing.T) {
				h := newHarness(t, "")
				h.block() // height 1, genesis committed
				raw := c.build(h)
				before := h.store.LastCommit()
				var code uint32
				var codespace, log string
				if via == "CheckTx" {
					r := h.check(raw)
					code, codespace, log = r.Code, r.Codespace, r.Log
				} else {
					r := h.block(raw)[0]
					code, codespace, log = r.Code, r.Codespace, r.Log
					after := h.store.LastCommit()
					if !usesNonce(c.code) || c.name == "direct member change is retired" {
						// Refused before the signer was authorised: nothing changes.
						if string(after.Hash) != string(before.Hash) {
							t.Fatalf("refused tx changed the app hash")
						}
					} else {
						// The signer was authorised, so its nonce is used (no replay
						// later); nothing else changes.
						assertOnlyNonceChanged(t, h, raw, before.Version, after.Version)
					}
				}
				if code != c.code || codespace != api.Codespace || log == "" {
					t.Fatalf("code %d (%s) codespace %q log %q; want code %d (%s)", code, api.CodeName(code), codespace, log, c.code, api.CodeName(c.code))
				}
			})
		}
	}
}

// usesNonce reports whether a refusal with this code comes after the signer was
// authorised (member, active, role, nonce), so that FinalizeBlock uses its nonce.
func usesNonce(code uint32) bool {
	switch code {
	case api.CodeInvalidMessage, api.CodeDuplicate, api.CodeOverQuota:
		return true
	}
	return false
}

// stateAt dumps every key of a committed version.
func stateAt(t *testing.T, s *ledger.Store, version int64) map[string]string {
	t.Helper()
	out := map[string]string{}
	var cursor []byte
	for {
		items, next, err := s.IterateAt(version, nil, cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range items {
			out[string(kv.Key)] = string(kv.Value)
		}
		if next == nil {
			return out
		}
		cursor = next
	}
}

// assertOnlyNonceChanged checks that between two versions only the signer of raw
// changed state, and only by using one nonce.
func assertOnlyNonceChanged(t *testing.T, h *harness, raw []byte, before, after int64) {
	t.Helper()
	env, err := tx.DecodeEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	body, err := tx.DecodeBody(env.Body)
	if err != nil {
		t.Fatal(err)
	}
	nk := string(api.NonceKey(tx.Address(env.PubKey)))
	b, a := stateAt(t, h.store, before), stateAt(t, h.store, after)
	if got, want := a[nk], string(api.EncodeUint64(body.Nonce+1)); got != want {
		t.Fatalf("signer nonce after refusal %x, want %x (used)", got, want)
	}
	delete(a, nk)
	delete(b, nk)
	if len(a) != len(b) {
		t.Fatalf("refused tx changed state: %d keys before, %d after (nonce aside)", len(b), len(a))
	}
	for k, v := range b {
		if a[k] != v {
			t.Fatalf("refused tx changed key %x", k)
		}
	}
}

// oversizeEventTx encodes a RecordEvents body whose event exceeds the bound; the
// codec refuses to build it, so the bytes are assembled by hand from valid parts.
func oversizeEventTx(h *harness, big []byte) []byte {
	h.t.Helper()
	small := &tx.Body{ChainID: testChain, Nonce: 0, Msg: &tx.RecordEvents{Events: [][]byte{[]byte("X")}}}
	sb, err := small.Encode()
	if err != nil {
		h.t.Fatal(err)
	}
	// Replace the one-byte event "X" with big: rebuild the length prefixes.
	i := strings.LastIndex(string(sb), "X")
	ev := appendBytes(nil, 1, big)
	msg := appendBytes(nil, 10, ev)
	body := append([]byte{}, sb[:i-4]...)
	body = append(body, msg...)
	env := appendBytes(nil, 1, body)
	env = appendBytes(env, 2, pubOf(recorder))
	sig := ed25519.Sign(recorder, tx.SignBytes(body))
	return appendBytes(env, 3, sig)
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = append(b, byte(field<<3|2))
	n := uint64(len(v))
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(append(b, byte(n)), v...)
}

func TestRecordQueryProve(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	evs := [][]byte{event(1), event(2)}
	res := h.block(h.sign(recorder, &tx.RecordEvents{Events: evs}))
	if res[0].Code != api.CodeOK {
		t.Fatalf("record: %d %s", res[0].Code, res[0].Log)
	}
	if len(res[0].Events) != 2 || res[0].Events[0].Type != api.EventTypeEvent {
		t.Fatalf("events: %+v", res[0].Events)
	}
	root := h.store.LastCommit().Hash
	for i, ev := range evs {
		id := eventID(ev)
		// Any case of the id, and its bare hex, find the event.
		for _, asked := range []string{id, strings.ToUpper(id), strings.TrimSuffix(strings.TrimPrefix(id, "ni:///sha-256;"), "?ver=CBV2.0")} {
			q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: "/event/" + asked, Prove: true})
			if q.Code != api.CodeOK {
				t.Fatalf("query %s: %d %s", asked, q.Code, q.Log)
			}
			var ans api.EventAnswer
			if err := json.Unmarshal(q.Value, &ans); err != nil || ans.Declaration != nil {
				t.Fatalf("answer %s: %v", q.Value, err)
			}
			rec, err := api.DecodeEventRecord(ans.Record)
			if err != nil {
				t.Fatal(err)
			}
			if string(rec.Event) != string(ev) || rec.ID != id || rec.Seq != uint64(i) || rec.Height != h.height {
				t.Fatalf("record %+v", rec)
			}
			if len(q.ProofOps.Ops) != 3 {
				t.Fatalf("want 3 proof ops (id, log, declaration), got %d", len(q.ProofOps.Ops))
			}
			idKey, logKey := api.EventQueryKeys(id, rec.Seq)
			for j, want := range []struct{ key, value []byte }{{idKey, api.EncodeUint64(rec.Seq)}, {logKey, ans.Record}, {api.DeclarationKey(id), nil}} {
				var p ics23.CommitmentProof
				if err := p.Unmarshal(q.ProofOps.Ops[j].Data); err != nil {
					t.Fatal(err)
				}
				if err := api.VerifyProof(&p, root, want.key, want.value); err != nil {
					t.Fatalf("op %d: %v", j, err)
				}
			}
		}
	}
	// Absent event (not an id: looked up as a submitted eventID): not found, with
	// a non-existence proof of the alias key.
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: "/event/nope", Prove: true})
	if q.Code != api.CodeNotFound || len(q.ProofOps.Ops) != 1 {
		t.Fatalf("absent: code %d ops %v", q.Code, q.ProofOps)
	}
	var p ics23.CommitmentProof
	if err := p.Unmarshal(q.ProofOps.Ops[0].Data); err != nil {
		t.Fatal(err)
	}
	if err := api.VerifyProof(&p, root, api.EventAliasKey("nope"), nil); err != nil {
		t.Fatal(err)
	}
	// A malformed ledger id is a bad query, not "not found".
	if q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: "/event/ni:///sha-256;xyz"}); q.Code != api.CodeBadQuery {
		t.Fatalf("malformed id: %d %s", q.Code, q.Log)
	}
	// Nonce and member queries.
	q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: "/nonce/" + tx.AddressString(tx.Address(pubOf(recorder)))})
	if n, _ := api.DecodeNonce(q.Value); q.Code != api.CodeOK || n != 1 {
		t.Fatalf("nonce: code %d value %x", q.Code, q.Value)
	}
	q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: "/members?limit=2"})
	var page api.MemberPage
	if err := json.Unmarshal(q.Value, &page); err != nil || len(page.Members) != 2 || page.Next == "" {
		t.Fatalf("members page: %s %v", q.Value, err)
	}
	q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: "/members?cursor=" + page.Next})
	page = api.MemberPage{}
	if err := json.Unmarshal(q.Value, &page); err != nil || len(page.Members) != 1 || page.Next != "" {
		t.Fatalf("members page 2: %s %v", q.Value, err)
	}
	for _, path := range []string{"/bogus", "/member/zz", "/members?limit=x", "/event/"} {
		q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: path})
		if q.Code != api.CodeBadQuery || q.Codespace != api.Codespace {
			t.Errorf("%s: code %d", path, q.Code)
		}
	}
	q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: "/params", Height: 99})
	if q.Code != api.CodeBadQuery {
		t.Errorf("future height: code %d", q.Code)
	}
}

func TestMempoolNoncesRunAhead(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	var txs [][]byte
	for i := 0; i < 3; i++ {
		raw := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(10 + i)}}, func(b *tx.Body) { b.Nonce = uint64(i) })
		if r := h.check(raw); r.Code != api.CodeOK {
			t.Fatalf("check %d: %d %s", i, r.Code, r.Log)
		}
		txs = append(txs, raw)
	}
	for i, r := range h.block(txs...) {
		if r.Code != api.CodeOK {
			t.Fatalf("tx %d: %d %s", i, r.Code, r.Log)
		}
	}
	// After Commit the check state restarts from committed nonces.
	if r := h.check(txs[0]); r.Code != api.CodeBadNonce {
		t.Fatalf("replay after commit: %d", r.Code)
	}
}

func TestMemberLifecycle(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	newbie := testKey("newbie")
	h.govern(&tx.AddMember{PubKey: pubOf(newbie), Name: "n", Organisation: "Acme", Roles: []string{"recorder"}}, consensus.StatusPassed)
	if r := h.block(h.sign(newbie, &tx.RecordEvents{Events: [][]byte{event(40)}})); r[0].Code != api.CodeOK {
		t.Fatalf("newbie record: %d %s", r[0].Code, r[0].Log)
	}
	// The last authority cannot be revoked; with two, one can.
	h.govern(&tx.RevokeMember{Address: tx.Address(pubOf(auth2))}, consensus.StatusPassed)
	if r := h.block(h.sign(admin, &tx.Propose{Action: &tx.RevokeMember{Address: tx.Address(pubOf(admin))}})); r[0].Code != api.CodeInvalidMessage {
		t.Fatalf("revoke last authority: %d %s", r[0].Code, r[0].Log)
	}
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: "/member/" + tx.AddressString(tx.Address(pubOf(auth2)))})
	var m api.Member
	if err := json.Unmarshal(q.Value, &m); err != nil || m.Status != api.StatusRevoked || m.UpdatedHeight != 4 {
		t.Fatalf("auth2 = %+v, %v", m, err)
	}
	// History: at height 3 auth2 was still active.
	q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: "/member/" + m.Address, Height: 3})
	if err := json.Unmarshal(q.Value, &m); err != nil || m.Status != api.StatusActive {
		t.Fatalf("auth2@2 = %+v, %v", m, err)
	}
}

// govern passes a proposal the way the two authorities of the harness do:
// admin proposes, auth2 votes yes in the same block. It checks the proposal
// ends with status want and returns it.
func (h *harness) govern(a tx.Action, want string) api.Proposal {
	h.t.Helper()
	id := h.nextProposalID()
	res := h.block(h.sign(admin, &tx.Propose{Action: a}), h.sign(auth2, &tx.Vote{ProposalID: id, Option: tx.VoteYes}))
	for i, r := range res {
		if r.Code != api.CodeOK {
			h.t.Fatalf("govern %T: tx %d: %d %s", a, i, r.Code, r.Log)
		}
	}
	p := h.proposal(id)
	if p.Status != want {
		h.t.Fatalf("proposal %d (%s) is %s (%s), want %s", id, p.Kind, p.Status, p.Note, want)
	}
	return p
}

func (h *harness) nextProposalID() uint64 {
	h.t.Helper()
	b, err := h.store.Get(api.MetaNextProposalKey)
	if err != nil {
		h.t.Fatal(err)
	}
	if b == nil {
		return 1
	}
	id, err := api.DecodeUint64(b)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) proposal(id uint64) api.Proposal {
	h.t.Helper()
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: fmt.Sprintf("/proposal/%d", id)})
	var p api.Proposal
	if q.Code != api.CodeOK || json.Unmarshal(q.Value, &p) != nil {
		h.t.Fatalf("proposal %d: %d %s", id, q.Code, q.Log)
	}
	return p
}

func TestRestartKeepsInfo(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.block()
	h.block(h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(50)}}))
	want := h.store.LastCommit()
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir)
	defer s.Close()
	a, err := New(s, Options{ChainID: testChain})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := a.Info(context.Background(), &abci.RequestInfo{})
	if info.LastBlockHeight != want.Version || string(info.LastBlockAppHash) != string(want.Hash) {
		t.Fatalf("info %d/%X, want %d/%X", info.LastBlockHeight, info.LastBlockAppHash, want.Version, want.Hash)
	}
	if _, err := New(s, Options{ChainID: "other"}); err == nil {
		t.Fatal("app opened a ledger of another chain")
	}
}

func TestEmptyBlockKeepsAppHash(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	a := h.store.LastCommit().Hash
	h.block()
	if b := h.store.LastCommit().Hash; string(a) != string(b) {
		t.Fatalf("empty block changed the app hash: %X -> %X", a, b)
	}
}

func TestGenesisRejects(t *testing.T) {
	pub := pubOf(admin)
	cases := map[string]string{
		"empty":         ``,
		"unknown field": `{"members":[],"params":{"max_events_per_tx":1,"max_event_bytes":10},"x":1}`,
		"no authority":  fmt.Sprintf(`{"members":[{"pubkey":%q,"name":"a","roles":["recorder"]}],"params":{"max_events_per_tx":1,"max_event_bytes":10}}`, b64(pub)),
		"bad params":    fmt.Sprintf(`{"members":[{"pubkey":%q,"name":"a","roles":["authority"]}],"params":{"max_events_per_tx":0,"max_event_bytes":10}}`, b64(pub)),
		"duplicate":     fmt.Sprintf(`{"members":[{"pubkey":%q,"name":"a","roles":["authority"]},{"pubkey":%q,"name":"b","roles":["authority"]}],"params":{"max_events_per_tx":1,"max_event_bytes":10}}`, b64(pub), b64(pub)),
		"short pubkey":  `{"members":[{"pubkey":"AAAA","name":"a","roles":["authority"]}],"params":{"max_events_per_tx":1,"max_event_bytes":10}}`,
		"unknown role":  fmt.Sprintf(`{"members":[{"pubkey":%q,"name":"a","roles":["king"]}],"params":{"max_events_per_tx":1,"max_event_bytes":10}}`, b64(pub)),
	}
	for name, raw := range cases {
		if _, err := ParseGenesisState([]byte(raw)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func b64(b []byte) string {
	out, _ := json.Marshal(b)
	return strings.Trim(string(out), `"`)
}

func TestMisbehaviourRecorded(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	h.height++
	res, err := h.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Height: h.height, Time: time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC),
		Misbehavior: []abci.Misbehavior{{
			Type:      abci.MisbehaviorType_DUPLICATE_VOTE,
			Validator: abci.Validator{Address: []byte{1, 2, 3}, Power: 10},
			Height:    1, Time: time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC), TotalVotingPower: 10,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathMisbehaviour, Prove: true})
	var l api.MisbehaviourList
	if err := json.Unmarshal(q.Value, &l); err != nil || len(l.Misbehaviour) != 1 || len(q.ProofOps.Ops) < 1 {
		t.Fatalf("misbehaviour: %s %v", q.Value, err)
	}
	var m api.Misbehaviour
	if err := json.Unmarshal(l.Misbehaviour[0], &m); err != nil || m.Type != "DUPLICATE_VOTE" || m.Validator != "010203" || m.ReportedAt != h.height {
		t.Fatalf("record %+v %v", m, err)
	}
	if string(res.AppHash) != string(h.store.LastCommit().Hash) {
		t.Fatal("hash mismatch")
	}
}

// TestMempoolBoundRefusesBeforeCometBFTDrops: a new tx the mempool has no room
// for is refused by CheckTx (mempool_full, nothing kept, its nonce still free),
// rechecks of waiting txs always pass, and the count restarts from the rechecks
// after each Commit, as CometBFT's mempool does.
func TestMempoolBoundRefusesBeforeCometBFTDrops(t *testing.T) {
	for _, tc := range []struct {
		name  string
		txs   int
		bytes int64
	}{
		{"by count", 3, 0},
		{"by bytes", 0, 0}, // bytes set below from the txs' sizes
	} {
		t.Run(tc.name, func(t *testing.T) {
			var txs [][]byte
			mk := func(h *harness) {
				txs = txs[:0]
				for i := range 5 {
					txs = append(txs, h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(20 + i)}}, func(b *tx.Body) { b.Nonce = uint64(i) }))
				}
			}
			probe := newHarness(t, "")
			mk(probe)
			bound := tc.bytes
			if tc.txs == 0 {
				bound = int64(len(txs[0]) + len(txs[1]) + len(txs[2]) + len(txs[3])/2)
			}
			h := newHarness(t, "", func(s *harnessSetup) { s.opts.MempoolTxs, s.opts.MempoolBytes = tc.txs, bound })
			h.block()
			mk(h)
			for i := range 3 {
				if r := h.check(txs[i]); r.Code != api.CodeOK {
					t.Fatalf("check %d: %d %s", i, r.Code, r.Log)
				}
			}
			r := h.check(txs[3])
			if r.Code != api.CodeMempoolFull || r.Codespace != api.Codespace || !strings.Contains(r.Log, "mempool is full") {
				t.Fatalf("fourth tx: code %d %q %q, want mempool_full", r.Code, r.Codespace, r.Log)
			}
			// Nothing was kept: the same tx is refused again for room, not as a
			// repeated nonce.
			if r := h.check(txs[3]); r.Code != api.CodeMempoolFull {
				t.Fatalf("fourth tx again: %d %s", r.Code, r.Log)
			}
			// An empty block: the mempool rechecks its three txs, all pass, and
			// there is still no room.
			h.block()
			for i := range 3 {
				if rc, _ := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: txs[i], Type: abci.CheckTxType_Recheck}); rc.Code != api.CodeOK {
					t.Fatalf("recheck %d: %d %s", i, rc.Code, rc.Log)
				}
			}
			if r := h.check(txs[3]); r.Code != api.CodeMempoolFull {
				t.Fatalf("fourth tx after rechecks: %d %s", r.Code, r.Log)
			}
			// A block takes two of them; the mempool rechecks the one left:
			// room for two more again.
			h.block(txs[0], txs[1])
			if rc, _ := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: txs[2], Type: abci.CheckTxType_Recheck}); rc.Code != api.CodeOK {
				t.Fatalf("recheck after block: %d %s", rc.Code, rc.Log)
			}
			for i := 3; i < 5; i++ {
				if r := h.check(txs[i]); r.Code != api.CodeOK {
					t.Fatalf("check %d after block: %d %s", i, r.Code, r.Log)
				}
			}
			for i, r := range h.block(txs[2], txs[3], txs[4]) {
				if r.Code != api.CodeOK {
					t.Fatalf("block tx %d: %d %s", i, r.Code, r.Log)
				}
			}
		})
	}
}
