package client

// Regression tests of "verified means verified": a node (here a tampering proxy in
// front of a real one) must not make a proven query return a false or stale answer.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/internal/testutil"
)

// withGenesisMembers is a testutil.WithConfig override (applied after InitHome,
// before the node is built; c.RootDir is the home) that admits n more members at
// genesis, as recorders, and returns their keys through keys.
func withGenesisMembers(t *testing.T, n int, keys *[]ed25519.PrivateKey) testutil.Option {
	return testutil.WithConfig(func(c *cmtcfg.Config) {
		b, err := os.ReadFile(c.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		state := doc["app_state"].(map[string]any)
		members := state["members"].([]any)
		for i := range n {
			pub, priv, _ := ed25519.GenerateKey(nil)
			*keys = append(*keys, priv)
			members = append(members, map[string]any{
				"pubkey": base64.StdEncoding.EncodeToString(pub), "name": "m" + strconv.Itoa(i), "roles": []string{"recorder"},
			})
		}
		state["members"] = members
		if b, err = json.MarshalIndent(doc, "", "  "); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.GenesisFile(), b, 0o600); err != nil {
			t.Fatal(err)
		}
	})
}

// abciResponse returns the "response" of an abci_query result.
func abciResponse(method string, res map[string]any) map[string]any {
	if method != "abci_query" {
		return nil
	}
	return obj(res, "response")
}

// proofOpsOf returns the proof ops list of an abci_query response (either JSON
// spelling), and a setter.
func proofOpsOf(r map[string]any) ([]any, func([]any)) {
	for _, k := range []string{"proof_ops", "proofOps"} {
		if po, ok := r[k].(map[string]any); ok {
			ops, _ := po["ops"].([]any)
			return ops, func(n []any) { po["ops"] = n }
		}
	}
	return nil, func([]any) {}
}

func b64(v any) []byte {
	s, _ := v.(string)
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}

// heightParam reads the height of an abci_query request (sent as a string).
func heightParam(params map[string]any) int64 {
	n, _ := strconv.ParseInt(strings.Trim(toString(params["height"]), `"`), 10, 64)
	return n
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatInt(int64(x), 10)
	}
	return ""
}

// Case 1: a query of the latest state answered from an old state is refused, and a
// node claiming a latest block below a header the client verified is refused as
// stale. Before the fix, the stale answers below verified.
func TestStaleLatestAnswerRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	tn := startTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := mustClient(t, tn.RPC)
	v := mustVerifier(t, c, tn.GenesisFile())
	proven := QueryOpts{Prove: true, Verifier: v}

	res, err := c.Send(ctx, tn.Admin.PrivKey, &tx.RecordEvents{Events: [][]byte{[]byte(testEvent)}}, SendOpts{Verifier: v, Wait: true})
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	id := epcis.EventID([]byte(testEvent))
	evHeight := res.Height
	ev, err := c.Event(ctx, id, proven)
	if err != nil || !ev.Verified || ev.Height < evHeight {
		t.Fatalf("event: %+v %v", ev, err)
	}
	admin := tn.Admin.Address()
	if n, err := c.Nonce(ctx, admin, proven); err != nil || n.Nonce != 1 {
		t.Fatalf("nonce: %+v %v", n, err)
	}
	trusted, err := v.Trusted()
	if err != nil || trusted.Height <= evHeight {
		t.Fatalf("trusted: %v %v", trusted, err)
	}

	// The node answers every query of the latest state from the state before the
	// event's block (with honest proofs for that state).
	oldState := func(method string, params map[string]any) bool {
		if method != "abci_query" || heightParam(params) != 0 {
			return false
		}
		params["height"] = strconv.FormatInt(evHeight-1, 10)
		return true
	}
	t.Run("old state", func(t *testing.T) {
		px := newTamperProxy(t, tn.HTTP, nil, func(p *tamperProxy) { p.request = oldState })
		pc := mustClient(t, px.URL)
		pv := mustVerifier(t, pc, tn.GenesisFile())
		_, err := pc.Event(ctx, id, QueryOpts{Prove: true, Verifier: pv})
		wantVerifyError(t, err, "event reported missing from an old state")
		if !strings.Contains(err.Error(), "stale") {
			t.Fatalf("error does not say the answer is stale: %v", err)
		}
		_, err = pc.Nonce(ctx, admin, QueryOpts{Prove: true, Verifier: pv})
		wantVerifyError(t, err, "nonce from an old state")
		_, err = pc.Members(ctx, QueryOpts{Prove: true, Verifier: pv})
		wantVerifyError(t, err, "members from an old state")
	})

	// The node also claims its latest block is the old one: a client that has
	// verified a later header refuses it as stale.
	t.Run("stale node", func(t *testing.T) {
		px := newTamperProxy(t, tn.HTTP, func(method string, res map[string]any) bool {
			si := obj(res, "sync_info")
			if method != "status" || si == nil {
				return false
			}
			si["latest_block_height"] = strconv.FormatInt(evHeight, 10)
			return true
		}, func(p *tamperProxy) { p.request = oldState })
		pc := mustClient(t, px.URL)
		pv, err := NewVerifier(v.home, tn.GenesisFile(), pc) // the home that verified `trusted`
		if err != nil {
			t.Fatal(err)
		}
		pv.MaxWait = 5 * time.Second
		_, err = pc.Event(ctx, id, QueryOpts{Prove: true, Verifier: pv})
		wantVerifyError(t, err, "stale node")
		if !strings.Contains(err.Error(), "stale") || !strings.Contains(err.Error(), strconv.FormatInt(trusted.Height, 10)) {
			t.Fatalf("error does not say the node is stale below header %d: %v", trusted.Height, err)
		}
	})

	// The state height is in every answer, a proven absence included.
	_, err = c.Event(ctx, "no-such-event", proven)
	var qe *QueryError
	if !errors.As(err, &qe) || !qe.Verified || qe.Height < evHeight ||
		!strings.Contains(err.Error(), "state height "+strconv.FormatInt(qe.Height, 10)) {
		t.Fatalf("not found: %v", err)
	}
}

// Case 2: a proven list is complete. A page with an item left out, a last page cut
// short, an empty page, or a params value with a parameter dropped or added fails
// verification. Before the fix, the shortened lists verified.
func TestListsProvenComplete(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	var keys []ed25519.PrivateKey
	tn := testutil.StartNode(t, testutil.WithChainID("client-test"), withGenesisMembers(t, 4, &keys))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := mustClient(t, tn.RPC)
	v := mustVerifier(t, c, tn.GenesisFile())

	for _, limit := range []int{0, 1, 2, 5} {
		ms, err := c.Members(ctx, QueryOpts{Prove: true, Verifier: v, PageLimit: limit})
		if err != nil || !ms.Verified || !ms.Complete || len(ms.Members) != 5 {
			t.Fatalf("members, %d per page: %+v %v", limit, ms, err)
		}
	}
	vs, err := c.Validators(ctx, QueryOpts{Prove: true, Verifier: v})
	if err != nil || !vs.Verified || !vs.Complete || len(vs.Validators) != 1 {
		t.Fatalf("validators: %+v %v", vs, err)
	}
	mb, err := c.Misbehaviour(ctx, QueryOpts{Prove: true, Verifier: v})
	if err != nil || !mb.Verified || !mb.Complete || len(mb.Misbehaviour) != 0 {
		t.Fatalf("misbehaviour: %+v %v", mb, err)
	}
	if ms, err := c.Members(ctx, QueryOpts{}); err != nil || ms.Complete || len(ms.Members) != 5 {
		t.Fatalf("unproven members must not say complete: %+v %v", ms, err)
	}

	// rewritePage applies f to the decoded /members page and its proof ops.
	rewritePage := func(f func(p *api.MemberPage, ops []any) []any) func(string, map[string]any, map[string]any) bool {
		return func(method string, params, res map[string]any) bool {
			r := abciResponse(method, res)
			path, _ := params["path"].(string)
			if r == nil || !strings.HasPrefix(path, api.PathMembers) {
				return false
			}
			var p api.MemberPage
			if json.Unmarshal(b64(r["value"]), &p) != nil {
				return false
			}
			ops, set := proofOpsOf(r)
			set(f(&p, ops))
			b, _ := json.Marshal(p)
			r["value"] = base64.StdEncoding.EncodeToString(b)
			return true
		}
	}
	memberKey := func(raw json.RawMessage) []byte {
		var m api.Member
		_ = json.Unmarshal(raw, &m)
		a, _ := tx.ParseAddress(m.Address)
		return api.MemberKey(a)
	}
	// dropOps removes the ops for the given keys.
	dropOps := func(ops []any, keys ...[]byte) []any {
		var out []any
		for _, op := range ops {
			k := b64(op.(map[string]any)["key"])
			drop := false
			for _, d := range keys {
				drop = drop || bytes.Equal(k, d)
			}
			if !drop {
				out = append(out, op)
			}
		}
		return out
	}

	cases := []struct {
		name  string
		limit int
		f     func(p *api.MemberPage, ops []any) []any
	}{
		// The second member and the proofs naming it (its existence and the gap
		// right after it) left out: the gap proof after the first member shows it.
		{"member left out", 0, func(p *api.MemberPage, ops []any) []any {
			k := memberKey(p.Members[1])
			p.Members = append(p.Members[:1], p.Members[2:]...)
			return dropOps(ops, k, append(bytes.Clone(k), 0))
		}},
		// The last member dropped and the list said to end before it.
		{"list cut short", 0, func(p *api.MemberPage, ops []any) []any {
			last := p.Members[len(p.Members)-1]
			k := memberKey(last)
			p.Members = p.Members[:len(p.Members)-1]
			return dropOps(ops, k, append(bytes.Clone(k), 0))
		}},
		// A later page (with a cursor) said to end early.
		{"next cursor dropped", 2, func(p *api.MemberPage, ops []any) []any {
			p.Next = ""
			return ops
		}},
		// An empty page with no proofs at all.
		{"empty page", 0, func(p *api.MemberPage, ops []any) []any {
			p.Members, p.Next = []json.RawMessage{}, ""
			return nil
		}},
		// An empty page carrying the node's own proof of the first gap.
		{"empty page with a gap proof", 0, func(p *api.MemberPage, ops []any) []any {
			n := len(p.Members) // ops: n items, then the gap at the start (right neighbour: the first member)
			p.Members, p.Next = []json.RawMessage{}, ""
			return ops[n : n+1]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px := newTamperProxy(t, tn.HTTP, nil, func(p *tamperProxy) { p.result = rewritePage(tc.f) })
			pc := mustClient(t, px.URL)
			ms, err := pc.Members(ctx, QueryOpts{Prove: true, Verifier: mustVerifier(t, pc, tn.GenesisFile()), PageLimit: tc.limit})
			if err == nil {
				t.Fatalf("verified %d members, complete=%v", len(ms.Members), ms.Complete)
			}
			wantVerifyError(t, err, tc.name)
		})
	}

	// /params is one value holding every parameter: a parameter dropped or added
	// does not verify.
	for name, edit := range map[string]func(map[string]any){
		"param dropped": func(m map[string]any) { delete(m, "max_event_bytes") },
		"param added":   func(m map[string]any) { m["max_everything"] = 1 },
		"param changed": func(m map[string]any) { m["max_event_bytes"] = 1000 },
	} {
		t.Run(name, func(t *testing.T) {
			px := newTamperProxy(t, tn.HTTP, nil, func(p *tamperProxy) { p.result = paramsEdit(edit) })
			pc := mustClient(t, px.URL)
			_, err := pc.Params(ctx, QueryOpts{Prove: true, Verifier: mustVerifier(t, pc, tn.GenesisFile())})
			wantVerifyError(t, err, name)
		})
	}
}

// paramsEdit rewrites the /params value with edit.
func paramsEdit(edit func(map[string]any)) func(method string, params, res map[string]any) bool {
	return func(method string, params, res map[string]any) bool {
		r := abciResponse(method, res)
		if r == nil || params["path"] != api.PathParams {
			return false
		}
		var m map[string]any
		if json.Unmarshal(b64(r["value"]), &m) != nil {
			return false
		}
		edit(m)
		b, _ := json.Marshal(m)
		r["value"] = base64.StdEncoding.EncodeToString(b)
		return true
	}
}

// Case 3 (client side): DropRecorded with proofs refuses a node that claims an
// event it does not hold (here: it answers the lookup of a new event with another,
// recorded one).
// startWithEvent starts a test node and records testEvent through it: the
// node, a client and verifier of it, and a context of 90 s.
func startWithEvent(t *testing.T) (*testNode, context.Context, *Client, *Verifier) {
	t.Helper()
	tn := startTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	c := mustClient(t, tn.RPC)
	v := mustVerifier(t, c, tn.GenesisFile())
	if _, err := c.Send(ctx, tn.Admin.PrivKey, &tx.RecordEvents{Events: [][]byte{[]byte(testEvent)}}, SendOpts{Verifier: v, Wait: true}); err != nil {
		t.Fatal(err)
	}
	return tn, ctx, c, v
}

func TestDropRecordedProven(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	tn, ctx, c, v := startWithEvent(t)
	recorded := epcis.EventID([]byte(testEvent))
	fresh, err := epcis.Parse([]byte(strings.Replace(testEvent, "2017", "2018", 1)))
	if err != nil {
		t.Fatal(err)
	}
	old, err := epcis.Parse([]byte(testEvent))
	if err != nil {
		t.Fatal(err)
	}
	keep, skipped, err := c.DropRecorded(ctx, []epcis.Event{old, fresh}, QueryOpts{Prove: true, Verifier: v})
	if err != nil || len(keep) != 1 || keep[0].ID != fresh.ID || len(skipped) != 1 || skipped[0].ID != recorded {
		t.Fatalf("honest node: keep %v skipped %v: %v", keep, skipped, err)
	}

	px := newTamperProxy(t, tn.HTTP, nil, func(p *tamperProxy) {
		p.request = func(method string, params map[string]any) bool {
			if method != "abci_query" || params["path"] != api.PathEvent+fresh.ID {
				return false
			}
			params["path"] = api.PathEvent + recorded
			return true
		}
	})
	pc := mustClient(t, px.URL)
	_, _, err = pc.DropRecorded(ctx, []epcis.Event{fresh}, QueryOpts{Prove: true, Verifier: mustVerifier(t, pc, tn.GenesisFile())})
	wantVerifyError(t, err, "a new event claimed as recorded")
}

// Case 6: a node of another chain is refused, by name, before its nonce is used
// and before any header is checked. Before the fix, Send signed for the given
// chain with the node's nonce, and a proven query verified through such a node.
func TestNodeOfAnotherChainRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	tn := startTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var nonceAsked atomic.Bool
	px := newTamperProxy(t, tn.HTTP, func(method string, res map[string]any) bool {
		ni := obj(res, "node_info")
		if method != "status" || ni == nil {
			return false
		}
		ni["network"] = "other-chain"
		return true
	}, func(p *tamperProxy) {
		p.request = func(method string, params map[string]any) bool {
			if p, _ := params["path"].(string); method == "abci_query" && strings.HasPrefix(p, api.PathNonce) {
				nonceAsked.Store(true)
			}
			return false
		}
	})
	pc := mustClient(t, px.URL)
	msg := &tx.RecordEvents{Events: [][]byte{[]byte(testEvent)}}
	_, err := pc.SignAndBroadcast(ctx, tn.Admin.PrivKey, tn.ChainID, msg, false)
	if err == nil || !strings.Contains(err.Error(), `serves chain "other-chain"`) {
		t.Fatalf("send to a node of another chain: %v", err)
	}
	if nonceAsked.Load() {
		t.Fatal("the nonce was asked from a node of another chain")
	}
	pv := mustVerifier(t, pc, tn.GenesisFile())
	_, err = pc.Send(ctx, tn.Admin.PrivKey, msg, SendOpts{Verifier: pv})
	if err == nil || !strings.Contains(err.Error(), `serves chain "other-chain"`) {
		t.Fatalf("send with a verifier to a node of another chain: %v", err)
	}
	_, err = pc.Params(ctx, QueryOpts{Prove: true, Verifier: pv})
	wantVerifyError(t, err, "proven query of a node of another chain")
	if !strings.Contains(err.Error(), `serves chain "other-chain"`) || !strings.Contains(err.Error(), `"client-test"`) {
		t.Fatalf("error does not name both chains: %v", err)
	}

	// The honest node: Send takes the chain id from the verifier's genesis and a
	// proven nonce.
	c := mustClient(t, tn.RPC)
	v := mustVerifier(t, c, tn.GenesisFile())
	res, err := c.Send(ctx, tn.Admin.PrivKey, msg, SendOpts{Verifier: v, Wait: true})
	if err != nil || res.Height == 0 {
		t.Fatalf("send: %+v %v", res, err)
	}
	if _, err := c.Send(ctx, tn.Admin.PrivKey, msg, SendOpts{ChainID: "other-chain", Verifier: v}); err == nil {
		t.Fatal("signed for another chain than the verifier's genesis")
	}
	// The next tx reads the proven nonce 1.
	ev2 := []byte(strings.Replace(testEvent, "2017", "2019", 1))
	if _, err := c.Send(ctx, tn.Admin.PrivKey, &tx.RecordEvents{Events: [][]byte{ev2}}, SendOpts{Verifier: v, Wait: true}); err != nil {
		t.Fatalf("second send: %v", err)
	}
}

// TestProvenQueryRoundTrips: once its headers are verified, a proven query of
// the latest state on an idle chain costs two round trips (/status for the
// freshness floor, abci_query), not three: the node's latest height read for
// the floor also bounds the answer's height. An answer claiming a height
// beyond that is still checked against the node's word and refused.
func TestProvenQueryRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	tn, ctx, _, _ := startWithEvent(t)
	id := epcis.EventID([]byte(testEvent))
	var mu sync.Mutex
	calls := map[string]int{}
	px := newTamperProxy(t, tn.HTTP, nil, func(p *tamperProxy) {
		p.request = func(method string, _ map[string]any) bool {
			mu.Lock()
			calls[method]++
			mu.Unlock()
			return false
		}
	})
	pc := mustClient(t, px.URL)
	pv := mustVerifier(t, pc, tn.GenesisFile())
	proven := QueryOpts{Prove: true, Verifier: pv}
	// Warm up until the chain is idle: the answer's header is verified and
	// the chain does not move between two queries.
	var last int64
	for range 50 {
		ev, err := pc.Event(ctx, id, proven)
		if err != nil || !ev.Verified {
			t.Fatalf("event: %+v %v", ev, err)
		}
		if ev.Height == last {
			break
		}
		last = ev.Height
	}
	mu.Lock()
	clear(calls)
	mu.Unlock()
	ev, err := pc.Event(ctx, id, proven)
	if err != nil || !ev.Verified {
		t.Fatalf("event: %+v %v", ev, err)
	}
	mu.Lock()
	got := maps.Clone(calls)
	mu.Unlock()
	if got["status"] != 1 || got["abci_query"] != 1 || len(got) != 2 {
		t.Fatalf("a proven query of an idle chain made calls %v, want one status and one abci_query", got)
	}

	// A node that answers for a height past its own latest block is refused.
	beyond := newTamperProxy(t, tn.HTTP, func(method string, res map[string]any) bool {
		if method != "abci_query" {
			return false
		}
		r, ok := res["response"].(map[string]any)
		if !ok {
			return false
		}
		h, _ := strconv.ParseInt(fmt.Sprint(r["height"]), 10, 64)
		r["height"] = strconv.FormatInt(h+1000, 10)
		return true
	})
	bc := mustClient(t, beyond.URL)
	_, err = bc.Event(ctx, id, QueryOpts{Prove: true, Verifier: mustVerifier(t, bc, tn.GenesisFile())})
	wantVerifyError(t, err, "an answer for a height past the node's latest block")
	if !strings.Contains(err.Error(), "beyond the node's latest block") {
		t.Fatalf("error does not say the height is beyond the latest block: %v", err)
	}
}
