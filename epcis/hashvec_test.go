package epcis

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const eventHashDir = "../testdata/epcis/eventhash"

// TestEventHashVectors: for every document of the reference implementation's
// test vectors, SplitDocument then Parse gives, event by event, the ids of
// the .hashes file, in order.
func TestEventHashVectors(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(eventHashDir, "*.jsonld"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 20 {
		t.Fatalf("%d test vectors in %s", len(docs), eventHashDir)
	}
	for _, doc := range docs {
		name := strings.TrimSuffix(filepath.Base(doc), ".jsonld")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(doc)
			if err != nil {
				t.Fatal(err)
			}
			want := readLines(t, strings.TrimSuffix(doc, ".jsonld")+".hashes")
			events, err := SplitDocument(raw)
			if err != nil {
				t.Fatalf("SplitDocument: %v", err)
			}
			if len(events) != len(want) {
				t.Fatalf("%d events, %d hashes", len(events), len(want))
			}
			for i, ev := range events {
				// One vector (epclist_normalisation) lists classes in epcList,
				// which Parse refuses; its hash is checked all the same.
				e, err := parse(ev, name == "epclist_normalisation")
				if err != nil {
					t.Errorf("event %d: Parse: %v", i, err)
					continue
				}
				if e.ID != want[i] {
					t.Errorf("event %d: id %s, want %s\npre-hash: %s", i, e.ID, want[i], preHashOf(t, ev))
				}
			}
		})
	}
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// preHashOf returns the pre-hash string of a valid event.
func preHashOf(t *testing.T, raw []byte) string {
	t.Helper()
	tr, err := parseJSON(raw, MaxDepth, MaxDepth, MaxJSONValues)
	if err != nil {
		t.Fatal(err)
	}
	var ns namespaces
	ev := Event{Raw: raw}
	c := checker{t: tr, ns: &ns, ev: &ev, anyLevel: true}
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	return c.preHash()
}
