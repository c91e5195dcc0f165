package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// TestOperatorLogger: CometBFT's benign "errors" are not E lines, real errors
// still are, chatty info is debug, and no struct dump is printed.
func TestOperatorLogger(t *testing.T) {
	var buf bytes.Buffer
	l, err := newLogger(&buf, "info", LogFormatPlain)
	if err != nil {
		t.Fatal(err)
	}
	p2p := l.With("module", "p2p")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	p2p.Error("Stopping peer for error", "peer", "Peer{MConn{127.0.0.1:1} ab in}", "err", io.EOF)
	p2p.Error("error while stopping peer", "error", errors.New("already stopped"))
	l.Error("Error stopping pool", "err", errors.New("already stopped"))
	l.Error("Error stopping consensus state", "err", errors.New("not started"))
	l.Error("Not stopping State service -- has not been started yet", "impl", "ConsensusState")
	l.Error("Error serving server", "err", errors.New("accept tcp 127.0.0.1:26657: use of closed network connection"))
	p2p.Error("Stopped accept routine, as transport is closed", "numPeers", 0)
	p2p.Error("Error dialing peer", "err", errors.New("dial tcp 127.0.0.1:26620: connect: connection refused"))
	l.Error("Failed to write response", "err", errors.New("websocket: close sent"), "msg", "RPCResponse{1 7B22}")
	l.Error("Error closing websocket connection", "err", errors.New("already stopped"))
	l.Info("Closing rpc listener", "listener", ln)
	l.Info("service start", "msg", "Starting Node service")
	l.Info("executed block", "height", 3)
	l.Info("finalized block", "height", 3)
	l.Info("something", "listener", ln)
	// Real trouble stays an error, even under a benign message.
	p2p.Error("Stopping peer for error", "peer", "Peer{...}", "err", errors.New("auth failure: secret conn failed"))
	l.Error("Error stopping pool", "err", errors.New("disk on fire"))

	out := buf.String()
	var errs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "E[") {
			errs = append(errs, line)
		}
	}
	if len(errs) != 2 || !strings.Contains(errs[0], "auth failure") || !strings.Contains(errs[1], "disk on fire") {
		t.Errorf("error lines %q, want only the two real errors; log:\n%s", errs, out)
	}
	for _, want := range []string{"peer closed the connection", "could not dial peer (connection refused)", "finalized block",
		"listener=" + ln.Addr().String()} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, quiet := range []string{"service start", "executed block", "Closing rpc listener", "&{"} {
		if strings.Contains(out, quiet) {
			t.Errorf("log has %q at info:\n%s", quiet, out)
		}
	}

	// While stopping, peers leaving are not news either.
	buf.Reset()
	l.setStopping()
	p2p.Error("Stopping peer for error", "peer", "Peer{...}", "err", io.EOF)
	p2p.Info("Reconnecting to peer", "addr", "ab@127.0.0.1:1")
	if buf.Len() != 0 {
		t.Errorf("while stopping: %s", buf.String())
	}

	// JSON lines, level names as CometBFT writes them.
	buf.Reset()
	jl, err := newLogger(&buf, "info", LogFormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	jl.Error("Error serving server", "err", errors.New("use of closed network connection"))
	jl.Info("finalized block", "height", 4)
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil || line["_msg"] != "finalized block" || line["level"] != "info" {
		t.Errorf("json log %q: %v", buf.String(), err)
	}

	if _, err := newLogger(&buf, "info", "xml"); err == nil {
		t.Error("log format xml accepted")
	}
	if _, err := newLogger(&buf, "consensus:loud", LogFormatPlain); err == nil {
		t.Error("log level consensus:loud accepted")
	}
}
