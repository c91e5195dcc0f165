package testnet

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poaledger/poaledger/internal/testutil"
)

// Admission scenario parameters (issue 16).
const (
	outsiderWatch  = 30 * time.Second // the unadmitted node is watched at least this long...
	outsiderBlocks = 20               // ...and while the network commits at least this many blocks
	revokedBlocks  = 10               // blocks the network commits after the revocation, watched
)

// TestAdmissionOfOutsider (issue 16): a node made with `poaledger init --genesis`
// (same genesis, its node ID not admitted, not a validator), persistent peers
// pointing at the 4 validators, is refused by every validator's peer filter:
//
//  1. unadmitted, over at least 30 s while the network commits >= 20 blocks and
//     the six txs of the example supply chain, it stays at height 0 with an empty
//     mempool, and no validator lists it as a peer;
//  2. admitted by a 3-of-4 vote (admit-node --role full, through the CLI), it
//     syncs to the network's height at admission and every validator lists it;
//  3. revoked by a 3-of-4 vote (revoke-node), decided in block R, it gets no block
//     above R+1 while the network commits 10 more, and no validator lists it.
//
// The report line gives the heights and connection counts of each phase.
func TestAdmissionOfOutsider(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test; skipped with -short")
	}
	ctx := context.Background()
	start := time.Now()
	g := startGovNet(t, "admission", "outsider")
	id := g.join.NodeID
	out := g.nodes[g.extra]
	vals := g.validators()
	g.startExtra(t)

	// 1. Not admitted: nothing reaches it, while the network commits blocks and
	// txs (the recorder records the example supply chain, one tx per document).
	files := make([]string, len(exampleFiles))
	for i, f := range exampleFiles {
		files[i] = examplePath(t, f)
	}
	var committed atomic.Int64
	recordErr := make(chan error, 1)
	go func() {
		for _, f := range files {
			res, _, err := g.record(f)
			if err == nil && res.Code != 0 {
				err = fmt.Errorf("%s: code %d: %s", f, res.Code, res.Log)
			}
			if err != nil {
				recordErr <- err
				return
			}
			committed.Add(1)
		}
		recordErr <- nil
	}()
	recordDone := false
	watchStart := time.Now()
	h0 := maxHeight(ctx, vals)
	var h1 int64
	var before peerCounts
	var lastErr error
	err := pollUntil(ctx, liveness+outsiderWatch, func() bool {
		h, _, err := out.height(ctx)
		if err != nil {
			lastErr = err
			return false
		}
		if h != 0 {
			t.Fatalf("the unadmitted node reached height %d after %s (network at %d)", h, time.Since(watchStart).Round(time.Millisecond), maxHeight(ctx, vals))
		}
		sctx, cancel := context.WithTimeout(ctx, testutil.AttemptTimeout)
		mp, err := out.rpc.NumUnconfirmedTxs(sctx)
		cancel()
		if err != nil {
			lastErr = err
			return false
		}
		if mp.Total != 0 {
			t.Fatalf("the unadmitted node's mempool holds %d txs", mp.Total)
		}
		if before, err = g.validatorPeers(ctx, id); err != nil {
			lastErr = err
			return false
		}
		if before.listed != 0 {
			t.Fatalf("a validator lists the unadmitted node as a peer: %s", before)
		}
		h1 = maxHeight(ctx, vals)
		if !recordDone {
			select {
			case err := <-recordErr:
				if err != nil {
					t.Fatalf("recording while the unadmitted node is watched: %v", err)
				}
				recordDone = true
			default:
			}
		}
		return time.Since(watchStart) >= outsiderWatch && h1-h0 >= outsiderBlocks && recordDone
	})
	if err != nil {
		t.Fatalf("watching the unadmitted node: %v (last error %v, %d of %d documents recorded)", err, lastErr, committed.Load(), len(files))
	}
	watched := time.Since(watchStart)
	acked := committed.Load()

	// 2. Admitted by vote: it syncs to the network's height at admission.
	operator := g.m.Keys[0].Address // node0's authority runs it
	_, admittedAt := g.vote3of4(t, "admit-node", id, "--role", "full", "--operator", operator)
	// It connects on its next redial: after a burst of refused handshakes
	// CometBFT often stops redialling its persistent peers and leaves it to the
	// peer exchange, which dials every 30 s, so this can take that long.
	target := maxHeight(ctx, vals)
	syncStart := time.Now()
	if err := waitHeight(ctx, []*rpcNode{out}, target, liveness); err != nil {
		t.Fatalf("the admitted node did not sync to %d: %v", target, err)
	}
	syncTook := time.Since(syncStart)
	synced, _, _ := out.height(ctx)
	var after peerCounts
	if err := pollUntil(ctx, liveness, func() bool {
		after, lastErr = g.validatorPeers(ctx, id)
		return lastErr == nil && after.listed == govValidators
	}); err != nil {
		t.Fatalf("not every validator connects to the admitted node: %s (%v)", after, lastErr)
	}
	outPeers, _, err := peersOf(ctx, out, "")
	if err != nil {
		t.Fatal(err)
	}

	// 3. Revoked by vote in block R: no block above R+1 reaches it. The bound: the
	// revocation is applied in R's FinalizeBlock and is in each validator's
	// committed state once it has committed R; from then its peer filter (asked
	// for every new connection, from committed state) refuses the node, and its
	// admission watcher (node.go) disconnects it on the new-block event of R.
	// Block R itself may reach the node: as a full node following consensus it
	// receives R's proposal and precommits while they are gossiped, before any
	// validator has committed R. R+1 may too: the event is delivered and handled
	// asynchronously after the commit, so a validator that has already moved on
	// (timeout_commit is 300 ms here) can gossip R+1's proposal and precommits on
	// the connection before it closes. R+2 would need a validator that is still
	// connected after committing R+1, i.e. one whose handling of R's event lags a
	// whole block, which the watcher does not allow for; so the bound is R+1.
	_, revokedAt := g.vote3of4(t, "revoke-node", id)
	bound := revokedAt + 1
	var outMax, hNet int64
	var revoked peerCounts
	err = pollUntil(ctx, liveness, func() bool {
		if h, _, err := out.height(ctx); err == nil {
			outMax = max(outMax, h)
		}
		if outMax > bound {
			t.Fatalf("the revoked node reached height %d, above %d (revoked in block %d)", outMax, bound, revokedAt)
		}
		hNet = maxHeight(ctx, vals)
		revoked, lastErr = g.validatorPeers(ctx, id)
		return lastErr == nil && revoked.listed == 0 && hNet >= revokedAt+revokedBlocks
	})
	if err != nil {
		t.Fatalf("after revocation at %d: network %d, revoked node %d, %s (%v)", revokedAt, hNet, outMax, revoked, lastErr)
	}
	if h, _, err := out.height(ctx); err != nil || h > bound {
		t.Fatalf("the revoked node is at %d (%v), bound %d", h, err, bound)
	} else {
		outMax = max(outMax, h)
	}
	if !g.c.Running(g.extra) {
		t.Fatal("the revoked node's process exited")
	}
	g.noUnexpectedExits(t)
	report(t, "scenario=admission outsider=%s before_admission: watched=%s network_heights=%d..%d (+%d) txs_committed=%d outsider_height=0 outsider_mempool=0 %s | "+
		"admitted=%d network_height=%d outsider_synced_to=%d in=%s %s outsider_peers=%d | "+
		"revoked=%d outsider_height_after=%d (bound %d) network_height=%d %s took=%s",
		id[:12], watched.Round(time.Millisecond), h0, h1, h1-h0, acked, before,
		admittedAt, target, synced, syncTook.Round(time.Millisecond), after, outPeers,
		revokedAt, outMax, bound, hNet, revoked, time.Since(start).Round(time.Second))
}
