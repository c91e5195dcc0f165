package api

import (
	"bytes"
	"errors"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

// ProofSpec returns the ICS23 spec of the node's proofs (one IAVL tree).
func ProofSpec() *ics23.ProofSpec { return ics23.IavlSpec }

// ErrProof is wrapped by every VerifyProof failure.
var ErrProof = errors.New("proof verification failed")

// VerifyProof checks proof against root for key: that key holds value when
// value is non-nil, that key is absent when value is nil. It returns nil on
// success and an error wrapping ErrProof saying what did not match otherwise.
func VerifyProof(proof *ics23.CommitmentProof, root, key, value []byte) error {
	if proof == nil {
		return fmt.Errorf("%w: nil proof", ErrProof)
	}
	if len(root) == 0 {
		return fmt.Errorf("%w: empty root", ErrProof)
	}
	if len(key) == 0 {
		return fmt.Errorf("%w: empty key", ErrProof)
	}
	proof = ics23.Decompress(proof)
	if value == nil {
		ne := proof.GetNonexist()
		if ne == nil {
			return fmt.Errorf("%w: want a non-existence proof for key %x, got %T", ErrProof, key, proof.GetProof())
		}
		if !bytes.Equal(ne.Key, key) {
			return fmt.Errorf("%w: non-existence proof is for key %x, not %x", ErrProof, ne.Key, key)
		}
		if err := ne.Verify(ProofSpec(), root, key); err != nil {
			return fmt.Errorf("%w: key %x absent under root %X: %w", ErrProof, key, root, err)
		}
		return nil
	}
	ex := proof.GetExist()
	if ex == nil {
		return fmt.Errorf("%w: want an existence proof for key %x, got %T", ErrProof, key, proof.GetProof())
	}
	if !bytes.Equal(ex.Key, key) {
		return fmt.Errorf("%w: existence proof is for key %x, not %x", ErrProof, ex.Key, key)
	}
	if !bytes.Equal(ex.Value, value) {
		return fmt.Errorf("%w: proof value for key %x differs from the value given", ErrProof, key)
	}
	if err := ex.Verify(ProofSpec(), root, key, value); err != nil {
		return fmt.Errorf("%w: key %x under root %X: %w", ErrProof, key, root, err)
	}
	return nil
}
