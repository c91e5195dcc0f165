package client

import (
	"bytes"
	"fmt"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/poaledger/poaledger/app/api"
)

// provenKV is one key a response must prove: present with Value, or absent when
// Value is nil.
type provenKV struct {
	Key   []byte
	Value []byte
}

// decodeOps checks the shape of ops against what the client expects, before any root
// is known: one op per expected key, in order, each of type api.ProofOpType, whose
// Key is the expected key and whose Data decodes as an ICS23 commitment proof. It
// returns the decoded proofs.
func decodeOps(ops *cmtcrypto.ProofOps, expect []provenKV) ([]*ics23.CommitmentProof, error) {
	if ops == nil {
		if len(expect) == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("response carries no proof")
	}
	if len(ops.Ops) != len(expect) {
		return nil, fmt.Errorf("response carries %d proof ops, expected %d", len(ops.Ops), len(expect))
	}
	proofs := make([]*ics23.CommitmentProof, len(expect))
	for i, op := range ops.Ops {
		if op.Type != api.ProofOpType {
			return nil, fmt.Errorf("proof op %d has type %q, expected %q", i, op.Type, api.ProofOpType)
		}
		if !bytes.Equal(op.Key, expect[i].Key) {
			return nil, fmt.Errorf("proof op %d is for key %X, expected key %X", i, op.Key, expect[i].Key)
		}
		p := new(ics23.CommitmentProof)
		if err := p.Unmarshal(op.Data); err != nil {
			return nil, fmt.Errorf("proof op %d (key %X) is not an ICS23 commitment proof: %v", i, op.Key, err)
		}
		proofs[i] = p
	}
	return proofs, nil
}

// checkProofs verifies each proof (existence of key=value, or non-existence of key
// when value is nil) against root, the app hash of a header.
func checkProofs(proofs []*ics23.CommitmentProof, expect []provenKV, root []byte) error {
	if len(proofs) != len(expect) {
		return fmt.Errorf("%d proofs for %d keys", len(proofs), len(expect))
	}
	for i, p := range proofs {
		if err := api.VerifyProof(p, root, expect[i].Key, expect[i].Value); err != nil {
			what := "existence"
			if expect[i].Value == nil {
				what = "non-existence"
			}
			return fmt.Errorf("%s proof of key %X: %w", what, expect[i].Key, err)
		}
	}
	return nil
}

// proofsRoot checks everything about the proofs that does not depend on a header:
// each proves its expected key (and value, or absence) under the root it computes,
// and all compute the same root, which it returns. The caller then compares that
// root with a light-verified app hash (and re-runs checkProofs against it).
func proofsRoot(proofs []*ics23.CommitmentProof, expect []provenKV) ([]byte, error) {
	var root []byte
	for i, p := range proofs {
		r, err := ics23.Decompress(p).Calculate()
		if err != nil {
			return nil, fmt.Errorf("proof of key %X: cannot compute its root: %v", expect[i].Key, err)
		}
		if err := checkProofs(proofs[i:i+1], expect[i:i+1], r); err != nil {
			return nil, err
		}
		if root == nil {
			root = r
		} else if !bytes.Equal(root, r) {
			return nil, fmt.Errorf("proofs of keys %X and %X are against different roots", expect[0].Key, expect[i].Key)
		}
	}
	return root, nil
}

// checkGaps checks, for a list page whose ops hold nItems existence proofs then
// one non-existence proof per gap, that each gap proof shows the neighbours the
// gap names (api.CheckPageGapNeighbours). That the proofs verify under the
// light-verified app hash is checked with the other proofs (checkProofs).
func checkGaps(ops *cmtcrypto.ProofOps, nItems int, gaps []api.PageGap, nExtra int) error {
	var have []cmtcrypto.ProofOp
	if ops != nil {
		have = ops.Ops
	}
	if len(have) != nItems+len(gaps)+nExtra {
		return fmt.Errorf("the page carries %d proofs, expected %d (%d items, %d gaps, %d records): its completeness is not proven",
			len(have), nItems+len(gaps)+nExtra, nItems, len(gaps), nExtra)
	}
	for j, g := range gaps {
		op := have[nItems+j]
		if !bytes.Equal(op.Key, g.Key) {
			return fmt.Errorf("proof op %d is for key %X, expected gap key %X", nItems+j, op.Key, g.Key)
		}
		p := new(ics23.CommitmentProof)
		if err := p.Unmarshal(op.Data); err != nil {
			return fmt.Errorf("proof of gap %X is not an ICS23 commitment proof: %v", g.Key, err)
		}
		if err := api.CheckPageGapNeighbours(p, g); err != nil {
			return fmt.Errorf("the page is not proven complete: gap %X: %w", g.Key, err)
		}
	}
	return nil
}
