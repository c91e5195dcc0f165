package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The OpenEPCIS capture corpus: third-party, unmodified, never edited
// (testdata/epcis/README.md).
const corpusDir = "../testdata/epcis/openepcis/capture"

// corpusDigest is the digest of every file under testdata/epcis but its README
// (see TestCorpusUnmodified). Change it only together with a wholesale update of
// a corpus folder from upstream, recorded in testdata/epcis/README.md.
const corpusDigest = "90765248727d6ce0409f833321da5f8be83dd4f259e870d866044eb93f002435"

// TestCorpusUnmodified: the third-party corpus is byte for byte what was copied
// from upstream (line endings aside, which a checkout may convert), licences
// included. It is never edited: a test that disagrees with a corpus file is a
// finding, not a reason to change the file.
func TestCorpusUnmodified(t *testing.T) {
	root := filepath.Dir(filepath.Dir(corpusDir)) // testdata/epcis
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if rel = filepath.ToSlash(rel); err == nil && rel != "README.md" {
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, lic := range []string{"eventhash/LICENSE", "openepcis/LICENSE"} {
		if i := sort.SearchStrings(files, lic); i == len(files) || files[i] != lic {
			t.Errorf("testdata/epcis/%s is missing", lic)
		}
	}
	h := sha256.New()
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
		fmt.Fprintf(h, "%s\x00%x\n", rel, sum)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != corpusDigest {
		t.Fatalf("testdata/epcis (%d files) has digest %s, want %s: the third-party corpus was edited, "+
			"or a file was added or removed (see testdata/epcis/README.md)", len(files), got, corpusDigest)
	}
}

func readCorpus(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, rel))
	if err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	return b
}

// wantEvents is the number of events in each corpus document.
var wantEvents = map[string]int{
	"AggregationEvent.json":                            1,
	"AggregationEvent_all_possible_fields.json":        1,
	"AggregationEvent_with_digitalLink.json":           1,
	"AggregationEvent_with_persistentDisposition.json": 2,
	"AggregationEvent_with_sensorData.json":            1,
	"AggregationEvent_with_userExtensions.json":        1,
	"AssociationEvent.json":                            2,
	"AssociationEvent_2.json":                          1,
	"AssociationEvent_all_possible_fields.json":        1,
	"AssociationEvent_with_sensorData.json":            1,
	"AssociationEvent_with_userExtensions.json":        1,
	"Combination_of_different_event.json":              6,
	"CurieString_document.json":                        1,
	"JumbledFieldsOrder.json":                          1,
	"Namespaces_at_different_level.json":               5,
	"ObjectEvent.json":                                 2,
	"ObjectEvent_all_possible_fields.json":             1,
	"ObjectEvent_with_comment.json":                    2,
	"ObjectEvent_with_custom_bizStep_uri.json":         1,
	"ObjectEvent_with_digitalLink.json":                1,
	"ObjectEvent_with_error_declaration.json":          2,
	"ObjectEvent_with_persistentDisposition.json":      2,
	"ObjectEvent_with_sensorData.json":                 1,
	"ObjectEvent_with_userExtensions.json":             2,
	"SensorData_and_extension.json":                    1,
	"SensorData_with_combined_events.json":             13,
	"TransactionEvent.json":                            2,
	"TransactionEvent_all_possible_fields.json":        1,
	"TransactionEvent_with_sensorData.json":            1,
	"TransactionEvent_with_userExtensions.json":        1,
	"TransformationEvent.json":                         1,
	"TransformationEvent_all_possible_fields.json":     1,
	"TransformationEvent_with_digitalLink.json":        1,
	"TransformationEvent_with_error_declaration.json":  2,
	"TransformationEvent_with_sensorData.json":         1,
	"TransformationEvent_with_userExtensions.json":     1,
	"epcisDocWithAllGS1Keys.json":                      1,
	"epcisDocWithSensorComponent.json":                 1,
}

func TestCorpusDocuments(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(corpusDir, "Documents"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("empty corpus")
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			doc := readCorpus(t, filepath.Join("Documents", e.Name()))
			events, err := SplitDocument(doc)
			if err != nil {
				t.Fatalf("SplitDocument: %v", err)
			}
			if want, ok := wantEvents[e.Name()]; ok && len(events) != want {
				t.Errorf("%d events, want %d", len(events), want)
			} else if len(events) == 0 {
				t.Error("no events")
			}
			checkEvents(t, doc, events)
		})
	}
}

func TestCorpusEvents(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(corpusDir, "Events"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			doc := readCorpus(t, filepath.Join("Events", e.Name()))
			events, err := SplitDocument(doc)
			if err != nil {
				t.Fatalf("SplitDocument: %v", err)
			}
			if len(events) != 1 || !bytes.Equal(events[0], bytes.TrimSpace(doc)) {
				t.Fatalf("single event not returned as submitted: %d events", len(events))
			}
			checkEvents(t, doc, events)
		})
	}
}

// checkEvents: each event is a verbatim slice of doc, in document order, and
// validates; EPCs and EventID are deterministic.
func checkEvents(t *testing.T, doc []byte, events [][]byte) {
	t.Helper()
	pos := 0
	for i, ev := range events {
		at := bytes.Index(doc[pos:], ev)
		if at < 0 {
			t.Fatalf("event %d is not a verbatim slice of the document in order", i)
		}
		pos += at + len(ev)
		if err := ValidateEvent(ev); err != nil {
			t.Errorf("event %d: ValidateEvent: %v", i, err)
		}
		epcs, err := EPCs(ev)
		if err != nil {
			t.Errorf("event %d: EPCs: %v", i, err)
		}
		again, _ := EPCs(ev)
		if !reflect.DeepEqual(epcs, again) {
			t.Errorf("event %d: EPCs not deterministic", i)
		}
		if id := EventID(ev); len(id) != 64 || strings.ToLower(id) != id {
			t.Errorf("event %d: EventID %q", i, id)
		}
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

func TestSplitDocumentRejects(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"empty", ``},
		{"not JSON", `hello`},
		{"truncated JSON", `{"type":"EPCISDocument"`},
		{"trailing data", `{"type":"ObjectEvent"} {}`},
		{"array top-level", `[{"type":"ObjectEvent","eventTime":"t"}]`},
		{"string top-level", `"EPCISDocument"`},
		{"null", `null`},
		{"duplicate top-level key", `{"type":"EPCISDocument","type":"ObjectEvent"}`},
		{"document without epcisBody", `{"type":"EPCISDocument"}`},
		{"epcisBody not an object", `{"type":"EPCISDocument","epcisBody":[]}`},
		{"body without eventList", `{"type":"EPCISDocument","epcisBody":{}}`},
		{"eventList null", `{"type":"EPCISDocument","epcisBody":{"eventList":null}}`},
		{"eventList not an array", `{"type":"EPCISDocument","epcisBody":{"eventList":{}}}`},
		{"empty eventList", `{"type":"EPCISDocument","epcisBody":{"eventList":[]}}`},
		{"event not an object", `{"type":"EPCISDocument","epcisBody":{"eventList":[{},"x"]}}`},
		{"duplicate eventList", `{"type":"EPCISDocument","epcisBody":{"eventList":[{}],"eventList":[{}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitDocument([]byte(tt.doc))
			if !errors.Is(err, ErrInvalidDocument) {
				t.Fatalf("SplitDocument = %q, %v; want ErrInvalidDocument", got, err)
			}
		})
	}
}

func TestSplitDocumentVerbatim(t *testing.T) {
	doc := " {\"epcisBody\": {\"eventList\": [ {\"b\" : 1.50,\n\"a\":\"\\u0041\"} ,{}]},\"type\":\"EPCISDocument\"}\n"
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

func epcList(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"urn:epc:id:sgtin:0614141.107346.%d"`, i)
	}
	return "[" + strings.Join(ids, ",") + "]"
}

func TestValidateEvent(t *testing.T) {
	const base = `"type":"ObjectEvent","eventTime":"2005-04-04T20:33:31.116-06:00"`
	tests := []struct {
		name  string
		ev    string
		valid bool
	}{
		{"minimal", `{` + base + `}`, true},
		{"each type: AggregationEvent", `{"type":"AggregationEvent","eventTime":"t"}`, true},
		{"each type: TransactionEvent", `{"type":"TransactionEvent","eventTime":"t"}`, true},
		{"each type: TransformationEvent", `{"type":"TransformationEvent","eventTime":"t"}`, true},
		{"each type: AssociationEvent", `{"type":"AssociationEvent","eventTime":"t"}`, true},
		{"max EPCs", `{` + base + `,"epcList":` + epcList(MaxEPCsPerEvent) + `}`, true},
		{"max EPCs counted with duplicates", `{` + base + `,"parentID":"p","epcList":["p"]}`, true},
		{"empty lists", `{` + base + `,"epcList":[],"quantityList":[]}`, true},
		{"not JSON", `{"type":`, false},
		{"empty", ``, false},
		{"array top-level", `[{` + base + `}]`, false},
		{"string top-level", `"ObjectEvent"`, false},
		{"missing type", `{"eventTime":"t"}`, false},
		{"type not a string", `{"type":1,"eventTime":"t"}`, false},
		{"type null", `{"type":null,"eventTime":"t"}`, false},
		{"empty type", `{"type":"","eventTime":"t"}`, false},
		{"unknown type", `{"type":"BananaEvent","eventTime":"t"}`, false},
		{"document type", `{"type":"EPCISDocument","eventTime":"t"}`, false},
		{"type wrong case", `{"type":"objectEvent","eventTime":"t"}`, false},
		{"missing eventTime", `{"type":"ObjectEvent"}`, false},
		{"empty eventTime", `{"type":"ObjectEvent","eventTime":""}`, false},
		{"eventTime not a string", `{"type":"ObjectEvent","eventTime":20050404}`, false},
		{"duplicate key", `{` + base + `,"type":"AggregationEvent"}`, false},
		{"duplicate key via escape", `{` + base + `,"t\u0079pe":"ObjectEvent"}`, false},
		{"too many EPCs", `{` + base + `,"epcList":` + epcList(MaxEPCsPerEvent+1) + `}`, false},
		{"too many EPCs across lists", `{` + base + `,"parentID":"p","epcList":` + epcList(MaxEPCsPerEvent) + `}`, false},
		{"epcList not an array", `{` + base + `,"epcList":"urn:x"}`, false},
		{"epcList null", `{` + base + `,"epcList":null}`, false},
		{"epcList element not a string", `{` + base + `,"epcList":[1]}`, false},
		{"empty EPC", `{` + base + `,"epcList":[""]}`, false},
		{"parentID not a string", `{` + base + `,"parentID":{}}`, false},
		{"quantity element without epcClass", `{` + base + `,"quantityList":[{"quantity":1}]}`, false},
		{"quantity element not an object", `{` + base + `,"quantityList":["urn:x"]}`, false},
		{"quantity element duplicate epcClass", `{` + base + `,"quantityList":[{"epcClass":"a","epcClass":"b"}]}`, false},
		{"trailing data", `{` + base + `}x`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateEvent([]byte(tt.ev))
			if tt.valid && err != nil {
				t.Fatalf("ValidateEvent = %v, want nil", err)
			}
			if !tt.valid && !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("ValidateEvent = %v, want ErrInvalidEvent", err)
			}
		})
	}
}

func TestEPCsOrderAndDedup(t *testing.T) {
	// Keys deliberately in reverse of the output order.
	ev := `{"outputQuantityList":[{"epcClass":"oq"}],"inputQuantityList":[{"epcClass":"iq"}],
		"childQuantityList":[{"epcClass":"cq"},{"epcClass":"e1"}],"quantityList":[{"epcClass":"q","quantity":2.5}],
		"outputEPCList":["o","e1"],"inputEPCList":["i"],"childEPCs":["c","p"],"epcList":["e1","e2","e1"],
		"parentID":"p","type":"ObjectEvent","eventTime":"t"}`
	got, err := EPCs([]byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"p", "e1", "e2", "c", "i", "o", "q", "cq", "iq", "oq"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EPCs = %q, want %q", got, want)
	}
	got, err = EPCs([]byte(`{"type":"ObjectEvent"}`))
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("EPCs of event naming none = %#v, %v; want empty non-nil", got, err)
	}
	if _, err := EPCs([]byte(`[]`)); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("EPCs of array = %v, want ErrInvalidEvent", err)
	}
}

func TestEventID(t *testing.T) {
	// sha256("abc"), the FIPS 180-2 test vector.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := EventID([]byte("abc")); got != want {
		t.Fatalf("EventID = %s, want %s", got, want)
	}
	if EventID([]byte(`{"a":1}`)) == EventID([]byte(`{"a": 1}`)) {
		t.Fatal("EventID must hash the bytes as submitted")
	}
}
