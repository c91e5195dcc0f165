// Package epcis is the ledger's intake of GS1 EPCIS 2.0 events in JSON(-LD):
// splitting a capture document into events, a minimal validation, the event
// id and the EPC identifiers an event names.
//
// The package is pure and deterministic: no I/O, no clock, no randomness, no
// floats (numbers stay raw JSON), and no dependence on map iteration order.
// Every function is a function of its input bytes only, so every validator
// computes the same result for the same transaction.
//
// Events are kept as the bytes submitted: SplitDocument returns each event's
// raw JSON exactly as it appears in the document, the ledger stores those
// bytes, and EventID hashes them. JSON objects with duplicate keys are
// rejected (in events, their quantity elements, and the document envelope),
// since JSON parsers disagree about which duplicate wins.
//
// Scope for now: ValidateEvent checks only that an event is a JSON object
// with a known event type, an eventTime and well-formed EPC lists within
// MaxEPCsPerEvent; EventID is sha256 of the bytes. A later version adds full
// EPCIS 2.0 / CBV 2.0 validation behind ValidateEvent and changes EventID to
// the CBV 2.0 event hash id; the function signatures stay.
package epcis
