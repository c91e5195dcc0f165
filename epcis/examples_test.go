package epcis

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// examplesDir holds the supply chain written for this project (examples/README.md).
const examplesDir = "../examples"

// CBV 2.0 standard vocabularies (bare words, as the EPCIS 2.0 JSON-LD context
// defines them).
var (
	cbvBizSteps = wordSet(`accepting arriving assembling collecting commissioning consigning
		creating_class_instance cycle_counting decommissioning departing destroying disassembling
		dispensing encoding entering_exiting holding inspecting installing killing loading other
		packing picking receiving removing repackaging repairing replacing reserving retail_selling
		shipping staging_outbound stock_taking stocking storing transporting unloading unpacking
		void_shipping sensor_reporting sampling`)
	cbvDispositions = wordSet(`active container_closed damaged destroyed dispensed disposed encoded
		expired in_progress in_transit inactive no_pedigree_match non_sellable_other
		partially_dispensed recalled reserved retail_sold returned sellable_accessible
		sellable_not_accessible stolen unknown available completeness_verified
		completeness_inferred conformant container_open mismatch_instance mismatch_class
		mismatch_quantity needs_replacement non_conformant unavailable`)
	cbvBizTransactionTypes = wordSet(`bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt`)
	cbvSourceDestTypes     = wordSet(`owning_party possessing_party location`)
	// CBV 2.0 lot-level master data attributes used as ILMD.
	cbvILMD = wordSet(`cbvmda:lotNumber cbvmda:bestBeforeDate cbvmda:itemExpirationDate
		cbvmda:sellByDate cbvmda:countryOfOrigin cbvmda:countryOfExport`)
)

var (
	uuidURN  = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	tzOffset = regexp.MustCompile(`^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$`)
	gs1URN   = regexp.MustCompile(`^urn:epc:(id:sgtin|id:sscc|class:lgtin|id:sgln|id:pgln):(\d+)\.(\d*)(?:\.([0-9A-Za-z]{1,20}))?$`)
)

// gs1Kind returns the kind of a GS1 EPC URN (TDS 2.0) of the shapes the
// examples use ("id:sgtin", "id:sscc", "class:lgtin", "id:sgln", "id:pgln"),
// or "" if s is none of them: a company prefix of 6 to 12 digits and a
// reference filling the key's digits, then a serial, lot or extension where
// the key has one.
func gs1Kind(s string) string {
	m := gs1URN.FindStringSubmatch(s)
	if m == nil || len(m[2]) < 6 || len(m[2]) > 12 {
		return ""
	}
	digits, third := map[string]int{"id:sgtin": 13, "id:sscc": 17, "class:lgtin": 13, "id:sgln": 12, "id:pgln": 12}[m[1]], m[4] != ""
	if len(m[2])+len(m[3]) != digits || third == (m[1] == "id:sscc" || m[1] == "id:pgln") {
		return ""
	}
	return m[1]
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("examples: %d documents in %s, want at least 6", len(files), examplesDir)
	}
	return files
}

// TestExamples: every examples/ document is accepted by the ledger's intake
// (SplitDocument, then Parse of each event), is an EPCIS 2.0 capture document using CBV
// 2.0 vocabularies (the parts of the JSON schema and CBV these examples use),
// and no two events anywhere share a ledger id (EventID) or an eventID.
func TestExamples(t *testing.T) {
	ledgerIDs := map[string]string{} // EventID -> where
	eventIDs := map[string]string{}  // eventID field -> where
	types := map[string]bool{}
	for _, file := range exampleFiles(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			checkExampleDocument(t, doc)
			events, err := SplitDocument(doc)
			if err != nil {
				t.Fatalf("SplitDocument: %v", err)
			}
			checkEvents(t, doc, events)
			for i, raw := range events {
				where := fmt.Sprintf("%s event %d", name, i)
				ev, err := Parse(raw)
				if err != nil {
					t.Errorf("%s: Parse: %v", where, err)
					continue
				}
				if ev.ID != EventID(raw) {
					t.Errorf("%s: Parse id %s, EventID %s", where, ev.ID, EventID(raw))
				}
				if prev, dup := ledgerIDs[ev.ID]; dup {
					t.Errorf("%s has the same ledger id %s as %s", where, ev.ID, prev)
				}
				ledgerIDs[ev.ID] = where
				var e struct {
					EventID string `json:"eventID"`
				}
				if err := json.Unmarshal(raw, &e); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if prev, dup := eventIDs[e.EventID]; dup {
					t.Errorf("%s repeats eventID %s of %s", where, e.EventID, prev)
				}
				eventIDs[e.EventID] = where
				types[ev.Type] = true
				checkExampleEvent(t, where, ev)
			}
		})
	}
	for _, want := range []string{ObjectEvent, AggregationEvent, TransformationEvent} {
		if !types[want] {
			t.Errorf("no %s in the examples", want)
		}
	}
}

// TestExamplesREADME: examples/README.md lists every example file.
func TestExamplesREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(examplesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range exampleFiles(t) {
		if !strings.Contains(string(readme), filepath.Base(file)) {
			t.Errorf("examples/README.md does not list %s", filepath.Base(file))
		}
	}
}

func checkExampleDocument(t *testing.T, doc []byte) {
	t.Helper()
	var d struct {
		Context       []string `json:"@context"`
		Type          string   `json:"type"`
		SchemaVersion string   `json:"schemaVersion"`
		CreationDate  string   `json:"creationDate"`
		EPCISBody     struct {
			EventList []json.RawMessage `json:"eventList"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("document: %v", err)
	}
	if len(d.Context) != 1 || d.Context[0] != "https://ref.gs1.org/standards/epcis/epcis-context.jsonld" {
		t.Errorf("@context = %q, want the EPCIS 2.0 context only", d.Context)
	}
	if d.Type != DocumentType || d.SchemaVersion != "2.0" {
		t.Errorf("type %q schemaVersion %q, want EPCISDocument 2.0", d.Type, d.SchemaVersion)
	}
	if _, err := time.Parse(time.RFC3339, d.CreationDate); err != nil {
		t.Errorf("creationDate: %v", err)
	}
	if len(d.EPCISBody.EventList) == 0 {
		t.Error("empty eventList")
	}
}

type exampleLocation struct {
	ID string `json:"id"`
}

func checkExampleEvent(t *testing.T, where string, ev Event) {
	t.Helper()
	var e struct {
		Type                string            `json:"type"`
		EventTime           string            `json:"eventTime"`
		EventTimeZoneOffset string            `json:"eventTimeZoneOffset"`
		EventID             string            `json:"eventID"`
		Action              *string           `json:"action"`
		BizStep             string            `json:"bizStep"`
		Disposition         string            `json:"disposition"`
		ReadPoint           *exampleLocation  `json:"readPoint"`
		BizLocation         *exampleLocation  `json:"bizLocation"`
		ILMD                map[string]string `json:"ilmd"`
		BizTransactionList  []struct {
			Type           string `json:"type"`
			BizTransaction string `json:"bizTransaction"`
		} `json:"bizTransactionList"`
		SourceList []struct {
			Type   string `json:"type"`
			Source string `json:"source"`
		} `json:"sourceList"`
		DestinationList []struct {
			Type        string `json:"type"`
			Destination string `json:"destination"`
		} `json:"destinationList"`
		SensorElementList []struct {
			SensorReport []struct {
				Type string `json:"type"`
				UOM  string `json:"uom"`
			} `json:"sensorReport"`
		} `json:"sensorElementList"`
	}
	if err := json.Unmarshal(ev.Raw, &e); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	errorf := func(format string, args ...any) { t.Helper(); t.Errorf(where+": "+format, args...) }

	at, err := time.Parse(time.RFC3339, e.EventTime)
	if err != nil {
		errorf("eventTime: %v", err)
	} else if got := at.Format("-07:00"); got != e.EventTimeZoneOffset {
		errorf("eventTime offset %s differs from eventTimeZoneOffset %q", got, e.EventTimeZoneOffset)
	}
	if !tzOffset.MatchString(e.EventTimeZoneOffset) {
		errorf("eventTimeZoneOffset %q", e.EventTimeZoneOffset)
	}
	if !uuidURN.MatchString(e.EventID) {
		errorf("eventID %q is not a urn:uuid", e.EventID)
	}
	switch {
	case e.Type == TransformationEvent && e.Action != nil:
		errorf("a TransformationEvent has no action")
	case e.Type != TransformationEvent && e.Action == nil:
		errorf("%s without action", e.Type)
	case e.Action != nil && *e.Action != "ADD" && *e.Action != "OBSERVE" && *e.Action != "DELETE":
		errorf("action %q", *e.Action)
	}
	if !cbvBizSteps[e.BizStep] {
		errorf("bizStep %q is not a CBV 2.0 bare word", e.BizStep)
	}
	if !cbvDispositions[e.Disposition] {
		errorf("disposition %q is not a CBV 2.0 bare word", e.Disposition)
	}
	if e.ReadPoint == nil || gs1Kind(e.ReadPoint.ID) != "id:sgln" {
		errorf("readPoint %+v is not an SGLN", e.ReadPoint)
	}
	if e.BizLocation != nil && gs1Kind(e.BizLocation.ID) != "id:sgln" {
		errorf("bizLocation %q is not an SGLN", e.BizLocation.ID)
	}
	for k := range e.ILMD {
		if !cbvILMD[k] {
			errorf("ilmd key %q is not a CBV 2.0 master data attribute", k)
		}
	}
	for _, b := range e.BizTransactionList {
		if !cbvBizTransactionTypes[b.Type] || !strings.HasPrefix(b.BizTransaction, "urn:epcglobal:cbv:bt:") {
			errorf("bizTransaction %+v", b)
		}
	}
	for _, s := range e.SourceList {
		if !cbvSourceDestTypes[s.Type] || !isPartyOrLocation(s.Source) {
			errorf("source %+v", s)
		}
	}
	for _, d := range e.DestinationList {
		if !cbvSourceDestTypes[d.Type] || !isPartyOrLocation(d.Destination) {
			errorf("destination %+v", d)
		}
	}
	for _, se := range e.SensorElementList {
		for _, r := range se.SensorReport {
			if r.Type == "" || r.UOM == "" {
				errorf("sensorReport without type or uom: %+v", r)
			}
		}
	}
	for _, epc := range ev.EPCs {
		if k := gs1Kind(epc); k != "id:sgtin" && k != "id:sscc" && k != "class:lgtin" {
			errorf("%q is not an SGTIN, SSCC or LGTIN URN", epc)
		}
	}
	// What Parse extracts for the ledger's indexes.
	if ev.EventID != e.EventID || ev.BizStep != "https://ref.gs1.org/cbv/BizStep-"+e.BizStep ||
		ev.Disposition != "https://ref.gs1.org/cbv/Disp-"+e.Disposition || ev.ReadPoint != NormaliseEPC(e.ReadPoint.ID) ||
		!strings.HasPrefix(ev.ReadPoint, "https://id.gs1.org/414/") || ev.EventTime == "" || ev.ErrorDeclaration != nil {
		errorf("Parse extracted %+v", ev)
	}
	switch ev.Type {
	case AggregationEvent:
		if ev.Parent == "" || (ev.Action != "DELETE" && len(ev.Children) == 0) {
			errorf("aggregation without parent or children: %+v", ev)
		}
	case TransformationEvent:
		if len(ev.Inputs) == 0 || len(ev.Outputs) == 0 {
			errorf("transformation without inputs or outputs: %+v", ev)
		}
	}
}

func isPartyOrLocation(s string) bool {
	k := gs1Kind(s)
	return k == "id:sgln" || k == "id:pgln"
}

// TestGS1Kind: the checker TestExamples relies on.
func TestGS1Kind(t *testing.T) {
	for s, want := range map[string]string{
		"urn:epc:id:sgtin:4012345.012000.1001":        "id:sgtin",
		"urn:epc:id:sgtin:0614141.107346.2017":        "id:sgtin",
		"urn:epc:id:sscc:4012345.0000000101":          "id:sscc",
		"urn:epc:class:lgtin:0614141.034600.GR250313": "class:lgtin",
		"urn:epc:id:sgln:4012345.00001.0":             "id:sgln",
		"urn:epc:id:pgln:0614141.00000":               "id:pgln",
		"urn:epc:id:sgtin:4012345.01200.1001":         "", // 12 digits
		"urn:epc:id:sgtin:4012345.012000":             "", // no serial
		"urn:epc:id:sscc:4012345.000000010":           "", // 16 digits
		"urn:epc:id:sscc:4012345.0000000101.1":        "", // SSCC has no serial
		"urn:epc:id:sgln:4012345.0001.0":              "", // 11 digits
		"urn:epc:id:pgln:0614141.00000.1":             "",
		"urn:epc:idpat:sgtin:4012345.012000.*":        "",
		"urn:epc:id:sgtin:12345.0120000.1":            "", // prefix < 6 digits
		"https://id.gs1.org/01/04012345120000/21/1":   "",
	} {
		if got := gs1Kind(s); got != want {
			t.Errorf("gs1Kind(%q) = %q, want %q", s, got, want)
		}
	}
}
