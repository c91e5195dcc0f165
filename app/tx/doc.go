// Package tx defines the versioned binary encoding of poaledger transactions,
// shared by the ABCI app and the Go client.
//
// # Format
//
// A transaction is an Envelope {body, pub_key, signature} in Protocol Buffers
// wire format; body holds the bytes of a Body {chain_id, nonce, msg} where msg
// is exactly one of RecordEvents, Propose, Vote (and the retired
// AddMember, RevokeMember, which still decode but the app refuses). tx.proto in this
// directory is the schema and the specification. No code is generated from
// it: the encoder and decoder are written by hand with protowire so that the
// decoder can be strict.
//
// The signature is ed25519 over SignBytes(body) = SignDomain || body, where
// body is the exact byte string carried in the envelope (never re-encoded).
// The member address is the first 20 bytes of sha256(pub_key), as for
// CometBFT ed25519 keys; the transaction hash is sha256 of the transaction
// bytes, as in CometBFT.
//
// # Canonical encoding and strict decoding
//
// Encode writes the one canonical encoding: fields in ascending field-number
// order (elements of a repeated field consecutively, in slice order), minimal
// varints, zero-valued scalars (nonce 0, empty bytes or string) omitted, the
// chosen message always written (even when empty). Decoding accepts exactly
// that and nothing else; it rejects, with ErrMalformed:
//
//   - unknown field numbers (including future message kinds) and wrong wire types;
//   - a non-repeated field given twice, fields out of ascending order;
//   - more than one message, or none;
//   - over-long varints, explicit zero or empty scalars, invalid UTF-8 in strings;
//   - truncated records and trailing bytes;
//   - envelopes without a body or with a public key / signature of the wrong length;
//
// and, with ErrTooLarge, anything beyond the bounds (MaxTxBytes,
// MaxEventsPerTx, MaxEventBytes, MaxChainIDLen, MaxNameLen, MaxOrgLen,
// MaxRoles, MaxRoleLen, and the key/address lengths as upper bounds). Encode
// enforces the same rules. Hence, for every accepted b,
// Encode(Decode(b)) == b, and a body or envelope value has exactly one
// encoding, so neither a transaction nor a body is malleable.
//
// Decoding checks form and bounds; Body.ValidateBasic adds the stateless
// semantic rules (chain id present, events non-empty, roles known and
// distinct, key and address lengths exact); VerifySignature checks the
// signature. The app decides the rest (chain id match, nonce, membership).
//
// # Versioning
//
// This is version 1 (Version, SignDomain "poaledger/tx/v1\x00"). The rule is
// that encodings only ever extend: a new message kind takes the next unused
// field number of the Body.msg oneof (governance Propose/Vote will take 13,
// 14, ...), a new field takes the next unused number of its message, and no
// field number, type or meaning of an existing encoding ever changes or is
// reused. Old nodes reject transactions using new fields as unknown, so a new
// kind is enabled on a network only by upgrading all nodes. An incompatible
// change would need a new SignDomain (v2) and Version.
package tx
