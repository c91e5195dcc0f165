package client

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/epcis"
)

// TestSupplyChainQueries records the examples/ supply chain on a real node and
// asks the supply-chain questions with proofs: an item's history, the pallet's
// provenance graph, events by business step, lookups by submitted eventID, an
// error declaration beside the original, and the CBV id deduplicating a
// re-formatted copy.
func TestSupplyChainQueries(t *testing.T) {
	tn := startTestNode(t)
	c, err := New(tn.RPC)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(tn.Home, tn.GenesisFile(), c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	files, err := filepath.Glob("../examples/*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("examples: %v %v", files, err)
	}
	var all []epcis.Event
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := ReadDocument(fh, f)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(ctx, tn.Admin.PrivKey, RecordMsg(evs), SendOpts{Verifier: v, Wait: true}); err != nil {
			t.Fatalf("record %s: %v", f, err)
		}
		all = append(all, evs...)
	}
	proven := QueryOpts{Prove: true, Verifier: v}

	// History of one bottle... one cheese: commissioned, packed, unpacked, transformed.
	h, err := c.History(ctx, "urn:epc:id:sgtin:4012345.012000.1001", proven)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Complete || !h.Verified || len(h.Events) != 4 {
		t.Fatalf("history: complete %v verified %v, %d events", h.Complete, h.Verified, len(h.Events))
	}
	for i := 1; i < len(h.Events); i++ {
		if h.Events[i].Seq <= h.Events[i-1].Seq {
			t.Fatal("history not in ledger order")
		}
	}
	// The same item by its GS1 Digital Link gives the same history.
	dl, err := c.History(ctx, epcis.NormaliseEPC("urn:epc:id:sgtin:4012345.012000.1001"), proven)
	if err != nil || len(dl.Events) != 4 || dl.Key != h.Key {
		t.Fatalf("history by Digital Link: %v %+v", err, dl)
	}

	// Provenance of the pallet: cases inside, items inside them, the new product.
	tr, err := c.Trace(ctx, "urn:epc:id:sscc:4012345.0000000200", 3, proven)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{epcis.NormaliseEPC("urn:epc:id:sscc:4012345.0000000101"), epcis.NormaliseEPC("urn:epc:id:sgtin:4012345.012000.1001"),
		epcis.NormaliseEPC("urn:epc:id:sgtin:0614141.034500.7001")}
	for _, n := range want {
		if !slices.Contains(tr.Nodes, n) {
			t.Fatalf("trace nodes %v lack %s", tr.Nodes, n)
		}
	}
	if !tr.Complete || !tr.Verified || len(tr.Edges) == 0 {
		t.Fatalf("trace: complete %v verified %v edges %d", tr.Complete, tr.Verified, len(tr.Edges))
	}

	// Events by business step, bare CBV word or Web URI alike.
	for _, step := range []string{"shipping", "https://ref.gs1.org/cbv/BizStep-shipping", "urn:epcglobal:cbv:bizstep:shipping"} {
		ev, err := c.Events(ctx, "biz_step", step, proven)
		if err != nil || len(ev.Events) != 1 || !ev.Complete {
			t.Fatalf("events biz_step=%s: %v %+v", step, err, ev)
		}
	}

	// By the eventID it was submitted with, and by its ledger id in upper case.
	first := all[0]
	byAlias, err := c.Event(ctx, first.EventID, proven)
	if err != nil || byAlias.Record.ID != first.ID || !byAlias.Verified {
		t.Fatalf("event by eventID %s: %v", first.EventID, err)
	}
	if _, err := c.Event(ctx, strings.ToUpper(first.ID), proven); err != nil {
		t.Fatalf("event by upper-case id: %v", err)
	}
	var bad *InvalidIDError
	if _, err := c.Event(ctx, "ni:///sha-256;nothex?ver=CBV2.0", proven); !errors.As(err, &bad) {
		t.Fatalf("malformed id: %v", err)
	}
	if byAlias.RecordTime.Time.IsZero() || !byAlias.RecordTime.Verified || byAlias.RecordTime.Header != byAlias.Record.Height+1 {
		t.Fatalf("record time %+v for height %d", byAlias.RecordTime, byAlias.Record.Height)
	}

	// The same event re-formatted (other whitespace) is a duplicate by its CBV id.
	var indented bytes.Buffer
	indented.WriteString("{\n  ")
	indented.Write(bytes.TrimPrefix(first.Raw, []byte("{")))
	again, err := epcis.Parse(indented.Bytes())
	if err != nil || again.ID != first.ID {
		t.Fatalf("re-formatted copy: %v, id %s vs %s", err, again.ID, first.ID)
	}
	_, err = c.Send(ctx, tn.Admin.PrivKey, RecordMsg([]epcis.Event{again}), SendOpts{Verifier: v, Wait: true})
	var txe *TxError
	if !errors.As(err, &txe) || txe.Code != api.CodeDuplicate {
		t.Fatalf("re-formatted copy recorded again: %v", err)
	}

	// A correction: the event repeated with an errorDeclaration is stored beside
	// the original, which stays as recorded.
	raw := bytes.TrimSuffix(bytes.TrimSpace(first.Raw), []byte("}"))
	raw = append(raw, []byte(`,"errorDeclaration":{"declarationTime":"2026-06-01T00:00:00Z","reason":"incorrect_data","correctiveEventIDs":["urn:uuid:11111111-2222-4333-8444-555555555555"]}}`)...)
	corr, err := epcis.Parse(raw)
	if err != nil || corr.ID != first.ID || corr.ErrorDeclaration == nil {
		t.Fatalf("correction: %v %+v", err, corr.ErrorDeclaration)
	}
	if _, err := c.Send(ctx, tn.Admin.PrivKey, RecordMsg([]epcis.Event{corr}), SendOpts{Verifier: v, Wait: true}); err != nil {
		t.Fatalf("record the correction: %v", err)
	}
	got, err := c.Event(ctx, first.ID, proven)
	if err != nil || got.Declaration == nil || !bytes.Equal(got.Record.Event, first.Raw) ||
		!slices.Contains(got.Declaration.CorrectiveEventIDs, "urn:uuid:11111111-2222-4333-8444-555555555555") {
		t.Fatalf("declared event: %v %+v", err, got)
	}
	_, err = c.Send(ctx, tn.Admin.PrivKey, RecordMsg([]epcis.Event{corr}), SendOpts{Verifier: v, Wait: true})
	if !errors.As(err, &txe) || txe.Code != api.CodeDuplicate {
		t.Fatalf("second declaration: %v", err)
	}
}
