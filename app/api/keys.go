package api

import (
	"encoding/binary"
	"fmt"
)

// State layout: a one-byte prefix then fixed-width big-endian integers or fixed-size
// addresses, so iteration order is meaningful (see DESIGN.md "State layout").
const (
	PrefixMember       byte = 0x01 // address(20) -> Member JSON (mutable)
	PrefixNonce        byte = 0x02 // address(20) -> next nonce, uint64 BE (mutable)
	PrefixEventLog     byte = 0x03 // seq(8 BE) -> event record (write-once)
	PrefixEventID      byte = 0x04 // event id -> seq(8 BE) (write-once)
	PrefixEPC          byte = 0x05 // epc 0x00 seq(8 BE) -> event id (write-once)
	PrefixValidator    byte = 0x06 // ed25519 consensus pubkey(32) -> Validator JSON (mutable)
	PrefixProposal     byte = 0x07 // reserved for governance proposals
	PrefixParams       byte = 0x08 // ParamsKey -> Params JSON (mutable, governance only)
	PrefixMeta         byte = 0x09 // meta name -> value (mutable)
	PrefixMisbehaviour byte = 0x0A // height(8 BE) index(4 BE) -> Misbehaviour JSON (write-once)
	PrefixOpenProposal byte = 0x0B // id(8 BE) -> 0x01 while the proposal is open (mutable)
	PrefixNode         byte = 0x0C // node id(20) -> Node JSON (mutable, governance only)
	PrefixDeclaration  byte = 0x0D // event id -> Declaration JSON (write-once)
	PrefixEventAlias   byte = 0x0E // submitted eventID -> event id (write-once)
	PrefixField        byte = 0x0F // field(1) value 0x00 seq(8 BE) -> event id (write-once)
)

// NodeKey is the key of an admitted (or revoked) node, by its 20-byte node ID.
func NodeKey(id []byte) []byte { return append([]byte{PrefixNode}, id...) }

// Meta keys.
var (
	MetaChainIDKey = []byte{PrefixMeta, 'c', 'h', 'a', 'i', 'n', '_', 'i', 'd'}
	MetaNextSeqKey = []byte{PrefixMeta, 'n', 'e', 'x', 't', '_', 's', 'e', 'q'}
	// MetaNextProposalKey holds the id the next proposal gets (uint64 BE; 1 first).
	MetaNextProposalKey = []byte("\x09next_proposal")
	// MetaKeyTypesKey holds the validator key types genesis allows (JSON array).
	MetaKeyTypesKey = []byte("\x09validator_key_types")
)

// ProposalKey is the key of proposal id (value: Proposal JSON).
func ProposalKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{PrefixProposal}, id)
}

// OpenProposalKey is the key of proposal id in the index of open proposals.
func OpenProposalKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{PrefixOpenProposal}, id)
}

// WriteOncePrefixes are the key prefixes whose records are never overwritten or
// deleted; the ledger enforces it (ledger.Options.WriteOncePrefixes).
func WriteOncePrefixes() [][]byte {
	return [][]byte{{PrefixEventLog}, {PrefixEventID}, {PrefixEPC}, {PrefixMisbehaviour},
		{PrefixDeclaration}, {PrefixEventAlias}, {PrefixField}}
}

// MemberKey is the key of a member account (address: 20 bytes).
func MemberKey(addr []byte) []byte { return append([]byte{PrefixMember}, addr...) }

// NonceKey is the key of a signer's next nonce.
func NonceKey(addr []byte) []byte { return append([]byte{PrefixNonce}, addr...) }

// EventIDKey is the key of the id index entry of an event (value: its sequence).
func EventIDKey(id string) []byte { return append([]byte{PrefixEventID}, id...) }

// ValidatorKey is the key of a validator (ed25519 consensus public key).
func ValidatorKey(pub []byte) []byte { return append([]byte{PrefixValidator}, pub...) }

// ParamsKey is the one key holding every chain parameter (value: Params JSON), so
// one proof shows all of them.
func ParamsKey() []byte { return []byte{PrefixParams, 'v', '1'} }

// EventLogKey is the key of the event with global sequence number seq.
func EventLogKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{PrefixEventLog}, seq)
}

// MisbehaviourKey is the key of the i-th misbehaviour reported at height h.
func MisbehaviourKey(h int64, i uint32) []byte {
	k := binary.BigEndian.AppendUint64([]byte{PrefixMisbehaviour}, uint64(h))
	return binary.BigEndian.AppendUint32(k, i)
}

// EPCKey is the key of the EPC index entry of epc (canonical, see
// epcis.NormaliseEPC) in event seq. EPCs never contain 0x00, so the entries of
// one EPC are exactly the keys under EPCPrefix(epc).
func EPCKey(epc string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(EPCPrefix(epc), seq)
}

// EPCPrefix is the prefix of every EPC index entry of epc.
func EPCPrefix(epc string) []byte {
	k := append([]byte{PrefixEPC}, epc...)
	return append(k, 0)
}

// SeqFromIndexKey returns the sequence number that ends an EPC or field index key.
func SeqFromIndexKey(key []byte) (uint64, error) {
	if len(key) < 9 || key[len(key)-9] != 0 {
		return 0, fmt.Errorf("index key %x does not end in 0x00 and a sequence number", key)
	}
	return binary.BigEndian.Uint64(key[len(key)-8:]), nil
}

// DeclarationKey is the key of the error declaration of event id.
func DeclarationKey(id string) []byte { return append([]byte{PrefixDeclaration}, id...) }

// EventAliasKey is the key mapping a submitted eventID to the ledger id.
func EventAliasKey(eventID string) []byte { return append([]byte{PrefixEventAlias}, eventID...) }

// FieldKey is the key of a field index entry: events whose field (Field*) has
// value, by sequence.
func FieldKey(field Field, value string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(FieldPrefix(field, value), seq)
}

// FieldPrefix is the prefix of every index entry of field = value.
func FieldPrefix(field Field, value string) []byte {
	k := append([]byte{PrefixField, byte(field)}, value...)
	return append(k, 0)
}

// EncodeUint64 is the 8-byte big-endian form of sequences and nonces in state.
func EncodeUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// DecodeUint64 reverses EncodeUint64; any other length is an error.
func DecodeUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("want 8 bytes, have %d", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// DecodeNonce decodes the value of a nonce query: empty means 0 (no tx yet).
func DecodeNonce(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return DecodeUint64(b)
}
