package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/epcis"
)

// MaxDocumentBytes bounds what ReadDocument reads into memory; a document of
// more events than one tx carries is recorded in several txs (SplitRecord).
const MaxDocumentBytes = 256 << 20

// maxReportedErrors bounds the per-event errors ReadDocument lists.
const maxReportedErrors = 50

// DocumentError lists every event of a document that failed to parse, so the
// user sees them all before anything is sent.
type DocumentError struct {
	Name   string
	Events int     // events in the document
	Errs   []error // one per bad event (at most maxReportedErrors)
	More   int     // bad events beyond Errs
}

func (e *DocumentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d events are invalid:", e.Name, len(e.Errs)+e.More, e.Events)
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", e.More)
	}
	return b.String()
}

// Unwrap returns the first event's error (for errors.Is on epcis sentinels).
func (e *DocumentError) Unwrap() error {
	if len(e.Errs) == 0 {
		return nil
	}
	return e.Errs[0]
}

// ReadDocument reads an EPCISDocument (its epcisBody.eventList) or a single EPCIS
// event from r, splits it and parses every event once (epcis.Parse), so bad
// events are reported — all of them, as a *DocumentError — before anything is
// signed. name names the source in errors (a file name, or "standard input").
// The events keep the submitted bytes.
func ReadDocument(r io.Reader, name string) ([]epcis.Event, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, MaxDocumentBytes)
	}
	raws, err := epcis.SplitDocument(data)
	if err != nil {
		return nil, documentError(name, data, err) // malformed JSON: line and column
	}
	events := make([]epcis.Event, len(raws))
	derr := &DocumentError{Name: name, Events: len(raws)}
	for i, raw := range raws {
		if events[i], err = epcis.Parse(raw); err != nil {
			if len(derr.Errs) < maxReportedErrors {
				derr.Errs = append(derr.Errs, eventError(i, data, raw, err))
			} else {
				derr.More++
			}
		}
	}
	if len(derr.Errs) > 0 {
		return nil, derr
	}
	return events, nil
}

// RecordMsg is the RecordEvents message carrying events as submitted.
func RecordMsg(events []epcis.Event) *tx.RecordEvents {
	m := &tx.RecordEvents{Events: make([][]byte, len(events))}
	for i, ev := range events {
		m.Events[i] = ev.Raw
	}
	return m
}

// EventIDs returns the ids of events, in order.
func EventIDs(events []epcis.Event) []string {
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	return ids
}

// DropRecorded splits events into those the node does not hold yet (keep) and
// those it already records (skipped), looking each up by id with opts. With
// opts.Prove each answer, presence or absence, is verified first, and every
// lookup after the first reads the state height the first was verified for (one
// consistent state); a failed verification is an error, never a guess. Without
// Prove a lying node can make the client leave out an event it claims to hold
// (the event is then never recorded) or make the tx fail with code duplicate.
func (c *Client) DropRecorded(ctx context.Context, events []epcis.Event, opts QueryOpts) (keep, skipped []epcis.Event, err error) {
	opts.SkipRecordTime = true // existence is the question
	for _, ev := range events {
		// A correction (errorDeclaration) is recorded once its declaration is:
		// it names the erroneous event by eventID (or, without one, by its id).
		lookup := ev.ID
		if ev.ErrorDeclaration != nil && ev.EventID != "" {
			lookup = ev.EventID
		}
		res, err := c.Event(ctx, lookup, opts)
		var info QueryInfo
		switch {
		case err == nil && ev.ErrorDeclaration != nil && res.Declaration == nil:
			keep = append(keep, ev)
			info = res.QueryInfo
		case err == nil:
			skipped = append(skipped, ev)
			info = res.QueryInfo
		case IsNotFound(err):
			keep = append(keep, ev)
			var qe *QueryError
			if errors.As(err, &qe) {
				info = qe.info
			}
		default:
			return nil, nil, err
		}
		if opts.Prove && !info.Verified {
			return nil, nil, fmt.Errorf("client: event %s: the answer was not verified", ev.ID)
		}
		if opts.pin == nil && opts.Height == 0 {
			opts = opts.sameState(info)
		}
	}
	return keep, skipped, nil
}

// DeclaredIDs picks the ids of the recorded events a committed RecordEvents tx
// declared erroneous (api.EventTypeDeclaration), in order.
func DeclaredIDs(events []abci.Event) []string { return idsOf(events, api.EventTypeDeclaration) }

// RecordedIDs picks the ids of the events a committed RecordEvents tx recorded
// out of its ABCI events (type api.EventTypeEvent, attribute api.AttrID), in
// order.
func RecordedIDs(events []abci.Event) []string { return idsOf(events, api.EventTypeEvent) }

func idsOf(events []abci.Event, typ string) []string {
	var ids []string
	for _, ev := range events {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == api.AttrID {
				ids = append(ids, a.Value)
			}
		}
	}
	return ids
}

// txOverheadBytes is what an envelope and body add around the events of one
// RecordEvents (keys, signature, chain id, nonce, field tags): a generous bound.
const txOverheadBytes = 1024

// SplitRecord cuts events, in order, into batches that each fit one
// RecordEvents tx: at most maxEvents events (the chain's max_events_per_tx)
// and at most maxTxBytes bytes encoded. An event too large for any tx is an
// error naming it. A batch commits all or nothing; a document that needs
// several batches commits batch by batch.
func SplitRecord(events []epcis.Event, maxEvents int, maxTxBytes int) ([][]epcis.Event, error) {
	if maxEvents < 1 || maxTxBytes <= txOverheadBytes {
		return nil, fmt.Errorf("client: bad batch bounds: %d events, %d bytes", maxEvents, maxTxBytes)
	}
	var batches [][]epcis.Event
	var cur []epcis.Event
	size := txOverheadBytes
	for i, ev := range events {
		// Each event is a length-delimited field: tag + length varint + bytes.
		n := len(ev.Raw) + 1 + varintLen(uint64(len(ev.Raw)))
		if txOverheadBytes+n > maxTxBytes {
			return nil, fmt.Errorf("client: event %d is %d bytes: too large for one tx of at most %d bytes", i, len(ev.Raw), maxTxBytes)
		}
		if len(cur) == maxEvents || size+n > maxTxBytes {
			batches = append(batches, cur)
			cur, size = nil, txOverheadBytes
		}
		cur = append(cur, ev)
		size += n
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, nil
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// BatchResult is the outcome of one batch of a recorded document.
type BatchResult struct {
	Batch  int      `json:"batch"` // 0-based
	IDs    []string `json:"event_ids"`
	TxHash string   `json:"tx_hash,omitempty"`
	Height int64    `json:"height,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// RecordBatches records batches (from SplitRecord) one tx after the other,
// each waited for (a batch commits all or nothing), and reports each through
// progress (may be nil). It stops at the first batch that fails and returns the
// results so far with a *PartialRecordError saying which batches committed.
func (c *Client) RecordBatches(ctx context.Context, priv ed25519.PrivateKey, batches [][]epcis.Event, opts SendOpts,
	progress func(done, total int, r BatchResult)) ([]BatchResult, error) {
	opts.Wait = true
	var out []BatchResult
	for i, b := range batches {
		r := BatchResult{Batch: i, IDs: EventIDs(b)}
		res, err := c.Send(ctx, priv, RecordMsg(b), opts)
		if res != nil {
			r.TxHash, r.Height = res.Hash, res.Height
		}
		if err != nil {
			r.Error = err.Error()
			out = append(out, r)
			if progress != nil {
				progress(i, len(batches), r)
			}
			return out, &PartialRecordError{Committed: i, Total: len(batches), Failed: i, Err: err}
		}
		out = append(out, r)
		if progress != nil {
			progress(i+1, len(batches), r)
		}
	}
	return out, nil
}

// PartialRecordError says how far a multi-tx document got.
type PartialRecordError struct {
	Committed, Total, Failed int
	Err                      error
}

func (e *PartialRecordError) Error() string {
	if e.Total == 1 {
		return e.Err.Error()
	}
	return fmt.Sprintf("batch %d of %d failed (batches 1..%d committed, each all or nothing): %v; "+
		"re-run the same command with --skip-existing to record the rest", e.Failed+1, e.Total, e.Committed, e.Err)
}

func (e *PartialRecordError) Unwrap() error { return e.Err }
