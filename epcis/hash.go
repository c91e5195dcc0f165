package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// The CBV 2.0 EPCIS Event Hash ID (CBV 2.0 section 8.9), computed as the
// reference implementation (github.com/RalphTro/epcis-event-hash-generator)
// does; testdata/epcis/eventhash holds its test vectors, which
// TestEventHashVectors checks.
//
// The id is "ni:///sha-256;" + hex(sha256(pre-hash string)) + "?ver=CBV2.0".
// The pre-hash string is the concatenation, without separators, of:
//
//	eventType=<type>
//	eventTime=<UTC, milliseconds, rounded half up>
//	eventTimeZoneOffset=<as given>
//	certificationInfo=<uri>                  (each, sorted, if an array)
//	parentID=<id>
//	epcList epc=<id>...                       (elements sorted)
//	inputEPCList ..., childEPCs ...
//	quantityList quantityElement epcClass=<id> quantity=<decimal> uom=<code> ... (elements sorted)
//	childQuantityList ..., inputQuantityList ...
//	outputEPCList ..., outputQuantityList ...
//	action=<action>
//	transformationID=<id>
//	bizStep=<CBV Web URI or custom URI>
//	disposition=<...>
//	persistentDisposition set=<...> unset=<...>  (each group sorted)
//	readPoint id=<id> <extensions, sorted>
//	bizLocation id=<id> <extensions, sorted>
//	bizTransactionList type=<BTT URI> bizTransaction=<id> ...    (elements sorted)
//	destinationList type=<SDT URI> destination=<id> ...          (elements sorted)
//	sourceList type=<SDT URI> source=<id> ...                    (elements sorted)
//	sensorElementList sensorElement [sensorMetadata <fields in order> <extensions>]
//	    sensorReport <fields in order> <extensions> ... (reports sorted) <element extensions> (elements sorted)
//	ilmd <members, sorted>
//	<user extensions, sorted>
//
// where <id> is the canonical form of an identifier (NormaliseEPC: EPC URIs
// and Digital Link URIs become canonical Digital Link URIs), vocabulary values
// are expanded CURIEs or CBV 2.0 Web URIs (bare words become
// https://ref.gs1.org/cbv/BizStep-..., Disp-, BTT-, SDT-, Comp-; sensor types
// and exceptions https://gs1.org/voc/...), numbers are canonical decimals
// (452.0 -> 452, 1e2 -> 100), booleans true/false. A user extension member
// is "{namespace IRI}local=value" for a CURIE key, its key otherwise; an
// object value is its name followed by its members (sorted), an array
// repeats the name for each element (the elements sort among their
// siblings); an empty string or null gives the name alone.
//
// Left out: eventID, recordTime, errorDeclaration, "@context",
// rdfs:comment anywhere, the members a repository lists in an
// "...:ignoreFields" extension (and that extension), and empty standard lists.
//
// Sources and destinations come in the order destinationList, sourceList, as
// the reference implementation's test vectors require.

const (
	idPrefix = "ni:///sha-256;"
	idSuffix = "?ver=CBV2.0"
)

var sensorMetadataOrder = []string{"time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"}

var sensorReportOrder = []string{"type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
	"time", "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
	"hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
	"uom", "coordinateReferenceSystem"}

// hasher builds the pre-hash string of a validated event.
type hasher struct {
	c       *checker
	buf     []byte
	scratch []byte
}

// span is an item of a sorted group, as a range of hasher.buf.
type span struct{ start, end int }

// group collects items to be sorted: call item() before writing each item,
// then done().
type group struct {
	h     *hasher
	start int
	spans []span
}

func (h *hasher) begin() group { return group{h: h, start: len(h.buf)} }

func (g *group) item() {
	if n := len(g.spans); n > 0 {
		g.spans[n-1].end = len(g.h.buf)
	}
	g.spans = append(g.spans, span{start: len(g.h.buf)})
}

// done sorts the items written since begin, in place.
func (g *group) done() {
	n := len(g.spans)
	if n == 0 {
		return
	}
	g.spans[n-1].end = len(g.h.buf)
	if n == 1 {
		return
	}
	h := g.h
	h.scratch = append(h.scratch[:0], h.buf[g.start:]...)
	base := g.start
	s := h.scratch
	slices.SortFunc(g.spans, func(a, b span) int {
		return bytes.Compare(s[a.start-base:a.end-base], s[b.start-base:b.end-base])
	})
	h.buf = h.buf[:g.start]
	for _, sp := range g.spans {
		h.buf = append(h.buf, s[sp.start-base:sp.end-base]...)
	}
}

func (h *hasher) kv(name, value string) {
	h.buf = append(h.buf, name...)
	if value != "" {
		h.buf = append(h.buf, '=')
		h.buf = append(h.buf, value...)
	}
}

func (c *checker) hashID() string {
	h := hasher{c: c, buf: make([]byte, 0, len(c.t.src)+256)}
	h.event()
	sum := sha256.Sum256(h.buf)
	var out [len(idPrefix) + 64 + len(idSuffix)]byte
	copy(out[:], idPrefix)
	hex.Encode(out[len(idPrefix):], sum[:])
	copy(out[len(idPrefix)+64:], idSuffix)
	return string(out[:])
}

// preHash returns the pre-hash string (for tests and debugging).
func (c *checker) preHash() string {
	h := hasher{c: c}
	h.event()
	return string(h.buf)
}

func (h *hasher) event() {
	c, t := h.c, h.c.t
	f := &c.fields
	str := func(fl field) string { return t.nodes[f[fl]].str }
	h.kv("eventType", c.ev.Type)
	h.kv("eventTime", c.ev.EventTime)
	h.kv("eventTimeZoneOffset", str(fEventTimeZoneOffset))
	if m := f[fCertificationInfo]; m >= 0 {
		if t.nodes[m].kind == kindString {
			h.kv("certificationInfo", h.uri(m))
		} else {
			g := h.begin()
			for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
				g.item()
				h.kv("certificationInfo", h.uri(e))
			}
			g.done()
		}
	}
	if m := f[fParentID]; m >= 0 {
		h.kv("parentID", h.uri(m))
	}
	h.epcList(fEPCList)
	h.epcList(fInputEPCList)
	h.epcList(fChildEPCs)
	h.quantityList(fQuantityList)
	h.quantityList(fChildQuantityList)
	h.quantityList(fInputQuantityList)
	h.epcList(fOutputEPCList)
	h.quantityList(fOutputQuantityList)
	if m := f[fAction]; m >= 0 {
		h.kv("action", t.nodes[m].str)
	}
	if m := f[fTransformationID]; m >= 0 {
		h.kv("transformationID", h.uri(m))
	}
	if c.ev.BizStep != "" {
		h.kv("bizStep", c.ev.BizStep)
	}
	if c.ev.Disposition != "" {
		h.kv("disposition", c.ev.Disposition)
	}
	if m := f[fPersistentDisposition]; m >= 0 && t.nodes[m].kind == kindObject {
		mark := len(h.buf)
		h.buf = append(h.buf, "persistentDisposition"...)
		content := len(h.buf)
		for _, key := range []string{"set", "unset"} {
			if l := t.get(m, key); l >= 0 {
				g := h.begin()
				for e := t.nodes[l].first; e >= 0; e = t.nodes[e].next {
					g.item()
					v, ok := h.cached(e)
					if !ok {
						v, _ = dispositionVocab.canon(t.nodes[e].str, c.ns)
					}
					h.kv(key, v)
				}
				g.done()
			}
		}
		if len(h.buf) == content {
			h.buf = h.buf[:mark]
		}
	}
	h.location(fReadPoint)
	h.location(fBizLocation)
	h.typedList(fBizTransactionList, "bizTransaction", bizTransactionTypeVocab)
	h.typedList(fDestinationList, "destination", sourceDestTypeVocab)
	h.typedList(fSourceList, "source", sourceDestTypeVocab)
	h.sensors()
	if m := f[fILMD]; m >= 0 && t.nodes[m].first >= 0 {
		h.buf = append(h.buf, "ilmd"...)
		g := h.begin()
		h.members(&g, m, nil)
		g.done()
	}
	// User extensions: the members that are not standard fields.
	g := h.begin()
	for m := t.nodes[0].first; m >= 0; m = t.nodes[m].next {
		if _, std := fieldOf(t.nodes[m].key); std {
			continue
		}
		if len(c.ignore) > 0 && slices.Contains(c.ignore, c.ns.expandKey(t.nodes[m].key)) {
			continue
		}
		h.generic(&g, m, t.nodes[m].key)
	}
	g.done()
}

// cached returns the canonical form the checker recorded for node n.
func (h *hasher) cached(n int32) (string, bool) {
	if h.c.canon != nil && h.c.canon[n] != "" {
		return h.c.canon[n], true
	}
	return "", false
}

// uri is the canonical form of the identifier at node n.
func (h *hasher) uri(n int32) string {
	if s, ok := h.cached(n); ok {
		return s
	}
	return canonURI(h.c.t.nodes[n].str)
}

// canonURI is the canonical form of an identifier-valued string.
func canonURI(s string) string {
	if c, rule := uriID(s); rule == "" {
		return c
	}
	return s
}

func (h *hasher) epcList(f field) {
	t := h.c.t
	m := h.c.fields[f]
	if m < 0 || t.nodes[m].first < 0 {
		return
	}
	h.buf = append(h.buf, fieldNames[f]...)
	g := h.begin()
	for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
		g.item()
		h.kv("epc", h.uri(e))
	}
	g.done()
}

func (h *hasher) quantityList(f field) {
	t := h.c.t
	m := h.c.fields[f]
	if m < 0 || t.nodes[m].first < 0 {
		return
	}
	h.buf = append(h.buf, fieldNames[f]...)
	g := h.begin()
	for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
		g.item()
		h.buf = append(h.buf, "quantityElement"...)
		if x := t.get(e, "epcClass"); x >= 0 {
			h.kv("epcClass", h.uri(x))
		}
		if x := t.get(e, "quantity"); x >= 0 {
			v, _ := numberCanon(t.nodes[x].str)
			h.kv("quantity", v)
		}
		if x := t.get(e, "uom"); x >= 0 {
			h.kv("uom", t.nodes[x].str)
		}
	}
	g.done()
}

func (h *hasher) location(f field) {
	t := h.c.t
	m := h.c.fields[f]
	if m < 0 {
		return
	}
	h.buf = append(h.buf, fieldNames[f]...)
	if x := t.get(m, "id"); x >= 0 {
		h.kv("id", h.uri(x))
	}
	g := h.begin()
	h.members(&g, m, []string{"id"})
	g.done()
}

func (h *hasher) typedList(f field, key string, v *vocab) {
	t := h.c.t
	m := h.c.fields[f]
	if m < 0 || t.nodes[m].first < 0 {
		return
	}
	h.buf = append(h.buf, fieldNames[f]...)
	g := h.begin()
	for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
		g.item()
		if x := t.get(e, "type"); x >= 0 {
			c, ok := h.cached(x)
			if !ok {
				c, _ = v.canon(t.nodes[x].str, h.c.ns)
			}
			h.kv("type", c)
		}
		if x := t.get(e, key); x >= 0 {
			h.kv(key, h.uri(x))
		}
	}
	g.done()
}

func (h *hasher) sensors() {
	t := h.c.t
	m := h.c.fields[fSensorElementList]
	if m < 0 || t.nodes[m].first < 0 {
		return
	}
	h.buf = append(h.buf, "sensorElementList"...)
	g := h.begin()
	for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
		g.item()
		h.buf = append(h.buf, "sensorElement"...)
		if md := t.get(e, "sensorMetadata"); md >= 0 {
			h.buf = append(h.buf, "sensorMetadata"...)
			h.sensorFields(md, sensorMetadataOrder, sensorMetadataFields)
		}
		if rl := t.get(e, "sensorReport"); rl >= 0 {
			rg := h.begin()
			for r := t.nodes[rl].first; r >= 0; r = t.nodes[r].next {
				rg.item()
				h.buf = append(h.buf, "sensorReport"...)
				h.sensorFields(r, sensorReportOrder, sensorReportFields)
			}
			rg.done()
		}
		eg := h.begin()
		h.members(&eg, e, []string{"sensorMetadata", "sensorReport"})
		eg.done()
	}
	g.done()
}

// sensorFields writes the fields of a sensorMetadata or sensorReport in the
// given order, then the other members (extensions) sorted.
func (h *hasher) sensorFields(o int32, order []string, kinds map[string]byte) {
	t, ns := h.c.t, h.c.ns
	for _, key := range order {
		x := t.get(o, key)
		if x < 0 {
			continue
		}
		n := &t.nodes[x]
		if v, ok := h.cached(x); ok {
			h.kv(key, v)
			continue
		}
		var v string
		switch kinds[key] {
		case 't':
			v, _ = canonTime(n.str)
		case 'u':
			v = canonURI(n.str)
		case 'n':
			v, _ = numberCanon(n.str)
		case 'm':
			v, _ = measurementTypeVocab.canon(n.str, ns)
		case 'x':
			v, _ = alertTypeVocab.canon(n.str, ns)
		case 'c':
			v, _ = componentVocab.canon(n.str, ns)
		default: // strings, booleans, hex, uom
			v = n.str
		}
		h.kv(key, v)
	}
	g := h.begin()
	h.members(&g, o, order)
	g.done()
}

// members writes the members of object o not in skip (and not
// rdfs:comment) as generic items of g.
func (h *hasher) members(g *group, o int32, skip []string) {
	t := h.c.t
	for x := t.nodes[o].first; x >= 0; x = t.nodes[x].next {
		if slices.Contains(skip, t.nodes[x].key) {
			continue
		}
		h.generic(g, x, t.nodes[x].key)
	}
}

// generic writes value n under the member name key as items of g: see the
// rules at the top of this file.
func (h *hasher) generic(g *group, n int32, key string) {
	t, ns := h.c.t, h.c.ns
	name := ns.keyName(key)
	if name == rdfsCommentName {
		return
	}
	nd := &t.nodes[n]
	switch nd.kind {
	case kindArray:
		for e := nd.first; e >= 0; e = t.nodes[e].next {
			h.generic(g, e, key)
		}
	case kindObject:
		g.item()
		h.buf = append(h.buf, name...)
		sub := h.begin()
		h.members(&sub, n, nil)
		sub.done()
	case kindString:
		g.item()
		h.kv(name, nd.str)
	case kindNumber:
		g.item()
		v, _ := numberCanon(nd.str)
		h.kv(name, v)
	case kindBool:
		g.item()
		h.kv(name, nd.str)
	case kindNull:
		g.item()
		h.kv(name, "")
	}
}

// ParseID parses an event id as the ledger knows it (Event.ID) and returns
// its canonical form "ni:///sha-256;<64 lower-case hex>?ver=CBV2.0". The
// scheme, algorithm and query ("ni:///SHA-256;...?VER=cbv2.0") and the hex
// digits are accepted in any case, as RFC 6920 and hexadecimal allow; a bare
// 64-digit hex string is accepted too (the hash alone). Anything else is an
// error wrapping ErrInvalidID.
func ParseID(s string) (string, error) {
	hexPart := s
	if len(s) != 64 {
		if len(s) != len(idPrefix)+64+len(idSuffix) || !strings.EqualFold(s[:len(idPrefix)], idPrefix) ||
			!strings.EqualFold(s[len(idPrefix)+64:], idSuffix) {
			return "", fmt.Errorf("%w: %s: want ni:///sha-256;<64 hex digits>?ver=CBV2.0", ErrInvalidID, quote(s))
		}
		hexPart = s[len(idPrefix) : len(idPrefix)+64]
	}
	if !isHex(hexPart) {
		return "", fmt.Errorf("%w: %s: the hash must be 64 hexadecimal digits", ErrInvalidID, quote(s))
	}
	return idPrefix + strings.ToLower(hexPart) + idSuffix, nil
}
