package epcis

import (
	"errors"
	"strconv"
	"strings"
)

// Limits. Every input is refused, after one read, when it passes one of them,
// so the work and memory per event are bounded whatever the input.
const (
	// MaxEventBytes bounds one event's JSON. It equals tx.MaxEventBytes (the
	// app's parameter max_event_bytes may be lower); this package does not
	// import the app.
	MaxEventBytes = 64 << 10
	// MaxDocumentBytes bounds what SplitDocument reads (equal to
	// client.MaxDocumentBytes).
	MaxDocumentBytes = 16 << 20
	// MaxEventsPerDocument bounds the events of one document.
	MaxEventsPerDocument = 100_000
	// MaxEPCsPerEvent bounds the EPC identifiers one event may name (counted
	// before de-duplication, over all the fields EPCs reads). It equals
	// tx.MaxEPCsPerEvent.
	MaxEPCsPerEvent = 1000
	// MaxListElements bounds every other list of an event (business
	// transactions, sources, destinations, sensor elements and reports,
	// persistent dispositions, certification info, corrective event ids).
	MaxListElements = 1000
	// MaxDepth bounds the nesting of JSON objects and arrays in an event (the
	// event object is level 1; a user extension may nest a few levels).
	MaxDepth = 16
	// MaxJSONValues bounds the JSON values (of any kind) in one event.
	MaxJSONValues = 16384
	// MaxIdentifierBytes bounds identifiers and URIs in standard fields
	// (EPCs, locations, business transactions, vocabulary values, eventID).
	// An EPC is also a ledger key, whose limit is 1024 bytes.
	MaxIdentifierBytes = 1000
	// MaxStringBytes bounds any other string value (user extensions, ILMD,
	// stringValue, ...).
	MaxStringBytes = 8192
	// MaxExtensionValues bounds the JSON values inside user extensions and
	// ILMD, in all (each member, element and nested value counts one).
	MaxExtensionValues = 1024
	// maxNumberDigits bounds the canonical decimal form of a JSON number, so
	// 1e999999 cannot expand into a megabyte.
	maxNumberDigits = 64
)

// Sentinel errors; every error of this package wraps one of them.
var (
	ErrInvalidDocument = errors.New("epcis: invalid document")
	ErrInvalidEvent    = errors.New("epcis: invalid event")
	ErrInvalidID       = errors.New("epcis: invalid event id")
)

// Event types of EPCIS 2.0.
const (
	ObjectEvent         = "ObjectEvent"
	AggregationEvent    = "AggregationEvent"
	TransactionEvent    = "TransactionEvent"
	TransformationEvent = "TransformationEvent"
	AssociationEvent    = "AssociationEvent"
)

// Document types of EPCIS 2.0.
const (
	DocumentType      = "EPCISDocument"
	QueryDocumentType = "EPCISQueryDocument"
)

// Actions of EPCIS 2.0.
const (
	ActionAdd     = "ADD"
	ActionObserve = "OBSERVE"
	ActionDelete  = "DELETE"
)

// IsEventType reports whether t is one of the five EPCIS 2.0 event types.
func IsEventType(t string) bool {
	return eventTypeBit(t) != 0
}

// InvalidEventError is why an event is refused: the event's index (when the
// caller knows it), the JSON path of the offending field within the event
// ("epcList[2]", "quantityList[0].quantity"; empty for the event as a whole)
// and the rule it breaks. It wraps ErrInvalidEvent.
type InvalidEventError struct {
	Index int    // index of the event in its document or transaction, or -1
	Path  string // JSON path within the event
	Rule  string // the rule broken
}

func (e *InvalidEventError) Error() string {
	var b strings.Builder
	b.WriteString("epcis: invalid event")
	if e.Index >= 0 {
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(e.Index))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Rule)
	return b.String()
}

func (e *InvalidEventError) Unwrap() error { return ErrInvalidEvent }

// WithIndex returns a copy of err with the event index set, if err is an
// *InvalidEventError; other errors are returned unchanged.
func WithIndex(err error, index int) error {
	var ie *InvalidEventError
	if errors.As(err, &ie) {
		c := *ie
		c.Index = index
		return &c
	}
	return err
}

// Event is one parsed and validated EPCIS 2.0 event: what the ledger's checks
// and indexes need, extracted in one pass over the bytes.
//
// Identifiers in the link and index fields (Parent, Children, Inputs,
// Outputs, ReadPoint, BizLocation, BizTransactions) are in canonical form
// (NormaliseEPC), vocabulary values (BizStep, Disposition) are CBV 2.0 Web
// URIs, times are UTC with millisecond precision, so equal things compare
// equal whatever form the submitter used. EPCs keeps the submitted forms.
type Event struct {
	// Raw is the event exactly as submitted (not a copy: the caller's bytes).
	Raw []byte
	// Type is one of the five EPCIS 2.0 event types.
	Type string
	// ID is the CBV 2.0 EPCIS event hash id of the event,
	// "ni:///sha-256;<64 lower-case hex>?ver=CBV2.0": the ledger key. The
	// same event submitted again, in any member order and with any
	// whitespace, has the same ID; so has a correction of it carrying an
	// errorDeclaration.
	ID string
	// EventID is the event's "eventID" as submitted, or "".
	EventID string
	// EPCs are the identifiers the event names, as submitted (see EPCs).
	EPCs []string

	// EventTime is eventTime in UTC, millisecond precision
	// ("2006-01-02T15:04:05.000Z"), so that it sorts as text.
	EventTime string
	// Action is ADD, OBSERVE or DELETE ("" for a TransformationEvent).
	Action string
	// BizStep and Disposition are the canonical values ("" if absent), e.g.
	// https://ref.gs1.org/cbv/BizStep-shipping.
	BizStep, Disposition string
	// ReadPoint and BizLocation are the canonical location ids ("" if absent).
	ReadPoint, BizLocation string
	// BizTransactions are the canonical business transaction ids, first
	// occurrence kept.
	BizTransactions []string

	// Parent is parentID (canonical), "" if absent.
	Parent string
	// Children are, for an AggregationEvent or AssociationEvent, childEPCs
	// and the epcClass of each childQuantityList element; for a
	// TransactionEvent with a parentID, epcList and the quantityList classes
	// (the objects the parent contains). Canonical, first occurrence kept.
	Children []string
	// Inputs and Outputs are, for a TransformationEvent, the input (output)
	// EPCs and quantity classes. Canonical, first occurrence kept.
	Inputs, Outputs []string

	// ErrorDeclaration is the event's errorDeclaration, or nil. Per EPCIS
	// 2.0, a correction repeats the erroneous event (same eventID, same
	// content) with an errorDeclaration added; the declaration is not part of
	// the event hash, so the correction has the ID of the original.
	ErrorDeclaration *ErrorDeclaration
}

// ErrorDeclaration is an EPCIS 2.0 error declaration.
type ErrorDeclaration struct {
	// DeclarationTime is in UTC, millisecond precision.
	DeclarationTime string
	// Reason is the canonical reason (a CBV 2.0 Web URI such as
	// https://ref.gs1.org/cbv/ER-incorrect_data, or a custom URI), or "".
	Reason string
	// CorrectiveEventIDs are the ids of the events that correct this one,
	// as submitted.
	CorrectiveEventIDs []string
}

// Parse parses one event and checks it against EPCIS 2.0 and CBV 2.0 (see the
// package documentation for the rules). The namespaces it may use are those of
// the EPCIS 2.0 context and of its own "@context". Errors are
// *InvalidEventError (wrapping ErrInvalidEvent) naming the field and the rule;
// the caller adds the event's index (WithIndex). Callers parse each event once
// and work on the returned value.
func Parse(raw []byte) (Event, error) {
	return parse(raw, false)
}

// ValidateEvent reports whether Parse accepts ev.
func ValidateEvent(ev []byte) error {
	_, err := Parse(ev)
	return err
}

// EventID returns the ID Parse gives ev (the CBV 2.0 event hash id), or ""
// if Parse refuses ev.
func EventID(ev []byte) string {
	e, err := Parse(ev)
	if err != nil {
		return ""
	}
	return e.ID
}

// EPCs returns the EPC identifiers an event names, as submitted,
// de-duplicated keeping the first occurrence, in this fixed order
// (independent of member order in the JSON): parentID; the elements of
// epcList, childEPCs, inputEPCList, outputEPCList; then the epcClass of each
// element of quantityList, childQuantityList, inputQuantityList,
// outputQuantityList. The result is non-nil (empty if the event names
// none). It validates the whole event: an event Parse refuses is an error.
func EPCs(ev []byte) ([]string, error) {
	e, err := Parse(ev)
	if err != nil {
		return nil, err
	}
	return e.EPCs, nil
}

// ParseDocument splits doc (SplitDocument) and parses every event (Parse),
// naming the index of the first event refused.
func ParseDocument(doc []byte) ([]Event, error) {
	raws, err := SplitDocument(doc)
	if err != nil {
		return nil, err
	}
	events := make([]Event, len(raws))
	for i, raw := range raws {
		if events[i], err = Parse(raw); err != nil {
			return nil, WithIndex(err, i)
		}
	}
	return events, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func memberPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func indexPath(base string, i int) string {
	return base + "[" + strconv.Itoa(i) + "]"
}
