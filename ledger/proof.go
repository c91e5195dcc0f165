package ledger

import (
	"bytes"
	"errors"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

// ProofSpec returns the ICS23 spec of the ledger's proofs (IAVL).
func ProofSpec() *ics23.ProofSpec { return ics23.IavlSpec }

// Prove returns an ICS23 proof for key at a committed version: an existence
// proof and the value when the key is present, a non-existence proof and a nil
// value when it is absent. Verify it with VerifyProof against the root hash of
// that version (CommitInfo.Hash; for a CometBFT chain the app hash in header
// version+1). An empty version has no proofs (ErrNotFound).
func (s *Store) Prove(key []byte, version int64) (proof *ics23.CommitmentProof, value []byte, err error) {
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	err = s.view(func() error {
		t, err := s.immutable(version)
		if err != nil {
			return err
		}
		if t.Size() == 0 {
			return fmt.Errorf("%w: version %d is empty, nothing to prove against", ErrNotFound, version)
		}
		v, err := t.Get(key)
		if err != nil {
			return fmt.Errorf("ledger: prove get: %w", err)
		}
		if v == nil {
			if proof, err = t.GetNonMembershipProof(key); err != nil {
				return fmt.Errorf("ledger: non-existence proof: %w", err)
			}
			return nil
		}
		if err := checkRead(key, v); err != nil {
			return err
		}
		if proof, err = t.GetMembershipProof(key); err != nil {
			return fmt.Errorf("ledger: existence proof: %w", err)
		}
		value = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return proof, value, nil
}

// ErrProof is wrapped by every VerifyProof failure.
var ErrProof = errors.New("ledger: proof verification failed")

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
		return fmt.Errorf("%w: %w", ErrProof, ErrEmptyKey)
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
		if err := ne.Verify(ics23.IavlSpec, root, key); err != nil {
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
	if err := ex.Verify(ics23.IavlSpec, root, key, value); err != nil {
		return fmt.Errorf("%w: key %x under root %X: %w", ErrProof, key, root, err)
	}
	return nil
}
