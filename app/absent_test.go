package app

import (
	"fmt"
	"testing"
	"time"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
)

// ready reports that the filter answers for version v (tests).
func (f *absentFilter) readyAt(v int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready && f.at == v
}

// TestAbsentFilterScanAndAdvance: the filter fed by Commits, and the one a
// restarted node fills by scanning the ledger, never call a stored key absent,
// and call almost every unknown one absent; a Commit it cannot follow makes it
// answer nothing until a new scan has ended.
func TestAbsentFilterScanAndAdvance(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.block()
	nonce := uint64(0)
	for b := range 4 {
		var txs [][]byte
		for i := range 25 {
			n := b*25 + i
			ev := fmt.Appendf(nil, `{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-%012d","eventTime":"2026-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.f%d"]}`, n, n)
			txs = append(txs, h.sign(recorder, &tx.RecordEvents{Events: [][]byte{ev}}, func(body *tx.Body) { body.Nonce = nonce }))
			nonce++
		}
		for i, r := range h.block(txs...) {
			if r.Code != api.CodeOK {
				t.Fatalf("block %d tx %d: %d %s", b, i, r.Code, r.Log)
			}
		}
	}
	last := h.store.LastCommit().Version
	var stored [][]byte
	for _, p := range absentPrefixes {
		items, next, err := h.store.IterateAt(last, []byte{p}, nil, 10_000)
		if err != nil || next != nil {
			t.Fatal(err, next)
		}
		for _, kv := range items {
			stored = append(stored, kv.Key)
		}
	}
	if len(stored) != 200 {
		t.Fatalf("%d keys stored under the filter's prefixes, want 200 (100 ids, 100 eventIDs)", len(stored))
	}
	check := func(name string, f *absentFilter) {
		t.Helper()
		for _, k := range stored {
			if f.absent(k, last) {
				t.Fatalf("%s: stored key %q called absent", name, k)
			}
		}
		absent := 0
		const probes = 2000
		for i := range probes {
			k := api.EventIDKey(fmt.Sprintf("ni:///sha-256;%064x?ver=CBV2.0", i))
			if i%2 == 1 {
				k = api.EventAliasKey(fmt.Sprintf("urn:uuid:99999999-0000-4000-8000-%012d", i))
			}
			if f.absent(k, last) {
				absent++
			}
		}
		if absent < probes*95/100 {
			t.Fatalf("%s: %d of %d unknown keys called absent, want >= 95 %%", name, absent, probes)
		}
		if f.absent(api.MemberKey(make([]byte, 20)), last) {
			t.Fatalf("%s: a key outside the filter's prefixes called absent", name)
		}
		if f.absent(stored[0][:1], last-1) {
			t.Fatalf("%s: answered for an older version", name)
		}
	}
	if !h.app.memo.filter.readyAt(last) {
		t.Fatal("filter fed by Commits is not at the last version")
	}
	check("fed by commits", &h.app.memo.filter)

	// A restarted node: a new App on the same ledger scans it.
	a2, err := New(h.store, Options{ChainID: testChain})
	if err != nil {
		t.Fatal(err)
	}
	waitReady := func(f *absentFilter, v int64) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !f.readyAt(v) {
			if time.Now().After(deadline) {
				t.Fatalf("filter scan not done for version %d within a minute", v)
			}
			time.Sleep(5 * time.Millisecond) // polling a background scan
		}
	}
	waitReady(&a2.memo.filter, last)
	check("scanned", &a2.memo.filter)

	// A Commit it cannot follow (a version skipped): no answer, then a new scan.
	f := &a2.memo.filter
	f.advance(h.store, last+5)
	if f.absent(api.EventIDKey("nothing"), last+5) {
		t.Fatal("answered right after a Commit it could not follow")
	}
	waitReady(f, last)
	check("rescanned", f)
}
