package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
)

// FuzzCheckTx: any bytes from the network get a result code, never a panic, and
// only a well-formed signed envelope can be accepted.
func FuzzCheckTx(f *testing.F) {
	h := newHarness(f, "")
	h.block()
	f.Add([]byte("a=b"))
	f.Add(h.sign(recorder, &tx.RecordEvents{Events: [][]byte{event(1)}}))
	f.Add(h.sign(admin, &tx.AddMember{PubKey: pubOf(stranger), Roles: []string{"recorder"}}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw})
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != api.CodeOK && (r.Codespace != api.Codespace || r.Log == "") {
			t.Fatalf("refusal without codespace/log: %+v", r)
		}
		if r.Code == api.CodeOK {
			if _, err := tx.DecodeEnvelope(raw); err != nil {
				t.Fatalf("accepted undecodable tx: %v", err)
			}
		}
	})
}

// FuzzQuery: any path and height give a response, never a panic.
func FuzzQuery(f *testing.F) {
	h := newHarness(f, "")
	h.block()
	for _, p := range []string{"/event/x", "/member/00", "/members?limit=1&cursor=01", "/nonce/", "/params", "/validators", "/misbehaviour", "/"} {
		f.Add(p, int64(0), true)
	}
	f.Fuzz(func(t *testing.T, path string, height int64, prove bool) {
		r, err := h.app.Query(context.Background(), &abci.RequestQuery{Path: path, Height: height, Prove: prove})
		if err != nil || r == nil {
			t.Fatalf("Query(%q) = %v, %v", path, r, err)
		}
	})
}
