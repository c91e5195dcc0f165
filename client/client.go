package client

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
)

// PollInterval is how often Broadcast(wait=true) and the verifier poll the node for
// a transaction or a block that does not exist yet.
const PollInterval = 200 * time.Millisecond

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

// Broadcast sends txBytes with broadcast_tx_sync. A CheckTx refusal is a *TxError.
// With wait, it then polls /tx until the transaction is in a block (bounded by ctx)
// and returns its height, result and events; a non-zero result code is a *TxError.
func (c *Client) Broadcast(ctx context.Context, txBytes []byte, wait bool) (*BroadcastResult, error) {
	res, err := c.rpc.broadcastTxSync(ctx, txBytes)
	if err != nil {
		return nil, fmt.Errorf("client: broadcast_tx_sync: %w", err)
	}
	hash := fmt.Sprintf("%X", tx.Hash(txBytes))
	if got := res.Hash.String(); got != "" && got != hash {
		return nil, fmt.Errorf("client: node reports tx hash %s, expected %s", got, hash)
	}
	if res.Code != 0 {
		return nil, &TxError{Code: res.Code, Codespace: res.Codespace, Log: res.Log, Hash: hash}
	}
	out := &BroadcastResult{Hash: hash}
	if !wait {
		return out, nil
	}
	hashBytes := tx.Hash(txBytes)
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		r, err := c.rpc.tx(ctx, hashBytes)
		switch {
		case err == nil:
			out.Height, out.Code, out.Log, out.Events = r.Height, r.TxResult.Code, r.TxResult.Log, r.TxResult.Events
			if r.TxResult.Code != 0 {
				return out, &TxError{Code: r.TxResult.Code, Codespace: r.TxResult.Codespace, Log: r.TxResult.Log,
					Hash: hash, Height: r.Height}
			}
			return out, nil
		case strings.Contains(err.Error(), "not found"):
			// not in a block yet
		case strings.Contains(err.Error(), "indexing is disabled"):
			return out, fmt.Errorf("client: cannot wait for tx %s: the node's tx indexer is disabled: %w", hash, err)
		case ctx.Err() != nil:
			return out, fmt.Errorf("client: waiting for tx %s: %w", hash, ctx.Err())
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("client: tx %s accepted but not yet in a block: %w", hash, ctx.Err())
		case <-tick.C:
		}
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
	return c.Broadcast(ctx, txBytes, opts.Wait)
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
