package node

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	"github.com/cometbft/cometbft/libs/log"
)

// Log formats (config.toml log_format, `poaledger start --log-format`).
const (
	LogFormatPlain = "plain"
	LogFormatJSON  = "json"
)

// nodeLogger is the logger of a node: Options.LogLevel and LogFormat, else
// config.toml's log_level and log_format.
func nodeLogger(w io.Writer, c *cmtcfg.Config, opts Options) (log.Logger, error) {
	level, format, from := c.LogLevel, c.LogFormat, "config.toml log_level / log_format"
	if opts.LogLevel != "" || opts.LogFormat != "" {
		from = "--log-level / --log-format, else config.toml"
	}
	if opts.LogLevel != "" {
		level = opts.LogLevel
	}
	if opts.LogFormat != "" {
		format = opts.LogFormat
	}
	l, err := newLogger(w, level, format)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, from)
	}
	return l, nil
}

// newLogger is the node's logger: CometBFT's plain (logfmt) or JSON logger on w,
// filtered by level (CometBFT's syntax: "info", or "consensus:debug,*:info"),
// behind an operatorLogger that keeps the info level to what an operator needs.
func newLogger(w io.Writer, level, format string) (*operatorLogger, error) {
	var base log.Logger
	switch format {
	case "", LogFormatPlain:
		base = log.NewTMLogger(log.NewSyncWriter(w))
	case LogFormatJSON:
		base = log.NewTMJSONLogger(log.NewSyncWriter(w))
	default:
		return nil, fmt.Errorf("node: log format %q: want %s or %s", format, LogFormatPlain, LogFormatJSON)
	}
	if level == "" {
		level = cmtcfg.DefaultLogLevel
	}
	filtered, err := cmtflags.ParseLogLevel(level, base, cmtcfg.DefaultLogLevel)
	if err != nil {
		return nil, fmt.Errorf("node: log level %q: %w", level, err)
	}
	return &operatorLogger{next: filtered, stopping: new(atomic.Bool)}, nil
}

// operatorLogger makes CometBFT's log read like a product's, whatever the format:
//
//   - At info, a healthy node logs what an operator needs: its versions, node ID,
//     role and addresses at start, one line per block ("finalized block": height,
//     txs, app hash), peers connecting and leaving, and a last line saying it
//     stopped and the ledger's height. CometBFT's service start/stop lines, its
//     six other lines per block, WAL replay steps and websocket subscriptions are
//     logged at debug instead (log_level "debug", or "consensus:debug,*:info").
//   - Errors CometBFT logs for things that are not errors — a peer that closed
//     its connection (EOF) or refused a dial while starting, a component stopped
//     twice or before it started, the RPC and p2p listeners returning because
//     the node closed them — go to info (peers) or debug, so that an E line
//     (level=error) always means trouble. The same messages with any other
//     cause stay errors. While the node stops, its peers' goodbyes are debug.
//   - No value is printed as a Go struct dump: a listener is logged as its address.
type operatorLogger struct {
	next     log.Logger
	stopping *atomic.Bool // set once the node is stopping: closing connections is expected
}

var _ log.Logger = (*operatorLogger)(nil)

// quietInfo are CometBFT's info messages that are logged at debug.
var quietInfo = map[string]bool{
	// start and stop of every service and component
	"service start": true, "service stop": true, "Stopping Node": true,
	"Closing blockstore": true, "Closing statestore": true, "Closing evidencestore": true,
	"Closing rpc listener": true, "RPC HTTP server stopped": true,
	// handshake and WAL replay steps (the handshake's result stays at info)
	"ABCI Replay Blocks": true, "Searching for height": true, "Found": true,
	"Catchup by replaying consensus messages": true, "Replay: Done": true, "Reactor ": true,
	// address book and peer exchange housekeeping
	"Saving AddrBook to file": true, "Ensure peers": true, "No addresses to dial. Falling back to seeds": true,
	"Adding unconditional peer ids": true, "Add our address to book": true,
	"Connection is closed @ recvRoutine (likely by the other side)": true,
	// every block: "finalized block" is the one line kept
	"Timed out": true, "received proposal": true, "received complete proposal block": true,
	"finalizing commit of block": true, "executed block": true, "committed state": true,
	"indexed block events": true,
	// every `tx --wait` subscribes over the websocket
	"New websocket connection": true, "WSJSONRPC": true, "Client closed the connection": true,
	"Subscribe to query": true, "Unsubscribe from query": true, "Unsubscribe from all": true,
}

func (l *operatorLogger) Debug(msg string, kv ...any) { l.next.Debug(msg, tidy(kv)...) }

// quietWhileStopping are info messages about peers that are expected, and
// logged at debug, once the node is stopping (its peers are often stopping too).
var quietWhileStopping = map[string]bool{
	"Reconnecting to peer": true, "Error reconnecting to peer. Trying again": true,
	"peer closed the connection": true, "peer connection closed": true, "could not dial peer (connection refused)": true,
}

func (l *operatorLogger) Info(msg string, kv ...any) {
	if quietInfo[msg] || quietWhileStopping[msg] && l.stopping.Load() {
		l.next.Debug(msg, tidy(kv)...)
		return
	}
	l.next.Info(msg, tidy(kv)...)
}

func (l *operatorLogger) Error(msg string, kv ...any) {
	kv = tidy(kv)
	switch {
	case msg == "Stopping peer for error" && valueHas(kv, "err", "EOF"):
		l.Info("peer closed the connection", kv...)
	case msg == "Stopping peer for error" && valueHas(kv, "err", "use of closed network connection"):
		if l.stopping.Load() {
			l.next.Debug(msg, kv...)
		} else {
			l.next.Info("peer connection closed", kv...)
		}
	case valueHas(kv, "error", "already stopped") || valueHas(kv, "err", "already stopped") ||
		valueHas(kv, "error", "not started") || valueHas(kv, "err", "not started"):
		// "error while stopping peer", "Error stopping pool", "error while stopping
		// connection", "Error closing websocket connection", "Error stopping
		// consensus state": stopped twice, or before it started (a node stopped
		// while still syncing)
		l.next.Debug(msg, kv...)
	case (msg == "Failed to write response" || msg == "Failed to write ping" || msg == "Failed to read request") &&
		clientGone(kv):
		// a websocket client (tx --wait) that closed or dropped its connection
		// while the node still had an event or a ping for it
		l.next.Debug(msg, kv...)
	case strings.HasPrefix(msg, "Not stopping ") && strings.HasSuffix(msg, "-- has not been started yet"):
		l.next.Debug(msg, kv...)
	case msg == "Error dialing peer" && valueHas(kv, "err", "connection refused"):
		// a peer not listening (yet): at start-up the others are starting too,
		// and persistent peers are redialled
		l.Info("could not dial peer (connection refused)", kv...)
	case msg == "Error serving server" && valueHas(kv, "err", "use of closed network connection"):
		l.next.Debug("RPC server closed", kv...) // the node closed its listener
	case msg == "Stopped accept routine, as transport is closed", msg == "Won't start a peer - switch is not running":
		l.next.Debug(msg, kv...) // the node is stopping (or not started yet)
	default:
		l.next.Error(msg, kv...)
	}
}

func (l *operatorLogger) With(kv ...any) log.Logger {
	return &operatorLogger{next: l.next.With(tidy(kv)...), stopping: l.stopping}
}

// setStopping marks the node as stopping (its own connections closing is expected).
func (l *operatorLogger) setStopping() { l.stopping.Store(true) }

// clientGone reports whether the "err" of kv says the other side of a
// connection has gone.
func clientGone(kv []any) bool {
	for _, sub := range []string{"close sent", "use of closed network connection", "broken pipe", "connection reset by peer",
		"unexpected EOF", "close 1006", "close 1001"} {
		if valueHas(kv, "err", sub) {
			return true
		}
	}
	return false
}

// valueHas reports whether the value of key in kv prints with sub in it.
func valueHas(kv []any, key, sub string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok && k == key {
			var s string
			switch v := kv[i+1].(type) {
			case error:
				s = v.Error()
			default:
				s = fmt.Sprint(v)
			}
			if strings.Contains(s, sub) {
				return true
			}
		}
	}
	return false
}

// tidy replaces values that would print as Go struct dumps (a net.Listener is
// "&{Listener:0xc000... sem:... closeOnce:{...}}") by what they are.
func tidy(kv []any) []any {
	var out []any
	for i, v := range kv {
		if i%2 == 0 {
			continue
		}
		var repl any
		switch x := v.(type) {
		case net.Listener:
			repl = x.Addr().String()
		case net.Conn:
			repl = x.RemoteAddr().String()
		default:
			continue
		}
		if out == nil {
			out = append([]any(nil), kv...)
		}
		out[i] = repl
	}
	if out == nil {
		return kv
	}
	return out
}

// logStopped logs the node's last line: it stopped, and the ledger closed at
// its last committed height (or the error Stop returned).
func (n *Node) logStopped(stopErr error) {
	if stopErr != nil {
		n.logger.Error("poaledger node stopped with errors", "err", stopErr)
		return
	}
	if n.store == nil { // Options.App: no ledger of ours
		n.logger.Info("poaledger node stopped")
		return
	}
	h := n.store.LastCommit().Version
	n.logger.Info(fmt.Sprintf("poaledger node stopped, ledger closed at height %d", h), "height", h)
}

// markStopping tells the node's logger that the node is stopping.
func (n *Node) markStopping() {
	if ol, ok := n.logger.(*operatorLogger); ok {
		ol.setStopping()
	}
}
