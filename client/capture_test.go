package client

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/epcis"
)

func captureEvent(i int) string {
	return fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.%d"]}`, i)
}

// docHead opens a valid EPCIS 2.0 document.
const docHead = `{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z",`

func TestReadDocument(t *testing.T) {
	doc := `{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISDocument",
	  "schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","epcisBody":{"eventList":[` + captureEvent(1) + `,` + captureEvent(2) + `]}}`
	events, err := ReadDocument(strings.NewReader(doc), "doc.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || string(events[0].Raw) != captureEvent(1) || events[1].ID != epcis.EventID([]byte(captureEvent(2))) {
		t.Fatalf("events %+v", events)
	}
	msg := RecordMsg(events)
	if len(msg.Events) != 2 || string(msg.Events[1]) != captureEvent(2) {
		t.Fatalf("RecordMsg = %q", msg.Events)
	}
	if ids := EventIDs(events); !slices.Equal(ids, []string{events[0].ID, events[1].ID}) {
		t.Fatalf("EventIDs = %v", ids)
	}
	single, err := ReadDocument(strings.NewReader("\n "+captureEvent(3)+"\n"), "standard input")
	if err != nil || len(single) != 1 || string(single[0].Raw) != captureEvent(3) {
		t.Fatalf("single event: %+v, %v", single, err)
	}
}

func TestReadDocumentRefuses(t *testing.T) {
	cases := []struct {
		name, doc, want string
		is              error
	}{
		{"not json", `{"type":`, "doc.json", epcis.ErrInvalidDocument},
		{"bad event names its index", docHead + `"epcisBody":{"eventList":[` + captureEvent(1) + `,{"type":"FooEvent","eventTime":"t"}]}}`, "event 1", epcis.ErrInvalidEvent},
		{"too large", strings.Repeat(" ", MaxDocumentBytes+1), "larger than", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadDocument(strings.NewReader(c.doc), "doc.json")
			if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
				t.Fatalf("ReadDocument = %v; want an error containing %q", err, c.want)
			}
		})
	}
}

func TestReadDocumentListsEveryBadEvent(t *testing.T) {
	doc := docHead + `"epcisBody":{"eventList":[{"type":"FooEvent","eventTime":"t"},` + captureEvent(1) +
		`,{"type":"ObjectEvent"}]}}`
	_, err := ReadDocument(strings.NewReader(doc), "doc.json")
	var de *DocumentError
	if !errors.As(err, &de) || len(de.Errs) != 2 || !strings.Contains(err.Error(), "event 0") || !strings.Contains(err.Error(), "event 2") {
		t.Fatalf("ReadDocument = %v; want both bad events listed", err)
	}
}

func TestSplitRecord(t *testing.T) {
	many := make([]string, tx.MaxEventsPerTx+1)
	for i := range many {
		many[i] = captureEvent(i)
	}
	events, err := ReadDocument(strings.NewReader(docHead+`"epcisBody":{"eventList":[`+strings.Join(many, ",")+`]}}`), "big.json")
	if err != nil {
		t.Fatal(err)
	}
	batches, err := SplitRecord(events, tx.MaxEventsPerTx, tx.MaxTxBytes)
	if err != nil || len(batches) != 2 || len(batches[0]) != tx.MaxEventsPerTx || len(batches[1]) != 1 {
		t.Fatalf("batches %d (%v)", len(batches), err)
	}
	// A byte bound splits too, and every batch encodes within it.
	small, err := SplitRecord(events[:10], 1000, 2048)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range small {
		total += len(b)
		body := &tx.Body{ChainID: "c", Nonce: 1 << 40, Msg: RecordMsg(b)}
		enc, err := body.Encode()
		if err != nil || len(enc)+200 > 2048 {
			t.Fatalf("batch of %d encodes to %d bytes (%v)", len(b), len(enc), err)
		}
	}
	if total != 10 || len(small) < 2 {
		t.Fatalf("%d events in %d batches", total, len(small))
	}
	huge := []epcis.Event{{Raw: make([]byte, 5000)}}
	if _, err := SplitRecord(huge, 10, 2048); err == nil {
		t.Fatal("an event larger than a tx was accepted")
	}
}

func TestRecordedIDs(t *testing.T) {
	events := []abci.Event{
		{Type: api.EventTypeMember, Attributes: []abci.EventAttribute{{Key: api.AttrAddress, Value: "A"}}},
		{Type: api.EventTypeEvent, Attributes: []abci.EventAttribute{{Key: api.AttrID, Value: "id1"}, {Key: api.AttrEPC, Value: "urn:x"}}},
		{Type: "other", Attributes: []abci.EventAttribute{{Key: api.AttrID, Value: "not-ours"}}},
		{Type: api.EventTypeEvent, Attributes: []abci.EventAttribute{{Key: api.AttrSubmitter, Value: "S"}, {Key: api.AttrID, Value: "id2"}}},
	}
	if got := RecordedIDs(events); !slices.Equal(got, []string{"id1", "id2"}) {
		t.Fatalf("RecordedIDs = %v", got)
	}
	if got := RecordedIDs(nil); got != nil {
		t.Fatalf("RecordedIDs(nil) = %v", got)
	}
}
