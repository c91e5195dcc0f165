package api

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/poaledger/poaledger/epcis"
)

// Field is an event field the ledger indexes (query events).
type Field byte

// Indexed fields. The byte values are part of the key layout: never renumber.
const (
	FieldType           Field = 1 // event type
	FieldBizStep        Field = 2 // canonical bizStep
	FieldDisposition    Field = 3 // canonical disposition
	FieldReadPoint      Field = 4 // canonical readPoint id
	FieldBizLocation    Field = 5 // canonical bizLocation id
	FieldBizTransaction Field = 6 // each canonical business transaction id
)

// fieldNames are the names of the fields in query paths and the CLI.
var fieldNames = map[Field]string{
	FieldType: "type", FieldBizStep: "biz_step", FieldDisposition: "disposition",
	FieldReadPoint: "read_point", FieldBizLocation: "biz_location", FieldBizTransaction: "biz_transaction",
}

// FieldNames lists the indexed fields' names, in field order.
func FieldNames() []string {
	out := make([]string, 0, len(fieldNames))
	for f := FieldType; f <= FieldBizTransaction; f++ {
		out = append(out, fieldNames[f])
	}
	return out
}

// ParseField returns the field of a name (FieldNames).
func ParseField(name string) (Field, error) {
	for f := FieldType; f <= FieldBizTransaction; f++ {
		if fieldNames[f] == name {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown event field %q; fields: %v", name, FieldNames())
}

func (f Field) String() string { return fieldNames[f] }

// EPCIS query paths.
const (
	// PathHistory lists the events naming an EPC in any EPC-bearing field:
	// /history/<canonical epc>[?cursor=<hex>&limit=<n>], value = EventPage JSON.
	PathHistory = "/history/"
	// PathEvents lists the events whose field has a value:
	// /events?field=<name>&value=<value>[&cursor=<hex>&limit=<n>], value = EventPage JSON.
	PathEvents = "/events"
)

// EventAnswer is the value of an /event/<id> query: the record and, when the
// event was declared erroneous, the declaration (EPCIS errorDeclaration), each
// exactly as stored and proven (base64 in JSON: re-encoding JSON would change
// the bytes the proofs cover).
type EventAnswer struct {
	Record      []byte `json:"record"`
	Declaration []byte `json:"declaration,omitempty"`
}

// Declaration is an EPCIS error declaration recorded beside the event it
// declares erroneous (the original stays immutable). Event is the correction
// as submitted (the original plus its errorDeclaration).
type Declaration struct {
	ID                 string          `json:"id"`
	DeclarationTime    string          `json:"declaration_time"`
	Reason             string          `json:"reason,omitempty"`
	CorrectiveEventIDs []string        `json:"corrective_event_ids,omitempty"`
	Submitter          string          `json:"submitter"`
	Height             int64           `json:"height"`
	TxHash             string          `json:"tx_hash"`
	Event              json.RawMessage `json:"event"`
}

// EventPage is a page of an index query (/history, /events): the index entries
// in ledger sequence order, each with its event record.
type EventPage struct {
	Entries []EventEntry `json:"entries"`
	// Next is the cursor (hex index key) of the following page; "" when done.
	Next string `json:"next,omitempty"`
}

// EventEntry is one index entry: its key and the event record it points at
// (exactly as stored and proven; base64 in JSON).
type EventEntry struct {
	Key    string `json:"key"` // hex index key
	ID     string `json:"id"`  // the entry's value
	Record []byte `json:"record"`
}

// FieldValue is one indexed value of an event.
type FieldValue struct {
	Field Field
	Value string
}

// EventLookup is how an /event/<s> query finds its event: s is either a ledger
// id (a CBV 2.0 event hash id, in any case the standard allows, or its 64 hex
// digits), or else the eventID the event was submitted with, resolved through
// EventAliasKey. The node and the client compute it alike, so the client
// knows which keys the answer must prove.
type EventLookup struct {
	// ID is the canonical ledger id when s is one; "" for an alias lookup.
	ID string
	// Alias is the submitted eventID to resolve when s is not a ledger id.
	Alias string
}

// LookupEvent classifies s (see EventLookup). A string that starts like a
// ledger id ("ni:") but is malformed is an error, not an alias.
func LookupEvent(s string) (EventLookup, error) {
	if s == "" {
		return EventLookup{}, fmt.Errorf("empty event id")
	}
	if id, err := epcis.ParseID(s); err == nil {
		return EventLookup{ID: id}, nil
	} else if strings.HasPrefix(strings.ToLower(s), "ni:") {
		return EventLookup{}, err
	}
	return EventLookup{Alias: s}, nil
}

// CanonicalFieldValue is the form a field value is indexed under: EPCIS
// canonical identifiers (epcis.NormaliseEPC for locations, CBV Web URIs for
// vocabulary words as epcis reports them); the type as given.
func CanonicalFieldValue(f Field, v string) string {
	switch f {
	case FieldReadPoint, FieldBizLocation:
		return epcis.NormaliseEPC(v)
	case FieldBizStep:
		return cbvTerm(v, "BizStep-", "urn:epcglobal:cbv:bizstep:")
	case FieldDisposition:
		return cbvTerm(v, "Disp-", "urn:epcglobal:cbv:disp:")
	}
	return v
}

// cbvTerm turns a bare CBV word or its CBV 1.x URN into the CBV 2.0 Web URI the
// ledger indexes (epcis gives Event's vocabulary fields in that form); any
// other URI is a user-defined value, kept as given.
func cbvTerm(v, web, urn string) string {
	const base = "https://ref.gs1.org/cbv/"
	switch {
	case strings.HasPrefix(strings.ToLower(v), urn):
		return base + web + v[len(urn):]
	case !strings.Contains(v, ":"):
		return base + web + v
	}
	return v
}
