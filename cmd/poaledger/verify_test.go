package main

// Regression tests of the CLI's verification plumbing against a lying node (a
// proxy in front of a real one that rewrites requests or answers).

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/internal/testutil"
)

const cliTestEvent = `{"type":"ObjectEvent","eventTime":"2024-05-01T10:00:00Z","eventTimeZoneOffset":"+00:00",` +
	`"action":"OBSERVE","bizStep":"shipping","epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`

// lyingProxy forwards JSON-RPC calls to target; request may rewrite a call's
// params, result its answer.
func lyingProxy(t *testing.T, target string, request func(method string, params map[string]any) bool,
	result func(method string, res map[string]any) bool,
) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env map[string]any
		_ = json.Unmarshal(body, &env)
		method, _ := env["method"].(string)
		if params, ok := env["params"].(map[string]any); ok && request != nil && request(method, params) {
			body, _ = json.Marshal(env)
		}
		out, err := http.NewRequestWithContext(r.Context(), http.MethodPost, target, bytes.NewReader(body))
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
		rb, _ := io.ReadAll(resp.Body)
		var renv map[string]any
		if result != nil && json.Unmarshal(rb, &renv) == nil {
			if res, ok := renv["result"].(map[string]any); ok && result(method, res) {
				rb, _ = json.Marshal(renv)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(rb)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// runCLI runs the CLI in-process and returns stdout+stderr and the error.
func verifyCLI(args ...string) (string, error) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func writeEvent(t *testing.T, event string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(event), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Case 3: `tx record --skip-existing` proves which events are recorded. A node that
// answers the lookup of a new event with a recorded one does not get the new event
// left out: the command fails, saying it could not verify, and sends nothing.
// Before the fix it printed "already recorded; nothing sent". Without a genesis
// to verify against it says so. Case 6: --chain-id defaults to the home's genesis
// and a node of another chain is refused by name.
func TestSkipExistingAndChainVerified(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	tn := testutil.StartNode(t, testutil.WithChainID("cli-verify"))
	recorded := writeEvent(t, cliTestEvent)
	freshEvent := strings.Replace(cliTestEvent, "2017", "2018", 1)
	fresh := writeEvent(t, freshEvent)
	recordedID, freshID := epcis.EventID([]byte(cliTestEvent)), epcis.EventID([]byte(freshEvent))
	home := []string{"--home", tn.Home, "--timeout", "60s"}

	if out, err := verifyCLI(append([]string{"tx", "record", recorded, "--from", "admin", "--wait", "--node", tn.RPC}, home...)...); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}

	lie := lyingProxy(t, tn.HTTP, func(method string, params map[string]any) bool {
		if method != "abci_query" || params["path"] != api.PathEvent+freshID {
			return false
		}
		params["path"] = api.PathEvent + recordedID
		return true
	}, nil)
	out, err := verifyCLI(append([]string{"tx", "record", fresh, "--from", "admin", "--skip-existing", "--node", lie, "-o", "json"}, home...)...)
	if err == nil || !strings.Contains(err.Error(), "--skip-existing could not verify") {
		t.Fatalf("a lying node made --skip-existing drop a new event: %v\n%s", err, out)
	}
	t.Logf("lying node: %v", err)

	// Without a genesis to verify against, --skip-existing says it cannot verify.
	bare := t.TempDir()
	if err := os.CopyFS(filepath.Join(bare, "keys"), os.DirFS(filepath.Join(tn.Home, "keys"))); err != nil {
		t.Fatal(err)
	}
	_, err = verifyCLI("tx", "record", fresh, "--from", "admin", "--skip-existing", "--node", tn.RPC, "--home", bare)
	if err == nil || !strings.Contains(err.Error(), "--skip-existing cannot verify") || !strings.Contains(err.Error(), "--genesis") {
		t.Fatalf("no genesis: %v", err)
	}

	// A node of another chain is refused before anything is signed.
	other := lyingProxy(t, tn.HTTP, nil, func(method string, res map[string]any) bool {
		ni, _ := res["node_info"].(map[string]any)
		if method != "status" || ni == nil {
			return false
		}
		ni["network"] = "someone-elses-chain"
		return true
	})
	_, err = verifyCLI(append([]string{"tx", "record", fresh, "--from", "admin", "--node", other}, home...)...)
	if err == nil || !strings.Contains(err.Error(), `serves chain "someone-elses-chain"`) || !strings.Contains(err.Error(), `"cli-verify"`) {
		t.Fatalf("node of another chain: %v", err)
	}

	// The honest node: the fresh event is kept, the recorded one skipped, both
	// proven; a proven absence prints its state height; members are complete.
	both := writeEvent(t, `{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISDocument",`+
		`"schemaVersion":"2.0","creationDate":"2024-05-01T10:00:00Z","epcisBody":{"eventList":[`+cliTestEvent+`,`+freshEvent+`]}}`)
	out, err = verifyCLI(append([]string{"tx", "record", both, "--from", "admin", "--skip-existing", "--wait", "--node", tn.RPC, "-o", "json"}, home...)...)
	if err != nil {
		t.Fatalf("skip-existing on the honest node: %v\n%s", err, out)
	}
	var res txOut
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Skipped) != 1 || res.Skipped[0] != recordedID ||
		len(res.EventIDs) != 1 || res.EventIDs[0] != freshID {
		t.Fatalf("skip-existing: %+v %v\n%s", res, err, out)
	}
	_, err = verifyCLI(append([]string{"query", "event", "no-such-event", "--prove", "--node", tn.RPC}, home...)...)
	if err == nil || !strings.Contains(err.Error(), "state height") || !strings.Contains(err.Error(), "absence verified") {
		t.Fatalf("proven absence: %v", err)
	}
	out, err = verifyCLI(append([]string{"query", "event", "no-such-event", "--prove", "--node", tn.RPC, "-o", "json"}, home...)...)
	var nf notFoundOut
	if err == nil || json.Unmarshal([]byte(out), &nf) != nil || !nf.NotFound || !nf.Verified || nf.Height < 1 || nf.ProofHeight != nf.Height+1 {
		t.Fatalf("proven absence, JSON: %v\n%s", err, out)
	}
	out, err = verifyCLI(append([]string{"query", "members", "--prove", "--node", tn.RPC}, home...)...)
	if err != nil || !strings.Contains(out, "verified: true") || !strings.Contains(out, "complete: true") {
		t.Fatalf("members: %v\n%s", err, out)
	}
	out, err = verifyCLI(append([]string{"query", "validators", "--prove", "--node", tn.RPC, "-o", "json"}, home...)...)
	if err != nil || !strings.Contains(out, `"complete": true`) {
		t.Fatalf("validators: %v\n%s", err, out)
	}
}
