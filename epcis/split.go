package epcis

import (
	"bytes"
	"fmt"
	"slices"
)

// SplitDocument cuts a capture document into its events.
//
// doc is one of:
//   - an EPCISDocument: a JSON object with "type": "EPCISDocument",
//     "@context", "schemaVersion" (a string), "creationDate" (an RFC 3339
//     date-time) and epcisBody.eventList, an array of at least one object;
//   - an EPCISQueryDocument: the same with the events in
//     epcisBody.queryResults.resultsBody.eventList;
//   - any other JSON object, taken to be a single event (returned without
//     the surrounding whitespace; Parse tells whether it is one).
//
// It returns each event's JSON in document order, as copies. An event is
// returned exactly as it appears in the document unless it needs something
// from the document to be read alone:
//
//   - Namespaces. If the event uses a prefix (in a member name at any depth,
//     or in a string value, as "prefix:...") that the document's "@context"
//     declares and the event's own "@context" does not, the event gets the
//     document's context: its "@context" becomes an array of the document's
//     context entries followed by its own (so its own definitions win, as in
//     JSON-LD), or, without one, `"@context":[<document's entries>],` is
//     inserted right after its opening brace. All other bytes stay as they
//     are.
//   - Ignored fields. If the document (or its queryResults) has a member
//     "<prefix>:ignoreFields" listing members a repository added to events,
//     and the event has one of them, that member is inserted in the event
//     the same way, so its hash id leaves them out (see the event hash).
//
// It does not validate the events beyond JSON syntax: call Parse on each.
// Documents larger than MaxDocumentBytes, with more than
// MaxEventsPerDocument events or nested deeper than the event limits allow
// are refused. Errors wrap ErrInvalidDocument.
func SplitDocument(doc []byte) ([][]byte, error) {
	fail := func(format string, args ...any) ([][]byte, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidDocument}, args...)...)
	}
	if len(doc) > MaxDocumentBytes {
		return fail("%d bytes, more than %d", len(doc), MaxDocumentBytes)
	}
	const maxDocDepth = MaxDepth + 6 // document, epcisBody, queryResults, resultsBody, eventList
	top, err := parseJSON(doc, maxDocDepth, 1, MaxEventsPerDocument+1)
	if err != nil {
		return fail("%v", err)
	}
	if top.nodes[0].kind != kindObject {
		return fail("want a JSON object, got %s", top.nodes[0].kind)
	}
	typ := top.get(0, "type")
	docType := ""
	if typ >= 0 && top.nodes[typ].kind == kindString {
		docType = top.nodes[typ].str
	}
	if docType != DocumentType && docType != QueryDocumentType {
		return [][]byte{bytes.Clone(bytes.Trim(doc, " \t\r\n"))}, nil
	}
	// The envelope.
	ctx := top.get(0, "@context")
	if ctx < 0 {
		return fail("%s: @context: missing: an EPCIS 2.0 document needs the EPCIS JSON-LD context", docType)
	}
	docCtx, err := parseJSON(top.raw(ctx), MaxDepth, MaxDepth, MaxJSONValues)
	if err != nil {
		return fail("@context: %v", err)
	}
	var ns namespaces
	if p, rule := ns.addContext(docCtx, 0, "@context"); rule != "" {
		return fail("%s: %s", p, rule)
	}
	if sv := top.get(0, "schemaVersion"); sv < 0 || top.nodes[sv].kind != kindString || top.nodes[sv].str == "" {
		return fail("schemaVersion: missing or not a string")
	}
	if cd := top.get(0, "creationDate"); cd < 0 || top.nodes[cd].kind != kindString {
		return fail("creationDate: missing or not a string")
	} else if _, rule := canonTime(top.nodes[cd].str); rule != "" {
		return fail("creationDate: %s %s", quote(top.nodes[cd].str), rule)
	}
	ignoreKey, ignoreRaw := ignoreFieldsMember(top, 0)
	path := []string{"epcisBody", "eventList"}
	if docType == QueryDocumentType {
		path = []string{"epcisBody", "queryResults", "resultsBody", "eventList"}
	}
	cur, at := top, int32(0)
	for i, name := range path {
		where := joinPath(path[:i+1])
		m := cur.get(at, name)
		if m < 0 {
			return fail("%s: missing", where)
		}
		want := kindObject
		if i == len(path)-1 {
			want = kindArray
		}
		if cur.nodes[m].kind != want {
			return fail("%s: want %s, got %s", where, want, cur.nodes[m].kind)
		}
		sub, err := parseJSON(cur.raw(m), maxDocDepth, 1, MaxEventsPerDocument+1)
		if je, ok := err.(*jsonError); ok && je.tooMany && name == "eventList" {
			return fail("%s: more than %d events", where, MaxEventsPerDocument)
		}
		if err != nil {
			return fail("%s: %v", where, err)
		}
		cur, at = sub, 0
		if name == "queryResults" {
			if k, raw := ignoreFieldsMember(cur, 0); k != "" {
				ignoreKey, ignoreRaw = k, raw
			}
		}
	}
	list := cur
	if list.nodes[0].count == 0 {
		return fail("%s: empty: a document needs at least one event", joinPath(path))
	}
	var ignored []string
	if ignoreKey != "" {
		if t, err := parseJSON(ignoreRaw, 2, 2, MaxJSONValues); err == nil && t.nodes[0].kind == kindArray {
			for e := t.nodes[0].first; e >= 0; e = t.nodes[e].next {
				if t.nodes[e].kind == kindString {
					ignored = append(ignored, ns.expandKey(t.nodes[e].str))
				}
			}
		}
	}
	events := make([][]byte, 0, list.nodes[0].count)
	i := 0
	for e := list.nodes[0].first; e >= 0; e, i = list.nodes[e].next, i+1 {
		if list.nodes[e].kind != kindObject {
			return fail("%s[%d]: want an object, got %s", joinPath(path), i, list.nodes[e].kind)
		}
		raw := list.raw(e)
		events = append(events, readAlone(raw, docCtx, &ns, ignoreKey, ignoreRaw, ignored))
	}
	return events, nil
}

func joinPath(p []string) string {
	s := ""
	for _, x := range p {
		s = memberPath(s, x)
	}
	return s
}

// ignoreFieldsMember finds a member "<prefix>:ignoreFields" of object o.
func ignoreFieldsMember(t *tree, o int32) (string, []byte) {
	for m := t.nodes[o].first; m >= 0; m = t.nodes[m].next {
		if _, local, ok := splitCURIE(t.nodes[m].key); ok && local == "ignoreFields" {
			return t.nodes[m].key, t.raw(m)
		}
	}
	return "", nil
}

// readAlone returns a copy of the event raw, with the document's context and
// ignore list added when it needs them (see SplitDocument).
func readAlone(raw []byte, docCtx *tree, docNS *namespaces, ignoreKey string, ignoreRaw []byte, ignored []string) []byte {
	verbatim := func() []byte { return bytes.Clone(raw) }
	if len(raw) > MaxEventBytes || len(docNS.entries) == 0 && ignoreKey == "" {
		return verbatim()
	}
	t, err := parseJSON(raw, MaxDepth, MaxDepth, MaxJSONValues)
	if err != nil || t.nodes[0].kind != kindObject || t.nodes[0].first < 0 {
		return verbatim() // Parse will say what is wrong
	}
	var own namespaces
	evCtx := t.get(0, "@context")
	if evCtx >= 0 {
		own.addContext(t, evCtx, "@context")
	}
	// Does the event have a member the document says to ignore?
	inject := false
	if ignoreKey != "" && t.get(0, ignoreKey) < 0 {
		merged := namespaces{entries: append(slices.Clone(docNS.entries), own.entries...)}
		for m := t.nodes[0].first; m >= 0 && !inject; m = t.nodes[m].next {
			inject = slices.Contains(ignored, merged.expandKey(t.nodes[m].key))
		}
	}
	// Does the event use a prefix declared by the document only?
	needs := func(s string) bool {
		p, _, ok := splitCURIE(s)
		return ok && docNS.declared(p) && !own.declared(p)
	}
	needCtx := inject && needs(ignoreKey)
	for i := 1; i < len(t.nodes) && !needCtx; i++ {
		n := &t.nodes[i]
		needCtx = n.key != "" && needs(n.key) || n.kind == kindString && needs(n.str)
	}
	if !needCtx && !inject {
		return verbatim()
	}
	out := make([]byte, 0, len(raw)+len(docCtx.src)+len(ignoreRaw)+32)
	ctxElems := func(out []byte, ct *tree) []byte {
		if ct.nodes[0].kind != kindArray {
			return append(out, ct.raw(0)...)
		}
		first := true
		for e := ct.nodes[0].first; e >= 0; e = ct.nodes[e].next {
			if !first {
				out = append(out, ',')
			}
			first = false
			out = append(out, ct.raw(e)...)
		}
		return out
	}
	open := t.nodes[0].start + 1 // just after '{'
	out = append(out, raw[:open]...)
	if needCtx && evCtx < 0 {
		out = append(out, `"@context":[`...)
		out = ctxElems(out, docCtx)
		out = append(out, "],"...)
	}
	if inject {
		out = append(out, quoteJSON(ignoreKey)...)
		out = append(out, ':')
		out = append(out, ignoreRaw...)
		out = append(out, ',')
	}
	if needCtx && evCtx >= 0 {
		// Replace the value of the event's own @context.
		v := &t.nodes[evCtx]
		out = append(out, raw[open:v.start]...)
		out = append(out, '[')
		out = ctxElems(out, docCtx)
		sub := &tree{src: raw, nodes: t.nodes}
		if v.kind == kindArray {
			if v.first >= 0 {
				out = append(out, ',')
				for e, first := v.first, true; e >= 0; e = t.nodes[e].next {
					if !first {
						out = append(out, ',')
					}
					first = false
					out = append(out, sub.raw(e)...)
				}
			}
		} else {
			out = append(out, ',')
			out = append(out, sub.raw(evCtx)...)
		}
		out = append(out, ']')
		out = append(out, raw[v.end:]...)
		return out
	}
	return append(out, raw[open:]...)
}

// quoteJSON encodes s as a JSON string.
func quoteJSON(s string) []byte {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = append(out, fmt.Sprintf(`\u%04x`, c)...)
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}
