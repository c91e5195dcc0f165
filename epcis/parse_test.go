package epcis

import (
	"errors"
	"slices"
	"testing"
)

// TestParseOnePass checks that Parse returns, from one pass, what ValidateEvent,
// EventID and EPCs give separately, and refuses what they refuse.
func TestParseOnePass(t *testing.T) {
	good := []string{
		`{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","action":"ADD","epcList":["urn:a","urn:b","urn:a"]}`,
		`{"type":"AggregationEvent","eventTime":"t","parentID":"urn:p","childEPCs":["urn:c"],"childQuantityList":[{"epcClass":"urn:q"}]}`,
		`{"type":"TransformationEvent","eventTime":"t","inputEPCList":["urn:i"],"outputQuantityList":[{"epcClass":"urn:o","quantity":2}]}`,
		`{"eventTime":"t","type":"AssociationEvent"}`,
	}
	for _, raw := range good {
		ev, err := Parse([]byte(raw))
		if err != nil {
			t.Fatalf("Parse(%s): %v", raw, err)
		}
		epcs, err := EPCs([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != EventID([]byte(raw)) || !slices.Equal(ev.EPCs, epcs) || string(ev.Raw) != raw || !IsEventType(ev.Type) {
			t.Fatalf("Parse(%s) = %+v; want id %s, EPCs %v", raw, ev, EventID([]byte(raw)), epcs)
		}
		if err := ValidateEvent([]byte(raw)); err != nil {
			t.Fatalf("ValidateEvent disagrees with Parse on %s: %v", raw, err)
		}
	}
	bad := map[string]string{
		"not an object":    `[1]`,
		"no type":          `{"eventTime":"t"}`,
		"type not string":  `{"type":1,"eventTime":"t"}`,
		"unknown type":     `{"type":"FooEvent","eventTime":"t"}`,
		"no eventTime":     `{"type":"ObjectEvent"}`,
		"empty eventTime":  `{"type":"ObjectEvent","eventTime":""}`,
		"epcList not list": `{"type":"ObjectEvent","eventTime":"t","epcList":"urn:a"}`,
		"empty epc":        `{"type":"ObjectEvent","eventTime":"t","epcList":[""]}`,
		"duplicate key":    `{"type":"ObjectEvent","eventTime":"t","type":"ObjectEvent"}`,
	}
	for name, raw := range bad {
		if ev, err := Parse([]byte(raw)); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: Parse = %+v, %v; want ErrInvalidEvent", name, ev, err)
		}
		if err := ValidateEvent([]byte(raw)); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: ValidateEvent = %v; want ErrInvalidEvent", name, err)
		}
	}
}
