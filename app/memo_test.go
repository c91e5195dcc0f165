package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
)

// The read memo never changes an answer: a tx checked OK, whose event another
// signer then records, is a duplicate at its recheck and in a later block, and
// in the same block after the other tx.
func TestMemoSeesWhatBlocksWrote(t *testing.T) {
	h := newHarness(t, "")
	h.block()
	// Recheck after a block recorded the same event.
	mine := h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}})
	if r := h.check(mine); r.Code != api.CodeOK {
		t.Fatal(r.Log)
	}
	if res := h.block(h.sign(admin, &tx.RecordEvents{Events: [][]byte{event(1)}})); res[0].Code != api.CodeOK {
		t.Fatal(res[0].Log)
	}
	r, err := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: mine, Type: abci.CheckTxType_Recheck})
	if err != nil || r.Code != api.CodeDuplicate {
		t.Fatalf("recheck after the event was recorded: %+v %v, want duplicate", r, err)
	}
	// In one block: the other signer's tx first, then the checked one.
	mine = h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(2)}})
	if r := h.check(mine); r.Code != api.CodeOK {
		t.Fatal(r.Log)
	}
	res := h.block(h.sign(admin, &tx.RecordEvents{Events: [][]byte{event(2)}}), mine)
	if res[0].Code != api.CodeOK || res[1].Code != api.CodeDuplicate {
		t.Fatalf("codes %d %d, want ok duplicate (%s)", res[0].Code, res[1].Code, res[1].Log)
	}
	// A signer revoked by a block: its checked tx is refused at recheck.
	mine = h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(3)}})
	if r := h.check(mine); r.Code != api.CodeOK {
		t.Fatal(r.Log)
	}
	h.govern(&tx.RevokeMember{Address: tx.Address(pubOf(recorder))}, consensus.StatusPassed)
	r, _ = h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: mine, Type: abci.CheckTxType_Recheck})
	if r.Code != api.CodeRevokedSigner {
		t.Fatalf("recheck after revocation: %d %s, want revoked_signer", r.Code, r.Log)
	}
	if res := h.block(mine); res[0].Code != api.CodeRevokedSigner {
		t.Fatalf("block after revocation: %d %s", res[0].Code, res[0].Log)
	}
}

// Random traffic with duplicates across signers, out-of-order nonces and
// rechecks gives the same codes and app hashes on a node with the memo (on
// Badger) as on one reading everything from the tree (in memory, no memo).
func TestMemoChangesNoAnswer(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			on, off := newHarness(t, t.TempDir()), newHarness(t, "")
			off.app.memo.off = true
			rng := rand.New(rand.NewPCG(seed, 7))
			signers := []struct {
				key   ed25519.PrivateKey
				nonce uint64
			}{{key: admin}, {key: recorder}}
			var pool [][]byte // the mempool: checked, waiting
			for height := 0; height < 30; height++ {
				for range rng.IntN(6) {
					s := &signers[rng.IntN(len(signers))]
					nonce := s.nonce
					if rng.IntN(8) == 0 && nonce > 0 {
						nonce-- // a stale nonce now and then
					} else {
						s.nonce++
					}
					raw := on.sign(s.key, &tx.RecordEvents{Events: [][]byte{event(rng.IntN(16))}}, func(b *tx.Body) { b.Nonce = nonce })
					a, b := on.check(raw), off.check(raw)
					if a.Code != b.Code {
						t.Fatalf("height %d: CheckTx %d with the memo, %d without (%s / %s)", height, a.Code, b.Code, a.Log, b.Log)
					}
					if a.Code == api.CodeOK {
						pool = append(pool, raw)
					}
				}
				n := rng.IntN(len(pool) + 1)
				block := pool[:n]
				ra, rb := on.block(block...), off.block(block...)
				for i := range ra {
					if ra[i].Code != rb[i].Code {
						t.Fatalf("height %d tx %d: FinalizeBlock %d with the memo, %d without (%s / %s)", height, i, ra[i].Code, rb[i].Code, ra[i].Log, rb[i].Log)
					}
				}
				if a, b := on.store.LastCommit(), off.store.LastCommit(); string(a.Hash) != string(b.Hash) {
					t.Fatalf("height %d: app hash %X with the memo, %X without", height, a.Hash, b.Hash)
				}
				var left [][]byte
				for _, raw := range pool[n:] { // the mempool's recheck
					a, _ := on.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_Recheck})
					b, _ := off.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_Recheck})
					if a.Code != b.Code {
						t.Fatalf("height %d: recheck %d with the memo, %d without (%s / %s)", height, a.Code, b.Code, a.Log, b.Log)
					}
					if a.Code == api.CodeOK {
						left = append(left, raw)
					}
				}
				pool = left
			}
		})
	}
}
