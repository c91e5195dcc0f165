package epcis

import (
	"strings"
)

// Event type bits, for the fields each type admits.
const (
	bitObject = 1 << iota
	bitAggregation
	bitTransaction
	bitTransformation
	bitAssociation
	bitAll = bitObject | bitAggregation | bitTransaction | bitTransformation | bitAssociation
)

func eventTypeBit(t string) int {
	switch t {
	case ObjectEvent:
		return bitObject
	case AggregationEvent:
		return bitAggregation
	case TransactionEvent:
		return bitTransaction
	case TransformationEvent:
		return bitTransformation
	case AssociationEvent:
		return bitAssociation
	}
	return 0
}

// Standard event fields, in the order they are checked.
type field int

const (
	fContext field = iota
	fType
	fEventTime
	fEventTimeZoneOffset
	fRecordTime
	fEventID
	fCertificationInfo
	fErrorDeclaration
	fParentID
	fEPCList
	fChildEPCs
	fInputEPCList
	fOutputEPCList
	fQuantityList
	fChildQuantityList
	fInputQuantityList
	fOutputQuantityList
	fAction
	fTransformationID
	fBizStep
	fDisposition
	fPersistentDisposition
	fReadPoint
	fBizLocation
	fBizTransactionList
	fSourceList
	fDestinationList
	fSensorElementList
	fILMD
	numFields
)

var fieldNames = [numFields]string{
	"@context", "type", "eventTime", "eventTimeZoneOffset", "recordTime", "eventID",
	"certificationInfo", "errorDeclaration", "parentID", "epcList", "childEPCs",
	"inputEPCList", "outputEPCList", "quantityList", "childQuantityList",
	"inputQuantityList", "outputQuantityList", "action", "transformationID", "bizStep",
	"disposition", "persistentDisposition", "readPoint", "bizLocation",
	"bizTransactionList", "sourceList", "destinationList", "sensorElementList", "ilmd",
}

// fieldTypes: which event types admit each field. persistentDisposition is
// admitted on every type, leniently: GS1's JSON schema does not define it on
// every type, but documents written elsewhere (the OpenEPCIS corpus) use it
// on AggregationEvent and TransformationEvent, and its meaning is the same.
var fieldTypes = [numFields]int{
	fContext: bitAll, fType: bitAll, fEventTime: bitAll, fEventTimeZoneOffset: bitAll,
	fRecordTime: bitAll, fEventID: bitAll, fCertificationInfo: bitAll, fErrorDeclaration: bitAll,
	fParentID:     bitAggregation | bitTransaction | bitAssociation,
	fEPCList:      bitObject | bitTransaction,
	fChildEPCs:    bitAggregation | bitAssociation,
	fInputEPCList: bitTransformation, fOutputEPCList: bitTransformation,
	fQuantityList:      bitObject | bitTransaction,
	fChildQuantityList: bitAggregation | bitAssociation,
	fInputQuantityList: bitTransformation, fOutputQuantityList: bitTransformation,
	fAction:           bitAll &^ bitTransformation,
	fTransformationID: bitTransformation,
	fBizStep:          bitAll, fDisposition: bitAll, fPersistentDisposition: bitAll,
	fReadPoint: bitAll, fBizLocation: bitAll, fBizTransactionList: bitAll,
	fSourceList: bitAll, fDestinationList: bitAll, fSensorElementList: bitAll,
	fILMD: bitObject | bitTransformation,
}

func fieldOf(key string) (field, bool) {
	switch key {
	case "@context":
		return fContext, true
	case "type":
		return fType, true
	case "eventTime":
		return fEventTime, true
	case "eventTimeZoneOffset":
		return fEventTimeZoneOffset, true
	case "recordTime":
		return fRecordTime, true
	case "eventID":
		return fEventID, true
	case "certificationInfo":
		return fCertificationInfo, true
	case "errorDeclaration":
		return fErrorDeclaration, true
	case "parentID":
		return fParentID, true
	case "epcList":
		return fEPCList, true
	case "childEPCs":
		return fChildEPCs, true
	case "inputEPCList":
		return fInputEPCList, true
	case "outputEPCList":
		return fOutputEPCList, true
	case "quantityList":
		return fQuantityList, true
	case "childQuantityList":
		return fChildQuantityList, true
	case "inputQuantityList":
		return fInputQuantityList, true
	case "outputQuantityList":
		return fOutputQuantityList, true
	case "action":
		return fAction, true
	case "transformationID":
		return fTransformationID, true
	case "bizStep":
		return fBizStep, true
	case "disposition":
		return fDisposition, true
	case "persistentDisposition":
		return fPersistentDisposition, true
	case "readPoint":
		return fReadPoint, true
	case "bizLocation":
		return fBizLocation, true
	case "bizTransactionList":
		return fBizTransactionList, true
	case "sourceList":
		return fSourceList, true
	case "destinationList":
		return fDestinationList, true
	case "sensorElementList":
		return fSensorElementList, true
	case "ilmd":
		return fILMD, true
	}
	return 0, false
}

// checker validates one parsed event and fills an Event.
type checker struct {
	t         *tree
	ns        *namespaces
	fields    [numFields]int32
	typeBit   int
	ev        *Event
	epcCount  int
	extValues int
	epcs      strSet // submitted EPCs
	ignore    []string
	// canon caches the canonical form of values (by node index) for the
	// event hash, so identifiers are parsed once.
	canon []string
	// anyLevel accepts class-level identifiers in EPC lists (for the event
	// hash test vectors, one of which lists classes in epcList).
	anyLevel bool
}

// setCanon records the canonical form of the value at node n.
func (c *checker) setCanon(n int32, s string) {
	if c.canon == nil {
		c.canon = make([]string, len(c.t.nodes))
	}
	c.canon[n] = s
}

func (c *checker) fail(path, rule string) error {
	return &InvalidEventError{Index: -1, Path: path, Rule: rule}
}

func (c *checker) failAt(a at, rule string) error {
	return c.fail(a.String(), rule)
}

// seg is one step of a JSON path: a member name, or an array index (>= 0).
type seg struct {
	key   string
	index int
}

// at is a JSON path within the event, kept as steps (a value, so building it
// costs no allocation) and rendered only for an error message.
type at struct {
	segs [MaxDepth + 2]seg
	n    int
}

func pathOf(key string) at {
	var a at
	return a.key(key)
}

func (a at) key(k string) at {
	if a.n < len(a.segs) {
		a.segs[a.n] = seg{key: k, index: -1}
		a.n++
	}
	return a
}

func (a at) elem(i int) at {
	if a.n < len(a.segs) {
		a.segs[a.n] = seg{index: i}
		a.n++
	}
	return a
}

func (a at) String() string {
	s := ""
	for _, g := range a.segs[:a.n] {
		if g.index >= 0 {
			s = indexPath(s, g.index)
		} else {
			s = memberPath(s, g.key)
		}
	}
	return s
}

// parse is Parse with options.
func parse(raw []byte, anyLevel bool) (Event, error) {
	fail := func(path, rule string) (Event, error) {
		return Event{}, &InvalidEventError{Index: -1, Path: path, Rule: rule}
	}
	if len(raw) > MaxEventBytes {
		return fail("", "event of "+itoa(len(raw))+" bytes is larger than "+itoa(MaxEventBytes))
	}
	t, err := parseJSON(raw, MaxDepth, MaxDepth, MaxJSONValues)
	if err != nil {
		if je, ok := err.(*jsonError); ok {
			return fail(je.path, "not valid JSON: "+je.msg)
		}
		return fail("", "not valid JSON: "+err.Error())
	}
	if t.nodes[0].kind != kindObject {
		return fail("", "an event must be a JSON object, got "+t.nodes[0].kind.String())
	}
	var ns namespaces
	ev := Event{Raw: raw}
	c := checker{t: t, ns: &ns, ev: &ev, anyLevel: anyLevel}
	if err := c.check(); err != nil {
		return Event{}, err
	}
	ev.ID = c.hashID()
	return ev, nil
}

func (c *checker) check() error {
	t := c.t
	for i := range c.fields {
		c.fields[i] = -1
	}
	var extensions []int32
	for m := t.nodes[0].first; m >= 0; m = t.nodes[m].next {
		key := t.nodes[m].key
		if f, ok := fieldOf(key); ok {
			c.fields[f] = m
			continue
		}
		extensions = append(extensions, m)
	}
	// @context first: the namespaces apply to everything else.
	if m := c.fields[fContext]; m >= 0 {
		if p, rule := c.ns.addContext(t, m, "@context"); rule != "" {
			return c.fail(p, rule)
		}
	}
	// type
	m := c.fields[fType]
	if m < 0 {
		return c.fail("type", "missing: an event needs a type")
	}
	if t.nodes[m].kind != kindString {
		return c.fail("type", "must be a string, got "+t.nodes[m].kind.String())
	}
	c.ev.Type = t.nodes[m].str
	c.typeBit = eventTypeBit(c.ev.Type)
	if c.typeBit == 0 {
		return c.fail("type", quote(c.ev.Type)+" is not an EPCIS 2.0 event type (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent)")
	}
	for f := field(0); f < numFields; f++ {
		if c.fields[f] >= 0 && fieldTypes[f]&c.typeBit == 0 {
			return c.fail(fieldNames[f], "not a field of "+c.ev.Type)
		}
	}
	// Required fields.
	for _, f := range []field{fEventTime, fEventTimeZoneOffset} {
		if c.fields[f] < 0 {
			return c.fail(fieldNames[f], "missing: every event needs "+fieldNames[f])
		}
	}
	if c.typeBit != bitTransformation && c.fields[fAction] < 0 {
		return c.fail("action", "missing: "+article(c.ev.Type)+" needs an action (ADD, OBSERVE or DELETE)")
	}
	// User extensions (checked before the standard fields only for their
	// keys, so the ignore list is known).
	for _, m := range extensions {
		key := t.nodes[m].key
		if rule := c.extensionKey(key); rule != "" {
			return c.fail(key, rule)
		}
	}
	if err := c.checkIgnoreFields(extensions); err != nil {
		return err
	}
	if err := c.checkWhen(); err != nil {
		return err
	}
	if err := c.checkWhat(); err != nil {
		return err
	}
	if err := c.checkWhyWhere(); err != nil {
		return err
	}
	if err := c.checkSensors(); err != nil {
		return err
	}
	if m := c.fields[fILMD]; m >= 0 {
		if t.nodes[m].kind != kindObject {
			return c.fail("ilmd", "must be an object, got "+t.nodes[m].kind.String())
		}
		for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
			key := t.nodes[e].key
			if rule := c.extensionKey(key); rule != "" {
				return c.fail(memberPath("ilmd", key), "ILMD "+rule)
			}
			if err := c.extensionValue(e, pathOf("ilmd").key(key)); err != nil {
				return err
			}
		}
	}
	for _, m := range extensions {
		if err := c.extensionValue(m, pathOf(t.nodes[m].key)); err != nil {
			return err
		}
	}
	return c.checkRequirements()
}

// extensionKey checks the key of a user extension (or ILMD, or an extension
// inside a standard object): a CURIE whose prefix is declared, or an absolute
// IRI (https://..., urn:...). The empty string means it is fine.
func (c *checker) extensionKey(key string) string {
	if len(key) > MaxIdentifierBytes {
		return "member name longer than " + itoa(MaxIdentifierBytes) + " bytes"
	}
	if p, _, ok := splitCURIE(key); ok {
		if _, ok := c.ns.lookup(p); ok {
			return ""
		}
		if p == "urn" && isAbsoluteURI(key) {
			return ""
		}
		return "namespace prefix " + quote(p) + " is not declared in @context"
	}
	if strings.Contains(key, "://") && isAbsoluteURI(key) {
		return ""
	}
	if strings.HasPrefix(key, "@") {
		return "JSON-LD keyword " + quote(key) + " is not allowed here"
	}
	return "unknown field; user extensions need a namespace prefix declared in @context (prefix:name)"
}

// extensionValue checks the value of a user extension member: any JSON, with
// string lengths and the number of values bounded.
func (c *checker) extensionValue(n int32, path at) error {
	t := c.t
	c.extValues++
	if c.extValues > MaxExtensionValues {
		return c.failAt(path, "more than "+itoa(MaxExtensionValues)+" values in user extensions and ILMD")
	}
	switch t.nodes[n].kind {
	case kindString:
		if len(t.nodes[n].str) > MaxStringBytes {
			return c.failAt(path, "string longer than "+itoa(MaxStringBytes)+" bytes")
		}
	case kindNumber:
		if _, ok := numberCanon(t.nodes[n].str); !ok {
			return c.failAt(path, "number out of range")
		}
	case kindObject, kindArray:
		i := 0
		for e := t.nodes[n].first; e >= 0; e, i = t.nodes[e].next, i+1 {
			var p at
			if t.nodes[n].kind == kindObject {
				if len(t.nodes[e].key) > MaxIdentifierBytes {
					return c.failAt(path, "member name longer than "+itoa(MaxIdentifierBytes)+" bytes")
				}
				p = path.key(t.nodes[e].key)
			} else {
				p = path.elem(i)
			}
			if err := c.extensionValue(e, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkIgnoreFields handles a user extension whose local name is
// "ignoreFields" (e.g. "repository-x:ignoreFields"): a list of top-level
// member names that a repository added to the event and that the event hash
// ignores, as the reference implementation of the CBV 2.0 event hash does.
func (c *checker) checkIgnoreFields(extensions []int32) error {
	t := c.t
	for _, m := range extensions {
		key := t.nodes[m].key
		if _, local, ok := splitCURIE(key); !ok || local != "ignoreFields" {
			continue
		}
		if t.nodes[m].kind != kindArray {
			return c.fail(key, "must be an array of member names")
		}
		i := 0
		for e := t.nodes[m].first; e >= 0; e, i = t.nodes[e].next, i+1 {
			if t.nodes[e].kind != kindString || t.nodes[e].str == "" {
				return c.fail(indexPath(key, i), "must be a member name (a non-empty string)")
			}
			c.ignore = append(c.ignore, c.ns.expandKey(t.nodes[e].str))
		}
		c.ignore = append(c.ignore, c.ns.expandKey(key))
	}
	return nil
}

func (c *checker) str(f field) (string, error) {
	m := c.fields[f]
	if c.t.nodes[m].kind != kindString {
		return "", c.fail(fieldNames[f], "must be a string, got "+c.t.nodes[m].kind.String())
	}
	return c.t.nodes[m].str, nil
}

func (c *checker) checkWhen() error {
	s, err := c.str(fEventTime)
	if err != nil {
		return err
	}
	canon, rule := canonTime(s)
	if rule != "" {
		return c.fail("eventTime", quote(s)+" "+rule)
	}
	c.ev.EventTime = canon
	if s, err = c.str(fEventTimeZoneOffset); err != nil {
		return err
	}
	if !validOffset(s) {
		return c.fail("eventTimeZoneOffset", quote(s)+" must be +hh:mm or -hh:mm within -14:00..+14:00")
	}
	if c.fields[fRecordTime] >= 0 {
		if s, err = c.str(fRecordTime); err != nil {
			return err
		}
		if _, rule := canonTime(s); rule != "" {
			return c.fail("recordTime", quote(s)+" "+rule)
		}
	}
	if c.fields[fEventID] >= 0 {
		if s, err = c.str(fEventID); err != nil {
			return err
		}
		if len(s) > MaxIdentifierBytes || !isAbsoluteURI(s) {
			return c.fail("eventID", quote(s)+" must be an absolute URI (such as urn:uuid:... or ni:///sha-256;...) of at most "+itoa(MaxIdentifierBytes)+" bytes")
		}
		c.ev.EventID = s
	}
	if m := c.fields[fCertificationInfo]; m >= 0 {
		switch c.t.nodes[m].kind {
		case kindString:
			if rule := uriRule(c.t.nodes[m].str); rule != "" {
				return c.fail("certificationInfo", rule)
			}
		case kindArray:
			if err := c.eachElement(m, pathOf("certificationInfo"), MaxListElements, func(e int32, p at) error {
				if c.t.nodes[e].kind != kindString {
					return c.failAt(p, "must be a URI string, got "+c.t.nodes[e].kind.String())
				}
				if rule := uriRule(c.t.nodes[e].str); rule != "" {
					return c.failAt(p, rule)
				}
				return nil
			}); err != nil {
				return err
			}
		default:
			return c.fail("certificationInfo", "must be a URI string or an array of them, got "+c.t.nodes[m].kind.String())
		}
	}
	if m := c.fields[fErrorDeclaration]; m >= 0 {
		if err := c.checkErrorDeclaration(m); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) checkErrorDeclaration(m int32) error {
	t := c.t
	const base = "errorDeclaration"
	if t.nodes[m].kind != kindObject {
		return c.fail(base, "must be an object, got "+t.nodes[m].kind.String())
	}
	ed := &ErrorDeclaration{}
	hasTime := false
	for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
		key := t.nodes[e].key
		p := pathOf(base).key(key)
		switch key {
		case "declarationTime":
			if t.nodes[e].kind != kindString {
				return c.failAt(p, "must be a string, got "+t.nodes[e].kind.String())
			}
			canon, rule := canonTime(t.nodes[e].str)
			if rule != "" {
				return c.failAt(p, quote(t.nodes[e].str)+" "+rule)
			}
			ed.DeclarationTime, hasTime = canon, true
		case "reason":
			if t.nodes[e].kind != kindString {
				return c.failAt(p, "must be a string, got "+t.nodes[e].kind.String())
			}
			canon, rule := errorReasonVocab.canon(t.nodes[e].str, c.ns)
			if rule != "" {
				return c.failAt(p, rule)
			}
			ed.Reason = canon
		case "correctiveEventIDs":
			if t.nodes[e].kind != kindArray {
				return c.failAt(p, "must be an array of event ids, got "+t.nodes[e].kind.String())
			}
			ed.CorrectiveEventIDs = []string{}
			if err := c.eachElement(e, p, MaxListElements, func(x int32, px at) error {
				if t.nodes[x].kind != kindString {
					return c.failAt(px, "must be a URI string, got "+t.nodes[x].kind.String())
				}
				if rule := uriRule(t.nodes[x].str); rule != "" {
					return c.failAt(px, rule)
				}
				ed.CorrectiveEventIDs = append(ed.CorrectiveEventIDs, t.nodes[x].str)
				return nil
			}); err != nil {
				return err
			}
		default:
			if rule := c.extensionKey(key); rule != "" {
				return c.failAt(p, rule+" (an errorDeclaration has declarationTime, reason, correctiveEventIDs and user extensions)")
			}
			if err := c.extensionValue(e, p); err != nil {
				return err
			}
		}
	}
	if !hasTime {
		return c.fail(memberPath(base, "declarationTime"), "missing: an errorDeclaration needs a declarationTime")
	}
	c.ev.ErrorDeclaration = ed
	return nil
}

// eachElement calls fn for each element of the array m (whose kind is
// checked by the caller), with its path, refusing more than max elements.
func (c *checker) eachElement(m int32, path at, max int, fn func(e int32, p at) error) error {
	if int(c.t.nodes[m].count) > max {
		return c.failAt(path, "more than "+itoa(max)+" elements")
	}
	i := 0
	for e := c.t.nodes[m].first; e >= 0; e, i = c.t.nodes[e].next, i+1 {
		if err := fn(e, path.elem(i)); err != nil {
			return err
		}
	}
	return nil
}

// array returns the array at field f, checking its kind.
func (c *checker) array(f field) (int32, error) {
	m := c.fields[f]
	if m < 0 {
		return -1, nil
	}
	if c.t.nodes[m].kind != kindArray {
		return -1, c.fail(fieldNames[f], "must be an array, got "+c.t.nodes[m].kind.String())
	}
	return m, nil
}

// addEPC counts an identifier toward MaxEPCsPerEvent and records its
// submitted form in EPCs.
func (c *checker) addEPC(path at, s string) error {
	c.epcCount++
	if c.epcCount > MaxEPCsPerEvent {
		return c.failAt(path, "more than "+itoa(MaxEPCsPerEvent)+" EPC identifiers in one event")
	}
	if c.epcs.add(s) {
		c.ev.EPCs = append(c.ev.EPCs, s)
	}
	return nil
}

// instanceID checks an element of an EPC list or a parentID: an EPC URI
// (urn:epc:id:...), an instance-level GS1 Digital Link URI, or another URI.
func (c *checker) instanceID(n int32, path at) (string, error) {
	if c.t.nodes[n].kind != kindString {
		return "", c.failAt(path, "must be an EPC URI string, got "+c.t.nodes[n].kind.String())
	}
	s := c.t.nodes[n].str
	id, rule := parseIdentifier(s)
	if rule != "" {
		return "", c.failAt(path, rule)
	}
	if id.level == levelClass && !c.anyLevel {
		return "", c.failAt(path, quote(s)+" is a class-level identifier; EPC lists and parentID name instances (classes go in quantity lists)")
	}
	if err := c.addEPC(path, s); err != nil {
		return "", err
	}
	c.setCanon(n, id.canon)
	return id.canon, nil
}

// epcList checks an EPC list field and returns the canonical identifiers.
func (c *checker) epcList(f field, out *[]string, set *strSet) error {
	m, err := c.array(f)
	if err != nil || m < 0 {
		return err
	}
	return c.eachElement(m, pathOf(fieldNames[f]), MaxEPCsPerEvent, func(e int32, p at) error {
		canon, err := c.instanceID(e, p)
		if err == nil && out != nil && set.add(canon) {
			*out = append(*out, canon)
		}
		return err
	})
}

// quantityList checks a quantity list field: elements with epcClass
// (required, a class-level identifier), quantity (a JSON number, not
// negative) and uom (1 to 3 characters of UN/CEFACT Rec. 20, only with a
// quantity), and nothing else.
func (c *checker) quantityList(f field, out *[]string, set *strSet) error {
	m, err := c.array(f)
	if err != nil || m < 0 {
		return err
	}
	t := c.t
	return c.eachElement(m, pathOf(fieldNames[f]), MaxEPCsPerEvent, func(e int32, p at) error {
		if t.nodes[e].kind != kindObject {
			return c.failAt(p, "a quantity element must be an object, got "+t.nodes[e].kind.String())
		}
		var class, qty, uom int32 = -1, -1, -1
		for x := t.nodes[e].first; x >= 0; x = t.nodes[x].next {
			switch t.nodes[x].key {
			case "epcClass":
				class = x
			case "quantity":
				qty = x
			case "uom":
				uom = x
			default:
				return c.failAt(p.key(t.nodes[x].key), "unknown field: a quantity element has only epcClass, quantity and uom")
			}
		}
		if class < 0 {
			return c.failAt(p.key("epcClass"), "missing: a quantity element needs an epcClass")
		}
		cp := p.key("epcClass")
		if t.nodes[class].kind != kindString {
			return c.failAt(cp, "must be an EPC class URI string, got "+t.nodes[class].kind.String())
		}
		s := t.nodes[class].str
		id, rule := parseIdentifier(s)
		if rule != "" {
			return c.failAt(cp, rule)
		}
		if id.level == levelInstance {
			return c.failAt(cp, quote(s)+" is an instance-level identifier; epcClass names a class (urn:epc:class:..., urn:epc:idpat:..., a GTIN, a GTIN and lot)")
		}
		if err := c.addEPC(cp, s); err != nil {
			return err
		}
		c.setCanon(class, id.canon)
		if out != nil && set.add(id.canon) {
			*out = append(*out, id.canon)
		}
		if qty >= 0 {
			qp := p.key("quantity")
			if t.nodes[qty].kind != kindNumber {
				return c.failAt(qp, "must be a JSON number, got "+t.nodes[qty].kind.String())
			}
			if strings.HasPrefix(t.nodes[qty].str, "-") {
				return c.failAt(qp, "must not be negative")
			}
			if _, ok := numberCanon(t.nodes[qty].str); !ok {
				return c.failAt(qp, "number out of range")
			}
		}
		if uom >= 0 {
			up := p.key("uom")
			if qty < 0 {
				return c.failAt(up, "a uom needs a quantity")
			}
			if rule := uomRule(t.nodes[uom]); rule != "" {
				return c.failAt(up, rule)
			}
		}
		return nil
	})
}

func uomRule(n node) string {
	if n.kind != kindString {
		return "must be a string, got " + n.kind.String()
	}
	s := n.str
	if len(s) < 1 || len(s) > 3 {
		return quote(s) + " must be a UN/CEFACT Rec. 20 unit code (1 to 3 upper-case letters and digits)"
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
			return quote(s) + " must be a UN/CEFACT Rec. 20 unit code (1 to 3 upper-case letters and digits)"
		}
	}
	return ""
}

// uriRule checks a URI-valued field: an absolute URI, bounded.
func uriRule(s string) string {
	if len(s) > MaxIdentifierBytes {
		return "longer than " + itoa(MaxIdentifierBytes) + " bytes"
	}
	if !isAbsoluteURI(s) {
		return quote(s) + " is not an absolute URI"
	}
	return ""
}

// uriID checks a URI-valued identifier field (business transaction, source,
// destination, transformationID, sensor device ...): an absolute URI; an EPC
// URI must be valid. It returns the canonical form.
func uriID(s string) (string, string) {
	if rule := uriRule(s); rule != "" {
		return "", rule
	}
	id, rule := parseIdentifier(s)
	if rule != "" {
		if hasPrefixFold(s, "urn:epc:") {
			return "", rule
		}
		return s, "" // a Digital Link lookalike that is not one: another URI
	}
	return id.canon, ""
}

func (c *checker) checkWhat() error {
	t := c.t
	if m := c.fields[fParentID]; m >= 0 {
		canon, err := c.instanceID(m, pathOf("parentID"))
		if err != nil {
			return err
		}
		c.ev.Parent = canon
	}
	var children, inputs, outputs strSet
	var childrenOut *[]string
	switch c.typeBit {
	case bitAggregation, bitAssociation:
		childrenOut = &c.ev.Children
	case bitTransaction:
		if c.fields[fParentID] >= 0 {
			childrenOut = &c.ev.Children
		}
	}
	if err := c.epcList(fEPCList, childrenOut, &children); err != nil {
		return err
	}
	if err := c.epcList(fChildEPCs, childrenOut, &children); err != nil {
		return err
	}
	if err := c.epcList(fInputEPCList, &c.ev.Inputs, &inputs); err != nil {
		return err
	}
	if err := c.epcList(fOutputEPCList, &c.ev.Outputs, &outputs); err != nil {
		return err
	}
	if err := c.quantityList(fQuantityList, childrenOut, &children); err != nil {
		return err
	}
	if err := c.quantityList(fChildQuantityList, childrenOut, &children); err != nil {
		return err
	}
	if err := c.quantityList(fInputQuantityList, &c.ev.Inputs, &inputs); err != nil {
		return err
	}
	if err := c.quantityList(fOutputQuantityList, &c.ev.Outputs, &outputs); err != nil {
		return err
	}
	if c.ev.EPCs == nil {
		c.ev.EPCs = []string{}
	}
	if m := c.fields[fAction]; m >= 0 {
		s, err := c.str(fAction)
		if err != nil {
			return err
		}
		if s != ActionAdd && s != ActionObserve && s != ActionDelete {
			return c.fail("action", quote(s)+" must be ADD, OBSERVE or DELETE")
		}
		c.ev.Action = s
	}
	if m := c.fields[fTransformationID]; m >= 0 {
		if t.nodes[m].kind != kindString {
			return c.fail("transformationID", "must be a URI string, got "+t.nodes[m].kind.String())
		}
		if _, rule := uriID(t.nodes[m].str); rule != "" {
			return c.fail("transformationID", rule)
		}
	}
	return nil
}

func (c *checker) vocabField(f field, v *vocab) (string, error) {
	if c.fields[f] < 0 {
		return "", nil
	}
	s, err := c.str(f)
	if err != nil {
		return "", err
	}
	canon, rule := v.canon(s, c.ns)
	if rule != "" {
		return "", c.fail(fieldNames[f], rule)
	}
	return canon, nil
}

func (c *checker) checkWhyWhere() error {
	t := c.t
	var err error
	if c.ev.BizStep, err = c.vocabField(fBizStep, bizStepVocab); err != nil {
		return err
	}
	if c.ev.Disposition, err = c.vocabField(fDisposition, dispositionVocab); err != nil {
		return err
	}
	if m := c.fields[fPersistentDisposition]; m >= 0 {
		const base = "persistentDisposition"
		if t.nodes[m].kind != kindObject {
			return c.fail(base, "must be an object with set and/or unset, got "+t.nodes[m].kind.String())
		}
		if t.nodes[m].first < 0 {
			return c.fail(base, "must have set or unset")
		}
		for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
			key := t.nodes[e].key
			p := pathOf(base).key(key)
			if key != "set" && key != "unset" {
				return c.failAt(p, "unknown field: persistentDisposition has only set and unset")
			}
			if t.nodes[e].kind != kindArray {
				return c.failAt(p, "must be an array of dispositions, got "+t.nodes[e].kind.String())
			}
			if err := c.eachElement(e, p, MaxListElements, func(x int32, px at) error {
				if t.nodes[x].kind != kindString {
					return c.failAt(px, "must be a string, got "+t.nodes[x].kind.String())
				}
				v, rule := dispositionVocab.canon(t.nodes[x].str, c.ns)
				if rule != "" {
					return c.failAt(px, rule)
				}
				c.setCanon(x, v)
				return nil
			}); err != nil {
				return err
			}
		}
	}
	if c.ev.ReadPoint, err = c.location(fReadPoint); err != nil {
		return err
	}
	if c.ev.BizLocation, err = c.location(fBizLocation); err != nil {
		return err
	}
	if m, err := c.array(fBizTransactionList); err != nil {
		return err
	} else if m >= 0 {
		var seen strSet
		if err := c.eachElement(m, pathOf("bizTransactionList"), MaxListElements, func(e int32, p at) error {
			canon, err := c.typedID(e, p, "bizTransaction", bizTransactionTypeVocab, false)
			if err == nil && seen.add(canon) {
				c.ev.BizTransactions = append(c.ev.BizTransactions, canon)
			}
			return err
		}); err != nil {
			return err
		}
	}
	for _, sd := range []struct {
		f   field
		key string
	}{{fSourceList, "source"}, {fDestinationList, "destination"}} {
		m, err := c.array(sd.f)
		if err != nil {
			return err
		}
		if m < 0 {
			continue
		}
		if err := c.eachElement(m, pathOf(fieldNames[sd.f]), MaxListElements, func(e int32, p at) error {
			_, err := c.typedID(e, p, sd.key, sourceDestTypeVocab, true)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// typedID checks a business transaction, source or destination element:
// {"type": ..., key: URI}, type required when typeRequired.
func (c *checker) typedID(e int32, p at, key string, v *vocab, typeRequired bool) (string, error) {
	t := c.t
	if t.nodes[e].kind != kindObject {
		return "", c.failAt(p, "must be an object, got "+t.nodes[e].kind.String())
	}
	var id, typ int32 = -1, -1
	for x := t.nodes[e].first; x >= 0; x = t.nodes[x].next {
		switch t.nodes[x].key {
		case key:
			id = x
		case "type":
			typ = x
		default:
			return "", c.failAt(p.key(t.nodes[x].key), "unknown field: this element has only type and "+key)
		}
	}
	if id < 0 {
		return "", c.failAt(p.key(key), "missing")
	}
	if t.nodes[id].kind != kindString {
		return "", c.failAt(p.key(key), "must be a URI string, got "+t.nodes[id].kind.String())
	}
	canon, rule := uriID(t.nodes[id].str)
	if rule != "" {
		return "", c.failAt(p.key(key), rule)
	}
	c.setCanon(id, canon)
	if typ < 0 {
		if typeRequired {
			return "", c.failAt(p.key("type"), "missing: a "+key+" needs a type")
		}
		return canon, nil
	}
	if t.nodes[typ].kind != kindString {
		return "", c.failAt(p.key("type"), "must be a string, got "+t.nodes[typ].kind.String())
	}
	typeCanon, rule := v.canon(t.nodes[typ].str, c.ns)
	if rule != "" {
		return "", c.failAt(p.key("type"), rule)
	}
	c.setCanon(typ, typeCanon)
	return canon, nil
}

// location checks readPoint or bizLocation: {"id": URI, extensions...}.
func (c *checker) location(f field) (string, error) {
	m := c.fields[f]
	if m < 0 {
		return "", nil
	}
	t := c.t
	base := fieldNames[f]
	if t.nodes[m].kind != kindObject {
		return "", c.fail(base, "must be an object with an id, got "+t.nodes[m].kind.String())
	}
	canon := ""
	hasID := false
	for e := t.nodes[m].first; e >= 0; e = t.nodes[e].next {
		key := t.nodes[e].key
		p := pathOf(base).key(key)
		if key == "id" {
			if t.nodes[e].kind != kindString {
				return "", c.failAt(p, "must be a URI string, got "+t.nodes[e].kind.String())
			}
			id, rule := parseIdentifier(t.nodes[e].str)
			if rule != "" {
				return "", c.failAt(p, rule)
			}
			if id.level == levelClass {
				return "", c.failAt(p, quote(t.nodes[e].str)+" is a class-level identifier, not a location")
			}
			canon, hasID = id.canon, true
			c.setCanon(e, canon)
			continue
		}
		if rule := c.extensionKey(key); rule != "" {
			return "", c.failAt(p, rule+" (a location has an id and user extensions)")
		}
		if err := c.extensionValue(e, p); err != nil {
			return "", err
		}
	}
	if !hasID {
		return "", c.fail(memberPath(base, "id"), "missing: a location needs an id")
	}
	return canon, nil
}

// Sensor data.

var sensorMetadataFields = map[string]byte{
	"time": 't', "startTime": 't', "endTime": 't',
	"deviceID": 'u', "deviceMetadata": 'u', "rawData": 'u', "dataProcessingMethod": 'u', "bizRules": 'u',
}

// sensorReportFields: 't' time, 'u' URI, 'n' number, 's' string, 'b'
// boolean, 'h' hex binary, 'm' measurement type, 'x' exception, 'c'
// component, 'o' unit of measure. bizRules is a sensorMetadata field that
// some documents put in reports; it is accepted there as a URI.
var sensorReportFields = map[string]byte{
	"type": 'm', "exception": 'x', "deviceID": 'u', "deviceMetadata": 'u', "rawData": 'u',
	"dataProcessingMethod": 'u', "time": 't', "microorganism": 'u', "chemicalSubstance": 'u',
	"value": 'n', "component": 'c', "stringValue": 's', "booleanValue": 'b', "hexBinaryValue": 'h',
	"uriValue": 'u', "minValue": 'n', "maxValue": 'n', "meanValue": 'n', "sDev": 'n',
	"percRank": 'n', "percValue": 'n', "uom": 'o', "coordinateReferenceSystem": 'u', "bizRules": 'u',
}

func (c *checker) checkSensors() error {
	m, err := c.array(fSensorElementList)
	if err != nil || m < 0 {
		return err
	}
	t := c.t
	reports := 0
	return c.eachElement(m, pathOf("sensorElementList"), MaxListElements, func(e int32, p at) error {
		if t.nodes[e].kind != kindObject {
			return c.failAt(p, "a sensor element must be an object, got "+t.nodes[e].kind.String())
		}
		hasReport := false
		for x := t.nodes[e].first; x >= 0; x = t.nodes[x].next {
			key := t.nodes[x].key
			px := p.key(key)
			switch key {
			case "sensorMetadata":
				if t.nodes[x].kind != kindObject {
					return c.failAt(px, "must be an object, got "+t.nodes[x].kind.String())
				}
				if err := c.sensorFields(x, px, sensorMetadataFields, "sensorMetadata"); err != nil {
					return err
				}
			case "sensorReport":
				if t.nodes[x].kind != kindArray {
					return c.failAt(px, "must be an array of sensor reports, got "+t.nodes[x].kind.String())
				}
				if t.nodes[x].count == 0 {
					return c.failAt(px, "must have at least one sensor report")
				}
				reports += int(t.nodes[x].count)
				if reports > MaxListElements {
					return c.failAt(px, "more than "+itoa(MaxListElements)+" sensor reports in one event")
				}
				hasReport = true
				if err := c.eachElement(x, px, MaxListElements, func(r int32, pr at) error {
					if t.nodes[r].kind != kindObject {
						return c.failAt(pr, "a sensor report must be an object, got "+t.nodes[r].kind.String())
					}
					return c.sensorFields(r, pr, sensorReportFields, "sensorReport")
				}); err != nil {
					return err
				}
			default:
				if rule := c.extensionKey(key); rule != "" {
					return c.failAt(px, rule+" (a sensor element has sensorMetadata, sensorReport and user extensions)")
				}
				if err := c.extensionValue(x, px); err != nil {
					return err
				}
			}
		}
		if !hasReport {
			return c.failAt(p.key("sensorReport"), "missing: a sensor element needs a sensorReport")
		}
		return nil
	})
}

func (c *checker) sensorFields(o int32, path at, fields map[string]byte, what string) error {
	t := c.t
	for x := t.nodes[o].first; x >= 0; x = t.nodes[x].next {
		key := t.nodes[x].key
		p := path.key(key)
		kind, ok := fields[key]
		if !ok {
			if rule := c.extensionKey(key); rule != "" {
				return c.failAt(p, rule+" (not a field of "+what+")")
			}
			if err := c.extensionValue(x, p); err != nil {
				return err
			}
			continue
		}
		n := t.nodes[x]
		if kind == 'n' {
			if n.kind != kindNumber {
				return c.failAt(p, "must be a JSON number, got "+n.kind.String())
			}
			if _, ok := numberCanon(n.str); !ok {
				return c.failAt(p, "number out of range")
			}
			continue
		}
		if kind == 'b' {
			if n.kind != kindBool {
				return c.failAt(p, "must be true or false, got "+n.kind.String())
			}
			continue
		}
		if n.kind != kindString {
			return c.failAt(p, "must be a string, got "+n.kind.String())
		}
		s := n.str
		var rule, canon string
		switch kind {
		case 't':
			canon, rule = canonTime(s)
			if rule != "" {
				rule = quote(s) + " " + rule
			}
		case 'u':
			canon, rule = uriID(s)
		case 's':
			if len(s) > MaxStringBytes {
				rule = "longer than " + itoa(MaxStringBytes) + " bytes"
			}
		case 'h':
			if len(s)%2 != 0 || len(s) > MaxStringBytes || !isHex(s) {
				rule = "must be hexadecimal digits in pairs"
			}
		case 'm':
			canon, rule = measurementTypeVocab.canon(s, c.ns)
		case 'x':
			canon, rule = alertTypeVocab.canon(s, c.ns)
		case 'c':
			canon, rule = componentVocab.canon(s, c.ns)
		case 'o':
			rule = uomRule(n)
		}
		if rule != "" {
			return c.failAt(p, rule)
		}
		if canon != "" {
			c.setCanon(x, canon)
		}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}

// checkRequirements: the rules that involve several fields.
func (c *checker) checkRequirements() error {
	t := c.t
	count := func(f field) int {
		if m := c.fields[f]; m >= 0 {
			return int(t.nodes[m].count)
		}
		return 0
	}
	switch c.typeBit {
	case bitObject:
		if c.fields[fEPCList] < 0 && c.fields[fQuantityList] < 0 {
			return c.fail("epcList", "missing: an ObjectEvent needs an epcList or a quantityList (empty for sensor data about a place)")
		}
	case bitAggregation:
		if c.fields[fParentID] < 0 && c.ev.Action != ActionObserve {
			return c.fail("parentID", "missing: an AggregationEvent with action "+c.ev.Action+" needs a parentID")
		}
	case bitAssociation:
		if c.fields[fParentID] < 0 {
			return c.fail("parentID", "missing: an AssociationEvent needs a parentID")
		}
	case bitTransaction:
		if count(fBizTransactionList) == 0 {
			return c.fail("bizTransactionList", "a TransactionEvent needs at least one business transaction")
		}
	case bitTransformation:
		if count(fInputEPCList)+count(fInputQuantityList)+count(fOutputEPCList)+count(fOutputQuantityList) == 0 {
			return c.fail("inputEPCList", "a TransformationEvent needs at least one input or output (inputEPCList, inputQuantityList, outputEPCList, outputQuantityList)")
		}
	}
	return nil
}

// strSet is a set of strings in insertion order: a linear scan while small,
// a map (used for lookups only) beyond.
type strSet struct {
	list []string
	m    map[string]struct{}
}

func (s *strSet) add(x string) bool {
	if s.m != nil {
		if _, ok := s.m[x]; ok {
			return false
		}
		s.m[x] = struct{}{}
		return true
	}
	for _, y := range s.list {
		if y == x {
			return false
		}
	}
	if len(s.list) < 16 {
		s.list = append(s.list, x)
		return true
	}
	s.m = make(map[string]struct{}, 64)
	for _, y := range s.list {
		s.m[y] = struct{}{}
	}
	s.m[x] = struct{}{}
	return true
}

// article returns the event type with its indefinite article.
func article(eventType string) string {
	if eventType == TransactionEvent || eventType == TransformationEvent {
		return "a " + eventType
	}
	return "an " + eventType
}
