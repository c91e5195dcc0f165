package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/epcis"
)

const testEvent = `{"type":"ObjectEvent","eventTime":"2024-05-01T10:00:00Z","eventTimeZoneOffset":"+00:00",` +
	`"action":"OBSERVE","bizStep":"shipping","epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`

// tamperProxy is a reverse proxy in front of a node's JSON-RPC endpoint that lets
// a test rewrite the "result" of chosen methods.
type tamperProxy struct {
	*httptest.Server
	target string
	// mutate, if set, may rewrite the result of a call to method; it returns whether
	// it changed anything.
	mutate func(method string, result map[string]any) bool
	// request, if set, may rewrite the params of a call before it reaches the
	// node (a node that answers another question than the one asked).
	request func(method string, params map[string]any) bool
	// result, if set, may rewrite the result of a call knowing its params (as
	// the client sent them).
	result func(method string, params, result map[string]any) bool
}

// newTamperProxy starts a proxy to target; each configure sets the proxy's hooks
// before it serves.
func newTamperProxy(t *testing.T, target string, mutate func(string, map[string]any) bool, configure ...func(*tamperProxy)) *tamperProxy {
	p := &tamperProxy{target: target, mutate: mutate}
	for _, f := range configure {
		f(p)
	}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *tamperProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct {
		Method string         `json:"method"`
		Params map[string]any `json:"params"`
	}
	_ = json.Unmarshal(body, &req)
	sent := map[string]any{}
	for k, v := range req.Params {
		sent[k] = v
	}
	if p.request != nil && req.Method != "" && req.Params != nil && p.request(req.Method, req.Params) {
		var env map[string]any
		if json.Unmarshal(body, &env) == nil {
			env["params"] = req.Params
			body, _ = json.Marshal(env)
		}
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if (p.mutate != nil || p.result != nil) && req.Method != "" {
		var env map[string]any
		if json.Unmarshal(rb, &env) == nil {
			if res, ok := env["result"].(map[string]any); ok {
				changed := p.mutate != nil && p.mutate(req.Method, res)
				changed = p.result != nil && p.result(req.Method, sent, res) || changed
				if changed {
					rb, _ = json.Marshal(env)
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(rb)
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

func mustClient(t *testing.T, remote string) *Client {
	t.Helper()
	c, err := New(remote)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustVerifier(t *testing.T, c *Client, genesis string) *Verifier {
	t.Helper()
	v, err := NewVerifier(t.TempDir(), genesis, c)
	if err != nil {
		t.Fatal(err)
	}
	v.MaxWait = 20 * time.Second
	return v
}

func wantVerifyError(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: verification succeeded, want ErrVerification", what)
	}
	if !errors.Is(err, ErrVerification) {
		t.Fatalf("%s: error %v (%T) does not wrap ErrVerification", what, err, err)
	}
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Reason == "" {
		t.Fatalf("%s: error %v is not a *VerifyError with a reason", what, err)
	}
	t.Logf("%s: %v", what, err)
}

func TestNodeVerifiedQueriesAndTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	tn := startTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := mustClient(t, tn.RPC)

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ChainID != tn.ChainID || len(st.Validators) != 1 || st.Validators[0].Power != 10 || st.Height < 1 {
		t.Fatalf("status: %+v", st)
	}

	// A refused tx is a *TxError with the app's code.
	_, badTx, err := tx.Sign(tn.Admin.PrivKey, &tx.Body{ChainID: "other-chain", Nonce: 0,
		Msg: &tx.RecordEvents{Events: [][]byte{[]byte(testEvent)}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Broadcast(ctx, badTx, false)
	var txe *TxError
	if !errors.As(err, &txe) || txe.Code != api.CodeWrongChainID || !strings.Contains(err.Error(), "wrong_chain_id") {
		t.Fatalf("wrong chain id: %v", err)
	}

	res, err := c.SignAndBroadcast(ctx, tn.Admin.PrivKey, "", &tx.RecordEvents{Events: [][]byte{[]byte(testEvent)}}, true)
	if err != nil {
		t.Fatalf("record event: %v", err)
	}
	if res.Height < 1 || len(res.Hash) != 64 || res.Code != 0 || len(res.Events) == 0 {
		t.Fatalf("broadcast result: %+v", res)
	}
	id := epcis.EventID([]byte(testEvent))
	evHeight := res.Height

	v := mustVerifier(t, c, tn.GenesisFile())
	proven := QueryOpts{Prove: true, Verifier: v}

	ev, err := c.Event(ctx, id, proven)
	if err != nil {
		t.Fatalf("proven event: %v", err)
	}
	if !ev.Verified || ev.ProofHeight != ev.Height+1 || ev.Height < evHeight || ev.Record.ID != id ||
		ev.Record.Height != evHeight || string(ev.Record.Event) != testEvent {
		t.Fatalf("proven event: %+v", ev)
	}

	// Absence at the height before the event's block is proven too.
	_, err = c.Event(ctx, id, QueryOpts{Height: evHeight - 1, Prove: true, Verifier: v})
	var qe *QueryError
	if !IsNotFound(err) || !errors.As(err, &qe) || !qe.Verified || qe.ProofHeight != evHeight {
		t.Fatalf("event before its block: %v", err)
	}
	if _, err := c.Event(ctx, "no-such-event", proven); !IsNotFound(err) {
		t.Fatalf("missing event: %v", err)
	}

	admin := tn.Admin.Address()
	m, err := c.Member(ctx, admin, proven)
	if err != nil || !m.Verified || m.Member.Address != admin {
		t.Fatalf("member: %+v %v", m, err)
	}
	ms, err := c.Members(ctx, proven)
	if err != nil || !ms.Verified || len(ms.Members) != 1 {
		t.Fatalf("members: %+v %v", ms, err)
	}
	n, err := c.Nonce(ctx, admin, proven)
	if err != nil || !n.Verified || n.Nonce != 1 {
		t.Fatalf("nonce: %+v %v", n, err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	if n, err := c.Nonce(ctx, tx.AddressString(tx.Address(pub)), proven); err != nil || !n.Verified || n.Nonce != 0 {
		t.Fatalf("nonce of a stranger: %+v %v", n, err)
	}
	p, err := c.Params(ctx, proven)
	if err != nil || !p.Verified || p.Params != api.DefaultParams() {
		t.Fatalf("params: %+v %v", p, err)
	}

	// The latest trusted header is on disk, private.
	fi, err := os.Stat(v.TrustFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("trust file: %v %v", fi, err)
	}
	if di, err := os.Stat(filepath.Dir(v.TrustFile())); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("trust dir: %v %v", di, err)
	}
	trusted, err := v.Trusted()
	if err != nil || trusted == nil || trusted.Height <= evHeight {
		t.Fatalf("trusted header: %v %v", trusted, err)
	}
	// A header below the trusted one is verified again from genesis.
	if lb, err := v.VerifyHeader(ctx, evHeight); err != nil || lb.Height != evHeight {
		t.Fatalf("verify header below trusted: %v", err)
	}
	// A new verifier in the same home starts from the stored header.
	v2, err := NewVerifier(v.home, tn.GenesisFile(), c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Event(ctx, id, QueryOpts{Prove: true, Verifier: v2}); err != nil {
		t.Fatalf("event with reopened verifier: %v", err)
	}

	t.Run("untampered proxy", func(t *testing.T) {
		px := newTamperProxy(t, tn.HTTP, nil)
		pc := mustClient(t, px.URL)
		ev, err := pc.Event(ctx, id, QueryOpts{Prove: true, Verifier: mustVerifier(t, pc, tn.GenesisFile())})
		if err != nil || !ev.Verified {
			t.Fatalf("through proxy: %v", err)
		}
	})

	cases := []struct {
		name   string
		mutate func(method string, res map[string]any) bool
	}{
		{"query value", func(method string, res map[string]any) bool {
			r := obj(res, "response")
			if method != "abci_query" || r == nil {
				return false
			}
			val, _ := base64.StdEncoding.DecodeString(r["value"].(string))
			// An event answer carries the record base64-encoded: change the
			// event inside it.
			var ans api.EventAnswer
			if json.Unmarshal(val, &ans) == nil && ans.Record != nil {
				ans.Record = bytes.Replace(ans.Record, []byte("shipping"), []byte("shippinG"), 1)
				val, _ = json.Marshal(ans)
			} else {
				val = bytes.Replace(val, []byte("shipping"), []byte("shippinG"), 1)
			}
			r["value"] = base64.StdEncoding.EncodeToString(val)
			return true
		}},
		{"query height", func(method string, res map[string]any) bool {
			r := obj(res, "response")
			if method != "abci_query" || r == nil {
				return false
			}
			r["height"] = strconv.FormatInt(evHeight-1, 10)
			return true
		}},
		{"header app hash", func(method string, res map[string]any) bool {
			h := obj(res, "signed_header", "header")
			if method != "commit" || h == nil || h["height"] == "1" {
				return false
			}
			h["app_hash"] = strings.Repeat("AB", 32)
			return true
		}},
		{"genesis header", func(method string, res map[string]any) bool {
			h := obj(res, "signed_header", "header")
			if method != "commit" || h == nil || h["height"] != "1" {
				return false
			}
			h["time"] = time.Now().UTC().Format(time.RFC3339Nano)
			return true
		}},
		{"validators", swapValidators(false)},
		{"genesis validators", swapValidators(true)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px := newTamperProxy(t, tn.HTTP, tc.mutate)
			pc := mustClient(t, px.URL)
			_, err := pc.Event(ctx, id, QueryOpts{Prove: true, Verifier: mustVerifier(t, pc, tn.GenesisFile())})
			wantVerifyError(t, err, tc.name)
		})
	}

	t.Run("corrupt trust file", func(t *testing.T) {
		v := mustVerifier(t, c, tn.GenesisFile())
		if err := os.MkdirAll(filepath.Dir(v.TrustFile()), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(v.TrustFile(), []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := c.Event(ctx, id, QueryOpts{Prove: true, Verifier: v})
		if err == nil || !strings.Contains(err.Error(), v.TrustFile()) || !strings.Contains(err.Error(), "delete it") {
			t.Fatalf("corrupt trust file: %v", err)
		}
	})

	t.Run("other genesis", func(t *testing.T) {
		// A genesis naming another validator is not the chain the node serves.
		b, err := os.ReadFile(tn.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		pub, _, _ := ed25519.GenerateKey(nil)
		val := doc["validators"].([]any)[0].(map[string]any)
		val["pub_key"].(map[string]any)["value"] = base64.StdEncoding.EncodeToString(pub)
		val["address"] = strings.ToUpper(hex.EncodeToString(tx.Address(pub)))
		b, _ = json.Marshal(doc)
		gen := filepath.Join(t.TempDir(), "genesis.json")
		if err := os.WriteFile(gen, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = c.Event(ctx, id, QueryOpts{Prove: true, Verifier: mustVerifier(t, c, gen)})
		wantVerifyError(t, err, "other genesis")
	})
}

// swapValidators replaces the validator in /validators responses with a fresh key,
// at the genesis height only or at every other height.
func swapValidators(genesis bool) func(string, map[string]any) bool {
	return func(method string, res map[string]any) bool {
		if method != "validators" {
			return false
		}
		if (res["block_height"] == "1") != genesis {
			return false
		}
		vals, _ := res["validators"].([]any)
		if len(vals) == 0 {
			return false
		}
		pub, _, _ := ed25519.GenerateKey(nil)
		v := vals[0].(map[string]any)
		v["address"] = strings.ToUpper(hex.EncodeToString(tx.Address(pub)))
		v["pub_key"].(map[string]any)["value"] = base64.StdEncoding.EncodeToString(pub)
		return true
	}
}
