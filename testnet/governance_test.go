package testnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/poaledger/poaledger/app/api"
)

// Governance scenario parameters.
const (
	joinerPower  = 5  // 4 validators of 10: a change under a third of 40 is at most 13
	signWindow   = 10 // commits counted after the new validator enters the set
	removedCheck = 5  // commits checked to lack the removed validator
)

// TestGovernanceByVote (issue 12) runs governance end to end on real processes,
// every change through the CLI binary and a 3-of-4 vote of the validators'
// authority keys (node0 proposes, node1 and node2 vote from their own homes):
//
//  1. a newcomer made with `poaledger init --genesis` (its node ID and validator
//     key unknown to genesis) gets its operator's key admitted as a member
//     (add-member), its node admitted (admit-node --role validator), syncs, and
//     is added as a validator with power 5 (add-validator): absent from the
//     validator set of height H+1, present from H+2 (H the deciding block), its
//     precommit in later commits, and `query signing` on node1 counts it;
//  2. node3 is removed by vote (remove-validator): in the set of H+1, out of it
//     from H+2, and no commit from H+2 on carries its signature, while the chain
//     goes on (and node3 follows it as a full node);
//  3. set-power of a validator to 100 (a change of 90 against a total of 35) is
//     refused at submission, invalid_message naming the one-third rule, and opens
//     no proposal;
//  4. the recorder key records, is revoked by vote (revoke-member), and its next
//     `tx record` is refused with revoked_signer.
func TestGovernanceByVote(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test; skipped with -short")
	}
	ctx := context.Background()
	start := time.Now()
	g := startGovNet(t, "governance", "joiner")
	j := g.join
	extraHome := g.m.HomePath(g.extra)

	// 1. The newcomer joins: member key, node admission, sync, validator.
	var op struct {
		Address string `json:"address"`
		PubKey  string `json:"pubkey"`
	}
	out := mustPoaledger(t, "keys", "add", "operator", "--unencrypted", "--home", extraHome, "-o", "json")
	if err := json.Unmarshal([]byte(out), &op); err != nil || op.Address == "" {
		t.Fatalf("keys add: %v\n%s", err, out)
	}
	_, memberAt := g.vote3of4(t, "add-member", op.PubKey, "--roles", "recorder", "--name", "joiner-operator", "--org", "Newcomer Ltd")
	_, admittedAt := g.vote3of4(t, "admit-node", j.NodeID, "--role", "validator", "--operator", op.Address)
	g.startExtra(t)
	syncStart := time.Now()
	target := maxHeight(ctx, g.validators())
	if err := waitHeight(ctx, []*rpcNode{g.nodes[g.extra]}, target, liveness); err != nil {
		t.Fatalf("the admitted newcomer did not sync: %v", err)
	}
	syncTook := time.Since(syncStart)
	_, addAt := g.vote3of4(t, "add-validator", j.ValidatorPubKey, "--power", fmt.Sprint(joinerPower), "--name", "joiner", "--operator", op.Address)
	inSet := addAt + 2 // ValidatorUpdates of block H apply from H+2
	g.waitNode(t, 0, inSet)
	lctx, cancel := context.WithTimeout(ctx, liveness) // bounds this step's reads
	defer cancel()
	if set, err := validatorSet(lctx, g.nodes[0], inSet-1); err != nil || set[j.ValidatorAddress] != 0 || len(set) != govValidators {
		t.Fatalf("validator set of height %d: %v (%v), want the 4 genesis validators", inSet-1, set, err)
	}
	set, err := validatorSet(lctx, g.nodes[0], inSet)
	if err != nil || set[j.ValidatorAddress] != joinerPower || len(set) != govValidators+1 {
		t.Fatalf("validator set of height %d: %v (%v), want the newcomer %s with power %d too", inSet, set, err, j.ValidatorAddress, joinerPower)
	}
	firstSigned, signed := int64(0), 0
	for h := inSet; firstSigned == 0 || h < inSet+signWindow; h++ {
		g.waitNode(t, 0, h+1) // the commit of h is in block h+1
		signers, err := commitSigners(lctx, g.nodes[0], h)
		if err != nil {
			t.Fatalf("no commit signed by the newcomer from height %d on: %v", inSet, err)
		}
		if signers[j.ValidatorAddress] {
			if firstSigned == 0 {
				firstSigned = h
			}
			if h < inSet+signWindow {
				signed++
			}
		}
	}
	var rec struct {
		Signing []api.Signing `json:"signing"`
	}
	var seen api.Signing
	if err := pollUntil(ctx, liveness, func() bool {
		out, _, err := runPoaledger("query", "signing", "--node", g.m.Nodes[1].RPC, "-o", "json")
		if err != nil || json.Unmarshal([]byte(out), &rec) != nil {
			return false
		}
		for _, s := range rec.Signing {
			if s.Address == j.ValidatorAddress {
				seen = s
			}
		}
		return seen.Signed > 0 && seen.Power == joinerPower
	}); err != nil {
		t.Fatalf("query signing on node1 never shows the newcomer %s signing: %+v", j.ValidatorAddress, rec.Signing)
	}

	// 2. Remove node3 by vote: out of the set from H+2, absent from the commits.
	const removed = 3
	_, removeAt := g.vote3of4(t, "remove-validator", g.valPub[removed])
	outFrom := removeAt + 2
	remaining := append(g.validators(removed), g.nodes[g.extra])
	if err := waitHeight(ctx, remaining, outFrom+removedCheck, liveness); err != nil {
		t.Fatalf("the chain did not go on after removing node%d: %v", removed, err)
	}
	lctx, cancel = context.WithTimeout(ctx, liveness) // bounds this step's reads
	defer cancel()
	if set, err := validatorSet(lctx, g.nodes[0], outFrom-1); err != nil || set[g.valAdr[removed]] == 0 {
		t.Fatalf("validator set of height %d: %v (%v), want node%d still in it", outFrom-1, set, err, removed)
	}
	setAfter, err := validatorSet(lctx, g.nodes[0], outFrom)
	if err != nil || setAfter[g.valAdr[removed]] != 0 || len(setAfter) != govValidators {
		t.Fatalf("validator set of height %d: %v (%v), want node%d out of it", outFrom, setAfter, err, removed)
	}
	var total int64
	for _, p := range setAfter {
		total += p
	}
	for h := outFrom; h < outFrom+removedCheck; h++ {
		signers, err := commitSigners(lctx, g.nodes[0], h)
		if err != nil {
			t.Fatal(err)
		}
		if signers[g.valAdr[removed]] {
			t.Fatalf("the commit of height %d carries removed node%d's signature", h, removed)
		}
		if len(signers) == 0 {
			t.Fatalf("the commit of height %d has no signature", h)
		}
	}
	if err := waitHeight(ctx, []*rpcNode{g.nodes[removed]}, outFrom+removedCheck, liveness); err != nil {
		t.Fatalf("removed node%d stopped following the chain: %v", removed, err)
	}

	// 3. A change of a third or more of the power is refused at submission.
	proposalsBefore := g.countProposals(t)
	_, errOut, err := g.asAuthority(0, "tx", "propose", "set-power", g.valPub[0], "100")
	if err == nil {
		t.Fatal("set-power 100 was accepted")
	}
	for _, want := range []string{"invalid_message", "code 8", "voting power change too large for one block",
		fmt.Sprintf("90 of total %d", total), "third"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("set-power 100 refused without %q: %s", want, errOut)
		}
	}
	if n := g.countProposals(t); n != proposalsBefore {
		t.Errorf("the refused set-power opened a proposal: %d proposals, %d before", n, proposalsBefore)
	}
	refusal := "invalid_message"

	// 4. Revoke the recorder: its next record is refused.
	recorder, _ := g.m.Recorder()
	if res, errOut, err := g.record(examplePath(t, "01-commission.json")); err != nil || res.Code != 0 {
		t.Fatalf("recorder before revocation: %v %+v %s", err, res, errOut)
	}
	_, revokedAt := g.vote3of4(t, "revoke-member", recorder.Address)
	g.waitNode(t, 0, revokedAt)
	_, errOut, err = g.record(examplePath(t, "02-pack.json"))
	var exit *exec.ExitError
	if err == nil || !errors.As(err, &exit) {
		t.Fatalf("the revoked recorder's record was not refused: %v", err)
	}
	for _, want := range []string{"revoked_signer", "code 5"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the revoked recorder's record refused without %q: %s", want, errOut)
		}
	}

	g.noUnexpectedExits(t)
	report(t, "scenario=governance heights=[%s] member_added=%d node_admitted=%d joiner_synced_to=%d in=%s add_validator_decided=%d "+
		"joiner_in_set_from=%d (power %d of %d) joiner_first_signed_commit=%d joiner_signed=%d/%d node1_signing_record=signed:%d,missed:%d "+
		"remove_node%d_decided=%d out_of_set_from=%d commits_without_it=%d..%d set_power_100=refused(%s) recorder_revoked=%d "+
		"record_after_revocation=revoked_signer took=%s",
		heightsString(ctx, g.nodes), memberAt, admittedAt, target, syncTook.Round(time.Millisecond), addAt,
		inSet, joinerPower, 4*ValidatorPower+joinerPower, firstSigned, signed, signWindow, seen.Signed, seen.Missed,
		removed, removeAt, outFrom, outFrom, outFrom+removedCheck-1, refusal, revokedAt, time.Since(start).Round(time.Second))
}

// countProposals is how many proposals node0's ledger holds.
func (g *govNet) countProposals(t *testing.T) int {
	t.Helper()
	var res struct {
		Proposals []api.Proposal `json:"proposals"`
	}
	out := mustPoaledger(t, "query", "proposals", "--home", g.m.HomePath(0), "--node", g.m.Nodes[0].RPC, "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("query proposals: %v\n%s", err, out)
	}
	return len(res.Proposals)
}
