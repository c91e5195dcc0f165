package epcis

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for _, rel := range []string{"Documents/AssociationEvent.json", "Documents/ObjectEvent.json", "Events/ObjectEvent.json",
		"Documents/SensorData_with_combined_events.json", "Documents/Namespaces_at_different_level.json",
		"Documents/epcisDocWithAllGS1Keys.json", "Invalid/ObjectEvent_with_quantity_as_text.json"} {
		if b, err := os.ReadFile(filepath.Join(corpusDir, rel)); err == nil {
			f.Add(b)
		}
	}
	for _, pattern := range []string{filepath.Join(examplesDir, "*.json"), filepath.Join(eventHashDir, "*.jsonld")} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"type":"EPCISDocument","@context":["x",{"ex":"https://ex.com/"}],"schemaVersion":"2.0","creationDate":"2025-01-01T00:00:00Z","epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2025-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","epcList":["urn:epc:id:sgtin:4012345.012000.1"],"ex:a":{"ex:b":[1,2.50,"x"]}}]}}`))
	f.Add([]byte(`{"type":"ObjectEvent","eventTime":"2025-01-01T00:00:00.9995+14:00","eventTimeZoneOffset":"-14:00","action":"OBSERVE","quantityList":[{"epcClass":"urn:epc:idpat:sgtin:4012345.012000.*","quantity":1e2,"uom":"KGM"}]}`))
	f.Add([]byte(`{"type":"AggregationEvent","eventTime":"2025-01-01T00:00:00Z","eventTimeZoneOffset":"+01:00","action":"ADD","parentID":"https://id.gs1.org/00/040123450000000017","childEPCs":["https://x.example/01/9780345418913/21/a%2Fb"]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`{"a":"\ud800"}`))
	f.Add([]byte(strings.Repeat("[", 100)))
}

func FuzzSplitDocument(f *testing.F) {
	fuzzSeeds(f)
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
			if !bytes.Contains(doc, ev) && !bytes.Contains(ev, []byte(`"@context"`)) && !bytes.Contains(ev, []byte(`ignoreFields"`)) {
				t.Fatalf("event %q is neither a slice of the document nor has a context added", ev)
			}
			checkParse(t, ev)
		}
	})
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, ev []byte) {
		checkParse(t, ev)
	})
}

// checkParse: Parse either refuses with an *InvalidEventError or accepts an
// event whose id is well formed, stable, and within the limits.
func checkParse(t *testing.T, ev []byte) {
	e, err := Parse(ev)
	if err != nil {
		var ie *InvalidEventError
		if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidEvent) {
			t.Fatalf("Parse error %v is not an *InvalidEventError wrapping ErrInvalidEvent", err)
		}
		return
	}
	if len(e.EPCs) > MaxEPCsPerEvent || e.EPCs == nil {
		t.Fatalf("EPCs = %d", len(e.EPCs))
	}
	if id, err := ParseID(e.ID); err != nil || id != e.ID {
		t.Fatalf("ID %q: ParseID = %q, %v", e.ID, id, err)
	}
	if again, err := Parse(bytes.Clone(ev)); err != nil || again.ID != e.ID {
		t.Fatalf("Parse not deterministic: %v / %s vs %s", err, again.ID, e.ID)
	}
	if len(e.EventTime) != len("2006-01-02T15:04:05.000Z") {
		t.Fatalf("EventTime %q", e.EventTime)
	}
	// The id does not depend on member order, array order or whitespace.
	if shuffled := reorder(t, ev); len(shuffled) <= MaxEventBytes {
		if again, err := Parse(shuffled); err != nil || again.ID != e.ID {
			t.Fatalf("reordered event: %v, id %s vs %s\n%s", err, again.ID, e.ID, shuffled)
		}
	}
}
