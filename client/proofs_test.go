package client

import (
	"bytes"
	"strings"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/ledger"
)

// provingStore is a real ledger store with a few app keys committed at version 1
// and one more key at version 2.
type provingStore struct {
	s            *ledger.Store
	root1, root2 []byte
}

func newProvingStore(t *testing.T) *provingStore {
	t.Helper()
	opts := ledger.DefaultOptions()
	opts.InMemory = true
	s, err := ledger.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	idKey, logKey := api.EventQueryKeys("ev1", 7)
	for k, v := range map[string]string{
		string(idKey):                   string(api.EncodeUint64(7)),
		string(logKey):                  `{"id":"ev1","seq":7}`,
		string(paramLikeKey("a_param")): "5",
		string(paramLikeKey("b_param")): "9",
	} {
		if err := s.Set([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	r1, _, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("\x09late"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	r2, _, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return &provingStore{s: s, root1: r1, root2: r2}
}

func (p *provingStore) op(t *testing.T, key []byte, version int64) cmtcrypto.ProofOp {
	t.Helper()
	pr, _, err := p.s.Prove(key, version)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return cmtcrypto.ProofOp{Type: api.ProofOpType, Key: key, Data: data}
}

// verifyOps runs the client's whole proof pipeline against root.
func verifyOps(ops *cmtcrypto.ProofOps, expect []provenKV, root []byte) error {
	proofs, err := decodeOps(ops, expect)
	if err != nil {
		return err
	}
	r, err := proofsRoot(proofs, expect)
	if err != nil {
		return err
	}
	if len(proofs) > 0 && !bytes.Equal(r, root) {
		return errRootMismatch
	}
	return checkProofs(proofs, expect, root)
}

var errRootMismatch = &VerifyError{Reason: "root mismatch"}

func TestProofOps(t *testing.T) {
	p := newProvingStore(t)
	idKey, logKey := api.EventQueryKeys("ev1", 7)
	record := []byte(`{"id":"ev1","seq":7}`)
	missing, _ := api.EventQueryKeys("nope", 0)
	eventOps := &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{p.op(t, idKey, 1), p.op(t, logKey, 1)}}
	eventKVs := []provenKV{{idKey, api.EncodeUint64(7)}, {logKey, record}}

	if err := verifyOps(eventOps, eventKVs, p.root1); err != nil {
		t.Fatalf("event proof: %v", err)
	}
	if err := verifyOps(&cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{p.op(t, missing, 1)}},
		[]provenKV{{Key: missing}}, p.root1); err != nil {
		t.Fatalf("absence proof: %v", err)
	}
	params := &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{p.op(t, paramLikeKey("a_param"), 2), p.op(t, paramLikeKey("b_param"), 2)}}
	paramKVs := []provenKV{{paramLikeKey("a_param"), []byte("5")}, {paramLikeKey("b_param"), []byte("9")}}
	if err := verifyOps(params, paramKVs, p.root2); err != nil {
		t.Fatalf("params at v2: %v", err)
	}

	clone := func(ops *cmtcrypto.ProofOps) *cmtcrypto.ProofOps {
		out := &cmtcrypto.ProofOps{}
		for _, o := range ops.Ops {
			o.Key, o.Data = bytes.Clone(o.Key), bytes.Clone(o.Data)
			out.Ops = append(out.Ops, o)
		}
		return out
	}
	bad := []struct {
		name   string
		ops    *cmtcrypto.ProofOps
		expect []provenKV
		root   []byte
		want   string
	}{
		{"altered value", eventOps, []provenKV{eventKVs[0], {logKey, []byte(`{"id":"ev1","seq":8}`)}}, p.root1, "differs from the value"},
		{"wrong seq", eventOps, []provenKV{{idKey, api.EncodeUint64(8)}, eventKVs[1]}, p.root1, "differs from the value"},
		{"other root (header of another height)", eventOps, eventKVs, p.root2, "root mismatch"},
		{"no proof", nil, eventKVs, p.root1, "no proof"},
		{"one op missing", &cmtcrypto.ProofOps{Ops: eventOps.Ops[:1]}, eventKVs, p.root1, "1 proof ops, expected 2"},
		{"ops swapped", &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{eventOps.Ops[1], eventOps.Ops[0]}}, eventKVs, p.root1, "is for key"},
		{"proof of a different key", func() *cmtcrypto.ProofOps {
			o := clone(eventOps)
			o.Ops[0] = p.op(t, paramLikeKey("a_param"), 1)
			o.Ops[0].Key = idKey // claims to be for idKey
			return o
		}(), eventKVs, p.root1, "proof is for key"},
		{"absence claimed for a present key", &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{p.op(t, idKey, 1)}},
			[]provenKV{{Key: idKey}}, p.root1, "want a non-existence proof"},
		{"presence claimed for an absent key", &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{p.op(t, missing, 1)}},
			[]provenKV{{missing, []byte("x")}}, p.root1, "want an existence proof"},
		{"wrong op type", func() *cmtcrypto.ProofOps {
			o := clone(eventOps)
			o.Ops[1].Type = "iavl:v"
			return o
		}(), eventKVs, p.root1, "has type"},
		{"garbage data", func() *cmtcrypto.ProofOps {
			o := clone(eventOps)
			o.Ops[1].Data = []byte{0xff, 0xff, 0xff}
			return o
		}(), eventKVs, p.root1, "not an ICS23"},
		{"flipped proof byte", func() *cmtcrypto.ProofOps {
			o := clone(eventOps)
			d := o.Ops[1].Data
			d[len(d)-3] ^= 0x01
			return o
		}(), eventKVs, p.root1, ""},
		{"proofs from different versions", &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{p.op(t, paramLikeKey("a_param"), 1), p.op(t, paramLikeKey("b_param"), 2)}},
			paramKVs, p.root2, "different roots"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyOps(tc.ops, tc.expect, tc.root)
			if err == nil {
				t.Fatal("verified, want failure")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	e := &TxError{Code: api.CodeBadNonce, Codespace: api.Codespace, Log: "signer X nonce 3, expected 2", Hash: "AB"}
	if got, want := e.Error(), "tx refused: bad_nonce (code 7, codespace poaledger): signer X nonce 3, expected 2"; got != want {
		t.Fatalf("TxError: %q, want %q", got, want)
	}
	qe := &QueryError{Code: api.CodeNotFound, Codespace: api.Codespace, Path: "/member/AA"}
	if !IsNotFound(qe) || IsNotFound(&QueryError{Code: api.CodeBadQuery, Codespace: api.Codespace}) || IsNotFound(nil) {
		t.Fatal("IsNotFound")
	}
	ve := verifyErr(12, errRootMismatch, "proof does not verify against app hash of header %d", 13)
	if !strings.Contains(ve.Error(), "header 13") {
		t.Fatal(ve.Error())
	}
}

// paramLikeKey is an arbitrary key under the params prefix, for multi-proof tests.
func paramLikeKey(name string) []byte { return append([]byte{api.PrefixParams}, name...) }
