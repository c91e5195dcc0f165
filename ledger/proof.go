package ledger

import (
	"bytes"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

// Prove returns an ICS23 proof for key at a committed version: an existence
// proof and the value when the key is present, a non-existence proof and a nil
// value when it is absent. Verify it with api.VerifyProof (package app/api) against the root hash of
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
