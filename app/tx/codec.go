package tx

import (
	"bytes"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers, as in tx.proto.
const (
	fieldEnvelopeBody      protowire.Number = 1
	fieldEnvelopePubKey    protowire.Number = 2
	fieldEnvelopeSignature protowire.Number = 3

	fieldBodyChainID      protowire.Number = 1
	fieldBodyNonce        protowire.Number = 2
	fieldBodyRecordEvents protowire.Number = 10
	fieldBodyAddMember    protowire.Number = 11
	fieldBodyRevokeMember protowire.Number = 12
	fieldBodyPropose      protowire.Number = 13
	fieldBodyVote         protowire.Number = 14

	fieldRecordEventsEvents protowire.Number = 1

	fieldAddMemberPubKey       protowire.Number = 1
	fieldAddMemberName         protowire.Number = 2
	fieldAddMemberOrganisation protowire.Number = 3
	fieldAddMemberRoles        protowire.Number = 4

	fieldRevokeMemberAddress protowire.Number = 1
)

var (
	envelopeSchema = schema{
		fieldEnvelopeBody:      kindBytes,
		fieldEnvelopePubKey:    kindBytes,
		fieldEnvelopeSignature: kindBytes,
	}
	bodySchema         = makeBodySchema()
	recordEventsSchema = schema{fieldRecordEventsEvents: kindRepeatedBytes}
	addMemberSchema    = schema{
		fieldAddMemberPubKey:       kindBytes,
		fieldAddMemberName:         kindString,
		fieldAddMemberOrganisation: kindString,
		fieldAddMemberRoles:        kindRepeatedString,
	}
	revokeMemberSchema = schema{fieldRevokeMemberAddress: kindBytes}
)

// msgDecoders maps each field of Body's msg oneof to its message decoder: the
// one place DecodeBody learns of the message kinds.
var msgDecoders = map[protowire.Number]func([]byte) (Msg, error){
	fieldBodyRecordEvents: func(b []byte) (Msg, error) { return decodeRecordEvents(b) },
	fieldBodyAddMember:    func(b []byte) (Msg, error) { return decodeAddMember(b) },
	fieldBodyRevokeMember: func(b []byte) (Msg, error) { return decodeRevokeMember(b) },
	fieldBodyPropose:      func(b []byte) (Msg, error) { return decodePropose(b) },
	fieldBodyVote:         func(b []byte) (Msg, error) { return decodeVote(b) },
}

func makeBodySchema() schema {
	s := schema{fieldBodyChainID: kindString, fieldBodyNonce: kindVarint}
	for num := range msgDecoders {
		s[num] = kindMessage
	}
	return s
}

// Field numbers of the message kinds (Msg.fieldNumber).
func (*RecordEvents) fieldNumber() protowire.Number { return fieldBodyRecordEvents }
func (*AddMember) fieldNumber() protowire.Number    { return fieldBodyAddMember }
func (*RevokeMember) fieldNumber() protowire.Number { return fieldBodyRevokeMember }

// Encode returns the canonical encoding of the envelope. It fails with
// ErrMalformed unless Body is non-empty, PubKey is PubKeyLen bytes and
// Signature is SignatureLen bytes, and with ErrTooLarge beyond MaxTxBytes.
// It does not verify the signature.
func (e *Envelope) Encode() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	size := protowire.SizeTag(fieldEnvelopeBody) + protowire.SizeBytes(len(e.Body)) +
		protowire.SizeTag(fieldEnvelopePubKey) + protowire.SizeBytes(len(e.PubKey)) +
		protowire.SizeTag(fieldEnvelopeSignature) + protowire.SizeBytes(len(e.Signature))
	if size > MaxTxBytes {
		return nil, fmt.Errorf("%w: envelope: %d bytes, max %d", ErrTooLarge, size, MaxTxBytes)
	}
	b := make([]byte, 0, size)
	b = appendBytesField(b, fieldEnvelopeBody, e.Body)
	b = appendBytesField(b, fieldEnvelopePubKey, e.PubKey)
	b = appendBytesField(b, fieldEnvelopeSignature, e.Signature)
	return b, nil
}

// DecodeEnvelope decodes transaction bytes strictly (see doc.go) and applies
// the same checks as Encode, so Encode of the result returns b again. It does
// not decode the body or verify the signature. The result does not alias b.
func DecodeEnvelope(b []byte) (*Envelope, error) {
	if len(b) > MaxTxBytes {
		return nil, fmt.Errorf("%w: envelope: %d bytes, max %d", ErrTooLarge, len(b), MaxTxBytes)
	}
	e := &Envelope{}
	err := walk(b, "envelope", envelopeSchema, func(f field) error {
		switch f.num {
		case fieldEnvelopeBody:
			e.Body = bytes.Clone(f.b)
		case fieldEnvelopePubKey:
			e.PubKey = bytes.Clone(f.b)
		case fieldEnvelopeSignature:
			e.Signature = bytes.Clone(f.b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Envelope) check() error {
	switch {
	case len(e.Body) == 0:
		return fmt.Errorf("%w: envelope: missing body", ErrMalformed)
	case len(e.Body) > MaxTxBytes:
		return fmt.Errorf("%w: envelope: body %d bytes, max %d", ErrTooLarge, len(e.Body), MaxTxBytes)
	case len(e.PubKey) != PubKeyLen:
		return fmt.Errorf("%w: envelope: public key %d bytes, want %d", ErrMalformed, len(e.PubKey), PubKeyLen)
	case len(e.Signature) != SignatureLen:
		return fmt.Errorf("%w: envelope: signature %d bytes, want %d", ErrMalformed, len(e.Signature), SignatureLen)
	}
	return nil
}

// Encode returns the canonical encoding of the body: fields in ascending
// order, zero values omitted, the message always present. It fails with
// ErrMalformed when Msg is missing or a string is not UTF-8 and with
// ErrTooLarge when a bound is exceeded. It does not run ValidateBasic.
func (b *Body) Encode() ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	num, msg := b.Msg.fieldNumber(), b.Msg.encode()
	out := make([]byte, 0, len(b.ChainID)+len(msg)+24)
	out = appendStringField(out, fieldBodyChainID, b.ChainID)
	out = appendVarintField(out, fieldBodyNonce, b.Nonce)
	out = appendLenField(out, num, msg)
	if len(out) > MaxTxBytes {
		return nil, fmt.Errorf("%w: body: %d bytes, max %d", ErrTooLarge, len(out), MaxTxBytes)
	}
	return out, nil
}

// DecodeBody decodes body bytes strictly (see doc.go): exactly one message is
// required, and the bounds of Encode apply, so Encode of the result returns b
// again. Semantic rules are left to ValidateBasic. The result does not alias b.
func DecodeBody(b []byte) (*Body, error) {
	if len(b) > MaxTxBytes {
		return nil, fmt.Errorf("%w: body: %d bytes, max %d", ErrTooLarge, len(b), MaxTxBytes)
	}
	body := &Body{}
	err := walk(b, "body", bodySchema, func(f field) error {
		if f.kind == kindMessage && body.Msg != nil {
			return fmt.Errorf("%w: body: more than one message (%s and field %d)", ErrMalformed, body.Msg.Kind(), f.num)
		}
		switch f.num {
		case fieldBodyChainID:
			body.ChainID = string(f.b)
		case fieldBodyNonce:
			body.Nonce = f.u
		default:
			m, err := msgDecoders[f.num](f.b) // walk admits only bodySchema's fields
			if err != nil {
				return err
			}
			body.Msg = m
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := body.check(); err != nil {
		return nil, err
	}
	return body, nil
}

// check enforces the encoding bounds shared by Encode and DecodeBody.
func (b *Body) check() error {
	if err := checkString("body: chain id", b.ChainID, MaxChainIDLen); err != nil {
		return err
	}
	if b.Msg == nil {
		return fmt.Errorf("%w: body: missing message", ErrMalformed)
	}
	return b.Msg.check()
}

func nilMsg(kind string) error { return fmt.Errorf("%w: body: nil %s", ErrMalformed, kind) }

func (m *RecordEvents) check() error {
	if m == nil {
		return nilMsg(KindRecordEvents)
	}
	if len(m.Events) > MaxEventsPerTx {
		return fmt.Errorf("%w: %s: %d events, max %d", ErrTooLarge, KindRecordEvents, len(m.Events), MaxEventsPerTx)
	}
	for i, ev := range m.Events {
		if len(ev) > MaxEventBytes {
			return fmt.Errorf("%w: %s: event %d: %d bytes, max %d", ErrTooLarge, KindRecordEvents, i, len(ev), MaxEventBytes)
		}
	}
	return nil
}

func (m *RecordEvents) encode() []byte {
	size := 0
	for _, ev := range m.Events {
		size += protowire.SizeTag(fieldRecordEventsEvents) + protowire.SizeBytes(len(ev))
	}
	b := make([]byte, 0, size)
	for _, ev := range m.Events {
		b = appendLenField(b, fieldRecordEventsEvents, ev)
	}
	return b
}

func decodeRecordEvents(b []byte) (*RecordEvents, error) {
	m := &RecordEvents{}
	err := walk(b, KindRecordEvents, recordEventsSchema, func(f field) error {
		// Bound the count while decoding, before the slice can grow past it.
		if len(m.Events) == MaxEventsPerTx {
			return fmt.Errorf("%w: %s: more than %d events", ErrTooLarge, KindRecordEvents, MaxEventsPerTx)
		}
		m.Events = append(m.Events, bytes.Clone(f.b))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *AddMember) check() error {
	if m == nil {
		return nilMsg(KindAddMember)
	}
	if len(m.PubKey) > PubKeyLen {
		return fmt.Errorf("%w: %s: public key %d bytes, max %d", ErrTooLarge, KindAddMember, len(m.PubKey), PubKeyLen)
	}
	if err := checkString(KindAddMember+": name", m.Name, MaxNameLen); err != nil {
		return err
	}
	if err := checkString(KindAddMember+": organisation", m.Organisation, MaxOrgLen); err != nil {
		return err
	}
	if len(m.Roles) > MaxRoles {
		return fmt.Errorf("%w: %s: %d roles, max %d", ErrTooLarge, KindAddMember, len(m.Roles), MaxRoles)
	}
	for i, r := range m.Roles {
		if err := checkString(fmt.Sprintf("%s: role %d", KindAddMember, i), r, MaxRoleLen); err != nil {
			return err
		}
	}
	return nil
}

func (m *AddMember) encode() []byte {
	var b []byte
	b = appendBytesField(b, fieldAddMemberPubKey, m.PubKey)
	b = appendStringField(b, fieldAddMemberName, m.Name)
	b = appendStringField(b, fieldAddMemberOrganisation, m.Organisation)
	for _, r := range m.Roles {
		b = appendLenField(b, fieldAddMemberRoles, []byte(r))
	}
	return b
}

func decodeAddMember(b []byte) (*AddMember, error) {
	m := &AddMember{}
	err := walk(b, KindAddMember, addMemberSchema, func(f field) error {
		switch f.num {
		case fieldAddMemberPubKey:
			m.PubKey = bytes.Clone(f.b)
		case fieldAddMemberName:
			m.Name = string(f.b)
		case fieldAddMemberOrganisation:
			m.Organisation = string(f.b)
		case fieldAddMemberRoles:
			if len(m.Roles) == MaxRoles {
				return fmt.Errorf("%w: %s: more than %d roles", ErrTooLarge, KindAddMember, MaxRoles)
			}
			m.Roles = append(m.Roles, string(f.b))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *RevokeMember) check() error {
	if m == nil {
		return nilMsg(KindRevokeMember)
	}
	if len(m.Address) > AddressLen {
		return fmt.Errorf("%w: %s: address %d bytes, max %d", ErrTooLarge, KindRevokeMember, len(m.Address), AddressLen)
	}
	return nil
}

func (m *RevokeMember) encode() []byte {
	return appendBytesField(nil, fieldRevokeMemberAddress, m.Address)
}

func decodeRevokeMember(b []byte) (*RevokeMember, error) {
	m := &RevokeMember{}
	err := walk(b, KindRevokeMember, revokeMemberSchema, func(f field) error {
		m.Address = bytes.Clone(f.b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
