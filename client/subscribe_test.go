package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/epcis"
)

// TestWaitOverWebsocket: Send with Wait learns the tx's block from the node's
// websocket (no tx_search polling), and reports each step in order: asking the
// node, broadcasting, in the mempool, waiting for a numbered block, committed.
func TestWaitOverWebsocket(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	tn := startTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := mustClient(t, tn.RPC)

	var mu sync.Mutex
	var steps []Progress
	progress := func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, p)
	}
	ev := strings.Replace(testEvent, "10:00:00Z", "10:00:07Z", 1)
	res, err := c.Send(ctx, tn.Admin.PrivKey, &tx.RecordEvents{Events: [][]byte{[]byte(ev)}}, SendOpts{Wait: true, Progress: progress})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.Height == 0 || len(RecordedIDs(res.Events)) != 1 || RecordedIDs(res.Events)[0] != epcis.EventID([]byte(ev)) {
		t.Fatalf("result %+v", res)
	}
	mu.Lock()
	defer mu.Unlock()
	var stages []Stage
	for _, p := range steps {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
		if p.Polling {
			t.Fatalf("polled although the node has a websocket: %v", p)
		}
		if p.Remote != c.Remote() {
			t.Fatalf("step %v names node %q", p, p.Remote)
		}
	}
	want := []Stage{StageConnect, StageBroadcast, StageMempool, StageBlock, StageCommitted}
	if fmt.Sprint(stages) != fmt.Sprint(want) {
		t.Fatalf("stages %v, want %v (%v)", stages, want, steps)
	}
	var waited Progress
	for _, p := range steps {
		if p.Stage == StageBlock {
			waited = p
		}
	}
	last := steps[len(steps)-1]
	if waited.Height == 0 || waited.Height > res.Height || last.Height != res.Height || last.Hash != res.Hash {
		t.Fatalf("waited for %v, then %v; tx in block %d", waited, last, res.Height)
	}
	if s := waited.String(); !strings.Contains(s, fmt.Sprintf("waiting for block %d", waited.Height)) {
		t.Fatalf("status line %q", s)
	}

	// The subscription is in place before the tx is sent: a tx that commits at
	// once is not missed, and a second wait on the same client works too.
	if _, err := c.Send(ctx, tn.Admin.PrivKey, &tx.RecordEvents{Events: [][]byte{[]byte(strings.Replace(ev, "10:00:07Z", "10:00:08Z", 1))}},
		SendOpts{Wait: true}); err != nil {
		t.Fatalf("second send: %v", err)
	}
}

// TestSubscribeUnavailable: without a websocket (a plain HTTP JSON-RPC server)
// subscribeTx fails fast, so Broadcast falls back to polling; a node address
// nobody listens on fails at once too.
func TestSubscribeUnavailable(t *testing.T) {
	_, srv := newFakeRPC(t, func(string, map[string]json.RawMessage) (any, error) { return map[string]any{}, nil })
	for _, remote := range []string{srv.URL, "tcp://127.0.0.1:1"} {
		start := time.Now()
		sub, err := mustClient(t, remote).subscribeTx(context.Background(), "AB")
		if err == nil {
			sub.close()
			t.Fatalf("%s: subscribed", remote)
		}
		if d := time.Since(start); d > wsSetupTimeout {
			t.Fatalf("%s: failed after %s", remote, d)
		}
	}
}

// TestProgressText: the status line says what is waited for.
func TestProgressText(t *testing.T) {
	h := "0123456789ABCDEF0123"
	for _, c := range []struct {
		p    Progress
		want string
	}{
		{Progress{Stage: StageConnect, Remote: "tcp://n:1"}, "asking tcp://n:1 for the chain id and nonce"},
		{Progress{Stage: StageBroadcast, Remote: "tcp://n:1", Hash: h}, "broadcasting tx 0123456789AB… to tcp://n:1"},
		{Progress{Stage: StageMempool, Hash: h}, "tx 0123456789AB… is in the mempool"},
		{Progress{Stage: StageBlock, Hash: h, Height: 12}, "tx 0123456789AB… is in the mempool, waiting for block 12"},
		{Progress{Stage: StageBlock, Hash: h, Polling: true}, "tx 0123456789AB… is in the mempool, waiting for the next block (polling: no websocket)"},
		{Progress{Stage: StageCommitted, Hash: h, Height: 12}, "tx 0123456789AB… committed in block 12"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

// TestDocumentErrorPosition: malformed JSON is reported by line and column,
// whichever parser found it, and a bad event by its line in the file; the
// errors still wrap epcis's.
func TestDocumentErrorPosition(t *testing.T) {
	bad := "{\n  \"type\": \"ObjectEvent\",\n  \"eventTime\": x\n}\n"
	_, err := ReadDocument(strings.NewReader(bad), "bad.json")
	if err == nil || !strings.HasPrefix(err.Error(), "bad.json: ") || !strings.Contains(err.Error(), "at line 3, column 16") {
		t.Fatalf("malformed JSON: %v", err)
	}
	if !errors.Is(err, epcis.ErrInvalidDocument) {
		t.Fatalf("does not wrap epcis.ErrInvalidDocument: %v", err)
	}
	if strings.Contains(err.Error(), "at byte") {
		t.Fatalf("byte offset left in %q", err)
	}

	truncated := "{\"type\": \"EPCISDocument\",\n \"epcisBody\": {\"eventList\": ["
	if _, err := ReadDocument(strings.NewReader(truncated), "cut.json"); err == nil || !strings.Contains(err.Error(), "at line 2, column") {
		t.Fatalf("truncated JSON: %v", err)
	}

	doc := "{\"@context\": [\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\"],\n\"type\": \"EPCISDocument\", \"schemaVersion\": \"2.0\", \"creationDate\": \"2024-05-01T10:00:00Z\", \"epcisBody\": {\"eventList\": [\n" + testEvent + ",\n{\"type\": \"FooEvent\", \"eventTime\": \"t\"}\n]}}"
	_, err = ReadDocument(strings.NewReader(doc), "doc.json")
	if err == nil || !strings.Contains(err.Error(), "event 1 (line 4): ") {
		t.Fatalf("bad event: %v", err)
	}

	if l, c := lineCol([]byte("ab\ncdé\nf"), 7); l != 2 || c != 4 {
		t.Fatalf("lineCol: %d:%d, want 2:4 (columns count characters)", l, c)
	}
}
