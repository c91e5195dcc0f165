package tx

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/poaledger/poaledger/consensus"
)

// testKey returns a deterministic key, so signatures are reproducible.
func testKey(n byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i) + n
	}
	return ed25519.NewKeyFromSeed(seed)
}

func pubKey(n byte) []byte { return []byte(testKey(n).Public().(ed25519.PublicKey)) }

const testChainID = "poaledger-test"

// rec builds one raw protobuf record, canonical or not, for rejection tests.
func rec(num protowire.Number, typ protowire.Type, v any) []byte {
	b := protowire.AppendTag(nil, num, typ)
	switch v := v.(type) {
	case uint64:
		return protowire.AppendVarint(b, v)
	case string:
		return protowire.AppendString(b, v)
	case []byte:
		return protowire.AppendBytes(b, v)
	}
	panic("rec: bad value")
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func mustEncode(t testing.TB, b *Body) []byte {
	t.Helper()
	bz, err := b.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return bz
}

func sampleBodies() map[string]*Body {
	return map[string]*Body{
		"record_events": {ChainID: testChainID, Nonce: 1, Msg: &RecordEvents{Events: [][]byte{
			[]byte(`{"type":"ObjectEvent","eventTime":"2024-01-01T00:00:00Z"}`), []byte(`{}`),
		}}},
		"record_events_max": {ChainID: strings.Repeat("c", MaxChainIDLen), Nonce: 1<<64 - 1, Msg: &RecordEvents{Events: [][]byte{
			bytes.Repeat([]byte("e"), MaxEventBytes),
		}}},
		"add_member": {ChainID: testChainID, Nonce: 300, Msg: &AddMember{
			PubKey: pubKey(2), Name: "Ada", Organisation: "ACME Ltd", Roles: []string{consensus.RoleRecorder, consensus.RoleAuthority},
		}},
		"revoke_member": {ChainID: testChainID, Nonce: 2, Msg: &RevokeMember{Address: Address(pubKey(2))}},
		// Encodable though not valid: decoding must not be stricter than encoding.
		"zero_values":      {Msg: &RevokeMember{}},
		"empty_events":     {ChainID: "x", Msg: &RecordEvents{Events: [][]byte{{}, {}}}},
		"empty_add_member": {ChainID: "x", Msg: &AddMember{Roles: []string{""}}},
		"no_events":        {ChainID: "x", Msg: &RecordEvents{}},
		"unicode_member":   {ChainID: "x", Msg: &AddMember{Name: "Zoë ÆØÅ", Organisation: "日本", Roles: []string{"recorder"}}},
		"propose_add_member": {ChainID: testChainID, Nonce: 3, Msg: &Propose{Action: &AddMember{
			PubKey: pubKey(3), Name: "Bo", Roles: []string{consensus.RoleRecorder}}, Reason: "new site"}},
		"propose_revoke": {ChainID: testChainID, Nonce: 4, Msg: &Propose{Action: &RevokeMember{Address: Address(pubKey(2))},
			Reason: "double signed", EvidenceHeight: 12, EvidenceNumber: 1}},
		"propose_set_roles": {ChainID: testChainID, Msg: &Propose{Action: &SetRoles{Address: Address(pubKey(2)),
			Roles: []string{consensus.RoleAuthority, consensus.RoleRecorder}}}},
		"propose_add_validator": {ChainID: testChainID, Msg: &Propose{Action: &AddValidator{PubKey: pubKey(5), Power: 3,
			Name: "val-5", Operator: Address(pubKey(2))}}},
		"propose_remove_validator": {ChainID: testChainID, Msg: &Propose{Action: &RemoveValidator{PubKey: pubKey(5)}}},
		"propose_set_power":        {ChainID: testChainID, Msg: &Propose{Action: &SetPower{PubKey: pubKey(5), Power: 1 << 40}}},
		"propose_set_param":        {ChainID: testChainID, Msg: &Propose{Action: &SetParam{Name: "vote_threshold_percent", Value: 66}}},
		"propose_admit_node": {ChainID: testChainID, Msg: &Propose{Action: &AdmitNode{NodeID: Address(pubKey(7)),
			Role: consensus.NodeSentry, Operator: Address(pubKey(2))}}},
		"propose_revoke_node": {ChainID: testChainID, Msg: &Propose{Action: &RevokeNode{NodeID: Address(pubKey(7))}}},
		"vote_yes":            {ChainID: testChainID, Nonce: 9, Msg: &Vote{ProposalID: 1, Option: VoteYes}},
		"vote_no":             {ChainID: testChainID, Msg: &Vote{ProposalID: 1 << 63, Option: VoteNo}},
		"empty_vote":          {ChainID: "x", Msg: &Vote{}},
	}
}

func TestBodyRoundTrip(t *testing.T) {
	for name, body := range sampleBodies() {
		t.Run(name, func(t *testing.T) {
			bz := mustEncode(t, body)
			got, err := DecodeBody(bz)
			if err != nil {
				t.Fatalf("DecodeBody: %v", err)
			}
			if got.ChainID != body.ChainID || got.Nonce != body.Nonce || got.Msg.Kind() != body.Msg.Kind() {
				t.Fatalf("decoded %+v, want %+v", got, body)
			}
			again := mustEncode(t, got)
			if !bytes.Equal(again, bz) {
				t.Fatalf("re-encoding differs:\n%x\n%x", again, bz)
			}
		})
	}
}

func TestBodyRoundTripValues(t *testing.T) {
	body := sampleBodies()["add_member"]
	got, err := DecodeBody(mustEncode(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, body) {
		t.Fatalf("got %#v, want %#v", got.Msg, body.Msg)
	}
}

func TestDecodedDoesNotAliasInput(t *testing.T) {
	bz := mustEncode(t, sampleBodies()["record_events"])
	got, err := DecodeBody(bz)
	if err != nil {
		t.Fatal(err)
	}
	want := string(got.Msg.(*RecordEvents).Events[0])
	for i := range bz {
		bz[i] = 0
	}
	if string(got.Msg.(*RecordEvents).Events[0]) != want {
		t.Fatal("decoded event aliases the input buffer")
	}
}

func TestDecodeBodyRejects(t *testing.T) {
	chain := rec(1, protowire.BytesType, testChainID)
	nonce := rec(2, protowire.VarintType, uint64(5))
	revoke := rec(12, protowire.BytesType, rec(1, protowire.BytesType, make([]byte, AddressLen)))
	events := func(evs ...[]byte) []byte {
		var inner []byte
		for _, ev := range evs {
			inner = append(inner, rec(1, protowire.BytesType, ev)...)
		}
		return rec(10, protowire.BytesType, inner)
	}
	member := func(fields ...[]byte) []byte { return rec(11, protowire.BytesType, cat(fields...)) }
	valid := cat(chain, nonce, revoke)
	manyEvents := make([][]byte, MaxEventsPerTx+1)
	for i := range manyEvents {
		manyEvents[i] = []byte("{}")
	}
	manyRoles := make([][]byte, MaxRoles+1)
	for i := range manyRoles {
		manyRoles[i] = rec(4, protowire.BytesType, "recorder")
	}

	if _, err := DecodeBody(valid); err != nil {
		t.Fatalf("baseline body rejected: %v", err)
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input (missing msg)", nil, ErrMalformed},
		{"missing msg", cat(chain, nonce), ErrMalformed},
		{"two msgs", cat(chain, nonce, events([]byte("{}")), revoke), ErrMalformed},
		{"same msg twice", cat(chain, nonce, revoke, revoke), ErrMalformed},
		{"unknown field", cat(chain, nonce, rec(3, protowire.VarintType, uint64(1)), revoke), ErrMalformed},
		{"unknown future msg kind 13", cat(chain, nonce, rec(13, protowire.BytesType, []byte{})), ErrMalformed},
		{"unknown field after msg", cat(valid, rec(99, protowire.BytesType, "x")), ErrMalformed},
		{"field number 0", cat(valid, []byte{0x00}), ErrMalformed},
		{"trailing garbage byte", cat(valid, []byte{0xff}), ErrMalformed},
		{"trailing tag without value", cat(valid, protowire.AppendTag(nil, 12, protowire.BytesType)), ErrMalformed},
		{"truncated record", valid[:len(valid)-1], ErrMalformed},
		{"truncated length prefix", cat(chain, []byte{0x52, 0x80}), ErrMalformed},
		{"length beyond input", cat(chain, []byte{0x52, 0x05, 0x0a}), ErrMalformed},
		{"duplicate chain id", cat(chain, chain, revoke), ErrMalformed},
		{"duplicate nonce", cat(chain, nonce, nonce, revoke), ErrMalformed},
		{"out of order", cat(nonce, chain, revoke), ErrMalformed},
		{"msg before nonce", cat(chain, revoke, nonce), ErrMalformed},
		{"chain id as varint", cat(rec(1, protowire.VarintType, uint64(1)), revoke), ErrMalformed},
		{"nonce as bytes", cat(chain, rec(2, protowire.BytesType, "x"), revoke), ErrMalformed},
		{"nonce as fixed64", cat(chain, protowire.AppendFixed64(protowire.AppendTag(nil, 2, protowire.Fixed64Type), 5), revoke), ErrMalformed},
		{"msg as varint", cat(chain, rec(12, protowire.VarintType, uint64(1))), ErrMalformed},
		{"group wire type", cat(chain, protowire.AppendTag(nil, 12, protowire.StartGroupType), protowire.AppendTag(nil, 12, protowire.EndGroupType)), ErrMalformed},
		{"over-long varint", cat(chain, []byte{0x10, 0x85, 0x00}, revoke), ErrMalformed},
		{"over-long tag", cat([]byte{0x8a, 0x00}, protowire.AppendString(nil, "c"), revoke), ErrMalformed},
		{"over-long length", cat([]byte{0x0a, 0x81, 0x00, 'c'}, revoke), ErrMalformed},
		{"explicit zero nonce", cat(chain, rec(2, protowire.VarintType, uint64(0)), revoke), ErrMalformed},
		{"explicit empty chain id", cat(rec(1, protowire.BytesType, ""), revoke), ErrMalformed},
		{"invalid UTF-8 chain id", cat(rec(1, protowire.BytesType, "a\xffb"), revoke), ErrMalformed},
		{"chain id too long", cat(rec(1, protowire.BytesType, strings.Repeat("c", MaxChainIDLen+1)), revoke), ErrTooLarge},
		{"record_events unknown field", cat(chain, rec(10, protowire.BytesType, rec(2, protowire.BytesType, "{}"))), ErrMalformed},
		{"record_events wrong wire type", cat(chain, rec(10, protowire.BytesType, rec(1, protowire.VarintType, uint64(1)))), ErrMalformed},
		{"record_events truncated inside", cat(chain, rec(10, protowire.BytesType, []byte{0x0a, 0x05, '{'})), ErrMalformed},
		{"too many events", cat(chain, events(manyEvents...)), ErrTooLarge},
		{"event too large", cat(chain, events(make([]byte, MaxEventBytes+1))), ErrTooLarge},
		{"add_member duplicate name", cat(chain, member(rec(2, protowire.BytesType, "a"), rec(2, protowire.BytesType, "b"))), ErrMalformed},
		{"add_member roles before name", cat(chain, member(rec(4, protowire.BytesType, "recorder"), rec(2, protowire.BytesType, "a"))), ErrMalformed},
		{"add_member roles split", cat(chain, member(rec(4, protowire.BytesType, "recorder"), rec(2, protowire.BytesType, "a"), rec(4, protowire.BytesType, "authority"))), ErrMalformed},
		{"add_member pubkey too long", cat(chain, member(rec(1, protowire.BytesType, make([]byte, PubKeyLen+1)))), ErrTooLarge},
		{"add_member name too long", cat(chain, member(rec(2, protowire.BytesType, strings.Repeat("n", MaxNameLen+1)))), ErrTooLarge},
		{"add_member org too long", cat(chain, member(rec(3, protowire.BytesType, strings.Repeat("o", MaxOrgLen+1)))), ErrTooLarge},
		{"add_member too many roles", cat(chain, member(manyRoles...)), ErrTooLarge},
		{"add_member role too long", cat(chain, member(rec(4, protowire.BytesType, strings.Repeat("r", MaxRoleLen+1)))), ErrTooLarge},
		{"add_member role invalid UTF-8", cat(chain, member(rec(4, protowire.BytesType, "\xc3"))), ErrMalformed},
		{"revoke_member address too long", cat(chain, rec(12, protowire.BytesType, rec(1, protowire.BytesType, make([]byte, AddressLen+1)))), ErrTooLarge},
		{"revoke_member explicit empty address", cat(chain, rec(12, protowire.BytesType, rec(1, protowire.BytesType, []byte{}))), ErrMalformed},
		{"body beyond MaxTxBytes", make([]byte, MaxTxBytes+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBody(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeBody = %+v, %v; want error %v", got, err, tt.want)
			}
			if got != nil {
				t.Fatalf("DecodeBody returned a body with error %v", err)
			}
		})
	}
}

func TestBodyEncodeRejects(t *testing.T) {
	manyEvents := make([][]byte, MaxEventsPerTx+1)
	tests := []struct {
		name string
		body *Body
		want error
	}{
		{"nil msg", &Body{ChainID: testChainID}, ErrMalformed},
		{"typed nil msg", &Body{ChainID: testChainID, Msg: (*RecordEvents)(nil)}, ErrMalformed},
		{"chain id too long", &Body{ChainID: strings.Repeat("c", MaxChainIDLen+1), Msg: &RevokeMember{}}, ErrTooLarge},
		{"chain id invalid UTF-8", &Body{ChainID: "\xff", Msg: &RevokeMember{}}, ErrMalformed},
		{"too many events", &Body{Msg: &RecordEvents{Events: manyEvents}}, ErrTooLarge},
		{"event too large", &Body{Msg: &RecordEvents{Events: [][]byte{make([]byte, MaxEventBytes+1)}}}, ErrTooLarge},
		{"role too long", &Body{Msg: &AddMember{Roles: []string{strings.Repeat("r", MaxRoleLen+1)}}}, ErrTooLarge},
		{"too many roles", &Body{Msg: &AddMember{Roles: make([]string, MaxRoles+1)}}, ErrTooLarge},
		{"address too long", &Body{Msg: &RevokeMember{Address: make([]byte, AddressLen+1)}}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bz, err := tt.body.Encode(); !errors.Is(err, tt.want) {
				t.Fatalf("Encode = %x, %v; want error %v", bz, err, tt.want)
			}
		})
	}
}

func TestBodyAtMaxTxBytesIsTooLarge(t *testing.T) {
	// 1000 events of 64 KiB fit every per-field bound but not MaxTxBytes.
	evs := make([][]byte, MaxEventsPerTx)
	big := make([]byte, MaxEventBytes)
	for i := range evs {
		evs[i] = big
	}
	if _, err := (&Body{ChainID: "x", Msg: &RecordEvents{Events: evs}}).Encode(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Encode = %v, want ErrTooLarge", err)
	}
}

func TestEnvelopeRoundTripAndRejects(t *testing.T) {
	env, txBytes, err := Sign(testKey(1), sampleBodies()["record_events"])
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEnvelope(txBytes)
	if err != nil {
		t.Fatalf("DecodeEnvelope: %v", err)
	}
	if !reflect.DeepEqual(got, env) {
		t.Fatalf("decoded %+v, want %+v", got, env)
	}
	if again, _ := got.Encode(); !bytes.Equal(again, txBytes) {
		t.Fatal("re-encoding differs")
	}

	body := rec(1, protowire.BytesType, env.Body)
	pub := rec(2, protowire.BytesType, env.PubKey)
	sig := rec(3, protowire.BytesType, env.Signature)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"missing body", cat(pub, sig), ErrMalformed},
		{"missing pubkey", cat(body, sig), ErrMalformed},
		{"missing signature", cat(body, pub), ErrMalformed},
		{"explicit empty body", cat(rec(1, protowire.BytesType, []byte{}), pub, sig), ErrMalformed},
		{"short pubkey", cat(body, rec(2, protowire.BytesType, env.PubKey[1:]), sig), ErrMalformed},
		{"long signature", cat(body, pub, rec(3, protowire.BytesType, append(bytes.Clone(env.Signature), 0))), ErrMalformed},
		{"unknown field", cat(body, pub, sig, rec(4, protowire.BytesType, "x")), ErrMalformed},
		{"trailing bytes", cat(body, pub, sig, []byte{0x00}), ErrMalformed},
		{"truncated", txBytes[:len(txBytes)-1], ErrMalformed},
		{"duplicate body", cat(body, body, pub, sig), ErrMalformed},
		{"duplicate signature", cat(body, pub, sig, sig), ErrMalformed},
		{"out of order", cat(pub, body, sig), ErrMalformed},
		{"wrong wire type", cat(rec(1, protowire.VarintType, uint64(1)), pub, sig), ErrMalformed},
		{"too large", make([]byte, MaxTxBytes+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEnvelope(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeEnvelope = %+v, %v; want error %v", got, err, tt.want)
			}
		})
	}
}

func TestEnvelopeEncodeRejects(t *testing.T) {
	ok := Envelope{Body: []byte{1}, PubKey: make([]byte, PubKeyLen), Signature: make([]byte, SignatureLen)}
	if _, err := ok.Encode(); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(e *Envelope)
		want   error
	}{
		{"no body", func(e *Envelope) { e.Body = nil }, ErrMalformed},
		{"short pubkey", func(e *Envelope) { e.PubKey = e.PubKey[:31] }, ErrMalformed},
		{"no signature", func(e *Envelope) { e.Signature = nil }, ErrMalformed},
		{"body too large", func(e *Envelope) { e.Body = make([]byte, MaxTxBytes+1) }, ErrTooLarge},
		{"envelope too large", func(e *Envelope) { e.Body = make([]byte, MaxTxBytes-10) }, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.mutate(&e)
			if _, err := e.Encode(); !errors.Is(err, tt.want) {
				t.Fatalf("Encode: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestGoldenEnvelope pins the v1 encoding and signature scheme. If it fails,
// an encoding changed: that breaks every signed transaction and is not allowed
// within v1 (see doc.go).
func TestGoldenEnvelope(t *testing.T) {
	const golden = "0a2c0a0e706f616c65646765722d74657374100752180a167b2274797065223a224f626a6563744576656e74227d" +
		"122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664" +
		"1a4007c3aaffd61b34c36cd39efffd7a406700697615f80634c4fdc0ec12a07e7925673b78b8b8f5a503eadb99df12e9ddaab7050e76c106437afd376987c5799007"
	const goldenAddress = "65B60673D6ED884BF01C2C222D82ADA0740F29AC"

	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i + 1)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	body := &Body{ChainID: "poaledger-test", Nonce: 7, Msg: &RecordEvents{Events: [][]byte{[]byte(`{"type":"ObjectEvent"}`)}}}
	env, txBytes, err := Sign(priv, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(txBytes); got != golden {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, golden)
	}
	if got := AddressString(Address(env.PubKey)); got != goldenAddress {
		t.Fatalf("address %s, want %s", got, goldenAddress)
	}

	want, _ := hex.DecodeString(golden)
	dec, err := DecodeEnvelope(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	b, err := DecodeBody(dec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b, body) {
		t.Fatalf("golden body decoded to %+v", b)
	}
}

func TestSignVerifyTamper(t *testing.T) {
	env, txBytes, err := Sign(testKey(1), sampleBodies()["add_member"])
	if err != nil {
		t.Fatal(err)
	}
	if err := env.VerifySignature(); err != nil {
		t.Fatalf("VerifySignature: %v", err)
	}
	if !bytes.Equal(env.PubKey, pubKey(1)) {
		t.Fatal("envelope carries the wrong public key")
	}
	dec, err := DecodeEnvelope(txBytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.VerifySignature(); err != nil {
		t.Fatalf("decoded VerifySignature: %v", err)
	}

	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x01; return c }
	tests := []struct {
		name   string
		mutate func(e *Envelope)
	}{
		{"body first byte", func(e *Envelope) { e.Body = flip(e.Body, 0) }},
		{"body last byte", func(e *Envelope) { e.Body = flip(e.Body, len(e.Body)-1) }},
		{"body extended", func(e *Envelope) { e.Body = append(bytes.Clone(e.Body), 0) }},
		{"signature byte", func(e *Envelope) { e.Signature = flip(e.Signature, 10) }},
		{"signature last byte", func(e *Envelope) { e.Signature = flip(e.Signature, SignatureLen-1) }},
		{"pubkey byte", func(e *Envelope) { e.PubKey = flip(e.PubKey, 0) }},
		{"other key", func(e *Envelope) { e.PubKey = pubKey(2) }},
		{"short pubkey", func(e *Envelope) { e.PubKey = e.PubKey[:PubKeyLen-1] }},
		{"short signature", func(e *Envelope) { e.Signature = e.Signature[:SignatureLen-1] }},
		{"signed without domain", func(e *Envelope) { e.Signature = ed25519.Sign(testKey(1), e.Body) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := *env
			tt.mutate(&e)
			if err := e.VerifySignature(); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("VerifySignature = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestSignRejects(t *testing.T) {
	if _, _, err := Sign(testKey(1)[:10], sampleBodies()["revoke_member"]); err == nil {
		t.Fatal("Sign accepted a short private key")
	}
	if _, _, err := Sign(testKey(1), &Body{ChainID: "x"}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Sign without msg = %v, want ErrMalformed", err)
	}
}

func TestSignBytes(t *testing.T) {
	got := SignBytes([]byte{1, 2})
	want := append([]byte("poaledger/tx/v1\x00"), 1, 2)
	if !bytes.Equal(got, want) {
		t.Fatalf("SignBytes = %q, want %q", got, want)
	}
}

func TestAddressMatchesCometBFT(t *testing.T) {
	for n := byte(0); n < 5; n++ {
		pub := testKey(n).Public().(ed25519.PublicKey)
		want := cmted25519.PubKey(pub).Address()
		if got := Address(pub); !bytes.Equal(got, want) {
			t.Fatalf("Address = %X, CometBFT %X", got, want)
		}
		if got := AddressString(Address(pub)); got != want.String() {
			t.Fatalf("AddressString = %s, CometBFT %s", got, want.String())
		}
	}
}

func TestHashMatchesCometBFT(t *testing.T) {
	_, txBytes, err := Sign(testKey(1), sampleBodies()["revoke_member"])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Hash(txBytes), tmhash.Sum(txBytes); !bytes.Equal(got, want) {
		t.Fatalf("Hash = %X, want %X", got, want)
	}
}

func TestParseAddress(t *testing.T) {
	addr := Address(pubKey(3))
	upper := AddressString(addr)
	for _, s := range []string{upper, strings.ToLower(upper)} {
		got, err := ParseAddress(s)
		if err != nil || !bytes.Equal(got, addr) {
			t.Fatalf("ParseAddress(%q) = %X, %v", s, got, err)
		}
	}
	for _, s := range []string{"", upper[:38], upper + "00", "0x" + upper[:38], "G" + upper[1:], " " + upper[1:]} {
		if _, err := ParseAddress(s); !errors.Is(err, ErrMalformed) {
			t.Fatalf("ParseAddress(%q) = %v, want ErrMalformed", s, err)
		}
	}
}

func TestValidateBasic(t *testing.T) {
	for name, body := range sampleBodies() {
		if strings.HasPrefix(name, "record_events") || name == "add_member" || name == "revoke_member" {
			if err := body.ValidateBasic(); err != nil {
				t.Errorf("%s: ValidateBasic = %v", name, err)
			}
		}
	}
	evs := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = []byte("{}")
		}
		return out
	}
	member := func(roles ...string) *AddMember {
		return &AddMember{PubKey: pubKey(4), Name: "n", Organisation: "o", Roles: roles}
	}
	tests := []struct {
		name string
		body *Body
		want error // nil: valid
	}{
		{"max events", &Body{ChainID: "c", Msg: &RecordEvents{Events: evs(MaxEventsPerTx)}}, nil},
		{"one role", &Body{ChainID: "c", Msg: member(consensus.RoleRecorder)}, nil},
		{"empty name and org", &Body{ChainID: "c", Msg: &AddMember{PubKey: pubKey(4), Roles: []string{consensus.RoleAuthority}}}, nil},
		{"empty chain id", &Body{Msg: &RecordEvents{Events: evs(1)}}, ErrMalformed},
		{"chain id too long", &Body{ChainID: strings.Repeat("c", MaxChainIDLen+1), Msg: &RecordEvents{Events: evs(1)}}, ErrTooLarge},
		{"no msg", &Body{ChainID: "c"}, ErrMalformed},
		{"typed nil msg", &Body{ChainID: "c", Msg: (*RevokeMember)(nil)}, ErrMalformed},
		{"no events", &Body{ChainID: "c", Msg: &RecordEvents{}}, ErrMalformed},
		{"empty event", &Body{ChainID: "c", Msg: &RecordEvents{Events: [][]byte{[]byte("{}"), {}}}}, ErrMalformed},
		{"too many events", &Body{ChainID: "c", Msg: &RecordEvents{Events: evs(MaxEventsPerTx + 1)}}, ErrTooLarge},
		{"event too large", &Body{ChainID: "c", Msg: &RecordEvents{Events: [][]byte{make([]byte, MaxEventBytes+1)}}}, ErrTooLarge},
		{"member short pubkey", &Body{ChainID: "c", Msg: &AddMember{PubKey: pubKey(4)[:31], Roles: []string{consensus.RoleRecorder}}}, ErrMalformed},
		{"member no pubkey", &Body{ChainID: "c", Msg: &AddMember{Roles: []string{consensus.RoleRecorder}}}, ErrMalformed},
		{"member no roles", &Body{ChainID: "c", Msg: member()}, ErrMalformed},
		{"member unknown role", &Body{ChainID: "c", Msg: member("admin")}, ErrMalformed},
		{"member role wrong case", &Body{ChainID: "c", Msg: member("Recorder")}, ErrMalformed},
		{"member duplicate role", &Body{ChainID: "c", Msg: member(consensus.RoleRecorder, consensus.RoleAuthority, consensus.RoleRecorder)}, ErrMalformed},
		{"member name too long", &Body{ChainID: "c", Msg: &AddMember{PubKey: pubKey(4), Name: strings.Repeat("n", MaxNameLen+1), Roles: []string{consensus.RoleRecorder}}}, ErrTooLarge},
		{"member org too long", &Body{ChainID: "c", Msg: &AddMember{PubKey: pubKey(4), Organisation: strings.Repeat("o", MaxOrgLen+1), Roles: []string{consensus.RoleRecorder}}}, ErrTooLarge},
		{"revoke short address", &Body{ChainID: "c", Msg: &RevokeMember{Address: make([]byte, AddressLen-1)}}, ErrMalformed},
		{"revoke no address", &Body{ChainID: "c", Msg: &RevokeMember{}}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.body.ValidateBasic()
			if tt.want == nil && err != nil {
				t.Fatalf("ValidateBasic = %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("ValidateBasic = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	for _, tt := range []struct {
		msg  Msg
		want string
	}{
		{&RecordEvents{}, "record_events"},
		{&AddMember{}, "add_member"},
		{&RevokeMember{}, "revoke_member"},
		{&Propose{}, "propose"},
		{&Vote{}, "vote"},
	} {
		if got := tt.msg.Kind(); got != tt.want {
			t.Errorf("%T.Kind() = %q, want %q", tt.msg, got, tt.want)
		}
	}
}
