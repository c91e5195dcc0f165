package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/poaledger/poaledger/app/tx"
)

func TestParamsRoundTrip(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeParams(p.Encode())
	if err != nil || got != p {
		t.Fatalf("DecodeParams(Encode(%+v)) = %+v, %v", p, got, err)
	}
	// Canonical: field order fixed, integers as JSON numbers.
	want := `{"max_events_per_tx":1000,"max_event_bytes":65536,"max_events_per_signer_block":2000,` +
		`"vote_threshold_percent":50,"proposal_lifetime_blocks":100000,"max_validators":100,"max_members":10000}`
	if string(p.Encode()) != want {
		t.Fatalf("Encode = %s, want %s", p.Encode(), want)
	}
}

func TestParamsSet(t *testing.T) {
	p := DefaultParams()
	for _, name := range ParamNames() {
		if _, err := p.Set(name, 1); err != nil && name != "max_event_bytes" && name != "max_events_per_signer_block" {
			t.Errorf("Set(%s, 1): %v", name, err)
		}
	}
	q, err := p.Set("vote_threshold_percent", 66)
	if err != nil || q.VoteThresholdPercent != 66 || p.VoteThresholdPercent != 50 {
		t.Fatalf("Set = %+v, %v (and must not change p)", q, err)
	}
	for _, c := range []struct {
		name  string
		value uint64
	}{{"vote_threshold_percent", 100}, {"vote_threshold_percent", 0}, {"max_validators", 0}, {"proposal_lifetime_blocks", 0},
		{"max_members", MaxMembersLimit + 1}, {"max_events_per_tx", 5000}, {"nope", 1}} {
		if _, err := p.Set(c.name, c.value); err == nil {
			t.Errorf("Set(%s, %d) accepted", c.name, c.value)
		}
	}
}

func TestDecodeParamsRefuses(t *testing.T) {
	gov := `,"vote_threshold_percent":50,"proposal_lifetime_blocks":10,"max_validators":10,"max_members":10}`
	cases := map[string]string{
		"not json":          `max=1`,
		"decimal strings":   `{"max_events_per_tx":"1000","max_event_bytes":"65536"}`,
		"missing field":     `{"max_events_per_tx":1000}`,
		"unknown field":     `{"max_events_per_tx":1000,"max_event_bytes":65536,"x":1}`,
		"float":             `{"max_events_per_tx":1.5,"max_event_bytes":65536,"max_events_per_signer_block":2000}`,
		"negative":          `{"max_events_per_tx":-1,"max_event_bytes":65536,"max_events_per_signer_block":2000}`,
		"zero events":       `{"max_events_per_tx":0,"max_event_bytes":65536,"max_events_per_signer_block":2000}`,
		"over tx bound":     `{"max_events_per_tx":1001,"max_event_bytes":65536,"max_events_per_signer_block":2000}`,
		"event bytes bound": `{"max_events_per_tx":1,"max_event_bytes":65537,"max_events_per_signer_block":2000` + gov,
		"quota under tx":    `{"max_events_per_tx":10,"max_event_bytes":2,"max_events_per_signer_block":9` + gov,
		"quota over bound":  `{"max_events_per_tx":10,"max_event_bytes":2,"max_events_per_signer_block":1000001` + gov,
		"trailing data":     `{"max_events_per_tx":1,"max_event_bytes":2,"max_events_per_signer_block":2` + gov + ` {}`,
		"no governance":     `{"max_events_per_tx":1,"max_event_bytes":2,"max_events_per_signer_block":2}`,
		"empty":             ``,
		"null":              `null`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if p, err := DecodeParams([]byte(in)); err == nil {
				t.Fatalf("DecodeParams(%s) = %+v, want an error", in, p)
			}
		})
	}
}

func TestCodeNames(t *testing.T) {
	seen := map[string]uint32{}
	for c := CodeOK; c <= CodeMempoolFull; c++ {
		n := CodeName(c)
		if n == "" || n == "unknown" || strings.ToLower(n) != n {
			t.Errorf("code %d has name %q", c, n)
		}
		if prev, dup := seen[n]; dup {
			t.Errorf("codes %d and %d share name %q", prev, c, n)
		}
		seen[n] = c
	}
	if CodeName(CodeMempoolFull+1) != "unknown" || CodeName(1<<31) != "unknown" {
		t.Error("undefined codes must be named unknown")
	}
}

// TestKeyLayout checks the properties the state layout promises: distinct
// prefixes, and big-endian integers so key order is numeric order.
func TestKeyLayout(t *testing.T) {
	if bytes.Compare(EventLogKey(255), EventLogKey(256)) >= 0 {
		t.Error("event log keys do not sort numerically")
	}
	if bytes.Compare(MisbehaviourKey(1, 9), MisbehaviourKey(2, 0)) >= 0 {
		t.Error("misbehaviour keys do not sort by height first")
	}
	if bytes.Compare(EPCKey("urn:a", 1), EPCKey("urn:a", 2)) >= 0 || bytes.HasPrefix(EPCKey("urn:ab", 0), EPCKey("urn:a", 0)[:len("urn:a")+2]) {
		t.Error("EPC keys: per-EPC order or separation broken")
	}
	addr := make([]byte, tx.AddressLen)
	keys := [][]byte{MemberKey(addr), NonceKey(addr), EventLogKey(0), EventIDKey("x"), EPCKey("x", 0),
		ValidatorKey(make([]byte, 32)), ParamsKey(), MetaChainIDKey, MetaNextSeqKey, MisbehaviourKey(1, 0)}
	prefixes := []byte{PrefixMember, PrefixNonce, PrefixEventLog, PrefixEventID, PrefixEPC, PrefixValidator,
		PrefixParams, PrefixMeta, PrefixMeta, PrefixMisbehaviour}
	for i, k := range keys {
		if k[0] != prefixes[i] {
			t.Errorf("key %d (%x) has prefix %x, want %x", i, k, k[0], prefixes[i])
		}
	}
	for _, p := range WriteOncePrefixes() {
		if bytes.HasPrefix(MemberKey(addr), p) || bytes.HasPrefix(ParamsKey(), p) || bytes.HasPrefix(NonceKey(addr), p) {
			t.Errorf("a mutable key is under write-once prefix %x", p)
		}
	}
	if n, err := DecodeNonce(nil); err != nil || n != 0 {
		t.Errorf("DecodeNonce(empty) = %d, %v", n, err)
	}
	if _, err := DecodeUint64([]byte{1, 2}); err == nil {
		t.Error("DecodeUint64 accepted 2 bytes")
	}
}

func TestEventRecordKeepsEventBytes(t *testing.T) {
	ev := []byte("{ \"type\" : \"ObjectEvent\",\n \"b\":1 }")
	b, err := EncodeEventRecord(EventMeta{ID: "x", Seq: 3, Height: 2}, ev)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeEventRecord(b)
	if err != nil || r.ID != "x" || r.Seq != 3 || !bytes.Equal(r.Event, ev) {
		t.Fatalf("record %+v (%v): event bytes %q, want %q", r.EventMeta, err, r.Event, ev)
	}
}
