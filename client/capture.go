package client

import (
	"context"
	"errors"
	"fmt"
	"io"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/epcis"
)

// MaxDocumentBytes bounds what ReadDocument reads. One tx carries at most
// tx.MaxTxBytes; a larger document is refused before it is parsed.
const MaxDocumentBytes = 16 << 20

// ReadDocument reads an EPCISDocument (its epcisBody.eventList) or a single EPCIS
// event from r, splits it and parses every event once (epcis.Parse), so a bad
// event is reported before anything is signed. name names the source in errors
// (a file name, or "standard input"). The events keep the submitted bytes.
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
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(raws) > tx.MaxEventsPerTx {
		return nil, fmt.Errorf("%s: %d events, at most %d per tx: split the document", name, len(raws), tx.MaxEventsPerTx)
	}
	events := make([]epcis.Event, len(raws))
	for i, raw := range raws {
		if events[i], err = epcis.Parse(raw); err != nil {
			return nil, fmt.Errorf("%s: event %d: %w", name, i, err)
		}
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
	for _, ev := range events {
		res, err := c.Event(ctx, ev.ID, opts)
		var info QueryInfo
		switch {
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

// RecordedIDs picks the ids of the events a committed RecordEvents tx recorded
// out of its ABCI events (type api.EventTypeEvent, attribute api.AttrID), in
// order.
func RecordedIDs(events []abci.Event) []string {
	var ids []string
	for _, ev := range events {
		if ev.Type != api.EventTypeEvent {
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
