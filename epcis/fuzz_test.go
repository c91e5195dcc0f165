package epcis

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzSplitDocument(f *testing.F) {
	for _, rel := range []string{"Documents/AssociationEvent.json", "Documents/ObjectEvent.json", "Events/ObjectEvent.json"} {
		if b, err := os.ReadFile(filepath.Join(corpusDir, rel)); err == nil {
			f.Add(b)
		}
	}
	examples, _ := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	for _, file := range examples {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"type":"EPCISDocument","epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"t","epcList":["a"]}]}}`))
	f.Add([]byte(`{"type":"ObjectEvent","eventTime":"t","quantityList":[{"epcClass":"c"}],"parentID":"p"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		events, err := SplitDocument(doc)
		if err != nil {
			if !errors.Is(err, ErrInvalidDocument) {
				t.Fatalf("SplitDocument error %v does not wrap ErrInvalidDocument", err)
			}
			return
		}
		if len(events) == 0 {
			t.Fatal("SplitDocument accepted a document without events")
		}
		for _, ev := range events {
			if !bytes.Contains(doc, ev) {
				t.Fatalf("event %q is not a slice of the document", ev)
			}
			verr := ValidateEvent(ev)
			epcs, eerr := EPCs(ev)
			if verr != nil && !errors.Is(verr, ErrInvalidEvent) || eerr != nil && !errors.Is(eerr, ErrInvalidEvent) {
				t.Fatalf("errors %v / %v do not wrap ErrInvalidEvent", verr, eerr)
			}
			if verr == nil && (eerr != nil || len(epcs) > MaxEPCsPerEvent) {
				t.Fatalf("valid event but EPCs = %d, %v", len(epcs), eerr)
			}
			_ = EventID(ev)
		}
	})
}
