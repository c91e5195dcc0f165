package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poaledger/poaledger/internal/testutil"
)

// A document with more events than one tx carries is recorded in several txs,
// each all or nothing, reported batch by batch; re-running it with
// --skip-existing records nothing twice.
func TestRecordLargeDocumentInBatches(t *testing.T) {
	tn := testutil.StartNode(t, testutil.WithChainID("cli-batches"))
	home := []string{"--home", tn.Home, "--node", tn.RPC, "--timeout", "60s"}
	// A lone authority's proposal passes at once: two events per tx from now on.
	if out, err := verifyCLI(append([]string{"tx", "propose", "set-param", "max_events_per_tx", "2", "--from", "admin", "--wait"}, home...)...); err != nil ||
		!strings.Contains(out, "passed") {
		t.Fatalf("set-param: %v\n%s", err, out)
	}
	out, err := verifyCLI(append([]string{"tx", "record", "../../examples/02-pack.json", "--from", "admin", "-o", "json"}, home...)...)
	if err != nil {
		t.Fatalf("record in batches: %v\n%s", err, out)
	}
	var res batchesOut
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Batches) != 2 ||
		len(res.Batches[0].IDs) != 2 || len(res.Batches[1].IDs) != 1 || res.Batches[1].Height < res.Batches[0].Height {
		t.Fatalf("batches: %+v %v\n%s", res, err, out)
	}
	for _, b := range res.Batches {
		if b.Error != "" || b.Height == 0 {
			t.Fatalf("batch %d: %+v", b.Batch, b)
		}
	}
	// A batch that fails stops the run and says which batches committed: the
	// shipping event is recorded alone, then a document of two new events and it.
	if out, err := verifyCLI(append([]string{"tx", "record", "../../examples/03-ship.json", "--from", "admin", "--wait"}, home...)...); err != nil {
		t.Fatalf("record the shipping event: %v\n%s", err, out)
	}
	doc := mergeDocs(t, "../../examples/04-receive.json", "../../examples/03-ship.json")
	out, err = verifyCLI(append([]string{"tx", "record", doc, "--from", "admin"}, home...)...)
	if err == nil || !strings.Contains(err.Error(), "batch 2 of 2 failed (batches 1..1 committed") || !strings.Contains(err.Error(), "--skip-existing") {
		t.Fatalf("partial run: %v\n%s", err, out)
	}
	// Again with --skip-existing: everything is recorded, nothing is sent.
	out, err = verifyCLI(append([]string{"tx", "record", "../../examples/02-pack.json", "--from", "admin", "--skip-existing", "-o", "json"}, home...)...)
	var again txOut
	if err != nil || json.Unmarshal([]byte(out), &again) != nil || len(again.Skipped) != 3 {
		t.Fatalf("re-run with --skip-existing: %v\n%s", err, out)
	}
}

// mergeDocs writes one EPCIS document holding the events of docs, in order.
func mergeDocs(t *testing.T, docs ...string) string {
	t.Helper()
	var events []json.RawMessage
	var head map[string]json.RawMessage
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var body struct {
			EventList []json.RawMessage `json:"eventList"`
		}
		if err := json.Unmarshal(doc["epcisBody"], &body); err != nil {
			t.Fatal(err)
		}
		events = append(events, body.EventList...)
		if head == nil {
			head = doc
		}
	}
	list, _ := json.Marshal(map[string]any{"eventList": events})
	head["epcisBody"] = list
	b, _ := json.Marshal(head)
	p := filepath.Join(t.TempDir(), "merged.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
