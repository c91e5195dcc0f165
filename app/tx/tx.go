package tx

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Format version and bounds. Every bound is checked on Encode and on Decode,
// so a value that encodes also decodes and vice versa.
const (
	// Version is the version of the encoding described in tx.proto. It is
	// carried in SignDomain, not in the bytes of a transaction.
	Version = 1

	// SignDomain prefixes the body bytes in what an envelope signature covers,
	// so a signature made for a poaledger v1 body is valid for nothing else.
	SignDomain = "poaledger/tx/v1\x00"

	MaxTxBytes      = 1 << 20  // encoded envelope, bytes
	MaxEventsPerTx  = 1000     // events in one RecordEvents
	MaxEventBytes   = 64 << 10 // one event, bytes
	MaxEPCsPerEvent = 1000     // EPC identifiers named by one event (checked by epcis/app)
	MaxChainIDLen   = 50       // bytes; the same limit CometBFT puts on chain ids
	MaxNameLen      = 128      // AddMember.Name, bytes
	MaxOrgLen       = 128      // AddMember.Organisation, bytes
	MaxRoles        = 8        // AddMember.Roles, entries
	MaxRoleLen      = 32       // one role, bytes
	AddressLen      = 20       // member address, bytes

	PubKeyLen    = 32 // ed25519 public key, bytes
	SignatureLen = 64 // ed25519 signature, bytes
)

// Message kinds, as returned by Msg.Kind.
const (
	KindRecordEvents = "record_events"
	KindAddMember    = "add_member"
	KindRevokeMember = "revoke_member"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (with detail), so callers map them to result codes with errors.Is.
var (
	ErrMalformed    = errors.New("tx: malformed")
	ErrTooLarge     = errors.New("tx: too large")
	ErrBadSignature = errors.New("tx: bad signature")
)

// Envelope is a signed transaction: the body bytes exactly as signed, the
// signer's ed25519 public key and the signature over SignBytes(Body).
type Envelope struct {
	Body      []byte
	PubKey    []byte
	Signature []byte
}

// Body is the signed content of a transaction.
type Body struct {
	ChainID string
	Nonce   uint64 // per signer, strictly increasing by 1
	Msg     Msg    // exactly one; *RecordEvents, *AddMember or *RevokeMember
}

// Msg is one of the message kinds of the Body.msg oneof. Only the pointer
// types of this package implement it; each kind's methods are the one place
// the codec learns of it (besides msgDecoders in codec.go).
type Msg interface {
	// Kind names the message kind: "record_events", "add_member" or
	// "revoke_member" (the field name in tx.proto).
	Kind() string
	// fieldNumber is the kind's field in Body's oneof (tx.proto).
	fieldNumber() protowire.Number
	// check enforces the encoding bounds; it is safe on a nil pointer.
	check() error
	// encode returns the canonical encoding of a checked message.
	encode() []byte
	// validateBasic checks the kind's stateless rules beyond the bounds.
	validateBasic() error
}

// RecordEvents records EPCIS events, each the JSON of one event as submitted.
type RecordEvents struct {
	Events [][]byte
}

// AddMember adds a member account. Governance will wrap it in a proposal.
type AddMember struct {
	PubKey       []byte // ed25519, PubKeyLen bytes
	Name         string
	Organisation string
	Roles        []string // consensus.Roles
}

// RevokeMember revokes the member with the given address.
type RevokeMember struct {
	Address []byte // AddressLen bytes
}

// Kind implements Msg.
func (*RecordEvents) Kind() string { return KindRecordEvents }

// Kind implements Msg.
func (*AddMember) Kind() string { return KindAddMember }

// Kind implements Msg.
func (*RevokeMember) Kind() string { return KindRevokeMember }
