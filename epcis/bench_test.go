package epcis

import "testing"

// benchEvent is a typical ObjectEvent of about 1 KiB: a shipping event with
// EPCs, read point, business location, business transactions, source and
// destination, an eventID and a user extension.
const benchEvent = `{
  "type": "ObjectEvent",
  "eventTime": "2025-03-11T06:30:00.000+01:00",
  "eventTimeZoneOffset": "+01:00",
  "eventID": "urn:uuid:3b9d8f2e-7c4a-4d1b-9e6f-2a5c8b1d0e4f",
  "epcList": [
    "urn:epc:id:sscc:4012345.0000000200",
    "urn:epc:id:sgtin:4012345.012000.1001",
    "urn:epc:id:sgtin:4012345.012000.1002",
    "urn:epc:id:sgtin:4012345.012000.1003"
  ],
  "action": "OBSERVE",
  "bizStep": "shipping",
  "disposition": "in_transit",
  "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.3"},
  "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
  "bizTransactionList": [
    {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO4711"},
    {"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:DA2503110815"}
  ],
  "sourceList": [
    {"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"},
    {"type": "location", "source": "urn:epc:id:sgln:4012345.00001.0"}
  ],
  "destinationList": [
    {"type": "owning_party", "destination": "urn:epc:id:pgln:0614141.00000"},
    {"type": "location", "destination": "urn:epc:id:sgln:0614141.00002.0"}
  ],
  "cbvmda:lotNumber": "GDA250310"
}`

func BenchmarkParse(b *testing.B) {
	raw := []byte(benchEvent)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
