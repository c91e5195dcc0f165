package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted "github.com/cometbft/cometbft/crypto/ed25519"
	cmtenc "github.com/cometbft/cometbft/crypto/encoding"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/epcis"
)

func valKey(name string) []byte {
	return cmted.GenPrivKeyFromSecret([]byte(name)).PubKey().Bytes()
}

// fourValidators gives the harness validators val0..val3 of power 10 each.
func fourValidators(s *harnessSetup) {
	s.validators = nil
	for i := 0; i < 4; i++ {
		pk, _ := cmtenc.PubKeyToProto(cmted.GenPrivKeyFromSecret([]byte(fmt.Sprintf("val%d", i))).PubKey())
		s.validators = append(s.validators, abci.ValidatorUpdate{PubKey: pk, Power: 10})
	}
}

// A lone authority passes its own proposals at the end of the block carrying them.
func TestLoneAuthorityPassesAtOnce(t *testing.T) {
	h := newHarness(t, "", func(s *harnessSetup) {
		s.genesis.Members = s.genesis.Members[:2] // admin (authority) and recorder
	})
	h.block()
	newbie := testKey("newbie")
	res := h.block(h.sign(admin, &tx.Propose{Action: &tx.AddMember{PubKey: pubOf(newbie), Roles: []string{"recorder"}}, Reason: "new site"}))
	if res[0].Code != api.CodeOK {
		t.Fatalf("propose: %d %s", res[0].Code, res[0].Log)
	}
	p := h.proposal(1)
	if p.Status != consensus.StatusPassed || p.DecidedHeight != h.height || p.Reason != "new site" || p.Action.Address != tx.AddressString(tx.Address(pubOf(newbie))) {
		t.Fatalf("proposal %+v", p)
	}
	if r := h.block(h.sign(newbie, &tx.RecordEvents{Events: [][]byte{event(1)}})); r[0].Code != api.CodeOK {
		t.Fatalf("new member records: %d %s", r[0].Code, r[0].Log)
	}
}

// Validator changes decided by vote go out as ValidatorUpdates from the deciding
// block and change the app's validator records; the 1/3 rule counts every
// change decided in that block.
func TestValidatorGovernance(t *testing.T) {
	h := newHarness(t, "", fourValidators)
	h.block()
	op := tx.Address(pubOf(admin))
	// Two proposals decided in one block: +10 (add val4) then -10 (remove val0) would
	// change 20 of 40: the second fails at application.
	p1, p2 := h.nextProposalID(), h.nextProposalID()+1
	res := h.finalize(&abci.RequestFinalizeBlock{Txs: [][]byte{
		h.sign(admin, &tx.Propose{Action: &tx.AddValidator{PubKey: valKey("val4"), Power: 10, Name: "val-4", Operator: op}}),
		h.sign(admin, &tx.Propose{Action: &tx.RemoveValidator{PubKey: valKey("val0")}}, func(b *tx.Body) { b.Nonce = 1 }),
		h.sign(auth2, &tx.Vote{ProposalID: p1, Option: tx.VoteYes}),
		h.sign(auth2, &tx.Vote{ProposalID: p2, Option: tx.VoteYes}, func(b *tx.Body) { b.Nonce = 1 }),
	}})
	for i, r := range res.TxResults {
		if r.Code != api.CodeOK {
			t.Fatalf("tx %d: %d %s", i, r.Code, r.Log)
		}
	}
	if len(res.ValidatorUpdates) != 1 || !bytes.Equal(res.ValidatorUpdates[0].PubKey.GetEd25519(), valKey("val4")) || res.ValidatorUpdates[0].Power != 10 {
		t.Fatalf("validator updates %+v, want val4 at 10", res.ValidatorUpdates)
	}
	if a, b := h.proposal(p1), h.proposal(p2); a.Status != consensus.StatusPassed || b.Status != consensus.StatusFailed || b.Note == "" {
		t.Fatalf("statuses %s, %s (%s)", a.Status, b.Status, b.Note)
	}
	var v api.Validator
	raw, _ := h.store.Get(api.ValidatorKey(valKey("val4")))
	if err := json.Unmarshal(raw, &v); err != nil || v.Power != 10 || v.Name != "val-4" || v.Operator != tx.AddressString(op) {
		t.Fatalf("validator record %s: %+v %v", raw, v, err)
	}
	// Next block: the removal alone is 10 of 50.
	p3 := h.govern(&tx.RemoveValidator{PubKey: valKey("val0")}, consensus.StatusPassed)
	if p3.DecidedHeight != h.height {
		t.Fatalf("decided at %d", p3.DecidedHeight)
	}
	if raw, _ := h.store.Get(api.ValidatorKey(valKey("val0"))); raw != nil {
		t.Fatal("removed validator still recorded")
	}
	// Set power, then the validators query lists the set.
	h.govern(&tx.SetPower{PubKey: valKey("val1"), Power: 12}, consensus.StatusPassed)
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathValidators})
	var l api.ValidatorList
	if err := json.Unmarshal(q.Value, &l); err != nil || len(l.Validators) != 4 {
		t.Fatalf("validators %s %v", q.Value, err)
	}
}

func TestProposalVotesExpiryAndParams(t *testing.T) {
	h := newHarness(t, "", func(s *harnessSetup) { s.genesis.Params.ProposalLifetimeBlocks = 2 })
	h.block()
	// admin proposes; auth2 votes no, then yes (replacing its vote): passes.
	id := h.nextProposalID()
	h.block(h.sign(admin, &tx.Propose{Action: &tx.SetParam{Name: "max_events_per_tx", Value: 5}}),
		h.sign(auth2, &tx.Vote{ProposalID: id, Option: tx.VoteNo}))
	if p := h.proposal(id); p.Status != consensus.StatusRejected {
		// 2 authorities at 50%: one no makes passing impossible.
		t.Fatalf("after a no of 2: %s", p.Status)
	}
	if r := h.block(h.sign(auth2, &tx.Vote{ProposalID: id, Option: tx.VoteYes})); r[0].Code != api.CodeInvalidMessage {
		t.Fatalf("vote on a decided proposal: %d %s", r[0].Code, r[0].Log)
	}
	// Unanswered, a proposal expires after its lifetime (2 blocks).
	id = h.nextProposalID()
	h.block(h.sign(admin, &tx.Propose{Action: &tx.SetParam{Name: "max_events_per_tx", Value: 5}}))
	if p := h.proposal(id); p.Status != consensus.StatusOpen {
		t.Fatalf("in its first block: %s", p.Status)
	}
	h.block()
	if p := h.proposal(id); p.Status != consensus.StatusExpired || p.DecidedHeight != h.height {
		t.Fatalf("after its lifetime: %s at %d", p.Status, p.DecidedHeight)
	}
	// Passed: the parameter changes and the next tx sees it.
	h.govern(&tx.SetParam{Name: "max_events_per_tx", Value: 1}, consensus.StatusPassed)
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathParams})
	p, err := api.DecodeParams(q.Value)
	if err != nil || p.MaxEventsPerTx != 1 {
		t.Fatalf("params %s %v", q.Value, err)
	}
	if r := h.block(h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1), event(2)}})); r[0].Code != api.CodeTooLarge {
		t.Fatalf("two events with max_events_per_tx 1: %d %s", r[0].Code, r[0].Log)
	}
	q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathProposals + "?limit=2"})
	var page api.ProposalPage
	if err := json.Unmarshal(q.Value, &page); err != nil || len(page.Proposals) != 2 || page.Next == "" {
		t.Fatalf("proposals page %s %v", q.Value, err)
	}
}

// A revoked member's txs are refused from the next block on; its past events
// stay, attributed to it.
func TestRevokedMemberKeepsHistory(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	if r := h.block(h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})); r[0].Code != api.CodeOK {
		t.Fatal(r[0].Log)
	}
	id := h.nextProposalID()
	// The revoke passes at the end of this block: the recorder's tx in the same
	// block still executes.
	res := h.block(h.sign(admin, &tx.Propose{Action: &tx.RevokeMember{Address: tx.Address(pubOf(recorder))}}),
		h.sign(auth2, &tx.Vote{ProposalID: id, Option: tx.VoteYes}),
		h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(2)}}))
	if res[2].Code != api.CodeOK || h.proposal(id).Status != consensus.StatusPassed {
		t.Fatalf("same block: %d %s", res[2].Code, res[2].Log)
	}
	if r := h.block(h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(3)}})); r[0].Code != api.CodeRevokedSigner {
		t.Fatalf("next block: %d %s", r[0].Code, r[0].Log)
	}
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathEvent + (eventID(event(1)))})
	var ans api.EventAnswer
	if err := json.Unmarshal(q.Value, &ans); err != nil {
		t.Fatal(err)
	}
	rec, err := api.DecodeEventRecord(ans.Record)
	if err != nil || rec.Submitter != tx.AddressString(tx.Address(pubOf(recorder))) {
		t.Fatalf("past event %+v %v", rec, err)
	}
}

func TestProposalReferencesMisbehaviour(t *testing.T) {
	h := newHarness(t, "")
	h.finalize(&abci.RequestFinalizeBlock{Misbehavior: []abci.Misbehavior{{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Height: 1,
		Validator: abci.Validator{Address: bytes.Repeat([]byte{1}, 20), Power: 10}, TotalVotingPower: 10}}})
	good := h.sign(admin, &tx.Propose{Action: &tx.SetParam{Name: "max_members", Value: 50}, Reason: "double vote", EvidenceHeight: 1, EvidenceNumber: 1})
	if r := h.check(good); r.Code != api.CodeOK {
		t.Fatalf("referencing recorded misbehaviour: %d %s", r.Code, r.Log)
	}
	bad := h.sign(admin, &tx.Propose{Action: &tx.SetParam{Name: "max_members", Value: 50}, EvidenceHeight: 1, EvidenceNumber: 2},
		func(b *tx.Body) { b.Nonce = 1 })
	if r := h.check(bad); r.Code != api.CodeInvalidMessage {
		t.Fatalf("referencing absent misbehaviour: %d %s", r.Code, r.Log)
	}
}

// The signing record counts each validator's commits from the last-commit info,
// node-local: never in state, refused with prove.
func TestSigningRecord(t *testing.T) {
	h := newHarness(t, "")
	a1, a2 := bytes.Repeat([]byte{1}, 20), bytes.Repeat([]byte{2}, 20)
	var before []byte
	for i := 0; i < 3; i++ {
		flag := cmtproto.BlockIDFlagCommit
		if i == 1 {
			flag = cmtproto.BlockIDFlagAbsent
		}
		h.finalize(&abci.RequestFinalizeBlock{DecidedLastCommit: abci.CommitInfo{Votes: []abci.VoteInfo{
			{Validator: abci.Validator{Address: a1, Power: 10}, BlockIdFlag: cmtproto.BlockIDFlagCommit},
			{Validator: abci.Validator{Address: a2, Power: 10}, BlockIdFlag: flag},
		}}})
		if i == 0 {
			before = h.store.LastCommit().Hash
		}
	}
	if !bytes.Equal(before, h.store.LastCommit().Hash) {
		t.Fatal("signing record changed the app hash")
	}
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathSigning})
	var l api.SigningList
	if err := json.Unmarshal(q.Value, &l); err != nil || len(l.Signing) != 2 {
		t.Fatalf("signing %s %v", q.Value, err)
	}
	if s := l.Signing[1]; s.Signed != 2 || s.Missed != 1 || s.Window != 3 || l.Signing[0].Missed != 0 {
		t.Fatalf("records %+v", l.Signing)
	}
	if q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathSigning, Prove: true}); q.Code != api.CodeBadQuery {
		t.Fatalf("proven /signing: %d", q.Code)
	}
}

func eventID(ev []byte) string {
	p, err := epcis.Parse(ev)
	if err != nil {
		panic(err)
	}
	return p.ID
}
