package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// The websocket subscription that Broadcast(wait) uses to learn when its
// transaction is in a block: CometBFT's /websocket endpoint, subscribe to
// tm.event='Tx' AND tx.hash='HASH' (and to new block headers, for progress). It
// uses the JSON-RPC websocket client of rpc/jsonrpc/client (gorilla/websocket),
// never rpc/client/http, whose imports would link a node's dependencies.
const (
	// wsDialTimeout bounds connecting to /websocket; wsSetupTimeout bounds the
	// handshake and the node's answer to both subscribe requests. A node that
	// does not manage both in time is waited for by polling instead.
	wsDialTimeout  = 5 * time.Second
	wsSetupTimeout = 5 * time.Second

	// Subscription request ids on the websocket (the node answers each
	// request, and then sends each event, with the id of its subscribe request).
	wsTxSubID     = 0
	wsHeaderSubID = 1
)

// errSubscriptionLost: the websocket closed or the node cancelled the
// subscription before the transaction's event came.
var errSubscriptionLost = errors.New("websocket subscription lost")

// txSub is a live subscription to one transaction's Tx event and to new block
// headers.
type txSub struct {
	ws *jsonrpcclient.WSClient
}

// txQuery is the event query that matches the transaction with the (upper-case
// hex) hash.
func txQuery(hash string) string {
	return fmt.Sprintf("%s='%s' AND %s='%s'", cmttypes.EventTypeKey, cmttypes.EventTx, cmttypes.TxHashKey, hash)
}

// subscribeTx subscribes, over the node's websocket, to the Tx event of the
// transaction with this hash and to new block headers, and returns once the
// node has confirmed the Tx subscription (so an event for a tx broadcast after
// it returns cannot be missed). An error means no subscription: wait by polling.
func (c *Client) subscribeTx(ctx context.Context, hash string) (*txSub, error) {
	network, addr, err := dialTarget(c.remote)
	if err != nil {
		return nil, err
	}
	// No reconnection: a lost connection is an error the caller answers by
	// polling, instead of exponential back-off for minutes.
	ws, err := jsonrpcclient.NewWS(c.remote, "/websocket", jsonrpcclient.MaxReconnectAttempts(0))
	if err != nil {
		return nil, err
	}
	ws.Dialer = func(string, string) (net.Conn, error) {
		d := net.Dialer{Timeout: wsDialTimeout}
		conn, err := d.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		// Bounds the HTTP upgrade (and TLS); gorilla/websocket clears the
		// deadline once the handshake is done.
		_ = conn.SetDeadline(time.Now().Add(wsSetupTimeout))
		return conn, nil
	}
	if err := ws.Start(); err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	s := &txSub{ws: ws}
	setup, cancel := context.WithTimeout(ctx, wsSetupTimeout)
	defer cancel()
	for id, q := range map[int]string{wsTxSubID: txQuery(hash), wsHeaderSubID: cmttypes.EventQueryNewBlockHeader.String()} {
		req, err := rpctypes.MapToRequest(rpctypes.JSONRPCIntID(id), "subscribe", map[string]any{"query": q})
		if err == nil {
			err = ws.Send(setup, req)
		}
		if err != nil {
			s.close()
			return nil, fmt.Errorf("websocket: subscribe: %w", err)
		}
	}
	// Wait for the node to confirm the Tx subscription; header events (and the
	// header subscription's answer) may come first.
	for {
		select {
		case <-setup.Done():
			s.close()
			return nil, fmt.Errorf("websocket: subscribe: %w", setup.Err())
		case resp, ok := <-ws.ResponsesCh:
			if !ok {
				s.close()
				return nil, fmt.Errorf("websocket: subscribe: %w", errSubscriptionLost)
			}
			if responseID(resp) != wsTxSubID {
				continue
			}
			if resp.Error != nil {
				s.close()
				return nil, fmt.Errorf("websocket: subscribe: %w", resp.Error)
			}
			return s, nil
		}
	}
}

// headerGrace is how long after a new block's header wait still expects that
// block's Tx event before it reports waiting for the next block (the node sends
// the events of one block on separate subscriptions, in no fixed order).
const headerGrace = 500 * time.Millisecond

// wait returns the transaction's result once its Tx event comes, calling
// onBlock with the height of each new block that did not carry it. It returns
// errSubscriptionLost when the websocket closes or the node cancels the
// subscription, and ctx's error when ctx ends.
func (s *txSub) wait(ctx context.Context, onBlock func(height int64)) (*abci.TxResult, error) {
	var (
		seen  int64            // latest header height
		grace <-chan time.Time // fires when the latest header's block did not carry the tx
	)
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-grace:
			grace = nil
			if onBlock != nil {
				onBlock(seen)
			}
		case resp, ok := <-s.ws.ResponsesCh:
			if !ok {
				return nil, errSubscriptionLost
			}
			id := responseID(resp)
			if resp.Error != nil {
				if id == wsTxSubID {
					return nil, fmt.Errorf("%w: %v", errSubscriptionLost, resp.Error)
				}
				continue // only progress is lost
			}
			var ev struct {
				Data cmttypes.TMEventData `json:"data"`
			}
			if err := cmtjson.Unmarshal(resp.Result, &ev); err != nil || ev.Data == nil {
				continue // a subscription's confirmation ({}), or an event we do not read
			}
			switch d := ev.Data.(type) {
			case cmttypes.EventDataTx:
				if id == wsTxSubID {
					r := d.TxResult
					return &r, nil
				}
			case cmttypes.EventDataNewBlockHeader:
				if d.Header.Height > seen {
					seen = d.Header.Height
					grace = time.After(headerGrace)
				}
			}
		}
	}
}

func (s *txSub) close() {
	if s != nil && s.ws.IsRunning() {
		_ = s.ws.Stop()
	}
}

// responseID is the integer id of a websocket response, -1 for any other.
func responseID(r rpctypes.RPCResponse) int {
	if id, ok := r.ID.(rpctypes.JSONRPCIntID); ok {
		return int(id)
	}
	return -1
}

// dialTarget is the network and address to dial for a normalized node address
// (tcp://, http://, https:// or unix://).
func dialTarget(remote string) (network, addr string, err error) {
	u, err := url.Parse(remote)
	if err != nil {
		return "", "", err
	}
	switch strings.ToLower(u.Scheme) {
	case "unix":
		return "unix", u.Host + u.Path, nil
	case "tcp", "http":
		if u.Port() == "" {
			return "tcp", net.JoinHostPort(u.Hostname(), "80"), nil
		}
		return "tcp", u.Host, nil
	case "https":
		if u.Port() == "" {
			return "tcp", net.JoinHostPort(u.Hostname(), "443"), nil
		}
		return "tcp", u.Host, nil
	}
	return "", "", fmt.Errorf("node address %q: unknown scheme", remote)
}
