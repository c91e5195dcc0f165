package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Light-client parameters.
//
// TrustingPeriod is ten years, and what it governs is narrow:
//
//   - Only forward, skipping verification uses it: a header above the latest
//     verified one is accepted when validators holding more than 1/3 of the power
//     of the latest verified header's set signed it (and 2/3 of its own set). That
//     trusts the newest validator set the client knows; the period bounds how old
//     that knowledge may be. CometBFT's light client sets it below the unbonding
//     period because on a proof-of-stake chain validators that have unbonded can
//     sign a conflicting future at no cost. A poaledger network is permissioned:
//     its validators are named authorities who answer for what they sign
//     off-chain, its trust root is the user's own genesis.json (from which a client
//     always starts), and an idle client must not be locked out of its own chain
//     after a few weeks. The period only has to exceed the life of the chain. The
//     residual risk, stated plainly: a client that has not verified anything since
//     a validator left the set trusts that validator's key for its next step (with
//     more than 1/3 of that old set colluding, a forged future could be accepted),
//     so an authority's retired consensus key stays sensitive until the clients
//     that matter have verified a newer header.
//   - Heights below a verified header are never verified by signatures of older
//     validator sets (whose keys may be long retired once governance rotates the
//     set): they are verified backwards by hash links from a verified header
//     (header(h).Hash() == header(h+1).LastBlockID.Hash, as CometBFT's
//     light.VerifyBackwards), so old history cannot be forged with old keys. The
//     trust file keeps up to MaxCheckpoints verified (height, hash) pairs to start
//     such walks near the target, and a walk is bounded by MaxBackwardSteps.
const (
	TrustingPeriod = 10 * 365 * 24 * time.Hour
	MaxClockDrift  = 10 * time.Second
	// MaxBisectionDepth bounds the recursion when a header cannot be verified from
	// the trusted one in one step because the validator set changed too much.
	MaxBisectionDepth = 24
	// DefaultMaxWait bounds the wait for header H+1 when ctx has no earlier deadline.
	DefaultMaxWait = 45 * time.Second
	// DefaultMaxBackwardSteps bounds a backward walk (Verifier.MaxBackwardSteps):
	// the number of headers between the target and the nearest verified
	// checkpoint above it.
	DefaultMaxBackwardSteps = 10_000
	// MaxCheckpoints bounds the verified (height, hash) pairs kept in the trust file.
	MaxCheckpoints = 64
	// checkpointEvery: a backward walk keeps one checkpoint per this many headers.
	checkpointEvery = 1_000
)

// Verifier light-verifies headers from a trust root derived from the user's own
// genesis.json and keeps the latest verified header, and a few verified
// checkpoints below it, in TrustFile. It is safe for concurrent use.
type Verifier struct {
	home    string
	c       *Client
	genesis *cmttypes.GenesisDoc
	genHash []byte
	genVals *cmttypes.ValidatorSet
	// MaxWait bounds the wait for a header that does not exist yet (DefaultMaxWait).
	MaxWait time.Duration
	// MaxBackwardSteps bounds a backward walk (DefaultMaxBackwardSteps).
	MaxBackwardSteps int64
	// Notes, when set, receives a line for anything notable that is not an error
	// (a trust file that was ignored and why).
	Notes io.Writer

	mu    sync.Mutex
	root  *cmttypes.LightBlock // the verified block at genesis.InitialHeight
	noted map[string]bool      // notes already given
	// trust is the trust state last read from or written to TrustFile, and
	// trustFile that file's identity then: loadTrust reuses it (no read, no
	// signature check) while the file is the same (same inode, size and
	// modification time; another process's save renames a new file in).
	trust     *trustState
	trustFile os.FileInfo
	// verified holds the headers this Verifier verified, by height (at most
	// maxVerifiedCache): a header once verified for this genesis stays
	// verified, so a query proven at a height already seen needs no fetch.
	verified map[int64]*cmttypes.LightBlock
}

// maxVerifiedCache bounds Verifier.verified.
const maxVerifiedCache = 256

// rememberVerified records lb as verified (v.mu held).
func (v *Verifier) rememberVerified(lb *cmttypes.LightBlock) {
	if v.verified == nil {
		v.verified = make(map[int64]*cmttypes.LightBlock)
	}
	if len(v.verified) >= maxVerifiedCache {
		lowest := lb.Height
		for h := range v.verified {
			lowest = min(lowest, h)
		}
		delete(v.verified, lowest)
	}
	v.verified[lb.Height] = lb
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
	gh, err := GenesisHash(gen)
	if err != nil {
		return nil, fmt.Errorf("client: trust root %s: %w", genesisPath, err)
	}
	return &Verifier{home: home, c: c, genesis: gen, genHash: gh, genVals: vs,
		MaxWait: DefaultMaxWait, MaxBackwardSteps: DefaultMaxBackwardSteps}, nil
}

// GenesisHash is the sha-256 of the canonical JSON of doc: the document as
// CometBFT reads it (GenesisDocFromFile completes defaults), encoded with
// CometBFT's JSON encoding, then with object keys sorted and no insignificant
// white space. Two files that differ only in layout have the same hash.
func GenesisHash(doc *cmttypes.GenesisDoc) ([]byte, error) {
	b, err := cmtjson.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode genesis: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical genesis: %w", err)
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical genesis: %w", err)
	}
	h := sha256.Sum256(canon)
	return h[:], nil
}

// ChainID is the chain id of the verifier's genesis.
func (v *Verifier) ChainID() string { return v.genesis.ChainID }

// GenesisHash is the hash of the verifier's genesis (see GenesisHash).
func (v *Verifier) GenesisHash() []byte { return bytes.Clone(v.genHash) }

// TrustFile is where the verified headers are kept: <home>/light/<chain id>-<first
// 20 hex digits of the genesis hash>.json, so that chains sharing a chain id (every
// local testnet) never share a trust file. The file also names the full genesis
// hash, checked on load.
func (v *Verifier) TrustFile() string {
	return filepath.Join(v.home, "light", safeFileName(v.genesis.ChainID)+"-"+hex.EncodeToString(v.genHash)[:20]+".json")
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

// checkpoint is a verified header, by height and hash.
type checkpoint struct {
	Height int64             `json:"height"`
	Hash   cmtbytes.HexBytes `json:"hash"`
}

// trustFile is the on-disk format of TrustFile.
type trustFile struct {
	ChainID     string               `json:"chain_id"`
	GenesisHash cmtbytes.HexBytes    `json:"genesis_hash"`
	LightBlock  *cmttypes.LightBlock `json:"light_block"`
	// Checkpoints are verified headers at or below LightBlock, ascending by height;
	// the last is LightBlock's.
	Checkpoints []checkpoint `json:"checkpoints"`
}

// trustState is what TrustFile holds: the latest verified light block (the start
// of forward verification) and verified checkpoints (starts of backward walks).
type trustState struct {
	latest      *cmttypes.LightBlock
	checkpoints []checkpoint // ascending; includes latest
}

// add records a verified header, keeping at most MaxCheckpoints: when over, the
// checkpoint whose removal leaves the smallest gap goes (never the lowest or the
// latest), so the rest stay spread over the verified range.
func (ts *trustState) add(height int64, hash []byte) {
	i := sort.Search(len(ts.checkpoints), func(i int) bool { return ts.checkpoints[i].Height >= height })
	if i < len(ts.checkpoints) && ts.checkpoints[i].Height == height {
		return
	}
	ts.checkpoints = slices.Insert(ts.checkpoints, i, checkpoint{Height: height, Hash: bytes.Clone(hash)})
	for len(ts.checkpoints) > MaxCheckpoints {
		drop, best := -1, int64(0)
		for j := 1; j < len(ts.checkpoints)-1; j++ {
			if gap := ts.checkpoints[j+1].Height - ts.checkpoints[j-1].Height; drop < 0 || gap < best {
				drop, best = j, gap
			}
		}
		ts.checkpoints = slices.Delete(ts.checkpoints, drop, drop+1)
	}
}

// above returns the checkpoint with the smallest height >= h (ok false if none).
func (ts *trustState) above(h int64) (checkpoint, bool) {
	i := sort.Search(len(ts.checkpoints), func(i int) bool { return ts.checkpoints[i].Height >= h })
	if i == len(ts.checkpoints) {
		return checkpoint{}, false
	}
	return ts.checkpoints[i], true
}

// Trusted returns the latest verified light block from TrustFile, or nil if none.
func (v *Verifier) Trusted() (*cmttypes.LightBlock, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ts, err := v.loadTrust()
	if err != nil || ts == nil {
		return nil, err
	}
	return ts.latest, nil
}

// Checkpoints returns the heights of the verified checkpoints in TrustFile.
func (v *Verifier) Checkpoints() ([]int64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ts, err := v.loadTrust()
	if err != nil || ts == nil {
		return nil, err
	}
	out := make([]int64, len(ts.checkpoints))
	for i, cp := range ts.checkpoints {
		out[i] = cp.Height
	}
	return out, nil
}

// note writes a note once per verifier (v.mu held).
func (v *Verifier) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if v.Notes == nil || v.noted[msg] {
		return
	}
	if v.noted == nil {
		v.noted = map[string]bool{}
	}
	v.noted[msg] = true
	fmt.Fprintf(v.Notes, "note: %s\n", msg)
}

// loadTrust reads TrustFile. A file made for another genesis is ignored (with a
// note): verification starts again from genesis and the file is replaced. A file
// that cannot be read as a trust file, or whose block is not self-consistent
// (header, validator set and commit signatures), is an error.
func (v *Verifier) loadTrust() (*trustState, error) {
	path := v.TrustFile()
	if v.trust != nil {
		if fi, err := os.Stat(path); err == nil && sameTrustFile(fi, v.trustFile) {
			return v.trust, nil
		}
		v.trust, v.trustFile = nil, nil
	}
	ts, err := v.readTrust(path)
	if err == nil && ts != nil {
		if fi, serr := os.Stat(path); serr == nil {
			v.trust, v.trustFile = ts, fi
		}
	}
	return ts, err
}

// sameTrustFile reports whether a and b describe the same unchanged file.
func sameTrustFile(a, b os.FileInfo) bool {
	return b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// readTrust reads and checks the trust file at path (loadTrust).
func (v *Verifier) readTrust(path string) (*trustState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		legacy := filepath.Join(v.home, "light", safeFileName(v.genesis.ChainID)+".json")
		if _, err := os.Stat(legacy); err == nil {
			v.note("ignoring %s (kept by an older client, not bound to a genesis); verifying from your genesis into %s", legacy, path)
		}
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
	if !bytes.Equal(tf.GenesisHash, v.genHash) {
		v.note("ignoring trusted header file %s: it was made for genesis %X, yours is %X; verifying again from your genesis",
			path, []byte(tf.GenesisHash), v.genHash)
		return nil, nil
	}
	if tf.ChainID != v.genesis.ChainID {
		return nil, corrupt(fmt.Errorf("chain id %q, genesis says %q", tf.ChainID, v.genesis.ChainID))
	}
	lb := tf.LightBlock
	if lb == nil {
		return nil, corrupt(errors.New("no light block"))
	}
	// Self-consistency (cheap; not a proof of trust, which only the chain of
	// verifications that wrote the file gave): the header is well formed, its
	// validators hash is the stored set's and the commit for it is signed by
	// more than 2/3 of that set.
	if err := lb.ValidateBasic(v.genesis.ChainID); err != nil {
		return nil, corrupt(err)
	}
	if lb.Height < v.genesis.InitialHeight {
		return nil, corrupt(fmt.Errorf("header %d is below the initial height %d", lb.Height, v.genesis.InitialHeight))
	}
	if err := lb.ValidatorSet.VerifyCommitLight(v.genesis.ChainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		return nil, corrupt(fmt.Errorf("commit of header %d does not verify with its validator set: %w", lb.Height, err))
	}
	ts := &trustState{latest: lb}
	for i, cp := range tf.Checkpoints {
		switch {
		case cp.Height < v.genesis.InitialHeight || cp.Height > lb.Height:
			return nil, corrupt(fmt.Errorf("checkpoint %d outside [%d, %d]", cp.Height, v.genesis.InitialHeight, lb.Height))
		case i > 0 && cp.Height <= tf.Checkpoints[i-1].Height:
			return nil, corrupt(errors.New("checkpoints are not in ascending order"))
		case len(cp.Hash) != sha256.Size:
			return nil, corrupt(fmt.Errorf("checkpoint %d: hash of %d bytes", cp.Height, len(cp.Hash)))
		case cp.Height == lb.Height && !bytes.Equal(cp.Hash, lb.Hash()):
			return nil, corrupt(fmt.Errorf("checkpoint %d is not the stored header", cp.Height))
		}
	}
	ts.checkpoints = append(ts.checkpoints, tf.Checkpoints...)
	ts.add(lb.Height, lb.Hash())
	return ts, nil
}

// saveTrust writes ts to TrustFile atomically (write, sync, rename).
func (v *Verifier) saveTrust(ts *trustState) error {
	v.trust, v.trustFile = nil, nil // ts may differ from the file until the save succeeds
	path := v.TrustFile()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	tf := trustFile{ChainID: v.genesis.ChainID, GenesisHash: v.genHash, LightBlock: ts.latest, Checkpoints: ts.checkpoints}
	b, err := cmtjson.MarshalIndent(tf, "", "  ")
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
	if fi, err := os.Stat(path); err == nil {
		v.trust, v.trustFile = ts, fi
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

// fetchSignedHeader gets the signed header at height (for a backward walk, where
// only its hash link matters).
func (v *Verifier) fetchSignedHeader(ctx context.Context, height int64) (*cmttypes.SignedHeader, error) {
	rc, err := v.c.rpc.commit(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("client: commit at %d: %w", height, err)
	}
	sh := rc.SignedHeader
	if sh.Header == nil {
		return nil, verifyErr(height, nil, "node returned an empty header for height %d", height)
	}
	if sh.Height != height {
		return nil, verifyErr(height, nil, "asked for header %d, node returned header %d", height, sh.Height)
	}
	return &sh, nil
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

// VerifyHeader returns the light block at height, verified from the trust root:
// above the latest verified header, forward from it (skipping verification,
// bisecting when needed), which then replaces it in TrustFile; at or below it,
// backwards by hash links from the nearest verified checkpoint above height
// (never by the signatures of older validator sets).
func (v *Verifier) VerifyHeader(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if height < v.genesis.InitialHeight {
		return nil, verifyErr(height, nil, "height %d is below the chain's initial height %d", height, v.genesis.InitialHeight)
	}
	ts, err := v.loadTrust()
	if err != nil {
		return nil, err
	}
	if ts == nil {
		root, err := v.genesisRoot(ctx)
		if err != nil {
			return nil, v.explain(ctx, err)
		}
		ts = &trustState{latest: root}
		ts.add(root.Height, root.Hash())
		if err := v.saveTrust(ts); err != nil {
			return nil, err
		}
	}
	if lb, ok := v.verified[height]; ok {
		return lb, nil
	}
	if height == ts.latest.Height {
		return ts.latest, nil
	}
	if height < ts.latest.Height {
		lb, err := v.verifyBackward(ctx, ts, height)
		if err != nil {
			return nil, v.explain(ctx, err)
		}
		v.rememberVerified(lb)
		return lb, nil
	}
	target, err := v.fetchLightBlock(ctx, height)
	if err != nil {
		return nil, v.explain(ctx, err)
	}
	if err := v.verifyForward(ctx, ts.latest, target, 0); err != nil {
		return nil, v.explain(ctx, err)
	}
	ts.latest = target
	ts.add(target.Height, target.Hash())
	if err := v.saveTrust(ts); err != nil {
		return nil, err
	}
	v.rememberVerified(target)
	return target, nil
}

// explain turns a failed verification into a plainer error when the node serves
// another chain than the user's genesis: its block at the initial height is not
// the genesis validators' (same chain id, other genesis: every local testnet is
// poaledger-localnet).
func (v *Verifier) explain(ctx context.Context, err error) error {
	var ve *VerifyError
	if !errors.As(err, &ve) {
		return err
	}
	if _, rerr := v.genesisRoot(ctx); rerr != nil {
		var rve *VerifyError
		if errors.As(rerr, &rve) {
			return verifyErr(ve.Height, err, "the node's chain is not the one your genesis describes (chain id %q; %s): use a node of your chain, or the genesis of the node's",
				v.genesis.ChainID, rve.Reason)
		}
	}
	return err
}

// verifyBackward verifies the header at height (at or below the latest verified
// one) by hash links down from the nearest verified checkpoint at or above it, as
// CometBFT's light.VerifyBackwards: each header hashes to the LastBlockID of the
// verified header above it, is well formed, of this chain and earlier. The target
// becomes a checkpoint (and one in checkpointEvery headers walked).
func (v *Verifier) verifyBackward(ctx context.Context, ts *trustState, height int64) (*cmttypes.LightBlock, error) {
	cp, ok := ts.above(height)
	if !ok { // cannot happen: the latest header is a checkpoint
		return nil, verifyErr(height, nil, "no verified header at or above %d", height)
	}
	maxSteps := v.MaxBackwardSteps
	if maxSteps <= 0 {
		maxSteps = DefaultMaxBackwardSteps
	}
	if steps := cp.Height - height; steps > maxSteps {
		return nil, verifyErr(height, nil, "header %d is %d blocks below the nearest verified header %d; backward verification is bounded at %d headers (Verifier.MaxBackwardSteps)",
			height, steps, cp.Height, maxSteps)
	}
	target, err := v.fetchLightBlock(ctx, height)
	if err != nil {
		return nil, err
	}
	if cp.Height == height {
		if !bytes.Equal(target.Hash(), cp.Hash) {
			return nil, verifyErr(height, nil, "header %d from node (hash %X) differs from the verified header %d (hash %X)",
				height, target.Hash(), height, []byte(cp.Hash))
		}
		return target, nil
	}
	var upper *cmttypes.Header
	if cp.Height == ts.latest.Height {
		upper = ts.latest.Header
	} else {
		sh, err := v.fetchSignedHeader(ctx, cp.Height)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(sh.Hash(), cp.Hash) {
			return nil, verifyErr(cp.Height, nil, "header %d from node (hash %X) differs from the verified header %d (hash %X)",
				cp.Height, sh.Hash(), cp.Height, []byte(cp.Hash))
		}
		upper = sh.Header
	}
	added := false
	for h := cp.Height - 1; h >= height; h-- {
		lower := target.Header
		if h > height {
			sh, err := v.fetchSignedHeader(ctx, h)
			if err != nil {
				return nil, err
			}
			lower = sh.Header
		}
		if err := v.checkLink(lower, upper); err != nil {
			return nil, verifyErr(h, err, "header %d does not link to verified header %d (verifying backwards from %d)", h, h+1, cp.Height)
		}
		if (cp.Height-h)%checkpointEvery == 0 || h == height {
			ts.add(h, lower.Hash())
			added = true
		}
		upper = lower
	}
	if added {
		if err := v.saveTrust(ts); err != nil {
			return nil, err
		}
	}
	return target, nil
}

// checkLink verifies lower from upper, the verified header right above it.
func (v *Verifier) checkLink(lower, upper *cmttypes.Header) error {
	if err := lower.ValidateBasic(); err != nil {
		return fmt.Errorf("invalid header: %w", err)
	}
	if lower.ChainID != v.genesis.ChainID {
		return fmt.Errorf("header has chain id %q, genesis says %q", lower.ChainID, v.genesis.ChainID)
	}
	if lower.Height != upper.Height-1 {
		return fmt.Errorf("header height %d, want %d", lower.Height, upper.Height-1)
	}
	if !lower.Time.Before(upper.Time) {
		return fmt.Errorf("header time %v is not before the next header's time %v", lower.Time, upper.Time)
	}
	if !bytes.Equal(lower.Hash(), upper.LastBlockID.Hash) {
		return fmt.Errorf("header hash %X is not the last block hash %X named by header %d", lower.Hash(), upper.LastBlockID.Hash, upper.Height)
	}
	return nil
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

// CheckChain asks the node which chain it serves (/status) and refuses a node
// whose chain id is not the genesis chain id. It returns the node's latest block
// height (the node's word).
func (v *Verifier) CheckChain(ctx context.Context) (int64, error) {
	st, err := v.c.rpc.status(ctx)
	if err != nil {
		return 0, fmt.Errorf("client: status: %w", err)
	}
	if st.NodeInfo.Network != v.genesis.ChainID {
		return 0, verifyErr(0, nil, "the node serves chain %q, but your genesis is for chain %q: use a node of chain %q, or the genesis of chain %q (--genesis, --home)",
			st.NodeInfo.Network, v.genesis.ChainID, v.genesis.ChainID, st.NodeInfo.Network)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// freshFloor returns L, the height of the freshest header the client can verify:
// the larger of the node's latest block height and the height of the latest header
// already verified (TrustFile). An answer to a query of the latest state must hold
// for state L-1 or later. A node whose latest block is below a header the client
// has verified is refused as stale.
func (v *Verifier) freshFloor(ctx context.Context) (int64, error) {
	latest, err := v.CheckChain(ctx)
	if err != nil {
		return 0, err
	}
	trusted, err := v.Trusted()
	if err != nil {
		return 0, err
	}
	if trusted == nil || latest >= trusted.Height {
		return latest, nil
	}
	v.mu.Lock()
	_, rerr := v.genesisRoot(ctx)
	v.mu.Unlock()
	var rve *VerifyError
	if errors.As(rerr, &rve) {
		return 0, verifyErr(latest, rerr, "the node's chain is not the one your genesis describes (chain id %q): use a node of your chain, or the genesis of the node's", v.genesis.ChainID)
	}
	return 0, verifyErr(latest, nil, "the node is stale: its latest block is %d, but this client already verified header %d of the chain (%s), so its answer for the latest state would be out of date; ask another node, or ask for an explicit --height",
		latest, trusted.Height, v.TrustFile())
}

// waitForHeight polls until the node has a block at height, bounded by ctx and
// MaxWait. A height whose header this Verifier already verified exists: no poll.
func (v *Verifier) waitForHeight(ctx context.Context, height int64) error {
	v.mu.Lock()
	_, known := v.verified[height]
	v.mu.Unlock()
	if known {
		return nil
	}
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
// floor > 0 marks a query of the latest state (height 0) and is the freshFloor L
// taken before the query: the verified state must be L-1 or later, else the answer
// is refused as stale. For such a query, when block responseHeight+1 is not yet
// produced, it first tries header responseHeight: if the proofs verify against its
// app hash, the state did not change in block responseHeight and the answer is
// verified as of state responseHeight-1 without waiting for the next block (an idle
// chain makes one only every create_empty_blocks_interval).
func (v *Verifier) verifyResponse(ctx context.Context, responseHeight, floor int64, check func(root []byte) error) (int64, int64, error) {
	if responseHeight < v.genesis.InitialHeight {
		return 0, 0, verifyErr(responseHeight, nil, "response height %d is below the chain's initial height %d",
			responseHeight, v.genesis.InitialHeight)
	}
	stale := func(state int64) error {
		return verifyErr(responseHeight, nil, "stale answer: asked for the latest state, the node answered for state height %d, but block %d exists (the node's latest block or a header already verified), so the answer must be for state height %d or later",
			state, floor, floor-1)
	}
	if floor > 0 && responseHeight < floor-1 {
		return 0, 0, stale(responseHeight)
	}
	// The node's latest block: floor, when the answer is not beyond it (floor is
	// the node's latest height read just before the query, and heights only
	// grow), else asked again. A top below the node's true latest only sends
	// the check down the waiting path below, never accepts more.
	top := floor
	if floor <= 0 || responseHeight > floor {
		var err error
		if top, err = v.latestHeight(ctx); err != nil {
			return 0, 0, err
		}
	}
	if responseHeight > top {
		return 0, 0, verifyErr(responseHeight, nil, "response height %d is beyond the node's latest block %d", responseHeight, top)
	}
	if responseHeight+1 > top {
		if floor > 0 && responseHeight-1 >= floor-1 {
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
