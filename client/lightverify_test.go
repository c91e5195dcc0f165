package client

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// lvKey is a validator key of the light-verification tests.
type lvKey struct {
	priv crypto.PrivKey
}

func (k lvKey) validator() *cmttypes.Validator {
	return cmttypes.NewValidator(k.priv.PubKey(), 10)
}

func lvKeys(n int) []lvKey {
	keys := make([]lvKey, n)
	for i := range keys {
		keys[i] = lvKey{priv: ed25519.GenPrivKey()}
	}
	return keys
}

// lvSet is the validator set of keys, each with power 10.
func lvSet(keys ...[]lvKey) *cmttypes.ValidatorSet {
	var vals []*cmttypes.Validator
	for _, ks := range keys {
		for _, k := range ks {
			vals = append(vals, k.validator())
		}
	}
	return cmttypes.NewValidatorSet(vals)
}

// lvHeader is a well-formed header of chainID at height and t, run by vals, naming next.
func lvHeader(chainID string, height int64, t time.Time, vals, next *cmttypes.ValidatorSet) *cmttypes.Header {
	return &cmttypes.Header{
		Version:            cmtversion.Consensus{Block: version.BlockProtocol},
		ChainID:            chainID,
		Height:             height,
		Time:               t,
		LastBlockID:        cmttypes.BlockID{Hash: tmhash.Sum([]byte(fmt.Sprint("block", height-1))), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts"))}},
		ValidatorsHash:     vals.Hash(),
		NextValidatorsHash: next.Hash(),
		ConsensusHash:      tmhash.Sum([]byte("params")),
		AppHash:            tmhash.Sum([]byte(fmt.Sprint("app", height))),
		ProposerAddress:    vals.Validators[0].Address,
	}
}

// lvCommit is a commit for h, in the order of vals, signed over chainID by those
// of vals whose key is in signers (the others absent).
func lvCommit(t *testing.T, chainID string, h *cmttypes.Header, vals *cmttypes.ValidatorSet, signers ...[]lvKey) *cmttypes.Commit {
	t.Helper()
	bid := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte(fmt.Sprint("parts", h.Height)))}}
	byAddr := map[string]crypto.PrivKey{}
	for _, ks := range signers {
		for _, k := range ks {
			byAddr[string(k.priv.PubKey().Address())] = k.priv
		}
	}
	sigs := make([]cmttypes.CommitSig, len(vals.Validators))
	for i, v := range vals.Validators {
		priv, ok := byAddr[string(v.Address)]
		if !ok {
			sigs[i] = cmttypes.NewCommitSigAbsent()
			continue
		}
		vote := &cmttypes.Vote{
			Type:             cmtproto.PrecommitType,
			Height:           h.Height,
			BlockID:          bid,
			Timestamp:        h.Time.Add(time.Second),
			ValidatorAddress: v.Address,
			ValidatorIndex:   int32(i),
		}
		sig, err := priv.Sign(cmttypes.VoteSignBytes(chainID, vote.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		vote.Signature = sig
		sigs[i] = vote.CommitSig()
	}
	return &cmttypes.Commit{Height: h.Height, BlockID: bid, Signatures: sigs}
}

// lvInput is one verification: untrusted (and untrustedVals) from trusted.
type lvInput struct {
	trusted       *cmttypes.SignedHeader
	trustedVals   *cmttypes.ValidatorSet
	untrusted     *cmttypes.SignedHeader
	untrustedVals *cmttypes.ValidatorSet
	now           time.Time
}

func TestLightVerifyRules(t *testing.T) {
	const chainID = "lv-chain"
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	a := lvKeys(4) // the trusted validators
	x := lvKeys(4) // strangers
	setA := lvSet(a)

	trustedAt := func(tt time.Time) *cmttypes.SignedHeader {
		h := lvHeader(chainID, 10, tt, setA, setA)
		return &cmttypes.SignedHeader{Header: h, Commit: lvCommit(t, chainID, h, setA, a)}
	}
	trusted := trustedAt(now.Add(-time.Hour))
	tTime := trusted.Time

	// signed builds an input for a header at height and time tm run by vals (naming
	// next), signed over signChainID by signers, checked against checkVals.
	type spec struct {
		chainID, signChainID string
		height               int64
		time                 time.Time
		vals, next           *cmttypes.ValidatorSet
		signers              [][]lvKey
		signVals             *cmttypes.ValidatorSet // order of the commit (default vals)
		checkVals            *cmttypes.ValidatorSet // set supplied for the header (default vals)
		trusted              *cmttypes.SignedHeader // default trusted
		now                  time.Time              // default now
	}
	build := func(s spec) lvInput {
		if s.chainID == "" {
			s.chainID = chainID
		}
		if s.signChainID == "" {
			s.signChainID = chainID
		}
		if s.vals == nil {
			s.vals = setA
		}
		if s.next == nil {
			s.next = s.vals
		}
		if s.signers == nil {
			s.signers = [][]lvKey{a}
		}
		if s.signVals == nil {
			s.signVals = s.vals
		}
		if s.checkVals == nil {
			s.checkVals = s.vals
		}
		if s.trusted == nil {
			s.trusted = trusted
		}
		if s.now.IsZero() {
			s.now = now
		}
		h := lvHeader(s.chainID, s.height, s.time, s.vals, s.next)
		return lvInput{
			trusted:       s.trusted,
			trustedVals:   setA,
			untrusted:     &cmttypes.SignedHeader{Header: h, Commit: lvCommit(t, s.signChainID, h, s.signVals, s.signers...)},
			untrustedVals: s.checkVals,
			now:           s.now,
		}
	}
	sec := func(n int) time.Time { return tTime.Add(time.Duration(n) * time.Second) }
	mixed := lvSet(a[:1], x[:3])              // 1/4 of the trusted power
	half := lvSet(a[:2], x[:2])               // 1/2 of the trusted power
	doubled := lvSet(a, x)                    // the trusted set and as many strangers
	strangers := lvSet(x)                     // nobody trusted
	otherHeader := func(in lvInput) lvInput { // commit signed properly, for another header
		h := *in.untrusted.Header
		h.AppHash = tmhash.Sum([]byte("another state"))
		in.untrusted = &cmttypes.SignedHeader{Header: in.untrusted.Header, Commit: lvCommit(t, chainID, &h, setA, a)}
		return in
	}
	forge := func(in lvInput) lvInput {
		c := *in.untrusted.Commit
		c.Signatures = append([]cmttypes.CommitSig(nil), c.Signatures...)
		sig := append([]byte(nil), c.Signatures[0].Signature...)
		sig[7] ^= 0x01
		c.Signatures[0].Signature = sig
		in.untrusted = &cmttypes.SignedHeader{Header: in.untrusted.Header, Commit: &c}
		return in
	}

	cases := []struct {
		name     string
		adjacent bool
		in       lvInput
		want     string // substring of the error; "" for success
		bisect   bool   // the error must be errTooLittleTrust
	}{
		// Accepted.
		{name: "adjacent", adjacent: true, in: build(spec{height: 11, time: sec(1)})},
		{name: "non-adjacent", in: build(spec{height: 20, time: sec(10)})},
		{name: "adjacent, 3 of 4 signed", adjacent: true, in: build(spec{height: 11, time: sec(1), signers: [][]lvKey{a[:3]}})},
		{name: "non-adjacent, half the trusted power in the new set", in: build(spec{height: 20, time: sec(10), vals: half, signers: [][]lvKey{a, x}})},
		{name: "adjacent, within the clock drift", adjacent: true, in: build(spec{height: 11, time: now.Add(MaxClockDrift - time.Millisecond)})},
		{name: "adjacent, trusted header about to expire", adjacent: true, in: build(spec{height: 11, time: now.Add(-time.Second),
			trusted: trustedAt(now.Add(-TrustingPeriod + time.Second))})},

		// Rejected, one rule each.
		{name: "wrong chain id (signed for the trusted chain)", adjacent: true,
			in: build(spec{height: 11, time: sec(1), chainID: "other-chain"}), want: "another chain"},
		{name: "wrong chain id, non-adjacent", in: build(spec{height: 20, time: sec(10), chainID: "other-chain"}), want: "another chain"},
		{name: "commit for another header", adjacent: true, in: otherHeader(build(spec{height: 11, time: sec(1)})), want: "commit signs block"},
		{name: "commit for another header, non-adjacent", in: otherHeader(build(spec{height: 20, time: sec(10)})), want: "commit signs block"},
		{name: "same height as trusted", in: build(spec{height: 10, time: sec(10)}), want: "not above trusted height"},
		{name: "below trusted height", in: build(spec{height: 9, time: sec(10)}), want: "not above trusted height"},
		{name: "time equal to trusted", adjacent: true, in: build(spec{height: 11, time: tTime}), want: "not after trusted"},
		{name: "time before trusted", in: build(spec{height: 20, time: sec(-1)}), want: "not after trusted"},
		{name: "time beyond clock drift", adjacent: true, in: build(spec{height: 11, time: now.Add(MaxClockDrift)}), want: "in the future"},
		{name: "time beyond clock drift, non-adjacent", in: build(spec{height: 20, time: now.Add(time.Hour)}), want: "in the future"},
		{name: "trusted header expired", adjacent: true, in: build(spec{height: 11, time: now.Add(-time.Second),
			trusted: trustedAt(now.Add(-TrustingPeriod))}), want: "expired"},
		{name: "trusted header expired, non-adjacent", in: build(spec{height: 20, time: now.Add(-time.Second),
			trusted: trustedAt(now.Add(-TrustingPeriod - time.Hour))}), want: "expired"},
		{name: "adjacent, validators not the trusted next ones", adjacent: true,
			in: build(spec{height: 11, time: sec(1), vals: strangers, signers: [][]lvKey{x}}), want: "as the next ones"},
		{name: "supplied validator set is not the header's", adjacent: true,
			in: build(spec{height: 11, time: sec(1), signers: [][]lvKey{x}, signVals: strangers, checkVals: strangers}), want: "supplied for it"},
		{name: "supplied validator set is not the header's, non-adjacent",
			in: build(spec{height: 20, time: sec(10), signers: [][]lvKey{a, x}, signVals: half, checkVals: half}), want: "supplied for it"},
		{name: "adjacent, signed by 2 of 4", adjacent: true, in: build(spec{height: 11, time: sec(1), signers: [][]lvKey{a[:2]}}),
			want: "insufficient voting power"},
		{name: "non-adjacent, new set signed by less than 2/3", in: build(spec{height: 20, time: sec(10), vals: doubled, signers: [][]lvKey{a}}),
			want: "insufficient voting power"},
		{name: "non-adjacent, 1/4 of the trusted power", in: build(spec{height: 20, time: sec(10), vals: mixed, signers: [][]lvKey{a, x}}),
			bisect: true},
		{name: "non-adjacent, no trusted validator", in: build(spec{height: 20, time: sec(10), vals: strangers, signers: [][]lvKey{x}}),
			bisect: true},
		{name: "adjacent, forged signature", adjacent: true, in: forge(build(spec{height: 11, time: sec(1)})), want: "wrong signature"},
		{name: "non-adjacent, forged signature", in: forge(build(spec{height: 20, time: sec(10)})), want: "wrong signature"},
		{name: "adjacent, signed for another chain", adjacent: true, in: build(spec{height: 11, time: sec(1), signChainID: "other-chain"}),
			want: "wrong signature"},

		// Wrong step for the heights.
		{name: "adjacent check of a non-adjacent header", adjacent: true, in: build(spec{height: 12, time: sec(2)}), want: "does not follow"},
		{name: "non-adjacent check of an adjacent header", in: build(spec{height: 11, time: sec(1)}), want: "is adjacent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			var err error
			if tc.adjacent {
				err = verifyAdjacent(in.trusted, in.untrusted, in.untrustedVals, TrustingPeriod, in.now, MaxClockDrift)
			} else {
				err = verifyNonAdjacent(in.trusted, in.trustedVals, in.untrusted, in.untrustedVals, TrustingPeriod, in.now, MaxClockDrift)
			}
			var tooLittle errTooLittleTrust
			isBisect := errors.As(err, &tooLittle)
			switch {
			case tc.bisect:
				if !isBisect {
					t.Fatalf("got %v, want errTooLittleTrust", err)
				}
			case tc.want == "":
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
			case err == nil:
				t.Fatalf("accepted, want an error containing %q", tc.want)
			case isBisect || !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if err != nil {
				t.Logf("%v", err)
			}
		})
	}

	// Nil inputs are errors, not panics.
	in := build(spec{height: 20, time: sec(10)})
	if err := verifyNonAdjacent(in.trusted, nil, in.untrusted, in.untrustedVals, TrustingPeriod, now, MaxClockDrift); err == nil {
		t.Fatal("no trusted validators accepted")
	}
	if err := verifyNonAdjacent(in.trusted, setA, in.untrusted, nil, TrustingPeriod, now, MaxClockDrift); err == nil {
		t.Fatal("no untrusted validators accepted")
	}
	if err := verifyAdjacent(in.trusted, &cmttypes.SignedHeader{}, setA, TrustingPeriod, now, MaxClockDrift); err == nil {
		t.Fatal("empty signed header accepted")
	}
}
