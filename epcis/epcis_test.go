package epcis

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCorpusInvalid: every document of the Invalid folder is refused, and
// each invalid event with a message naming the offending field; the valid
// events of those documents parse.
func TestCorpusInvalid(t *testing.T) {
	// file -> event index -> the path the error must name (-1: the document).
	tests := map[string]map[int]string{
		"Combination_of_events_with_missing_mandatory_fields.json": {0: "action", 1: "eventTimeZoneOffset"},
		"Combination_of_multiple_invalid_fields.json": {
			0: "bizStep", 1: "disposition", 2: "sourceList[0].type", 3: "ilmd.materialType", 4: "eventTime",
		},
		"Combination_of_non_standard_bizStep_and_disposition.json":   {0: "bizStep", 1: "disposition"},
		"EPCISDocument_without_context.json":                         {-1: "@context"},
		"ObjectEvent_with_ilmd_field_without_namespace.json":         {0: "ilmd.materialType"},
		"ObjectEvent_with_invalid_action.json":                       {0: "action"},
		"ObjectEvent_with_invalid_certificationInfo.json":            {0: "certificationInfo[0]"},
		"ObjectEvent_with_invalid_eventTime_format.json":             {0: "eventTime"},
		"ObjectEvent_with_non_standard_bizStep.json":                 {0: "bizStep"},
		"ObjectEvent_with_non_standard_bizStep_in_second_event.json": {1: "bizStep"},
		"ObjectEvent_with_non_standard_disposition.json":             {0: "disposition"},
		"ObjectEvent_with_quantity_as_text.json":                     {0: "quantityList[0].quantity"},
		"ObjectEvent_with_unknown_field_in_quantityList.json":        {0: "quantityList[0].weight"},
		"ObjectEvent_without_action_and_eventTime.json":              {0: "eventTime"},
		"ObjectEvent_without_identifier_list.json":                   {0: "epcList"},
	}
	entries, err := os.ReadDir(filepath.Join(corpusDir, "Invalid"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(tests) {
		t.Errorf("%d files in Invalid, %d in the table", len(entries), len(tests))
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			want, ok := tests[e.Name()]
			if !ok {
				t.Fatal("not in the table")
			}
			doc := readCorpus(t, filepath.Join("Invalid", e.Name()))
			if _, err := ParseDocument(doc); err == nil {
				t.Fatal("ParseDocument accepted an invalid document")
			} else {
				t.Log(err)
			}
			events, err := SplitDocument(doc)
			if path, ok := want[-1]; ok {
				if !errors.Is(err, ErrInvalidDocument) || !strings.Contains(err.Error(), path) {
					t.Fatalf("SplitDocument = %v, want ErrInvalidDocument naming %s", err, path)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitDocument: %v", err)
			}
			for i, ev := range events {
				_, err := Parse(ev)
				path, bad := want[i]
				if !bad {
					if err != nil {
						t.Errorf("event %d: %v", i, err)
					}
					continue
				}
				var ie *InvalidEventError
				if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidEvent) {
					t.Errorf("event %d: Parse = %v, want an *InvalidEventError", i, err)
					continue
				}
				if ie.Path != path || !strings.Contains(err.Error(), path+": ") {
					t.Errorf("event %d: %v\nnames %q, want %q", i, err, ie.Path, path)
				}
			}
		})
	}
}

func TestCorpusEPCs(t *testing.T) {
	tests := []struct {
		file  string
		index int
		want  []string
	}{
		{"Documents/AssociationEvent.json", 0, []string{
			"urn:epc:id:grai:4012345.55555.987", "urn:epc:id:giai:4000001.12345",
		}},
		{"Documents/AssociationEvent.json", 1, []string{
			"urn:epc:id:grai:4012345.55555.98765", "urn:epc:id:giai:4000001.12345",
			"urn:epc:id:giai:4000001.12346", "urn:epc:class:lgtin:4023333.002000.998877",
		}},
		{"Documents/AggregationEvent.json", 0, []string{
			"urn:epc:id:sscc:0614141.1234567890", "urn:epc:id:sgtin:0614141.107346.2017",
			"urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:idpat:sgtin:4012345.098765.*",
			"urn:epc:class:lgtin:4012345.012345.998877",
		}},
		// Keys out of the usual order: output order is fixed, not key order.
		{"Documents/JumbledFieldsOrder.json", 0, []string{
			"urn:epc:id:sscc:0614141.1234567890", "urn:epc:id:sgtin:0614141.107346.2017",
			"urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:class:lgtin:4012345.011111.4444",
		}},
		{"Documents/TransformationEvent.json", 0, []string{
			"urn:epc:id:sgtin:4012345.011122.25", "urn:epc:id:sgtin:4000001.065432.99886655",
			"urn:epc:id:sgtin:4012345.077889.25", "urn:epc:id:sgtin:4012345.077889.26",
			"urn:epc:id:sgtin:4012345.077889.27", "urn:epc:id:sgtin:4012345.077889.28",
			"urn:epc:class:lgtin:4012345.011111.4444", "urn:epc:class:lgtin:0614141.077777.987",
			"urn:epc:idpat:sgtin:4012345.066666.*",
		}},
		{"Events/ObjectEvent.json", 0, []string{"urn:epc:id:sgtin:0614141.107346.2018"}},
		{"Events/TransformationEvent.json", 0, []string{
			"urn:epc:id:sgtin:4012345.011111.987", "urn:epc:id:sgtin:4012345.033333.AGHFG",
			"urn:epc:class:lgtin:4012345.022222.87545GHGH", "urn:epc:idpat:sgtin:4012345.044444.*",
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s[%d]", tt.file, tt.index), func(t *testing.T) {
			events, err := SplitDocument(readCorpus(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := EPCs(events[tt.index])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("EPCs =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// docOf wraps events in a minimal EPCISDocument.
func docOf(context string, events ...string) string {
	return `{"@context":` + context + `,"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-03-10T08:00:00Z",` +
		`"epcisBody":{"eventList":[` + strings.Join(events, ",") + `]}}`
}

const epcisContext = `"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"`

func TestSplitDocumentRejects(t *testing.T) {
	head := `"@context":[` + epcisContext + `],"schemaVersion":"2.0","creationDate":"2025-03-10T08:00:00Z",`
	tests := []struct {
		name, doc, want string
	}{
		{"empty", ``, "end of JSON"},
		{"not JSON", `hello`, "invalid character"},
		{"truncated JSON", `{"type":"EPCISDocument"`, "end of JSON"},
		{"trailing data", `{"type":"ObjectEvent"} {}`, "after the JSON value"},
		{"array top-level", `[{"type":"ObjectEvent","eventTime":"t"}]`, "want a JSON object"},
		{"string top-level", `"EPCISDocument"`, "want a JSON object"},
		{"null", `null`, "want a JSON object"},
		{"duplicate top-level key", `{"type":"EPCISDocument","type":"ObjectEvent"}`, "duplicate member"},
		{"duplicate key deep in an event", `{"type":"EPCISDocument",` + head + `"epcisBody":{"eventList":[{"a":{"b":1,"b":2}}]}}`, "duplicate member"},
		{"no context", `{"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-03-10T08:00:00Z","epcisBody":{"eventList":[{}]}}`, "@context"},
		{"context of numbers", `{"type":"EPCISDocument","@context":[1],"schemaVersion":"2.0","creationDate":"2025-03-10T08:00:00Z","epcisBody":{"eventList":[{}]}}`, "@context[0]"},
		{"no schemaVersion", `{"type":"EPCISDocument","@context":"x","creationDate":"2025-03-10T08:00:00Z","epcisBody":{"eventList":[{}]}}`, "schemaVersion"},
		{"bad creationDate", `{"type":"EPCISDocument","@context":"x","schemaVersion":"2.0","creationDate":"2025-03-10","epcisBody":{"eventList":[{}]}}`, "creationDate"},
		{"document without epcisBody", `{"type":"EPCISDocument",` + head[:len(head)-1] + `}`, "epcisBody: missing"},
		{"epcisBody not an object", `{"type":"EPCISDocument",` + head + `"epcisBody":[]}`, "epcisBody: want an object"},
		{"body without eventList", `{"type":"EPCISDocument",` + head + `"epcisBody":{}}`, "eventList: missing"},
		{"eventList null", `{"type":"EPCISDocument",` + head + `"epcisBody":{"eventList":null}}`, "want an array"},
		{"eventList not an array", `{"type":"EPCISDocument",` + head + `"epcisBody":{"eventList":{}}}`, "want an array"},
		{"empty eventList", `{"type":"EPCISDocument",` + head + `"epcisBody":{"eventList":[]}}`, "empty"},
		{"event not an object", `{"type":"EPCISDocument",` + head + `"epcisBody":{"eventList":[{},"x"]}}`, "eventList[1]"},
		{"duplicate eventList", `{"type":"EPCISDocument",` + head + `"epcisBody":{"eventList":[{}],"eventList":[{}]}}`, "duplicate member"},
		{"query document without results", `{"type":"EPCISQueryDocument",` + head + `"epcisBody":{"eventList":[{}]}}`, "queryResults: missing"},
		{"deep nesting", `{"type":"EPCISDocument",` + head + `"epcisBody":{"eventList":[` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `]}}`, "nested deeper"},
		{"invalid UTF-8", "{\"type\":\"EPCISDocument\",\"x\":\"\xff\"}", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitDocument([]byte(tt.doc))
			if !errors.Is(err, ErrInvalidDocument) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SplitDocument = %q, %v; want ErrInvalidDocument with %q", got, err, tt.want)
			}
		})
	}
}

func TestSplitDocumentVerbatim(t *testing.T) {
	doc := " {\"@context\":[" + epcisContext + ",{\"ex\":\"https://ex.com/\"}],\"schemaVersion\":\"2.0\",\"creationDate\":\"2025-03-10T08:00:00Z\"," +
		"\"epcisBody\": {\"eventList\": [ {\"b\" : 1.50,\n\"a\":\"\\u0041\"} ,{}]},\"type\":\"EPCISDocument\"}\n"
	got, err := SplitDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{[]byte("{\"b\" : 1.50,\n\"a\":\"\\u0041\"}"), []byte("{}")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SplitDocument = %q, want %q", got, want)
	}
	// A non-document object is one event, without surrounding whitespace.
	got, err = SplitDocument([]byte("\n {\"type\":\"ObjectEvent\"}\t"))
	if err != nil || len(got) != 1 || string(got[0]) != `{"type":"ObjectEvent"}` {
		t.Fatalf("single event: %q, %v", got, err)
	}
	// Results do not alias the input.
	in := []byte(`{"type":"ObjectEvent"}`)
	got, _ = SplitDocument(in)
	in[2] = 'X'
	if string(got[0]) != `{"type":"ObjectEvent"}` {
		t.Fatal("result aliases the input")
	}
}

const okEvent = `"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00.000+01:00","eventTimeZoneOffset":"+01:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:4012345.012000.1001"]`

// TestSplitDocumentContext: the document's context goes into the events that
// need it, and only those.
func TestSplitDocumentContext(t *testing.T) {
	ctx := `[` + epcisContext + `,{"ex":"https://ex.com/ns/","un":"https://unused.example/"}]`
	plain := `{` + okEvent + `}`
	usesKey := `{` + okEvent + `,"ex:temp":{"ex:unit":"CEL"}}`
	usesValue := "{\n  " + okEvent + `,"bizStep":"ex:grading"}`
	ownCtx := `{"@context":{"own":"https://own.example/"},` + okEvent + `,"ex:a":1,"own:b":2}`
	ownCtxArray := `{"@context":["https://x.example/c.jsonld",{"own":"https://own.example/"}],` + okEvent + `,"ex:a":1}`
	redefines := `{"@context":{"ex":"https://other.example/"},` + okEvent + `,"ex:a":1}`
	standardOnly := `{` + okEvent + `,"cbvmda:lotNumber":"L1","gs1:x":"y"}`
	doc := docOf(ctx, plain, usesKey, usesValue, ownCtx, ownCtxArray, redefines, standardOnly)
	events, err := SplitDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	docCtx := `"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"ex":"https://ex.com/ns/","un":"https://unused.example/"}`
	want := []string{
		plain,
		`{"@context":[` + docCtx + `],` + usesKey[1:],
		"{\"@context\":[" + docCtx + "],\n  " + usesValue[4:],
		`{"@context":[` + docCtx + `,{"own":"https://own.example/"}],` + ownCtx[len(`{"@context":{"own":"https://own.example/"},`):],
		`{"@context":[` + docCtx + `,"https://x.example/c.jsonld",{"own":"https://own.example/"}],` + ownCtxArray[len(`{"@context":["https://x.example/c.jsonld",{"own":"https://own.example/"}],`):],
		redefines,
		standardOnly,
	}
	for i := range want {
		if string(events[i]) != want[i] {
			t.Errorf("event %d:\n got %s\nwant %s", i, events[i], want[i])
		}
		if _, err := Parse(events[i]); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
	// Without the document's context, the event cannot be read.
	if _, err := Parse([]byte(usesKey)); err == nil || !strings.Contains(err.Error(), `ex:temp: namespace prefix "ex" is not declared`) {
		t.Errorf("event with an undeclared prefix: %v", err)
	}
	// The namespace is what counts: the same extension under another prefix
	// for the same IRI has the same id; under another IRI, another id.
	a, _ := Parse(events[1])
	b, err := Parse([]byte(`{"@context":{"y":"https://ex.com/ns/"},` + okEvent + `,"y:temp":{"y:unit":"CEL"}}`))
	if err != nil || a.ID != b.ID {
		t.Errorf("same namespace, other prefix: %v, %s vs %s", err, a.ID, b.ID)
	}
	c, _ := Parse([]byte(`{"@context":{"ex":"https://ex.org/ns/"},` + okEvent + `,"ex:temp":{"ex:unit":"CEL"}}`))
	if c.ID == a.ID {
		t.Error("another namespace, same id")
	}
}

func TestSplitQueryDocumentAndIgnoreFields(t *testing.T) {
	ev := `{` + okEvent + `,"eventID":"urn:uuid:1","repo:hash":"h1","ex:keep":"k"}`
	doc := `{"@context":[` + epcisContext + `,{"repo":"https://repo.example/","ex":"https://ex.com/"}],` +
		`"type":"EPCISQueryDocument","schemaVersion":"2.0","creationDate":"2025-03-10T08:00:00Z",` +
		`"epcisBody":{"queryResults":{"queryName":"SimpleEventQuery","repo:ignoreFields":["repo:hash"],` +
		`"resultsBody":{"eventList":[` + ev + `,{` + okEvent + `,"ex:keep":"k"}]}}}}`
	events, err := SplitDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d events", len(events))
	}
	if !strings.HasPrefix(string(events[0]), `{"@context":[`) || !strings.Contains(string(events[0]), `],"repo:ignoreFields":["repo:hash"],`) {
		t.Errorf("event 0: %s", events[0])
	}
	a, err := Parse(events[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(events[1])
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Errorf("the ignored field changes the id: %s vs %s", a.ID, b.ID)
	}
}

// A typical event of each type, valid.
var validEvents = map[string]string{
	"object": `{` + okEvent + `}`,
	"object, quantities and sensors": `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+00:00","action":"ADD",
		"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.L1","quantity":12.5,"uom":"KGM"},{"epcClass":"https://id.gs1.org/01/04012345120004"}],
		"readPoint":{"id":"geo:50.9,6.9"},"ilmd":{"cbvmda:lotNumber":"L1","cbvmda:bestBeforeDate":"2025-09-10"},
		"sensorElementList":[{"sensorMetadata":{"time":"2025-03-11T06:00:00Z","deviceID":"urn:epc:id:giai:4000001.111"},
		"sensorReport":[{"type":"Temperature","value":4.5,"uom":"CEL"},{"type":"gs1:Humidity","minValue":60,"maxValue":70.5,"uom":"A93"},
		{"exception":"ALARM_CONDITION","booleanValue":true},{"type":"Angle","value":42.1,"component":"latitude","uom":"DD"}]}]}`,
	"object, sensor data of a place": `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":[],
		"readPoint":{"id":"urn:epc:id:sgln:4012345.00001.0"},"sensorElementList":[{"sensorReport":[{"type":"Temperature","value":4,"uom":"CEL"}]}]}`,
	"aggregation": `{"type":"AggregationEvent","eventTime":"2025-03-10T09:02:00+01:00","eventTimeZoneOffset":"+01:00","action":"ADD",
		"parentID":"urn:epc:id:sscc:4012345.0000000101","childEPCs":["urn:epc:id:sgtin:4012345.012000.1001","https://id.gs1.org/01/04012345120004/21/1002"],
		"childQuantityList":[{"epcClass":"urn:epc:idpat:sgtin:4012345.012000.*","quantity":3}],"bizStep":"packing","disposition":"container_closed"}`,
	"aggregation observed without parent": `{"type":"AggregationEvent","eventTime":"2025-03-10T09:02:00+01:00","eventTimeZoneOffset":"+01:00","action":"OBSERVE",
		"childEPCs":["urn:epc:id:sgtin:4012345.012000.1001"]}`,
	"transaction": `{"type":"TransactionEvent","eventTime":"2025-03-10T09:02:00+01:00","eventTimeZoneOffset":"+01:00","action":"ADD",
		"parentID":"urn:epc:id:sscc:4012345.0000000101","epcList":["urn:epc:id:sgtin:4012345.012000.1001"],
		"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:0614141000005:PO4711"},{"bizTransaction":"urn:epc:id:gdti:4012345.55555.1"}],
		"sourceList":[{"type":"owning_party","source":"urn:epc:id:pgln:4012345.00000"}],
		"destinationList":[{"type":"urn:epcglobal:cbv:sdt:location","destination":"urn:epc:id:sgln:0614141.00002.0"}]}`,
	"transformation": `{"type":"TransformationEvent","eventTime":"2025-03-13T10:45:00+01:00","eventTimeZoneOffset":"+01:00",
		"inputEPCList":["urn:epc:id:sgtin:4012345.012000.1001"],"inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.099000.HB2502","quantity":0.4,"uom":"KGM"}],
		"outputEPCList":["urn:epc:id:sgtin:0614141.034500.7001"],"outputQuantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.034600.GR250313","quantity":12.5,"uom":"KGM"}],
		"transformationID":"urn:uuid:4f1c2b7e-9a0d-4c3e-8b5f-6d7e8f9a0b1c","bizStep":"https://ref.gs1.org/cbv/BizStep-commissioning","ilmd":{"cbvmda:lotNumber":"SL250313"}}`,
	"association": `{"type":"AssociationEvent","eventTime":"2025-03-10T09:02:00+01:00","eventTimeZoneOffset":"+01:00","action":"ADD",
		"parentID":"urn:epc:id:grai:4012345.55555.987","childEPCs":["urn:epc:id:giai:4000001.12345"],"bizStep":"urn:epcglobal:cbv:bizstep:installing"}`,
	"error declaration": `{` + okEvent + `,"eventID":"urn:uuid:1","errorDeclaration":{"declarationTime":"2025-03-12T00:00:00Z","reason":"incorrect_data",
		"correctiveEventIDs":["urn:uuid:2"],"cbvmda:note":"x"}}`,
	"extensions and comment": `{"@context":[{"ex":"https://ex.com/"},{"rdfs":"http://www.w3.org/2000/01/rdf-schema#"}],` + okEvent + `,
		"rdfs:comment":"c","ex:a":{"ex:b":[1,2],"plain":null,"ex:c":{}},"readPoint":{"id":"urn:epc:id:sgln:4012345.00001.1","ex:door":"3"},
		"https://abs.example/field":"v","urn:example:field":"w"}`,
	"persistent disposition": `{` + okEvent + `,"persistentDisposition":{"set":["recalled"],"unset":["cbv:Disp-completeness_inferred"]}}`,
	"custom vocabulary": `{` + okEvent + `,"bizStep":"https://example.com/bizstep/grading","disposition":"urn:example:disp:graded",
		"bizTransactionList":[{"type":"https://example.com/btt/contract","bizTransaction":"https://example.com/contracts/7"}]}`,
	"digital link everywhere": `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE",
		"epcList":["https://example.com/01/4012345120004/21/A%2FB","https://id.gs1.org/00/040123450000001013","https://id.gs1.org/8004/4012345ABC"],
		"readPoint":{"id":"https://id.gs1.org/414/4012345000054/254/7"}}`,
	"other URIs as EPCs": `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE",
		"epcList":["urn:uuid:7d2c1f8e-2b4a-4c6d-8e0f-1a2b3c4d5e6f","https://things.example.com/item/77","urn:epc:id:gid:95100000.12345.400"]}`,
	"certification info array": `{` + okEvent + `,"certificationInfo":["https://cert.example/1","https://cert.example/2"]}`,
	"time edge":                `{"type":"ObjectEvent","eventTime":"2024-02-29T23:59:59.9996-14:00","eventTimeZoneOffset":"-14:00","action":"OBSERVE","epcList":[]}`,
}

func TestParseValid(t *testing.T) {
	for name, raw := range validEvents {
		t.Run(name, func(t *testing.T) {
			e, err := Parse([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != EventID([]byte(raw)) || !IsEventType(e.Type) || e.EPCs == nil {
				t.Fatalf("%+v", e)
			}
		})
	}
}

// TestParseInvalid: each mutation of a valid event is refused naming the
// field path and the rule.
func TestParseInvalid(t *testing.T) {
	const obj = `"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"ADD"`
	const epc = `"epcList":["urn:epc:id:sgtin:4012345.012000.1001"]`
	tests := []struct {
		name, ev, path, rule string
	}{
		{"not JSON", `{"type":`, "type", "not valid JSON"},
		{"not an object", `[1]`, "", "must be a JSON object"},
		{"duplicate key", `{` + obj + `,` + epc + `,"type":"ObjectEvent"}`, "type", "duplicate member"},
		{"duplicate key via escape", `{` + obj + `,` + epc + `,"t\u0079pe":"ObjectEvent"}`, "type", "duplicate member"},
		{"duplicate key nested", `{` + obj + `,"quantityList":[{"epcClass":"a","epcClass":"b"}]}`, "quantityList[0].epcClass", "duplicate member"},
		{"lone surrogate", `{` + obj + `,` + epc + `,"cbvmda:x":"\udc00"}`, "cbvmda:x", "unpaired surrogate"},
		{"missing type", `{"eventTime":"2025-03-11T06:30:00Z"}`, "type", "missing"},
		{"type not a string", `{"type":1}`, "type", "must be a string"},
		{"unknown type", `{"type":"BananaEvent"}`, "type", "not an EPCIS 2.0 event type"},
		{"document type", `{"type":"EPCISDocument"}`, "type", "not an EPCIS 2.0 event type"},
		{"missing eventTime", `{"type":"ObjectEvent","eventTimeZoneOffset":"+01:00","action":"ADD",` + epc + `}`, "eventTime", "missing"},
		{"missing offset", `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","action":"ADD",` + epc + `}`, "eventTimeZoneOffset", "missing"},
		{"missing action", `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00",` + epc + `}`, "action", "missing"},
		{"eventTime without zone", `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00","eventTimeZoneOffset":"+01:00","action":"ADD",` + epc + `}`, "eventTime", "RFC 3339"},
		{"eventTime lower-case t", `{"type":"ObjectEvent","eventTime":"2025-03-11t06:30:00Z","eventTimeZoneOffset":"+01:00","action":"ADD",` + epc + `}`, "eventTime", "RFC 3339"},
		{"eventTime 30 February", `{"type":"ObjectEvent","eventTime":"2025-02-30T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"ADD",` + epc + `}`, "eventTime", "not a valid date"},
		{"eventTime leap second", `{"type":"ObjectEvent","eventTime":"2016-12-31T23:59:60Z","eventTimeZoneOffset":"+01:00","action":"ADD",` + epc + `}`, "eventTime", "not a valid date"},
		{"eventTime number", `{"type":"ObjectEvent","eventTime":20250311,"eventTimeZoneOffset":"+01:00","action":"ADD",` + epc + `}`, "eventTime", "must be a string"},
		{"offset out of range", `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+14:30","action":"ADD",` + epc + `}`, "eventTimeZoneOffset", "+hh:mm"},
		{"offset no colon", `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+0100","action":"ADD",` + epc + `}`, "eventTimeZoneOffset", "+hh:mm"},
		{"offset minutes", `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:60","action":"ADD",` + epc + `}`, "eventTimeZoneOffset", "+hh:mm"},
		{"recordTime", `{` + obj + `,` + epc + `,"recordTime":"yesterday"}`, "recordTime", "RFC 3339"},
		{"eventID not a URI", `{` + obj + `,` + epc + `,"eventID":"1234"}`, "eventID", "absolute URI"},
		{"action", `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"add",` + epc + `}`, "action", "ADD, OBSERVE or DELETE"},
		{"action on transformation", `{"type":"TransformationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"ADD","inputEPCList":["urn:epc:id:sgtin:4012345.012000.1"]}`, "action", "not a field of TransformationEvent"},
		{"ilmd on aggregation", `{"type":"AggregationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"OBSERVE","ilmd":{}}`, "ilmd", "not a field of AggregationEvent"},
		{"epcList on aggregation", `{"type":"AggregationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"OBSERVE",` + epc + `}`, "epcList", "not a field"},
		{"no identifiers", `{` + obj + `}`, "epcList", "missing"},
		{"aggregation ADD without parent", `{"type":"AggregationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"ADD","childEPCs":["urn:epc:id:sgtin:4012345.012000.1"]}`, "parentID", "missing"},
		{"association without parent", `{"type":"AssociationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"OBSERVE","childEPCs":["urn:epc:id:sgtin:4012345.012000.1"]}`, "parentID", "missing"},
		{"transaction without transactions", `{"type":"TransactionEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"ADD",` + epc + `}`, "bizTransactionList", "at least one"},
		{"transformation without inputs or outputs", `{"type":"TransformationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","inputEPCList":[]}`, "inputEPCList", "at least one input or output"},
		{"unknown field", `{` + obj + `,` + epc + `,"color":"red"}`, "color", "namespace prefix"},
		{"undeclared prefix", `{` + obj + `,` + epc + `,"ex:color":"red"}`, "ex:color", `prefix "ex" is not declared`},
		{"epcList not an array", `{` + obj + `,"epcList":"urn:epc:id:sgtin:4012345.012000.1001"}`, "epcList", "must be an array"},
		{"epcList null", `{` + obj + `,"epcList":null}`, "epcList", "must be an array"},
		{"EPC not a string", `{` + obj + `,"epcList":["urn:epc:id:sgtin:4012345.012000.1",1]}`, "epcList[1]", "must be an EPC URI string"},
		{"empty EPC", `{` + obj + `,"epcList":[""]}`, "epcList[0]", "not an absolute URI"},
		{"bad SGTIN digits", `{` + obj + `,"epcList":["urn:epc:id:sgtin:4012345.01200.1"]}`, "epcList[0]", "13 digits"},
		{"bad SGTIN serial", `{` + obj + `,"epcList":["urn:epc:id:sgtin:4012345.012000.a b"]}`, "epcList[0]", "invalid character"},
		{"unknown EPC scheme", `{` + obj + `,"epcList":["urn:epc:id:foo:1.2"]}`, "epcList[0]", "unknown EPC scheme"},
		{"class in epcList", `{` + obj + `,"epcList":["urn:epc:class:lgtin:4012345.012000.L1"]}`, "epcList[0]", "class-level"},
		{"pattern in epcList", `{` + obj + `,"epcList":["urn:epc:idpat:sgtin:4012345.012000.*"]}`, "epcList[0]", "class-level"},
		{"GTIN-only DL in epcList", `{` + obj + `,"epcList":["https://id.gs1.org/01/04012345120004"]}`, "epcList[0]", "class-level"},
		{"bad check digit on id.gs1.org", `{` + obj + `,"epcList":["https://id.gs1.org/01/04012345120001/21/1"]}`, "epcList[0]", "check digit"},
		{"id.gs1.org without key", `{` + obj + `,"epcList":["https://id.gs1.org/foo/1"]}`, "epcList[0]", "no GS1 primary key"},
		{"instance in epcClass", `{` + obj + `,"quantityList":[{"epcClass":"urn:epc:id:sgtin:4012345.012000.1","quantity":1}]}`, "quantityList[0].epcClass", "instance-level"},
		{"quantity element without class", `{` + obj + `,"quantityList":[{"quantity":1}]}`, "quantityList[0].epcClass", "missing"},
		{"quantity element not an object", `{` + obj + `,"quantityList":["urn:epc:class:lgtin:4012345.012000.L1"]}`, "quantityList[0]", "must be an object"},
		{"quantity as text", `{` + obj + `,"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.L1","quantity":"5"}]}`, "quantityList[0].quantity", "JSON number"},
		{"negative quantity", `{` + obj + `,"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.L1","quantity":-5}]}`, "quantityList[0].quantity", "negative"},
		{"huge exponent", `{` + obj + `,"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.L1","quantity":1e999999}]}`, "quantityList[0].quantity", "out of range"},
		{"uom without quantity", `{` + obj + `,"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.L1","uom":"KGM"}]}`, "quantityList[0].uom", "needs a quantity"},
		{"uom too long", `{` + obj + `,"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.L1","quantity":1,"uom":"KILO"}]}`, "quantityList[0].uom", "Rec. 20"},
		{"uom lower case", `{` + obj + `,"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.L1","quantity":1,"uom":"kgm"}]}`, "quantityList[0].uom", "Rec. 20"},
		{"third EPC bad", `{` + obj + `,"epcList":["urn:epc:id:sgtin:4012345.012000.1","urn:epc:id:sgtin:4012345.012000.2","urn:epc:id:sscc:4012345.1"]}`, "epcList[2]", "17 digits"},
		{"bizStep unknown word", `{` + obj + `,` + epc + `,"bizStep":"transforming"}`, "bizStep", "not a CBV 2.0 business step"},
		{"bizStep unknown CBV URI", `{` + obj + `,` + epc + `,"bizStep":"https://ref.gs1.org/cbv/BizStep-transforming"}`, "bizStep", "unknown term"},
		{"bizStep unknown CBV URN", `{` + obj + `,` + epc + `,"bizStep":"urn:epcglobal:cbv:bizstep:transforming"}`, "bizStep", "unknown term"},
		{"disposition unknown", `{` + obj + `,` + epc + `,"disposition":"in_transport"}`, "disposition", "not a CBV 2.0 disposition"},
		{"persistentDisposition unknown", `{` + obj + `,` + epc + `,"persistentDisposition":{"set":["fine"]}}`, "persistentDisposition.set[0]", "disposition"},
		{"persistentDisposition other key", `{` + obj + `,` + epc + `,"persistentDisposition":{"add":["recalled"]}}`, "persistentDisposition.add", "only set and unset"},
		{"readPoint without id", `{` + obj + `,` + epc + `,"readPoint":{}}`, "readPoint.id", "missing"},
		{"readPoint string", `{` + obj + `,` + epc + `,"readPoint":"urn:epc:id:sgln:4012345.00001.0"}`, "readPoint", "must be an object"},
		{"readPoint bad SGLN", `{` + obj + `,` + epc + `,"readPoint":{"id":"urn:epc:id:sgln:4012345.0001.0"}}`, "readPoint.id", "12 digits"},
		{"bizLocation unknown field", `{` + obj + `,` + epc + `,"bizLocation":{"id":"urn:epc:id:sgln:4012345.00001.0","door":1}}`, "bizLocation.door", "namespace prefix"},
		{"bizTransaction type unknown", `{` + obj + `,` + epc + `,"bizTransactionList":[{"type":"order","bizTransaction":"urn:x:1"}]}`, "bizTransactionList[0].type", "business transaction type"},
		{"bizTransaction missing", `{` + obj + `,` + epc + `,"bizTransactionList":[{"type":"po"}]}`, "bizTransactionList[0].bizTransaction", "missing"},
		{"source type unknown", `{` + obj + `,` + epc + `,"sourceList":[{"type":"place","source":"urn:epc:id:sgln:4012345.00001.0"}]}`, "sourceList[0].type", "source/destination type"},
		{"destination without type", `{` + obj + `,` + epc + `,"destinationList":[{"destination":"urn:epc:id:sgln:4012345.00001.0"}]}`, "destinationList[0].type", "missing"},
		{"sensor element without report", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorMetadata":{}}]}`, "sensorElementList[0].sensorReport", "missing"},
		{"sensor report value as text", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorReport":[{"type":"Temperature","value":"4"}]}]}`, "sensorElementList[0].sensorReport[0].value", "JSON number"},
		{"sensor report bad type", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorReport":[{"type":"very hot"}]}]}`, "sensorElementList[0].sensorReport[0].type", "measurement type"},
		{"sensor report bad exception", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorReport":[{"exception":"FIRE"}]}]}`, "sensorElementList[0].sensorReport[0].exception", "alert type"},
		{"sensor report bad component", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorReport":[{"type":"Angle","component":"up"}]}]}`, "sensorElementList[0].sensorReport[0].component", "component"},
		{"sensor report unknown field", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorReport":[{"type":"Temperature","colour":"red"}]}]}`, "sensorElementList[0].sensorReport[0].colour", "namespace prefix"},
		{"sensor report hex", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorReport":[{"type":"Temperature","hexBinaryValue":"ABC"}]}]}`, "sensorElementList[0].sensorReport[0].hexBinaryValue", "hexadecimal"},
		{"sensor metadata time", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorMetadata":{"time":"now"},"sensorReport":[{"type":"Temperature"}]}]}`, "sensorElementList[0].sensorMetadata.time", "RFC 3339"},
		{"sensor report boolean", `{` + obj + `,` + epc + `,"sensorElementList":[{"sensorReport":[{"type":"Temperature","booleanValue":"yes"}]}]}`, "sensorElementList[0].sensorReport[0].booleanValue", "true or false"},
		{"ilmd not an object", `{` + obj + `,` + epc + `,"ilmd":[]}`, "ilmd", "must be an object"},
		{"ilmd without namespace", `{` + obj + `,` + epc + `,"ilmd":{"lot":"1"}}`, "ilmd.lot", "namespace prefix"},
		{"errorDeclaration without time", `{` + obj + `,` + epc + `,"errorDeclaration":{"reason":"incorrect_data"}}`, "errorDeclaration.declarationTime", "missing"},
		{"errorDeclaration bad reason", `{` + obj + `,` + epc + `,"errorDeclaration":{"declarationTime":"2025-03-11T06:30:00Z","reason":"oops"}}`, "errorDeclaration.reason", "error reason"},
		{"errorDeclaration bad corrective id", `{` + obj + `,` + epc + `,"errorDeclaration":{"declarationTime":"2025-03-11T06:30:00Z","correctiveEventIDs":["x"]}}`, "errorDeclaration.correctiveEventIDs[0]", "absolute URI"},
		{"certificationInfo object", `{` + obj + `,` + epc + `,"certificationInfo":{}}`, "certificationInfo", "URI string"},
		{"context not a map", `{"@context":[1],` + obj + `,` + epc + `}`, "@context[0]", "context URL"},
		{"context bad IRI", `{"@context":{"ex":"not an iri"},` + obj + `,` + epc + `}`, "@context.ex", "absolute IRI"},
		{"extension string too long", `{` + obj + `,` + epc + `,"cbvmda:x":"` + strings.Repeat("a", MaxStringBytes+1) + `"}`, "cbvmda:x", "longer than"},
		{"too many extension values", `{` + obj + `,` + epc + `,"cbvmda:x":[` + strings.Repeat("1,", MaxExtensionValues) + `1]}`, "cbvmda:x[1023]", "more than 1024"},
		{"too deep", `{` + obj + `,` + epc + `,"cbvmda:x":` + strings.Repeat(`[`, MaxDepth) + strings.Repeat(`]`, MaxDepth) + `}`, "cbvmda:x" + strings.Repeat("[0]", MaxDepth-1), "nested deeper"},
		{"identifier too long", `{` + obj + `,"epcList":["urn:x:` + strings.Repeat("a", MaxIdentifierBytes) + `"]}`, "epcList[0]", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.ev))
			var ie *InvalidEventError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Parse = %v, want an *InvalidEventError", err)
			}
			if ie.Path != tt.path || !strings.Contains(ie.Rule, tt.rule) || ie.Index != -1 {
				t.Fatalf("Parse = %v\npath %q, want %q; rule should contain %q", err, ie.Path, tt.path, tt.rule)
			}
			if err := ValidateEvent([]byte(tt.ev)); err == nil {
				t.Fatal("ValidateEvent accepted it")
			}
			if got := WithIndex(err, 7).Error(); !strings.HasPrefix(got, "epcis: invalid event 7: ") {
				t.Fatalf("WithIndex: %s", got)
			}
		})
	}
}

func TestTooManyEPCs(t *testing.T) {
	list := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf(`"urn:epc:id:sgtin:0614141.107346.%d"`, i)
		}
		return "[" + strings.Join(ids, ",") + "]"
	}
	base := `"type":"AggregationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00","action":"ADD"`
	e, err := Parse([]byte(`{` + base + `,"parentID":"urn:epc:id:sgtin:0614141.107346.0","childEPCs":` + list(MaxEPCsPerEvent-1) + `}`))
	if err != nil || len(e.EPCs) != MaxEPCsPerEvent-1 || len(e.Children) != MaxEPCsPerEvent-1 {
		t.Fatalf("at the limit (duplicates counted): %v, %d EPCs", err, len(e.EPCs))
	}
	_, err = Parse([]byte(`{` + base + `,"parentID":"urn:epc:id:sgtin:0614141.107346.0","childEPCs":` + list(MaxEPCsPerEvent) + `}`))
	var ie *InvalidEventError
	if !errors.As(err, &ie) || ie.Path != fmt.Sprintf("childEPCs[%d]", MaxEPCsPerEvent-1) {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestEPCsOrderAndDedup(t *testing.T) {
	// Members deliberately in reverse of the output order.
	ev := `{"outputQuantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.O"}],"inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012000.I"}],
		"outputEPCList":["urn:epc:id:sgtin:4012345.012000.3","urn:epc:id:sgtin:4012345.012000.1"],"inputEPCList":["urn:epc:id:sgtin:4012345.012000.1","urn:epc:id:sgtin:4012345.012000.2","urn:epc:id:sgtin:4012345.012000.1"],
		"type":"TransformationEvent","eventTime":"2025-03-11T06:30:00Z","eventTimeZoneOffset":"+01:00"}`
	got, err := EPCs([]byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"urn:epc:id:sgtin:4012345.012000.1", "urn:epc:id:sgtin:4012345.012000.2", "urn:epc:id:sgtin:4012345.012000.3",
		"urn:epc:class:lgtin:4012345.012000.I", "urn:epc:class:lgtin:4012345.012000.O"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EPCs = %q, want %q", got, want)
	}
	e, _ := Parse([]byte(ev))
	wantIn := []string{"https://id.gs1.org/01/04012345120004/21/1", "https://id.gs1.org/01/04012345120004/21/2", "https://id.gs1.org/01/04012345120004/10/I"}
	wantOut := []string{"https://id.gs1.org/01/04012345120004/21/3", "https://id.gs1.org/01/04012345120004/21/1", "https://id.gs1.org/01/04012345120004/10/O"}
	if !reflect.DeepEqual(e.Inputs, wantIn) || !reflect.DeepEqual(e.Outputs, wantOut) {
		t.Fatalf("Inputs %q\nOutputs %q", e.Inputs, e.Outputs)
	}
	if _, err := EPCs([]byte(`[]`)); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("EPCs of array = %v, want ErrInvalidEvent", err)
	}
}

// TestEventFields: what Parse extracts for the ledger's indexes.
func TestEventFields(t *testing.T) {
	e, err := Parse([]byte(validEvents["transaction"]))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		Raw: e.Raw, Type: TransactionEvent, ID: e.ID,
		EPCs:      []string{"urn:epc:id:sscc:4012345.0000000101", "urn:epc:id:sgtin:4012345.012000.1001"},
		EventTime: "2025-03-10T08:02:00.000Z", Action: "ADD",
		BizTransactions: []string{"urn:epcglobal:cbv:bt:0614141000005:PO4711", "https://id.gs1.org/253/40123455555541"},
		Parent:          "https://id.gs1.org/00/040123450000001013",
		Children:        []string{"https://id.gs1.org/01/04012345120004/21/1001"},
	}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", e, want)
	}
	e, err = Parse([]byte(validEvents["aggregation"]))
	if err != nil {
		t.Fatal(err)
	}
	if e.BizStep != "https://ref.gs1.org/cbv/BizStep-packing" || e.Disposition != "https://ref.gs1.org/cbv/Disp-container_closed" ||
		e.Parent != "https://id.gs1.org/00/040123450000001013" ||
		!reflect.DeepEqual(e.Children, []string{"https://id.gs1.org/01/04012345120004/21/1001", "https://id.gs1.org/01/04012345120004/21/1002", "https://id.gs1.org/01/04012345120004"}) {
		t.Fatalf("aggregation: %+v", e)
	}
	e, _ = Parse([]byte(validEvents["association"]))
	if e.BizStep != "https://ref.gs1.org/cbv/BizStep-installing" || e.Parent != "https://id.gs1.org/8003/04012345555554987" {
		t.Fatalf("association: %+v", e)
	}
	e, _ = Parse([]byte(validEvents["error declaration"]))
	if e.EventID != "urn:uuid:1" || !reflect.DeepEqual(e.ErrorDeclaration, &ErrorDeclaration{
		DeclarationTime: "2025-03-12T00:00:00.000Z", Reason: "https://ref.gs1.org/cbv/ER-incorrect_data", CorrectiveEventIDs: []string{"urn:uuid:2"},
	}) {
		t.Fatalf("error declaration: %+v %+v", e, e.ErrorDeclaration)
	}
	e, _ = Parse([]byte(validEvents["digital link everywhere"]))
	if e.ReadPoint != "https://id.gs1.org/414/4012345000054/254/7" || e.EPCs[0] != "https://example.com/01/4012345120004/21/A%2FB" {
		t.Fatalf("digital link: %+v", e)
	}
	e, _ = Parse([]byte(validEvents["time edge"]))
	if e.EventTime != "2024-03-01T14:00:00.000Z" {
		t.Fatalf("EventTime %s", e.EventTime)
	}
}

// TestEventIDSemantics: what changes the id and what does not.
func TestEventIDSemantics(t *testing.T) {
	base := `{"type":"ObjectEvent","eventTime":"2025-03-11T06:30:00.000+01:00","eventTimeZoneOffset":"+01:00","action":"OBSERVE",
		"epcList":["urn:epc:id:sgtin:4012345.012000.1001","urn:epc:id:sgtin:4012345.012000.1002"],"bizStep":"shipping","readPoint":{"id":"urn:epc:id:sgln:4012345.00001.3"}}`
	id := EventID([]byte(base))
	same := map[string]string{
		"reordered, other whitespace": `{ "readPoint" : { "id" : "urn:epc:id:sgln:4012345.00001.3" } , "bizStep":"shipping","action":"OBSERVE","epcList":[ "urn:epc:id:sgtin:4012345.012000.1002" , "urn:epc:id:sgtin:4012345.012000.1001" ],"eventTimeZoneOffset":"+01:00","eventTime":"2025-03-11T06:30:00.000+01:00","type":"ObjectEvent"}`,
		"eventID, recordTime added":   strings.Replace(base, `"action"`, `"eventID":"urn:uuid:9","recordTime":"2025-03-12T00:00:00Z","action"`, 1),
		"error declaration added":     strings.Replace(base, `"action"`, `"errorDeclaration":{"declarationTime":"2025-03-12T00:00:00Z","reason":"did_not_occur"},"action"`, 1),
		"same instant, other zone":    strings.Replace(base, `2025-03-11T06:30:00.000+01:00`, `2025-03-11T05:30:00Z`, 1),
		"sub-millisecond difference":  strings.Replace(base, `2025-03-11T06:30:00.000+01:00`, `2025-03-11T06:30:00.0004+01:00`, 1),
		"CBV URI for bare word":       strings.Replace(base, `"shipping"`, `"https://ref.gs1.org/cbv/BizStep-shipping"`, 1),
		"CBV URN for bare word":       strings.Replace(base, `"shipping"`, `"urn:epcglobal:cbv:bizstep:shipping"`, 1),
		"CURIE for bare word":         strings.Replace(base, `"shipping"`, `"cbv:BizStep-shipping"`, 1),
		"Digital Link for EPC URI":    strings.Replace(base, `"urn:epc:id:sgtin:4012345.012000.1001"`, `"https://brand.example/01/04012345120004/21/1001?x=y"`, 1),
		"GTIN-13 Digital Link":        strings.Replace(base, `"urn:epc:id:sgtin:4012345.012000.1001"`, `"https://id.gs1.org/01/4012345120004/21/1001"`, 1),
		"escaped JSON string":         strings.Replace(base, `"shipping"`, `"sh\u0069pping"`, 1),
		"rdfs:comment":                strings.Replace(base, `"action"`, `"rdfs:comment":"note","action"`, 1),
	}
	for name, ev := range same {
		if got := EventID([]byte(ev)); got != id || got == "" {
			t.Errorf("%s: id %q, want %s (%v)", name, got, id, ValidateEvent([]byte(ev)))
		}
	}
	other := map[string]string{
		"other time":      strings.Replace(base, `06:30:00.000`, `06:30:00.001`, 1),
		"other zone":      strings.Replace(base, `"eventTimeZoneOffset":"+01:00"`, `"eventTimeZoneOffset":"+02:00"`, 1),
		"other EPC":       strings.Replace(base, `1002`, `1003`, 1),
		"other bizStep":   strings.Replace(base, `"shipping"`, `"receiving"`, 1),
		"extension added": strings.Replace(base, `"action"`, `"cbvmda:lotNumber":"L1","action"`, 1),
		"disposition":     strings.Replace(base, `"action"`, `"disposition":"in_transit","action"`, 1),
	}
	for name, ev := range other {
		if got := EventID([]byte(ev)); got == id || got == "" {
			t.Errorf("%s: id %q", name, got)
		}
	}
	if EventID([]byte(`{}`)) != "" {
		t.Error("EventID of an invalid event is not empty")
	}
}

func TestNormaliseEPC(t *testing.T) {
	tests := map[string]string{
		"urn:epc:id:sgtin:4012345.011111.987":                         "https://id.gs1.org/01/04012345111118/21/987",
		"urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()":      "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29",
		"urn:epc:id:sgtin:0614141.812345.a%2fb":                       "https://id.gs1.org/01/80614141123458/21/a%2Fb",
		"urn:epc:id:sgtin:415056789012.0.987654":                      "https://id.gs1.org/01/04150567890128/21/987654",
		"urn:epc:id:sscc:4012345.0000000333":                          "https://id.gs1.org/00/040123450000003338",
		"urn:epc:id:sgln:4012345.00011.987":                           "https://id.gs1.org/414/4012345000115/254/987",
		"urn:epc:id:sgln:4012345.00011.0":                             "https://id.gs1.org/414/4012345000115",
		"urn:epc:id:grai:4012345.66666.87":                            "https://id.gs1.org/8003/0401234566666387",
		"urn:epc:id:giai:4012345.AAbb":                                "https://id.gs1.org/8004/4012345AAbb",
		"urn:epc:id:gsrn:4012345.9876540000":                          "https://id.gs1.org/8018/401234598765400000",
		"urn:epc:id:gsrnp:4012345.0000098765":                         "https://id.gs1.org/8017/401234500000987658",
		"urn:epc:id:gdti:4012345.55555.98":                            "https://id.gs1.org/253/401234555555498",
		"urn:epc:id:gdti:987659999999..9":                             "https://id.gs1.org/253/98765999999929",
		"urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234":          "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234",
		"urn:epc:id:sgcn:4012345.99999.44":                            "https://id.gs1.org/255/401234599999044",
		"urn:epc:id:ginc:0614141.xyz47%2F11":                          "https://id.gs1.org/401/0614141xyz47%2F11",
		"urn:epc:id:gsin:4012345.222333444":                           "https://id.gs1.org/402/40123452223334442",
		"urn:epc:id:itip:4012345.012345.01.02.999":                    "https://id.gs1.org/8006/040123451234560102/21/999",
		"urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB":      "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB",
		"urn:epc:id:pgln:4012345.00000":                               "https://id.gs1.org/417/4012345000009",
		"urn:epc:class:lgtin:4012345.012345.Lot987":                   "https://id.gs1.org/01/04012345123456/10/Lot987",
		"urn:epc:idpat:sgtin:4054739.099914.*":                        "https://id.gs1.org/01/04054739999148",
		"urn:epc:idpat:grai:4012345.66666.*":                          "https://id.gs1.org/8003/04012345666663",
		"urn:epc:idpat:itip:4012345.012345.01.02.*":                   "https://id.gs1.org/8006/040123451234560102",
		"https://id.gs1.org/gtin/09780345418913":                      "https://id.gs1.org/01/09780345418913",
		"https://example.com/gtin/09780345418913/21/765tz?abc=211121": "https://id.gs1.org/01/09780345418913/21/765tz",
		"HTTPS://id.gs1.de/a/b/01/9780345418913/10/L1/21/x#frag":      "https://id.gs1.org/01/09780345418913/21/x",
		"https://id.gs1.org/01/09780345418913/22/v/10/L1":             "https://id.gs1.org/01/09780345418913/10/L1",
		"https://id.gs1.org/414/4012345000115/254/0":                  "https://id.gs1.org/414/4012345000115",
		"https://example.com/01/12345678901234/21/1":                  "https://example.com/01/12345678901234/21/1", // bad check digit: another URI
		"urn:uuid:1":                        "urn:uuid:1",
		"urn:epc:id:gid:95100000.12345.400": "urn:epc:id:gid:95100000.12345.400",
		"urn:epc:id:sgtin:bad":              "urn:epc:id:sgtin:bad",
		"geo:47.506694,11.104301":           "geo:47.506694,11.104301",
	}
	for in, want := range tests {
		if got := NormaliseEPC(in); got != want {
			t.Errorf("NormaliseEPC(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonTime(t *testing.T) {
	good := map[string]string{
		"2023-02-02T11:04:03.1415Z":        "2023-02-02T11:04:03.142Z",
		"2023-02-02T11:04:03.1414Z":        "2023-02-02T11:04:03.141Z",
		"2022-02-16T20:33:31.116000-06:00": "2022-02-17T02:33:31.116Z",
		"2020-03-04T11:00:30+01:00":        "2020-03-04T10:00:30.000Z",
		"2025-12-31T23:59:59.9995Z":        "2026-01-01T00:00:00.000Z",
		"2024-02-29T00:00:00.5+14:00":      "2024-02-28T10:00:00.500Z",
		"0001-01-01T00:00:00Z":             "0001-01-01T00:00:00.000Z",
	}
	for in, want := range good {
		if got, rule := canonTime(in); got != want || rule != "" {
			t.Errorf("canonTime(%q) = %q, %q; want %q", in, got, rule, want)
		}
	}
	for _, in := range []string{"", "2025-03-11", "2025-03-11T06:30:00", "2025-03-11 06:30:00Z", "2025-03-11T06:30Z",
		"2025-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2025-03-11T24:00:00Z", "2025-03-11T06:30:00.Z", "2025-03-11T06:30:00+1:00",
		"2025-03-11T06:30:00+15:00", "2025-03-11T06:30:00z", "+2025-03-11T06:30:00Z", "0001-01-01T00:00:00+01:00", "2025-03-11T06:30:00Z "} {
		if got, rule := canonTime(in); rule == "" {
			t.Errorf("canonTime(%q) = %q, want an error", in, got)
		}
	}
}

func TestNumberCanon(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "0.0": "0", "26": "26", "452.0": "452", "12.10": "12.1", "0.05": "0.05",
		"1e2": "100", "1.5E-3": "0.0015", "-2.50e+1": "-25", "600": "600", "100.000": "100", "1e-7": "0.0000001",
	} {
		if got, ok := numberCanon(in); got != want || !ok {
			t.Errorf("numberCanon(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"1e999999", "1e65", "1e-64", "123456789012345678901234567890123456789012345678901234567890123456789"} {
		if got, ok := numberCanon(in); ok {
			t.Errorf("numberCanon(%q) = %q, want refused", in, got)
		}
	}
}

func TestParseID(t *testing.T) {
	const canon = "ni:///sha-256;df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6?ver=CBV2.0"
	for _, in := range []string{
		canon,
		"NI:///SHA-256;DF6523665BC5E5803D6C7B84F5A04E103694D8220F2ABC4F2C74310E89F31BC6?VER=cbv2.0",
		"df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6",
	} {
		if got, err := ParseID(in); got != canon || err != nil {
			t.Errorf("ParseID(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ni:///sha-256;df65?ver=CBV2.0", "ni:///sha-512;df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6?ver=CBV2.0",
		"ni:///sha-256;zz6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6?ver=CBV2.0",
		"ni:///sha-256;df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6?ver=CBV1.2",
		"urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8", " df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc"} {
		if got, err := ParseID(in); !errors.Is(err, ErrInvalidID) {
			t.Errorf("ParseID(%q) = %q, %v; want ErrInvalidID", in, got, err)
		}
	}
}

// TestJSONStrict: the reader refuses what JSON parsers could read
// differently, and what would cost too much.
func TestJSONStrict(t *testing.T) {
	bad := map[string]string{
		"byte order mark":    "\xef\xbb\xbf{}",
		"trailing comma":     `{"a":1,}`,
		"leading zero":       `{"a":01}`,
		"bare control char":  "{\"a\":\"x\ty\"}",
		"invalid escape":     `{"a":"\x"}`,
		"lone low surrogate": `{"a":"\udc00"}`,
		"invalid UTF-8":      "{\"a\":\"\xc3\x28\"}",
		"NaN":                `{"a":NaN}`,
		"comment":            `{"a":1 /* c */}`,
		"single quotes":      `{'a':1}`,
		"too deep":           strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		"too many values":    "[" + strings.Repeat("0,", MaxJSONValues) + "0]",
	}
	for name, in := range bad {
		if _, err := parseJSON([]byte(in), MaxDepth, MaxDepth, MaxJSONValues); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	tr, err := parseJSON([]byte(` {"a":"\u00e9\ud83d\ude00\n","b":[true,false,null,-1.5e3]} `), MaxDepth, MaxDepth, MaxJSONValues)
	if err != nil {
		t.Fatal(err)
	}
	if a := tr.get(0, "a"); tr.nodes[a].str != "é😀\n" {
		t.Errorf("a = %q", tr.nodes[a].str)
	}
	if b := tr.get(0, "b"); tr.nodes[b].count != 4 || string(tr.raw(b)) != `[true,false,null,-1.5e3]` {
		t.Errorf("b = %s", tr.raw(b))
	}
}

func TestEventTooLarge(t *testing.T) {
	ev := `{` + okEvent + `,"cbvmda:x":"` + strings.Repeat("a", MaxEventBytes) + `"}`
	_, err := Parse([]byte(ev))
	if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Parse = %v", err)
	}
}

func TestParseDocument(t *testing.T) {
	doc := docOf(`[`+epcisContext+`]`, `{`+okEvent+`}`, `{`+strings.Replace(okEvent, "OBSERVE", "MOVE", 1)+`}`)
	_, err := ParseDocument([]byte(doc))
	var ie *InvalidEventError
	if !errors.As(err, &ie) || ie.Index != 1 || ie.Path != "action" || !strings.HasPrefix(err.Error(), "epcis: invalid event 1: action: ") {
		t.Fatalf("ParseDocument = %v", err)
	}
	events, err := ParseDocument([]byte(docOf(`[`+epcisContext+`]`, `{`+okEvent+`}`)))
	if err != nil || len(events) != 1 {
		t.Fatalf("ParseDocument = %d events, %v", len(events), err)
	}
}

// TestHostileInputs: large or deeply nested inputs are refused after one
// read, without building large structures.
func TestHostileInputs(t *testing.T) {
	head := `{"@context":"x","type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-03-10T08:00:00Z","epcisBody":{"eventList":`
	tests := map[string]string{
		"deep nesting":        strings.Repeat("[", 1<<20),
		"deep in an event":    head + `[{"a":` + strings.Repeat("[", 1<<20),
		"too many events":     head + "[" + strings.Repeat("{},", MaxEventsPerDocument) + "{}]}}",
		"too many members":    `{"type":"EPCISDocument",` + manyMembers(MaxEventsPerDocument+1) + `}`,
		"too large":           head + `[{"a":"` + strings.Repeat("a", MaxDocumentBytes) + `"}]}}`,
		"many members":        head + `[{` + strings.Repeat(`"a":1,`, 1) + manyMembers(200000) + `}]}}`,
		"unterminated string": head + `[{"a":"` + strings.Repeat("a", 1<<20),
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := SplitDocument([]byte(doc)); !errors.Is(err, ErrInvalidDocument) {
				t.Fatalf("SplitDocument = %v", err)
			}
			if _, err := Parse([]byte(doc)); !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Parse = %v", err)
			}
		})
	}
}

// manyMembers returns n distinct members and one repeated.
func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `"k%d":0,`, i)
	}
	b.WriteString(`"k7":1`)
	return b.String()
}
