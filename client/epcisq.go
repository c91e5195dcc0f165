package client

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/epcis"
)

// HistoryResult is every event naming one EPC (or holding one field value), in
// ledger order, read at one height.
type HistoryResult struct {
	// Key is what was asked: the canonical EPC, or "field=value".
	Key    string            `json:"key"`
	Events []api.EventRecord `json:"events"`
	// Complete is true when every page was proven complete: no other event
	// names the EPC (holds the value) at this height.
	Complete bool `json:"complete"`
	QueryInfo
}

// indexSpec describes the pages of an EPC or field index (api.EventPage).
func indexSpec(path string, prefix []byte, query url.Values) listSpec {
	return listSpec{
		path: path, prefixBytes: prefix, query: query, what: "index entry",
		items: func(v []byte) ([]json.RawMessage, string, error) {
			var p api.EventPage
			if err := json.Unmarshal(v, &p); err != nil {
				return nil, "", err
			}
			out := make([]json.RawMessage, len(p.Entries))
			for i, e := range p.Entries {
				b, err := json.Marshal(e)
				if err != nil {
					return nil, "", err
				}
				out[i] = b
			}
			return out, p.Next, nil
		},
		key: func(raw json.RawMessage, _ []byte) ([]byte, error) {
			e, _, err := decodeEntry(raw)
			if err != nil {
				return nil, err
			}
			return hex.DecodeString(e.Key)
		},
		value: func(raw json.RawMessage) ([]byte, error) {
			e, _, err := decodeEntry(raw)
			return []byte(e.ID), err
		},
		extra: func(raw json.RawMessage) ([]provenKV, error) {
			e, rec, err := decodeEntry(raw)
			if err != nil {
				return nil, err
			}
			return []provenKV{{Key: api.EventLogKey(rec.Seq), Value: e.Record}}, nil
		},
	}
}

// decodeEntry checks that an index entry and the record it carries agree: the
// key ends in the record's sequence and the entry's id is the record's.
func decodeEntry(raw json.RawMessage) (api.EventEntry, api.EventRecord, error) {
	var e api.EventEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, api.EventRecord{}, fmt.Errorf("not an index entry: %v", err)
	}
	key, err := hex.DecodeString(e.Key)
	if err != nil {
		return e, api.EventRecord{}, fmt.Errorf("entry key %q: %v", e.Key, err)
	}
	seq, err := api.SeqFromIndexKey(key)
	if err != nil {
		return e, api.EventRecord{}, err
	}
	rec, err := api.DecodeEventRecord(e.Record)
	if err != nil {
		return e, rec, fmt.Errorf("entry record: %v", err)
	}
	if rec.Seq != seq || rec.ID != e.ID {
		return e, rec, fmt.Errorf("entry %x (id %s) carries the record of seq %d (id %s)", key, e.ID, rec.Seq, rec.ID)
	}
	return e, rec, nil
}

func (c *Client) index(ctx context.Context, key, path string, prefix []byte, query url.Values, opts QueryOpts) (*HistoryResult, error) {
	l, err := c.list(ctx, indexSpec(path, prefix, query), opts)
	if err != nil {
		return nil, err
	}
	out := &HistoryResult{Key: key, Events: make([]api.EventRecord, len(l.items)), Complete: l.complete, QueryInfo: l.info}
	for i, raw := range l.items {
		if _, out.Events[i], err = decodeEntry(raw); err != nil {
			return nil, fmt.Errorf("client: %s: %w", path, err)
		}
	}
	return out, nil
}

// History returns every event naming epc in any EPC-bearing field (epcList,
// parentID, childEPCs, input/output lists, quantity classes), in ledger order.
// epc may be an EPC URI or a GS1 Digital Link URI: both are looked up in
// canonical form (epcis.NormaliseEPC). With Prove the list is proven complete.
func (c *Client) History(ctx context.Context, epc string, opts QueryOpts) (*HistoryResult, error) {
	if epc == "" {
		return nil, errors.New("client: empty EPC")
	}
	canon := epcis.NormaliseEPC(epc)
	return c.index(ctx, canon, api.PathHistory+url.PathEscape(canon), api.EPCPrefix(canon), nil, opts)
}

// Events returns every event whose field (api.FieldNames) has value, in
// ledger order; with Prove the list is proven complete.
func (c *Client) Events(ctx context.Context, field, value string, opts QueryOpts) (*HistoryResult, error) {
	f, err := api.ParseField(field)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	canon := api.CanonicalFieldValue(f, value)
	q := url.Values{"field": {field}, "value": {canon}}
	return c.index(ctx, field+"="+canon, api.PathEvents, api.FieldPrefix(f, canon), q, opts)
}

// TraceEdge is one provenance link, backed by the event that states it.
type TraceEdge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Kind  string `json:"kind"`  // "contains" (parent -> child), "becomes" (input -> output)
	Event string `json:"event"` // ledger id of the event stating the link
}

// TraceResult is the provenance graph around an EPC.
type TraceResult struct {
	Root  string      `json:"root"`
	Nodes []string    `json:"nodes"`
	Edges []TraceEdge `json:"edges"`
	// Truncated is set when MaxTraceNodes or the depth stopped the walk.
	Truncated bool `json:"truncated"`
	Complete  bool `json:"complete"` // every history read was proven complete
	QueryInfo
}

// MaxTraceNodes bounds a trace's graph.
const MaxTraceNodes = 1000

// Trace follows aggregation (parent/child), association and transformation
// (input -> output) links from epc, transitively in both directions, up to
// depth hops, reading each EPC's history at one height. Every edge is stated by
// an event of those histories (verified with Prove).
func (c *Client) Trace(ctx context.Context, epc string, depth int, opts QueryOpts) (*TraceResult, error) {
	if depth < 1 {
		return nil, errors.New("client: trace depth must be at least 1")
	}
	root := epcis.NormaliseEPC(epc)
	out := &TraceResult{Root: root, Complete: true}
	seen := map[string]bool{root: true}
	edgeSeen := map[string]bool{}
	frontier := []string{root}
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []string
		for _, e := range frontier {
			h, err := c.History(ctx, e, opts)
			if err != nil {
				return nil, err
			}
			if out.Height == 0 {
				out.QueryInfo = h.QueryInfo
				opts = opts.sameState(h.QueryInfo) // one state for the whole graph
			}
			out.Complete = out.Complete && h.Complete
			for _, rec := range h.Events {
				ev, err := epcis.Parse(rec.Event)
				if err != nil {
					return nil, fmt.Errorf("client: trace: recorded event %s: %w", rec.ID, err)
				}
				for _, edge := range links(ev, rec.ID) {
					k := edge.From + "\x00" + edge.To + "\x00" + edge.Kind
					if edgeSeen[k] || (edge.From != e && edge.To != e) {
						continue
					}
					edgeSeen[k] = true
					out.Edges = append(out.Edges, edge)
					for _, n := range []string{edge.From, edge.To} {
						if !seen[n] {
							if len(seen) >= MaxTraceNodes {
								out.Truncated = true
								continue
							}
							seen[n] = true
							next = append(next, n)
						}
					}
				}
			}
		}
		frontier = next
		if d == depth-1 && len(next) > 0 {
			out.Truncated = true
		}
	}
	for n := range seen {
		out.Nodes = append(out.Nodes, n)
	}
	sort.Strings(out.Nodes)
	return out, nil
}

// links are the provenance edges an event states (canonical ids).
func links(ev epcis.Event, id string) []TraceEdge {
	var out []TraceEdge
	if ev.Parent != "" {
		for _, ch := range ev.Children {
			out = append(out, TraceEdge{From: ev.Parent, To: ch, Kind: "contains", Event: id})
		}
	}
	for _, in := range ev.Inputs {
		for _, o := range ev.Outputs {
			out = append(out, TraceEdge{From: in, To: o, Kind: "becomes", Event: id})
		}
	}
	return out
}
