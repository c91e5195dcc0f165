package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/client"
	"github.com/poaledger/poaledger/epcis"
)

// pageFlags are the paging flags of the index queries: the node's pages are
// all read (and, with --prove, proven complete); --after and --limit cut the
// list the user sees, by ledger sequence (the opaque cursor).
type pageFlags struct {
	after    string
	limit    int
	from, to string
}

func (p *pageFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.after, "after", "", "cursor: only events after it (the next: value a previous page printed)")
	cmd.Flags().IntVar(&p.limit, "limit", 0, "at most N events (0: all)")
}

// historyOut is a page of events as the index queries print it.
type historyOut struct {
	client.HistoryResult
	// Next is the cursor of the following page (--after), "" when done.
	Next string `json:"next,omitempty"`
}

// cut applies --after, --limit and the eventTime window to a verified list.
func (p *pageFlags) cut(res *client.HistoryResult) (*historyOut, error) {
	var after uint64
	if p.after != "" {
		n, err := strconv.ParseUint(p.after, 10, 64)
		if err != nil {
			return nil, usagef("--after %q: want a cursor printed as next: by a previous page", p.after)
		}
		after = n + 1
	}
	from, to, err := p.window()
	if err != nil {
		return nil, err
	}
	out := &historyOut{HistoryResult: *res}
	out.Events = nil
	for _, r := range res.Events {
		if r.Seq < after {
			continue
		}
		if from != "" || to != "" {
			ev, err := epcis.Parse(r.Event)
			if err != nil {
				return nil, fmt.Errorf("recorded event %s: %w", r.ID, err)
			}
			if (from != "" && ev.EventTime < from) || (to != "" && ev.EventTime > to) {
				continue
			}
		}
		if p.limit > 0 && len(out.Events) == p.limit {
			out.Next = strconv.FormatUint(out.Events[len(out.Events)-1].Seq, 10)
			break
		}
		out.Events = append(out.Events, r)
	}
	return out, nil
}

// window turns --from/--to (RFC 3339) into epcis's canonical eventTime form.
func (p *pageFlags) window() (string, string, error) {
	conv := func(flag, s string) (string, error) {
		if s == "" {
			return "", nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", usagef("--%s %q: want an RFC 3339 time such as 2026-05-01T00:00:00Z", flag, s)
		}
		return t.UTC().Format("2006-01-02T15:04:05.000Z"), nil
	}
	from, err := conv("from", p.from)
	if err != nil {
		return "", "", err
	}
	to, err := conv("to", p.to)
	return from, to, err
}

func printEvents(w io.Writer, out *historyOut, what string) {
	rows := make([][]string, 0, len(out.Events))
	for _, r := range out.Events {
		typ, when, step := "-", "-", "-"
		if ev, err := epcis.Parse(r.Event); err == nil {
			typ, when, step = ev.Type, ev.EventTime, orDash(strings.TrimPrefix(ev.BizStep, "https://ref.gs1.org/cbv/BizStep-"))
		}
		rows = append(rows, []string{strconv.FormatUint(r.Seq, 10), strconv.FormatInt(r.Height, 10), typ, when, step, r.ID})
	}
	table(w, []string{"SEQ", "HEIGHT", "TYPE", "EVENT TIME", "BIZ STEP", "ID"}, rows)
	f := (&fields{}).add("key", "%s", out.Key).add("events", "%d", len(out.Events))
	if out.Next != "" {
		f.add("next", "%s (--after %s for the next page)", out.Next, out.Next)
	}
	f.completeRow(out.Complete, what, what+"s").stateRows(out.QueryInfo).write(w)
}

// epcisQueryCmds are query history, trace and events.
func epcisQueryCmds(g *globals) []*cobra.Command {
	var hp pageFlags
	history := provenQuery(g, "history EPC", "Every event naming an EPC (EPC URI or GS1 Digital Link), in ledger order",
		"  poaledger query history urn:epc:id:sgtin:4012345.011111.1001 --prove\n"+
			"  poaledger query history https://id.gs1.org/01/04012345111118/21/1001 --limit 10", "EPC",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*historyOut, error) {
			res, err := c.History(ctx, args[0], o)
			if err != nil {
				return nil, err
			}
			return hp.cut(res)
		},
		func(w io.Writer, out *historyOut) { printEvents(w, out, "event naming it") })
	hp.register(history)

	var ep pageFlags
	var byField = map[string]*string{}
	events := provenQuery(g, "events", "Events by indexed field: --type, --biz-step, --disposition, --read-point, --biz-location, --biz-transaction",
		"  poaledger query events --biz-step shipping --prove\n"+
			"  poaledger query events --biz-location urn:epc:id:sgln:0614141.00888.0 --from 2026-05-01T00:00:00Z --limit 20", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*historyOut, error) {
			var field, value string
			for _, name := range api.FieldNames() {
				if v := *byField[name]; v != "" {
					if field != "" {
						return nil, usagef("give one of --%s and --%s, not both", strings.ReplaceAll(field, "_", "-"), strings.ReplaceAll(name, "_", "-"))
					}
					field, value = name, v
				}
			}
			if field == "" {
				return nil, usagef("say which events: one of --type, --biz-step, --disposition, --read-point, --biz-location, --biz-transaction")
			}
			res, err := c.Events(ctx, field, value, o)
			if err != nil {
				return nil, err
			}
			return ep.cut(res)
		},
		func(w io.Writer, out *historyOut) { printEvents(w, out, "matching event") })
	ep.register(events)
	for _, name := range api.FieldNames() {
		v := new(string)
		byField[name] = v
		events.Flags().StringVar(v, strings.ReplaceAll(name, "_", "-"), "", "events whose "+name+" is this (CBV words, URNs and URIs are matched in canonical form)")
	}
	events.Flags().StringVar(&ep.from, "from", "", "only events whose eventTime is at or after this RFC 3339 time")
	events.Flags().StringVar(&ep.to, "to", "", "only events whose eventTime is at or before this RFC 3339 time")

	var depth int
	trace := provenQuery(g, "trace EPC", "The provenance graph around an EPC: aggregation, association and transformation links, both directions",
		"  poaledger query trace urn:epc:id:sscc:4012345.0000000001 --depth 3 --prove", "EPC",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*client.TraceResult, error) {
			if depth < 1 || depth > 20 {
				return nil, usagef("--depth %d: want 1..20", depth)
			}
			return c.Trace(ctx, args[0], depth, o)
		},
		func(w io.Writer, res *client.TraceResult) {
			printTrace(w, res)
			f := (&fields{}).add("nodes", "%d", len(res.Nodes)).add("edges", "%d", len(res.Edges))
			if res.Truncated {
				f.add("truncated", "true (raise --depth to follow further)")
			}
			f.completeRow(res.Complete, "link", "links").stateRows(res.QueryInfo).write(w)
		})
	trace.Flags().IntVar(&depth, "depth", 3, "how many links to follow from the EPC (1..20)")
	return []*cobra.Command{history, events, trace}
}

// printTrace prints the graph as an indented tree from the root: children and
// outputs below their parent or input, parents and inputs marked with <-.
func printTrace(w io.Writer, res *client.TraceResult) {
	out := map[string][]client.TraceEdge{}
	in := map[string][]client.TraceEdge{}
	for _, e := range res.Edges {
		out[e.From] = append(out[e.From], e)
		in[e.To] = append(in[e.To], e)
	}
	fmt.Fprintln(w, res.Root)
	seen := map[string]bool{res.Root: true}
	var walk func(n string, indent string)
	walk = func(n, indent string) {
		for _, e := range in[n] {
			if seen[e.From] {
				continue
			}
			seen[e.From] = true
			fmt.Fprintf(w, "%s<- %s %s  (event %s)\n", indent, verb(e.Kind, true), e.From, e.Event)
			walk(e.From, indent+"   ")
		}
		for _, e := range out[n] {
			if seen[e.To] {
				continue
			}
			seen[e.To] = true
			fmt.Fprintf(w, "%s-> %s %s  (event %s)\n", indent, verb(e.Kind, false), e.To, e.Event)
			walk(e.To, indent+"   ")
		}
	}
	walk(res.Root, "  ")
}

func verb(kind string, reverse bool) string {
	switch {
	case kind == "contains" && reverse:
		return "in"
	case kind == "contains":
		return "contains"
	case reverse:
		return "made from"
	}
	return "became"
}
