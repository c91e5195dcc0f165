package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// checkEvents: each event is, in document order, a verbatim slice of doc or
// the document's event with the document's context (or ignore list) added;
// each parses; the id does not depend on member order or whitespace.
func checkEvents(t *testing.T, doc []byte, events [][]byte) {
	t.Helper()
	pos := 0
	for i, ev := range events {
		e, err := Parse(ev)
		if err != nil {
			t.Errorf("event %d: Parse: %v", i, err)
			continue
		}
		if at := bytes.Index(doc[pos:], ev); at >= 0 {
			pos += at + len(ev)
		} else if !bytes.Contains(ev, []byte(`"@context"`)) && !bytes.Contains(ev, []byte(`ignoreFields"`)) {
			t.Errorf("event %d is neither a verbatim slice of the document in order nor has a context added", i)
		}
		if !strings.HasPrefix(e.ID, "ni:///sha-256;") || EventID(ev) != e.ID {
			t.Errorf("event %d: ID %q, EventID %q", i, e.ID, EventID(ev))
		}
		if id, err := ParseID(e.ID); err != nil || id != e.ID {
			t.Errorf("event %d: ParseID(%q) = %q, %v", i, e.ID, id, err)
		}
		epcs, err := EPCs(ev)
		if err != nil || !reflect.DeepEqual(epcs, e.EPCs) {
			t.Errorf("event %d: EPCs = %q, %v; Parse gave %q", i, epcs, err, e.EPCs)
		}
		if shuffled := reorder(t, ev); EventID(shuffled) != e.ID {
			t.Errorf("event %d: member order and whitespace change the id:\n%s", i, shuffled)
		}
	}
}

// reorder returns ev with the members of every object and the elements of
// every array in reverse order, and other whitespace: the same event for the
// event hash, which sorts every list.
func reorder(t *testing.T, ev []byte) []byte {
	t.Helper()
	tr, err := parseJSON(ev, MaxDepth, MaxDepth, MaxJSONValues)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	var walk func(n int32)
	walk = func(n int32) {
		nd := tr.nodes[n]
		switch nd.kind {
		case kindObject:
			var members []int32
			for m := nd.first; m >= 0; m = tr.nodes[m].next {
				members = append(members, m)
			}
			out = append(out, "{ "...)
			for i := len(members) - 1; i >= 0; i-- {
				m := members[i]
				out = append(out, quoteJSON(tr.nodes[m].key)...)
				out = append(out, " :\n\t"...)
				walk(m)
				if i > 0 {
					out = append(out, " ,"...)
				}
			}
			out = append(out, '}')
		case kindArray:
			var elems []int32
			for e := nd.first; e >= 0; e = tr.nodes[e].next {
				elems = append(elems, e)
			}
			out = append(out, '[')
			for i := len(elems) - 1; i >= 0; i-- {
				walk(elems[i])
				if i > 0 {
					out = append(out, ", "...)
				}
			}
			out = append(out, ']')
		default:
			out = append(out, tr.raw(n)...)
		}
	}
	walk(0)
	return out
}
