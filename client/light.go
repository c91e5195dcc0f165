package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Light-client parameters.
//
// TrustingPeriod is ten years. CometBFT's light client bounds how long a trusted
// header stays usable because, on a proof-of-stake chain, validators that unbond can
// sign a conflicting history without being punished. A poaledger network is
// permissioned: its trust root is the user's own genesis.json and the validators are
// named authorities who answer for what they sign off-chain, so a header is not
// distrusted merely for its age. The period only has to exceed the life of the chain.
const (
	TrustingPeriod = 10 * 365 * 24 * time.Hour
	MaxClockDrift  = 10 * time.Second
	// MaxBisectionDepth bounds the recursion when a header cannot be verified from
	// the trusted one in one step because the validator set changed too much.
	MaxBisectionDepth = 24
	// DefaultMaxWait bounds the wait for header H+1 when ctx has no earlier deadline.
	DefaultMaxWait = 45 * time.Second
)

// Verifier light-verifies headers from a trust root derived from the user's own
// genesis.json and keeps the latest verified header in <home>/light/<chain-id>.json.
// It is safe for concurrent use.
type Verifier struct {
	home    string
	c       *Client
	genesis *cmttypes.GenesisDoc
	genVals *cmttypes.ValidatorSet
	// MaxWait bounds the wait for a header that does not exist yet (DefaultMaxWait).
	MaxWait time.Duration

	mu   sync.Mutex
	root *cmttypes.LightBlock // the verified block at genesis.InitialHeight
}

// NewVerifier reads genesisPath (empty: <home>/config/genesis.json) and returns a
// verifier that fetches headers through c. Nothing is fetched until the first
// verification.
func NewVerifier(home string, genesisPath string, c *Client) (*Verifier, error) {
	if c == nil {
		return nil, errors.New("client: NewVerifier: nil client")
	}
	if home == "" {
		return nil, errors.New("client: NewVerifier: empty home")
	}
	if genesisPath == "" {
		genesisPath = filepath.Join(home, "config", "genesis.json")
	}
	gen, err := cmttypes.GenesisDocFromFile(genesisPath)
	if err != nil {
		return nil, fmt.Errorf("client: trust root %s: %w", genesisPath, err)
	}
	if len(gen.Validators) == 0 {
		return nil, fmt.Errorf("client: trust root %s lists no validators; cannot verify headers from it", genesisPath)
	}
	vals := make([]*cmttypes.Validator, len(gen.Validators))
	for i, gv := range gen.Validators {
		vals[i] = cmttypes.NewValidator(gv.PubKey, gv.Power)
	}
	vs := cmttypes.NewValidatorSet(vals)
	if err := vs.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("client: trust root %s: validators: %w", genesisPath, err)
	}
	return &Verifier{home: home, c: c, genesis: gen, genVals: vs, MaxWait: DefaultMaxWait}, nil
}

// ChainID is the chain id of the verifier's genesis.
func (v *Verifier) ChainID() string { return v.genesis.ChainID }

// TrustFile is where the latest verified header is kept.
func (v *Verifier) TrustFile() string {
	return filepath.Join(v.home, "light", safeFileName(v.genesis.ChainID)+".json")
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// trustFile is the on-disk format of TrustFile.
type trustFile struct {
	ChainID    string               `json:"chain_id"`
	LightBlock *cmttypes.LightBlock `json:"light_block"`
}

// Trusted returns the latest verified light block from TrustFile, or nil if none.
func (v *Verifier) Trusted() (*cmttypes.LightBlock, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.loadTrusted()
}

func (v *Verifier) loadTrusted() (*cmttypes.LightBlock, error) {
	path := v.TrustFile()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("client: trusted header file %s: %w", path, err)
	}
	corrupt := func(why error) error {
		return fmt.Errorf("client: trusted header file %s is corrupt (%v); delete it to re-verify from genesis", path, why)
	}
	var tf trustFile
	if err := cmtjson.Unmarshal(b, &tf); err != nil {
		return nil, corrupt(err)
	}
	if tf.ChainID != v.genesis.ChainID {
		return nil, corrupt(fmt.Errorf("chain id %q, genesis says %q", tf.ChainID, v.genesis.ChainID))
	}
	if tf.LightBlock == nil {
		return nil, corrupt(errors.New("no light block"))
	}
	if err := tf.LightBlock.ValidateBasic(v.genesis.ChainID); err != nil {
		return nil, corrupt(err)
	}
	return tf.LightBlock, nil
}

// saveTrusted writes lb to TrustFile atomically (write, sync, rename).
func (v *Verifier) saveTrusted(lb *cmttypes.LightBlock) error {
	path := v.TrustFile()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	b, err := cmtjson.MarshalIndent(trustFile{ChainID: v.genesis.ChainID, LightBlock: lb}, "", "  ")
	if err != nil {
		return fmt.Errorf("client: encode trusted header: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*.json")
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("client: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("client: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("client: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	return nil
}

// fetchLightBlock gets the signed header and validator set at height from the node
// and checks their internal consistency (not yet their trust).
func (v *Verifier) fetchLightBlock(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	rc, err := v.c.rpc.commit(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("client: commit at %d: %w", height, err)
	}
	sh := rc.SignedHeader
	if sh.Header == nil || sh.Commit == nil {
		return nil, verifyErr(height, nil, "node returned an empty signed header for height %d", height)
	}
	if sh.Height != height {
		return nil, verifyErr(height, nil, "asked for header %d, node returned header %d", height, sh.Height)
	}
	if sh.ChainID != v.genesis.ChainID {
		return nil, verifyErr(height, nil, "header %d has chain id %q, genesis says %q", height, sh.ChainID, v.genesis.ChainID)
	}
	vals, err := v.c.validators(ctx, height)
	if err != nil {
		return nil, err
	}
	vs, err := cmttypes.ValidatorSetFromExistingValidators(vals)
	if err != nil {
		return nil, verifyErr(height, err, "validator set of header %d from node is invalid", height)
	}
	lb := &cmttypes.LightBlock{SignedHeader: &sh, ValidatorSet: vs}
	if err := lb.ValidateBasic(v.genesis.ChainID); err != nil {
		return nil, verifyErr(height, err, "header %d from node is inconsistent (header, commit and validators do not match)", height)
	}
	return lb, nil
}

// genesisRoot derives the first trusted light block from genesis.json: the block at
// InitialHeight must carry the genesis chain id and validator set, and be signed by
// more than 2/3 of that set.
func (v *Verifier) genesisRoot(ctx context.Context) (*cmttypes.LightBlock, error) {
	if v.root != nil {
		return v.root, nil
	}
	h := v.genesis.InitialHeight
	lb, err := v.fetchLightBlock(ctx, h)
	if err != nil {
		return nil, err
	}
	want := v.genVals.Hash()
	if !bytes.Equal(lb.ValidatorSet.Hash(), want) {
		return nil, verifyErr(h, nil, "validators the node reports at initial height %d (hash %X) are not the genesis validators (hash %X)",
			h, lb.ValidatorSet.Hash(), want)
	}
	if !bytes.Equal(lb.ValidatorsHash, want) {
		return nil, verifyErr(h, nil, "header %d names validators hash %X, genesis validators hash %X", h, lb.ValidatorsHash, want)
	}
	if err := v.genVals.VerifyCommitLight(v.genesis.ChainID, lb.Commit.BlockID, h, lb.Commit); err != nil {
		return nil, verifyErr(h, err, "header %d not signed by the genesis validators", h)
	}
	root := &cmttypes.LightBlock{SignedHeader: lb.SignedHeader, ValidatorSet: v.genVals}
	v.root = root
	return root, nil
}

// VerifyHeader returns the light block at height, verified from the trust root: from
// the latest trusted header when height is above it (which it then replaces in
// TrustFile), from the genesis block when height is below it.
func (v *Verifier) VerifyHeader(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if height < v.genesis.InitialHeight {
		return nil, verifyErr(height, nil, "height %d is below the chain's initial height %d", height, v.genesis.InitialHeight)
	}
	trusted, err := v.loadTrusted()
	if err != nil {
		return nil, err
	}
	if trusted == nil {
		if trusted, err = v.genesisRoot(ctx); err != nil {
			return nil, err
		}
		if err := v.saveTrusted(trusted); err != nil {
			return nil, err
		}
	}
	target, err := v.fetchLightBlock(ctx, height)
	if err != nil {
		return nil, err
	}
	switch {
	case height == trusted.Height:
		if !bytes.Equal(target.Hash(), trusted.Hash()) {
			return nil, verifyErr(height, nil, "header %d from node (hash %X) differs from the trusted header %d (hash %X)",
				height, target.Hash(), height, trusted.Hash())
		}
		return trusted, nil
	case height > trusted.Height:
		if err := v.verifyForward(ctx, trusted, target, 0); err != nil {
			return nil, err
		}
		if err := v.saveTrusted(target); err != nil {
			return nil, err
		}
		return target, nil
	default: // below the latest trusted header: verify again from genesis
		root, err := v.genesisRoot(ctx)
		if err != nil {
			return nil, err
		}
		if height == root.Height {
			if !bytes.Equal(target.Hash(), root.Hash()) {
				return nil, verifyErr(height, nil, "header %d from node differs from the genesis-verified header", height)
			}
			return root, nil
		}
		if err := v.verifyForward(ctx, root, target, 0); err != nil {
			return nil, err
		}
		return target, nil
	}
}

// verifyForward verifies target from trusted (trusted.Height < target.Height), with
// verifyAdjacent for the next height and verifyNonAdjacent otherwise, bisecting when
// the validator set changed too much for one step.
func (v *Verifier) verifyForward(ctx context.Context, trusted, target *cmttypes.LightBlock, depth int) error {
	now := time.Now()
	var err error
	if target.Height == trusted.Height+1 {
		err = verifyAdjacent(trusted.SignedHeader, target.SignedHeader, target.ValidatorSet,
			TrustingPeriod, now, MaxClockDrift)
	} else {
		err = verifyNonAdjacent(trusted.SignedHeader, trusted.ValidatorSet, target.SignedHeader, target.ValidatorSet,
			TrustingPeriod, now, MaxClockDrift)
		var cant errTooLittleTrust
		if errors.As(err, &cant) {
			if depth >= MaxBisectionDepth {
				return verifyErr(target.Height, err, "header %d: bisection from trusted header %d deeper than %d steps",
					target.Height, trusted.Height, MaxBisectionDepth)
			}
			mid := trusted.Height + (target.Height-trusted.Height)/2
			midLB, ferr := v.fetchLightBlock(ctx, mid)
			if ferr != nil {
				return ferr
			}
			if err := v.verifyForward(ctx, trusted, midLB, depth+1); err != nil {
				return err
			}
			return v.verifyForward(ctx, midLB, target, depth+1)
		}
	}
	if err != nil {
		return verifyErr(target.Height, err, "header %d not signed by trusted validators (verifying from trusted header %d)",
			target.Height, trusted.Height)
	}
	return nil
}

// latestHeight asks the node for its latest block height.
func (v *Verifier) latestHeight(ctx context.Context) (int64, error) {
	st, err := v.c.rpc.status(ctx)
	if err != nil {
		return 0, fmt.Errorf("client: status: %w", err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// waitForHeight polls until the node has a block at height, bounded by ctx and MaxWait.
func (v *Verifier) waitForHeight(ctx context.Context, height int64) error {
	maxWait := v.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		latest, err := v.latestHeight(ctx)
		if err == nil && latest >= height {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("client: waiting for block %d (its header carries the app hash the proof needs): %w", height, err)
		case <-tick.C:
		}
	}
}

// verifyResponse establishes that check(root) succeeds for the app hash root of a
// light-verified header that commits to the state at responseHeight. It returns
// the verified state height and the header height used (normally responseHeight+1).
//
// With latest set (the caller asked for height 0) and block responseHeight+1 not yet
// produced, it first tries header responseHeight: if the proofs verify against its
// app hash, the state did not change in block responseHeight and the answer is
// verified as of state responseHeight-1 without waiting for the next block (an idle
// chain makes one only every create_empty_blocks_interval).
func (v *Verifier) verifyResponse(ctx context.Context, responseHeight int64, latest bool, check func(root []byte) error) (int64, int64, error) {
	if responseHeight < v.genesis.InitialHeight {
		return 0, 0, verifyErr(responseHeight, nil, "response height %d is below the chain's initial height %d",
			responseHeight, v.genesis.InitialHeight)
	}
	top, err := v.latestHeight(ctx)
	if err != nil {
		return 0, 0, err
	}
	if responseHeight > top {
		return 0, 0, verifyErr(responseHeight, nil, "response height %d is beyond the node's latest block %d", responseHeight, top)
	}
	if responseHeight+1 > top {
		if latest && responseHeight > v.genesis.InitialHeight {
			lb, err := v.VerifyHeader(ctx, responseHeight)
			if err != nil {
				return 0, 0, err
			}
			if check(lb.AppHash) == nil {
				return responseHeight - 1, responseHeight, nil
			}
		}
		if err := v.waitForHeight(ctx, responseHeight+1); err != nil {
			return 0, 0, err
		}
	}
	lb, err := v.VerifyHeader(ctx, responseHeight+1)
	if err != nil {
		return 0, 0, err
	}
	if err := check(lb.AppHash); err != nil {
		return 0, 0, verifyErr(responseHeight, err, "proof does not verify against app hash %X of header %d (response height %d)",
			[]byte(lb.AppHash), lb.Height, responseHeight)
	}
	return responseHeight, responseHeight + 1, nil
}
