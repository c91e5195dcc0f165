package testnet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/internal/testutil"
)

// The no-loss test's load: noLossSigners members each send noLossTxs txs in
// nonce order, as fast as their node answers, to one node each (signer s to
// node s mod 4), into mempools of noLossMempool txs, so every mempool fills
// and refuses many times over while CometBFT gossips the txs to the others in
// whatever order they arrive.
const (
	noLossSigners = 8
	noLossTxs     = 60
	noLossMempool = 40
)

// TestNoAcceptedTxLostUnderLoad is #13's first promise on real processes: a
// signer that sends its txs in nonce order, and sends a refused one again (the
// node said nothing was kept), has every tx CheckTx accepted committed, none
// refused in a block (bad_nonce or otherwise), and never resends an accepted
// one. Before CheckTx knew the mempool's bound, CometBFT answered "accepted"
// for txs it then dropped because the mempool filled meanwhile; their
// signers' later txs waited forever behind the gap.
func TestNoAcceptedTxLostUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test; skipped with -short")
	}
	signers := make([]ed25519.PrivateKey, noLossSigners)
	members := make([]app.GenesisMember, noLossSigners)
	for i := range signers {
		seed := sha256.Sum256(fmt.Appendf(nil, "poaledger/testnet/noloss/%d", i))
		signers[i] = ed25519.NewKeyFromSeed(seed[:])
		members[i] = app.GenesisMember{PubKey: signers[i].Public().(ed25519.PublicKey), Name: fmt.Sprintf("loader-%d", i),
			Roles: []string{consensus.RoleRecorder}}
	}
	tune := func(i int, c *cmtcfg.Config) {
		fastConsensus(i, c)
		c.Mempool.Size = noLossMempool
	}
	pc := startProcClusterWith(t, InitOptions{Validators: 4, ChainID: "noloss", Tune: tune}, members...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*liveness)
	defer cancel()
	h0 := maxHeight(ctx, pc.nodes)

	type sent struct {
		hash  []byte
		nonce uint64
	}
	var mu sync.Mutex
	var accepted []sent
	refusals := map[string]int{} // by reason: the code name, or CometBFT's RPC error
	var wg sync.WaitGroup
	errs := make(chan error, noLossSigners)
	for s := range noLossSigners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := pc.nodes[s%len(pc.nodes)]
			for nonce := uint64(0); nonce < noLossTxs; nonce++ {
				ev := fmt.Appendf(nil, `{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.noloss-%d-%d"]}`, s, nonce)
				_, raw, err := tx.Sign(signers[s], &tx.Body{ChainID: "noloss", Nonce: nonce, Msg: &tx.RecordEvents{Events: [][]byte{ev}}})
				if err != nil {
					errs <- err
					return
				}
				// Send until accepted; a refusal kept nothing, so the same bytes
				// go again once a block has made room.
				for {
					h, _, _ := node.height(ctx)
					res, err := node.rpc.BroadcastTxSync(ctx, raw)
					reason := ""
					switch {
					case err != nil && strings.Contains(err.Error(), "mempool is full"):
						reason = "rpc: mempool is full"
					case err != nil:
						errs <- fmt.Errorf("signer %d nonce %d: %w", s, nonce, err)
						return
					case res.Code == api.CodeOK:
					case res.Code == api.CodeMempoolFull || res.Code == api.CodeOverQuota:
						reason = api.CodeName(res.Code)
					default:
						errs <- fmt.Errorf("signer %d nonce %d refused: code %d %s", s, nonce, res.Code, res.Log)
						return
					}
					mu.Lock()
					if reason == "" {
						accepted = append(accepted, sent{hash: tx.Hash(raw), nonce: nonce})
					} else {
						refusals[reason]++
					}
					mu.Unlock()
					if reason == "" {
						break
					}
					if err := waitHeight(ctx, []*rpcNode{node}, h+1, liveness); err != nil {
						errs <- fmt.Errorf("signer %d: no block after a full mempool: %w", s, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The mempools filled: refused by CometBFT before the app (most of the
	// time) or by the app's bound (when a tx passed CometBFT's check while the
	// last room was being taken, the case CometBFT would have dropped).
	if full := refusals["mempool_full"] + refusals["rpc: mempool is full"]; full == 0 {
		t.Fatalf("no full-mempool refusal (refusals %v): the load never filled a mempool of %d", refusals, noLossMempool)
	}

	// Every accepted tx commits: each signer's committed nonce reaches
	// noLossTxs on every node (no gap left behind), then each accepted tx is
	// found in a block with code 0.
	err := pollUntil(ctx, liveness, func() bool {
		for _, n := range pc.nodes {
			for _, k := range signers {
				v, err := testutil.NextNonce(ctx, n.rpc, tx.AddressString(tx.Address(k.Public().(ed25519.PublicKey))))
				if err != nil || v < noLossTxs {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		t.Fatalf("accepted txs not all committed within %s (%d accepted): %v", liveness, len(accepted), err)
	}
	if len(accepted) != noLossSigners*noLossTxs {
		t.Fatalf("%d txs accepted, want %d (each once)", len(accepted), noLossSigners*noLossTxs)
	}
	for _, a := range accepted {
		r, err := pc.nodes[0].rpc.Tx(ctx, a.hash, false)
		if err != nil {
			t.Fatalf("accepted tx nonce %d (%X) not in a block: %v", a.nonce, a.hash, err)
		}
		if r.TxResult.Code != 0 {
			t.Fatalf("accepted tx nonce %d refused in block %d: code %d %s", a.nonce, r.Height, r.TxResult.Code, r.TxResult.Log)
		}
	}
	// No tx of any block was refused (no bad_nonce from out-of-order gossip).
	top := maxHeight(ctx, pc.nodes)
	refusedInBlocks := 0
	for h := h0; h <= top; h++ {
		hh := h
		res, err := pc.nodes[0].rpc.BlockResults(ctx, &hh)
		if err != nil {
			t.Fatalf("block_results %d: %v", h, err)
		}
		for _, r := range res.TxsResults {
			if r.Code != 0 {
				refusedInBlocks++
				t.Errorf("height %d: tx refused in its block: code %d %s", h, r.Code, r.Log)
			}
		}
	}
	report(t, "no_loss signers=%d txs=%d mempool=%d accepted=%d committed=%d refused_before_mempool=%v refused_in_blocks=%d heights=%d..%d",
		noLossSigners, noLossSigners*noLossTxs, noLossMempool, len(accepted), len(accepted), refusals, refusedInBlocks, h0, top)
}
