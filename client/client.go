package client

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
)

// PollInterval is how often the verifier polls the node for a block that does not
// exist yet, and the first interval of Broadcast(wait)'s fallback polling.
const PollInterval = 200 * time.Millisecond

// maxPollInterval bounds the back-off of Broadcast(wait)'s fallback polling.
const maxPollInterval = 2 * time.Second

// Client talks to one node's CometBFT RPC.
type Client struct {
	remote string
	rpc    *rpcClient
}

// New returns a client for a CometBFT RPC address such as tcp://127.0.0.1:26657 or
// http://host:26657. It does not connect until the first call.
func New(remote string) (*Client, error) {
	remote, err := NormalizeAddress(remote)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c, err := newRPCClient(remote)
	if err != nil {
		return nil, fmt.Errorf("client: node %s: %w", remote, err)
	}
	return &Client{remote: remote, rpc: c}, nil
}

// Remote is the node address the client was created with.
func (c *Client) Remote() string { return c.remote }

// BroadcastResult is the outcome of a broadcast. Height, Events, Code and Log are
// set only when the broadcast waited for the transaction's block.
type BroadcastResult struct {
	Hash   string       `json:"hash"` // upper-case hex sha256 of the tx bytes
	Height int64        `json:"height,omitempty"`
	Code   uint32       `json:"code"`
	Log    string       `json:"log,omitempty"`
	Events []abci.Event `json:"events,omitempty"`
}

// Stage is a step of sending a transaction, as reported to SendOpts.Progress.
type Stage int

const (
	// StageConnect: asking the node for its chain id and the signer's nonce.
	StageConnect Stage = iota + 1
	// StageBroadcast: the tx is being sent; the node runs CheckTx.
	StageBroadcast
	// StageMempool: CheckTx passed, the tx is in the node's mempool.
	StageMempool
	// StageBlock: waiting for the block that carries the tx (Height: the next
	// block, 0 if unknown).
	StageBlock
	// StageCommitted: the tx is in block Height.
	StageCommitted
)

// Progress is what a send is doing, for a status line (SendOpts.Progress).
type Progress struct {
	Stage  Stage
	Remote string // the node
	Hash   string // the tx hash, from StageBroadcast on
	Height int64  // StageBlock: the block waited for; StageCommitted: the tx's block
	// Polling is set at StageBlock when the node's websocket is unavailable and
	// the wait polls tx_search instead.
	Polling bool
}

func (p Progress) String() string {
	switch p.Stage {
	case StageConnect:
		return fmt.Sprintf("asking %s for the chain id and nonce", p.Remote)
	case StageBroadcast:
		return fmt.Sprintf("broadcasting tx %s to %s", shortHash(p.Hash), p.Remote)
	case StageMempool:
		return fmt.Sprintf("tx %s is in the mempool", shortHash(p.Hash))
	case StageBlock:
		s := fmt.Sprintf("tx %s is in the mempool, waiting for the next block", shortHash(p.Hash))
		if p.Height > 0 {
			s = fmt.Sprintf("tx %s is in the mempool, waiting for block %d", shortHash(p.Hash), p.Height)
		}
		if p.Polling {
			s += " (polling: no websocket)"
		}
		return s
	case StageCommitted:
		return fmt.Sprintf("tx %s committed in block %d", shortHash(p.Hash), p.Height)
	}
	return ""
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// Broadcast sends txBytes with broadcast_tx_sync. A CheckTx refusal is a *TxError.
// With wait, it then waits until the transaction is in a block (bounded by ctx)
// and returns its height, result and events; a non-zero result code is a *TxError.
// It waits on the node's websocket (a subscription to the tx's Tx event, made
// before the tx is sent); when the websocket is unavailable or lost, it polls
// tx_search for the tx's hash instead, backing off to every 2 s.
func (c *Client) Broadcast(ctx context.Context, txBytes []byte, wait bool) (*BroadcastResult, error) {
	return c.broadcast(ctx, txBytes, wait, nil)
}

func (c *Client) broadcast(ctx context.Context, txBytes []byte, wait bool, progress func(Progress)) (*BroadcastResult, error) {
	hash := fmt.Sprintf("%X", tx.Hash(txBytes))
	report := func(p Progress) {
		if progress != nil {
			p.Remote, p.Hash = c.remote, hash
			progress(p)
		}
	}
	var sub *txSub
	if wait {
		var err error
		if sub, err = c.subscribeTx(ctx, hash); err != nil {
			sub = nil // wait by polling
		}
		defer sub.close()
	}
	report(Progress{Stage: StageBroadcast})
	res, err := c.rpc.broadcastTxSync(ctx, txBytes)
	if err != nil {
		return nil, fmt.Errorf("client: broadcast_tx_sync: %w", err)
	}
	if got := res.Hash.String(); got != "" && got != hash {
		return nil, fmt.Errorf("client: node reports tx hash %s, expected %s", got, hash)
	}
	if res.Code != 0 {
		return nil, &TxError{Code: res.Code, Codespace: res.Codespace, Log: res.Log, Hash: hash}
	}
	out := &BroadcastResult{Hash: hash}
	report(Progress{Stage: StageMempool})
	if !wait {
		return out, nil
	}
	var next int64                                          // the block waited for, when known
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second) // only for the status line
	if st, err := c.rpc.status(sctx); err == nil {
		next = st.SyncInfo.LatestBlockHeight + 1
	}
	cancel()
	report(Progress{Stage: StageBlock, Height: next, Polling: sub == nil})
	var r *abci.TxResult
	if sub != nil {
		r, err = sub.wait(ctx, func(h int64) {
			if h+1 > next {
				next = h + 1
				report(Progress{Stage: StageBlock, Height: next})
			}
		})
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return out, c.notInBlock(hash, next, ctx.Err())
		default: // the websocket is gone: poll
			report(Progress{Stage: StageBlock, Height: next, Polling: true})
		}
	}
	if r == nil {
		if r, err = c.pollTx(ctx, hash); err != nil {
			if ctx.Err() != nil {
				return out, c.notInBlock(hash, next, ctx.Err())
			}
			return out, err
		}
	}
	out.Height, out.Code, out.Log, out.Events = r.Height, r.Result.Code, r.Result.Log, r.Result.Events
	report(Progress{Stage: StageCommitted, Height: r.Height})
	if r.Result.Code != 0 {
		return out, &TxError{Code: r.Result.Code, Codespace: r.Result.Codespace, Log: r.Result.Log,
			Hash: hash, Height: r.Height}
	}
	return out, nil
}

// notInBlock is the error of a wait that ended (ctx) before the tx's block.
func (c *Client) notInBlock(hash string, next int64, err error) error {
	at := "the next block"
	if next > 0 {
		at = fmt.Sprintf("block %d", next)
	}
	return fmt.Errorf("client: tx %s is in the mempool of %s but was not in a block in time (waited for %s; it may still be committed, "+
		"raise --timeout to wait longer): %w", hash, c.remote, at, err)
}

// pollTx polls tx_search for the tx with this hash until it is in a block or
// ctx ends: every PollInterval at first, backing off to maxPollInterval. An
// absent tx is an empty search result, not an error to recognise by its text.
func (c *Client) pollTx(ctx context.Context, hash string) (*abci.TxResult, error) {
	q := fmt.Sprintf("%s='%s'", cmttypes.TxHashKey, hash)
	interval := PollInterval
	for {
		res, err := c.rpc.txSearch(ctx, q, 1, 1)
		switch {
		case err == nil && len(res.Txs) > 0:
			t := res.Txs[0]
			return &abci.TxResult{Height: t.Height, Index: t.Index, Tx: t.Tx, Result: t.TxResult}, nil
		case err == nil:
			// not in a block yet
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case strings.Contains(err.Error(), "indexing is disabled"):
			return nil, fmt.Errorf("client: cannot wait for tx %s: the node's tx indexer is disabled: %w", hash, err)
		default:
			var u *UnreachableError
			if errors.As(err, &u) {
				return nil, err
			}
			return nil, fmt.Errorf("client: waiting for tx %s: tx_search: %w", hash, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
		interval = min(2*interval, maxPollInterval)
	}
}

// NextNonce returns the next nonce of the member address addr, as of the latest
// state; with opts.Prove the answer is verified (QueryOpts.Height is ignored).
func (c *Client) NextNonce(ctx context.Context, addr []byte, opts QueryOpts) (uint64, error) {
	opts.Height = 0
	n, err := c.Nonce(ctx, tx.AddressString(addr), opts)
	if err != nil {
		return 0, err
	}
	return n.Nonce, nil
}

// SendOpts are the options of Send.
type SendOpts struct {
	// ChainID is the chain to sign for. Empty: the Verifier's genesis chain id,
	// or without a Verifier the chain id the node reports.
	ChainID string
	// Verifier, when set, proves the signer's nonce (read at the latest state
	// with a proof, verified from the genesis); it must be for ChainID.
	Verifier *Verifier
	// Wait for the tx's block (see Broadcast).
	Wait bool
	// Progress, if set, is told each step (for a status line on a terminal).
	Progress func(Progress)
}

// SignAndBroadcast is Send with SendOpts{ChainID: chainID, Wait: wait}: the nonce
// is the node's word, used only after the node's chain id matched chainID.
func (c *Client) SignAndBroadcast(ctx context.Context, priv ed25519.PrivateKey, chainID string, msg tx.Msg, wait bool) (*BroadcastResult, error) {
	return c.Send(ctx, priv, msg, SendOpts{ChainID: chainID, Wait: wait})
}

// Send builds a body for msg with the signer's next nonce, signs it with priv and
// broadcasts it. It first asks the node which chain it serves and refuses a node
// of another chain than the one to sign for, so that a nonce from the node is only
// used when the node is of that chain; with opts.Verifier the nonce is proven.
func (c *Client) Send(ctx context.Context, priv ed25519.PrivateKey, msg tx.Msg, opts SendOpts) (*BroadcastResult, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("client: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	chainID := opts.ChainID
	if v := opts.Verifier; v != nil {
		if chainID == "" {
			chainID = v.ChainID()
		}
		if chainID != v.ChainID() {
			return nil, fmt.Errorf("client: signing for chain %q with a verifier for chain %q (genesis)", chainID, v.ChainID())
		}
	}
	if opts.Progress != nil {
		opts.Progress(Progress{Stage: StageConnect, Remote: c.remote})
	}
	st, err := c.rpc.status(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: status: %w", err)
	}
	if chainID == "" {
		chainID = st.NodeInfo.Network
	}
	if st.NodeInfo.Network != chainID {
		return nil, fmt.Errorf("client: the node %s serves chain %q, not chain %q (the chain to sign for): use a node of chain %q, or sign for the node's chain (--chain-id, --genesis)",
			c.remote, st.NodeInfo.Network, chainID, chainID)
	}
	nonce, err := c.NextNonce(ctx, tx.Address(priv.Public().(ed25519.PublicKey)),
		QueryOpts{Prove: opts.Verifier != nil, Verifier: opts.Verifier})
	if err != nil {
		return nil, err
	}
	_, txBytes, err := tx.Sign(priv, &tx.Body{ChainID: chainID, Nonce: nonce, Msg: msg})
	if err != nil {
		return nil, fmt.Errorf("client: sign: %w", err)
	}
	return c.broadcast(ctx, txBytes, opts.Wait, opts.Progress)
}

// Validator is one consensus validator as reported by /validators.
type Validator struct {
	Address string `json:"address"` // upper-case hex
	PubKey  string `json:"pubkey"`  // base64
	Power   int64  `json:"power"`
}

// Status summarises a node (/status and /validators at the latest height). It is
// what the node says, not verified.
type Status struct {
	ChainID         string      `json:"chain_id"`
	Height          int64       `json:"height"`
	AppHash         string      `json:"app_hash"` // upper-case hex
	LatestBlockTime time.Time   `json:"latest_block_time"`
	CatchingUp      bool        `json:"catching_up"`
	NodeID          string      `json:"node_id"`
	Moniker         string      `json:"moniker"`
	Validators      []Validator `json:"validators"`
}

// Status queries /status and the validator set at the latest height.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	st, err := c.rpc.status(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: status: %w", err)
	}
	out := &Status{
		ChainID:         st.NodeInfo.Network,
		Height:          st.SyncInfo.LatestBlockHeight,
		AppHash:         st.SyncInfo.LatestAppHash.String(),
		LatestBlockTime: st.SyncInfo.LatestBlockTime,
		CatchingUp:      st.SyncInfo.CatchingUp,
		NodeID:          st.NodeInfo.ID,
		Moniker:         st.NodeInfo.Moniker,
		Validators:      []Validator{},
	}
	if out.Height == 0 {
		return out, nil
	}
	h := out.Height
	vals, err := c.validators(ctx, h)
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		out.Validators = append(out.Validators, Validator{
			Address: v.Address.String(),
			PubKey:  base64.StdEncoding.EncodeToString(v.PubKey.Bytes()),
			Power:   v.VotingPower,
		})
	}
	return out, nil
}

// validators fetches every page of /validators at height.
func (c *Client) validators(ctx context.Context, height int64) ([]*cmttypes.Validator, error) {
	const perPage, maxPages = 100, 100
	var vals []*cmttypes.Validator
	for page := 1; page <= maxPages; page++ {
		res, err := c.rpc.validators(ctx, height, page, perPage)
		if err != nil {
			return nil, fmt.Errorf("client: validators at %d: %w", height, err)
		}
		if len(res.Validators) == 0 {
			return nil, fmt.Errorf("client: validators at %d: empty page %d", height, page)
		}
		vals = append(vals, res.Validators...)
		if len(vals) >= res.Total {
			return vals, nil
		}
	}
	return nil, fmt.Errorf("client: validators at %d: more than %d pages", height, maxPages)
}

// Query runs abci_query. height 0 means the latest committed state. A non-zero code
// returns the response together with a *QueryError. The proofs, if any, are not
// checked here; the typed getters (Event, Member, ...) do that.
func (c *Client) Query(ctx context.Context, path string, height int64, prove bool) (*abci.ResponseQuery, error) {
	res, err := c.query(ctx, path, height, prove)
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return res, queryError(path, res)
	}
	return res, nil
}

func (c *Client) query(ctx context.Context, path string, height int64, prove bool) (*abci.ResponseQuery, error) {
	if height < 0 {
		return nil, fmt.Errorf("client: negative query height %d", height)
	}
	r, err := c.rpc.abciQuery(ctx, path, nil, height, prove)
	if err != nil {
		return nil, fmt.Errorf("client: abci_query %s: %w", path, err)
	}
	res := r.Response
	return &res, nil
}

func queryError(path string, res *abci.ResponseQuery) *QueryError {
	return &QueryError{Code: res.Code, Codespace: res.Codespace, Log: res.Log, Path: path, Height: res.Height}
}

// isNotFoundResponse reports a not_found answer from this api.
func isNotFoundResponse(res *abci.ResponseQuery) bool {
	return res.Code == api.CodeNotFound && res.Codespace == api.Codespace
}
