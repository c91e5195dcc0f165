package client

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	cmtmath "github.com/cometbft/cometbft/libs/math"
	cmttypes "github.com/cometbft/cometbft/types"
)

// The two header checks of the CometBFT light client (its light package's
// VerifyAdjacent and VerifyNonAdjacent), implemented here on the types package
// alone: the light package's providers and store import the node's p2p and
// metrics packages, which a client has no use for. The rules are the same:
//
//   - the trusted header must still be within the trusting period;
//   - the new header must be well formed for the trusted chain id (its commit
//     for this very header), above the trusted height, later than the trusted
//     time and not further in the future than the allowed clock drift;
//   - the validator set supplied for the new header must be the one its header
//     names;
//   - adjacent (trusted height + 1): the new header's validators must be the
//     ones the trusted header named as next, and more than 2/3 of their power
//     must have signed the new header;
//   - non-adjacent: validators holding more than trustLevel of the trusted
//     set's power must have signed the new header (else errTooLittleTrust and
//     the caller bisects), and more than 2/3 of the new set's power too.

// trustLevel is the share of the trusted validator set's power that must have
// signed a non-adjacent header: more than 1/3 guarantees one honest signer when
// fewer than 1/3 of that set is faulty (CometBFT's light.DefaultTrustLevel).
var trustLevel = cmtmath.Fraction{Numerator: 1, Denominator: 3}

// errTooLittleTrust says that too little of the trusted validator set signed a
// non-adjacent header for it to be verified in one step; the header may still
// be reachable through intermediate headers (CometBFT's
// light.ErrNewValSetCantBeTrusted).
type errTooLittleTrust struct {
	cause cmttypes.ErrNotEnoughVotingPowerSigned
}

func (e errTooLittleTrust) Error() string {
	return fmt.Sprintf("validators trusted at the last verified header signed too little of the new header (%v)", e.cause)
}

func (e errTooLittleTrust) Unwrap() error { return e.cause }

// trustExpired reports whether a header of time t can no longer be trusted at now.
func trustExpired(t time.Time, trustingPeriod time.Duration, now time.Time) bool {
	return !now.Before(t.Add(trustingPeriod))
}

// verifyAdjacent verifies untrusted, at the height right after trusted, signed by
// untrustedVals.
func verifyAdjacent(trusted, untrusted *cmttypes.SignedHeader, untrustedVals *cmttypes.ValidatorSet,
	trustingPeriod time.Duration, now time.Time, maxClockDrift time.Duration,
) error {
	if untrusted.Header != nil && untrusted.Height != trusted.Height+1 {
		return fmt.Errorf("header %d does not follow trusted header %d", untrusted.Height, trusted.Height)
	}
	if err := checkStep(trusted, untrusted, untrustedVals, trustingPeriod, now, maxClockDrift); err != nil {
		return err
	}
	if !bytes.Equal(untrusted.ValidatorsHash, trusted.NextValidatorsHash) {
		return fmt.Errorf("header %d names validators %X, trusted header %d named %X as the next ones",
			untrusted.Height, untrusted.ValidatorsHash, trusted.Height, trusted.NextValidatorsHash)
	}
	if err := untrustedVals.VerifyCommitLight(trusted.ChainID, untrusted.Commit.BlockID, untrusted.Height, untrusted.Commit); err != nil {
		return fmt.Errorf("commit of header %d: %w", untrusted.Height, err)
	}
	return nil
}

// verifyNonAdjacent verifies untrusted, more than one height above trusted, signed
// by untrustedVals, trusting trustedVals (the validators of trusted). When too
// little of trustedVals signed, the error is an errTooLittleTrust.
func verifyNonAdjacent(trusted *cmttypes.SignedHeader, trustedVals *cmttypes.ValidatorSet,
	untrusted *cmttypes.SignedHeader, untrustedVals *cmttypes.ValidatorSet,
	trustingPeriod time.Duration, now time.Time, maxClockDrift time.Duration,
) error {
	if untrusted.Header != nil && untrusted.Height == trusted.Height+1 {
		return fmt.Errorf("header %d is adjacent to trusted header %d", untrusted.Height, trusted.Height)
	}
	if trustedVals == nil {
		return errors.New("no trusted validator set")
	}
	if err := checkStep(trusted, untrusted, untrustedVals, trustingPeriod, now, maxClockDrift); err != nil {
		return err
	}
	// Signatures of trusted validators first: the new set is the node's word
	// (and could be made huge to make the next check expensive).
	if err := trustedVals.VerifyCommitLightTrusting(trusted.ChainID, untrusted.Commit, trustLevel); err != nil {
		var short cmttypes.ErrNotEnoughVotingPowerSigned
		if errors.As(err, &short) {
			return errTooLittleTrust{cause: short}
		}
		return fmt.Errorf("commit of header %d checked against trusted validators: %w", untrusted.Height, err)
	}
	if err := untrustedVals.VerifyCommitLight(trusted.ChainID, untrusted.Commit.BlockID, untrusted.Height, untrusted.Commit); err != nil {
		return fmt.Errorf("commit of header %d: %w", untrusted.Height, err)
	}
	return nil
}

// checkStep holds the checks common to both steps: trusted is still trusted and
// untrusted is a well-formed, later header of the same chain whose validator set
// is untrustedVals.
func checkStep(trusted, untrusted *cmttypes.SignedHeader, untrustedVals *cmttypes.ValidatorSet,
	trustingPeriod time.Duration, now time.Time, maxClockDrift time.Duration,
) error {
	if trustExpired(trusted.Time, trustingPeriod, now) {
		return fmt.Errorf("trusted header %d (time %v) expired at %v, trusting period %v",
			trusted.Height, trusted.Time, trusted.Time.Add(trustingPeriod), trustingPeriod)
	}
	if err := untrusted.ValidateBasic(trusted.ChainID); err != nil {
		return fmt.Errorf("invalid header: %w", err)
	}
	if untrusted.Height <= trusted.Height {
		return fmt.Errorf("header height %d is not above trusted height %d", untrusted.Height, trusted.Height)
	}
	if !untrusted.Time.After(trusted.Time) {
		return fmt.Errorf("header %d time %v is not after trusted header %d time %v",
			untrusted.Height, untrusted.Time, trusted.Height, trusted.Time)
	}
	if !untrusted.Time.Before(now.Add(maxClockDrift)) {
		return fmt.Errorf("header %d time %v is in the future (now %v, max clock drift %v)",
			untrusted.Height, untrusted.Time, now, maxClockDrift)
	}
	if untrustedVals == nil {
		return fmt.Errorf("no validator set for header %d", untrusted.Height)
	}
	if vh := untrustedVals.Hash(); !bytes.Equal(untrusted.ValidatorsHash, vh) {
		return fmt.Errorf("header %d names validators %X, the validator set supplied for it is %X",
			untrusted.Height, untrusted.ValidatorsHash, vh)
	}
	return nil
}
