package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxEPCsPerEvent bounds the EPC identifiers one event may name (counted
// before de-duplication, over all the fields EPCs reads). It equals
// tx.MaxEPCsPerEvent; this package does not import the app.
const MaxEPCsPerEvent = 1000

// Sentinel errors; every error of this package wraps one of them.
var (
	ErrInvalidDocument = errors.New("epcis: invalid document")
	ErrInvalidEvent    = errors.New("epcis: invalid event")
)

// Event types of EPCIS 2.0.
const (
	ObjectEvent         = "ObjectEvent"
	AggregationEvent    = "AggregationEvent"
	TransactionEvent    = "TransactionEvent"
	TransformationEvent = "TransformationEvent"
	AssociationEvent    = "AssociationEvent"
)

// DocumentType is the "type" of an EPCIS 2.0 document.
const DocumentType = "EPCISDocument"

// IsEventType reports whether t is one of the five EPCIS 2.0 event types.
func IsEventType(t string) bool {
	switch t {
	case ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent:
		return true
	}
	return false
}

// SplitDocument accepts an EPCISDocument (a JSON object with "type":
// "EPCISDocument" and an epcisBody.eventList array of at least one object)
// or any other JSON object, taken to be a single event. It returns the bytes
// of each event exactly as they appear in doc (the raw JSON of the array
// element, or doc without surrounding whitespace; copies, not re-encoded),
// in document order. It does not validate the events: call ValidateEvent on
// each. Duplicate keys in the document object or its epcisBody are rejected.
//
// The document's "@context" is not copied into the events; events that use
// namespace prefixes declared only there keep them unexpanded.
func SplitDocument(doc []byte) ([][]byte, error) {
	o, err := parseObject(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	if t, ok := asString(o.get("type")); !ok || t != DocumentType {
		return [][]byte{bytes.Clone(bytes.Trim(doc, " \t\r\n"))}, nil
	}
	rawBody := o.get("epcisBody")
	if rawBody == nil {
		return nil, fmt.Errorf("%w: no epcisBody", ErrInvalidDocument)
	}
	body, err := parseObject(rawBody)
	if err != nil {
		return nil, fmt.Errorf("%w: epcisBody: %v", ErrInvalidDocument, err)
	}
	list, ok := asArray(body.get("eventList"))
	if !ok {
		return nil, fmt.Errorf("%w: epcisBody has no eventList array", ErrInvalidDocument)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: empty eventList", ErrInvalidDocument)
	}
	events := make([][]byte, len(list))
	for i, ev := range list {
		if k := jsonKind(ev); k != '{' {
			return nil, fmt.Errorf("%w: eventList[%d] is %s, want an object", ErrInvalidDocument, i, kindName(k))
		}
		events[i] = []byte(ev)
	}
	return events, nil
}

// Event is one parsed and validated EPCIS event: what the ledger's checks and
// indexes need, extracted in one pass over the bytes.
type Event struct {
	// Raw is the event exactly as submitted (not a copy: the caller's bytes).
	Raw []byte
	// Type is one of the five EPCIS 2.0 event types.
	Type string
	// ID is the id under which the ledger knows the event (see EventID).
	ID string
	// EPCs are the identifiers the event names, as EPCs documents them.
	EPCs []string
}

// Parse parses one event and checks the minimum every recorded event must meet:
// a JSON object without duplicate top-level keys, a "type" naming one of the
// five EPCIS 2.0 event types, a non-empty string "eventTime", and well-formed
// EPC fields naming at most MaxEPCsPerEvent identifiers. Errors wrap
// ErrInvalidEvent. The size bound (tx.MaxEventBytes) is the app's to check.
// Callers parse each event once and work on the returned value.
func Parse(raw []byte) (Event, error) {
	o, err := parseEvent(raw)
	if err != nil {
		return Event{}, err
	}
	t, ok := asString(o.get("type"))
	switch {
	case o.get("type") == nil:
		return Event{}, fmt.Errorf("%w: missing type", ErrInvalidEvent)
	case !ok:
		return Event{}, fmt.Errorf("%w: type is not a string", ErrInvalidEvent)
	case !IsEventType(t):
		return Event{}, fmt.Errorf("%w: unknown event type %q", ErrInvalidEvent, t)
	}
	et, ok := asString(o.get("eventTime"))
	switch {
	case o.get("eventTime") == nil:
		return Event{}, fmt.Errorf("%w: missing eventTime", ErrInvalidEvent)
	case !ok || et == "":
		return Event{}, fmt.Errorf("%w: eventTime is not a non-empty string", ErrInvalidEvent)
	}
	list, err := epcs(o)
	if err != nil {
		return Event{}, err
	}
	return Event{Raw: raw, Type: t, ID: EventID(raw), EPCs: list}, nil
}

// ValidateEvent reports whether Parse accepts ev.
func ValidateEvent(ev []byte) error {
	_, err := Parse(ev)
	return err
}

// EventID returns the id under which the ledger knows an event: for now the
// lower-case hex sha256 of the event bytes as submitted. A later version will
// use the CBV 2.0 event hash id instead.
func EventID(ev []byte) string {
	sum := sha256.Sum256(ev)
	return hex.EncodeToString(sum[:])
}

// EPCs returns the EPC identifiers an event names, de-duplicated keeping the
// first occurrence, in this fixed order (independent of key order in the
// JSON): parentID; the elements of epcList, childEPCs, inputEPCList,
// outputEPCList; then the epcClass of each element of quantityList,
// childQuantityList, inputQuantityList, outputQuantityList. Absent fields are
// skipped; a present field of the wrong JSON type, an empty identifier, a
// quantity element without a string epcClass, or more than MaxEPCsPerEvent
// identifiers in all is an error wrapping ErrInvalidEvent. The result is
// non-nil (empty if the event names none). It does not check the rest of the
// event: Parse does both.
func EPCs(ev []byte) ([]string, error) {
	o, err := parseEvent(ev)
	if err != nil {
		return nil, err
	}
	return epcs(o)
}

func parseEvent(ev []byte) (*object, error) {
	o, err := parseObject(ev)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	return o, nil
}

// Fields read by EPCs, in output order.
var (
	epcListFields      = []string{"epcList", "childEPCs", "inputEPCList", "outputEPCList"}
	quantityListFields = []string{"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}
)

func epcs(o *object) ([]string, error) {
	c := epcCollector{out: []string{}, seen: make(map[string]bool)}
	if raw := o.get("parentID"); raw != nil {
		s, ok := asString(raw)
		if !ok {
			return nil, fmt.Errorf("%w: parentID is not a string", ErrInvalidEvent)
		}
		if err := c.add("parentID", s); err != nil {
			return nil, err
		}
	}
	for _, field := range epcListFields {
		elems, err := listField(o, field)
		if err != nil {
			return nil, err
		}
		for i, raw := range elems {
			s, ok := asString(raw)
			if !ok {
				return nil, fmt.Errorf("%w: %s[%d] is not a string", ErrInvalidEvent, field, i)
			}
			if err := c.add(field, s); err != nil {
				return nil, err
			}
		}
	}
	for _, field := range quantityListFields {
		elems, err := listField(o, field)
		if err != nil {
			return nil, err
		}
		for i, raw := range elems {
			q, err := parseObject(raw)
			if err != nil {
				return nil, fmt.Errorf("%w: %s[%d]: %v", ErrInvalidEvent, field, i, err)
			}
			s, ok := asString(q.get("epcClass"))
			if !ok {
				return nil, fmt.Errorf("%w: %s[%d]: no string epcClass", ErrInvalidEvent, field, i)
			}
			if err := c.add(field, s); err != nil {
				return nil, err
			}
		}
	}
	return c.out, nil
}

// listField returns the elements of an optional array field.
func listField(o *object, field string) ([]json.RawMessage, error) {
	raw := o.get(field)
	if raw == nil {
		return nil, nil
	}
	elems, ok := asArray(raw)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an array", ErrInvalidEvent, field)
	}
	return elems, nil
}

// epcCollector de-duplicates identifiers in first-seen order and bounds
// their count (before de-duplication, so the work per event is bounded too).
type epcCollector struct {
	out   []string
	seen  map[string]bool // lookups only
	count int
}

func (c *epcCollector) add(field, epc string) error {
	if epc == "" {
		return fmt.Errorf("%w: %s: empty identifier", ErrInvalidEvent, field)
	}
	c.count++
	if c.count > MaxEPCsPerEvent {
		return fmt.Errorf("%w: more than %d EPC identifiers", ErrInvalidEvent, MaxEPCsPerEvent)
	}
	if !c.seen[epc] {
		c.seen[epc] = true
		c.out = append(c.out, epc)
	}
	return nil
}
