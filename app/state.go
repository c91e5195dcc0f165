package app

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// State layout: a one-byte prefix then fixed-width big-endian integers or fixed-size
// addresses, so iteration order is meaningful (see DESIGN.md "State layout").
const (
	prefixMember       byte = 0x01 // address(20) -> memberRecord JSON (mutable)
	prefixNonce        byte = 0x02 // address(20) -> next nonce, uint64 BE (mutable)
	prefixEventLog     byte = 0x03 // seq(8 BE) -> eventRecord JSON (write-once)
	prefixEventID      byte = 0x04 // event id -> seq(8 BE) (write-once)
	prefixEPC          byte = 0x05 // epc 0x00 seq(8 BE) -> event id (write-once)
	prefixValidator    byte = 0x06 // ed25519 consensus pubkey(32) -> validatorRecord JSON (mutable)
	prefixProposal     byte = 0x07 // reserved for governance proposals
	prefixParams       byte = 0x08 // param name -> decimal value (mutable, governance only)
	prefixMeta         byte = 0x09 // meta name -> value (mutable)
	prefixMisbehaviour byte = 0x0A // height(8 BE) index(4 BE) -> misbehaviourRecord JSON (write-once)
)

var (
	metaChainID = []byte{prefixMeta, 'c', 'h', 'a', 'i', 'n', '_', 'i', 'd'}
	metaNextSeq = []byte{prefixMeta, 'n', 'e', 'x', 't', '_', 's', 'e', 'q'}
)

func memberKey(addr []byte) []byte   { return append([]byte{prefixMember}, addr...) }
func nonceKey(addr []byte) []byte    { return append([]byte{prefixNonce}, addr...) }
func eventIDKey(id string) []byte    { return append([]byte{prefixEventID}, id...) }
func validatorKey(pub []byte) []byte { return append([]byte{prefixValidator}, pub...) }
func paramKey(name string) []byte    { return append([]byte{prefixParams}, name...) }
func eventLogKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixEventLog}, seq)
}
func misbehaviourKey(h int64, i uint32) []byte {
	k := binary.BigEndian.AppendUint64([]byte{prefixMisbehaviour}, uint64(h))
	return binary.BigEndian.AppendUint32(k, i)
}

func epcKey(epc string, seq uint64) []byte {
	k := append([]byte{prefixEPC}, epc...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

func encodeUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func decodeUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("want 8 bytes, have %d", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// Member status values.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
)

// Member is a member account as stored under prefixMember (JSON field names are
// part of the public query interface).
type Member struct {
	Address       string   `json:"address"`
	PubKey        []byte   `json:"pubkey"`
	Name          string   `json:"name"`
	Organisation  string   `json:"organisation"`
	Roles         []string `json:"roles"`
	Status        string   `json:"status"`
	SinceHeight   int64    `json:"since_height"`
	UpdatedHeight int64    `json:"updated_height"`
}

// EventMeta is the metadata stored with each event. The stored value is this object
// with one more field, "event", holding the event's JSON exactly as submitted.
type EventMeta struct {
	ID         string `json:"id"`
	Seq        uint64 `json:"seq"`
	Submitter  string `json:"submitter"`
	Height     int64  `json:"height"`
	TxHash     string `json:"tx_hash"`
	TxIndex    uint32 `json:"tx_index"`
	EventIndex uint32 `json:"event_index"`
	BlockTime  string `json:"block_time"`
}

// EventRecord is an event as returned by queries.
type EventRecord struct {
	EventMeta
	Event json.RawMessage `json:"event"`
}

// encodeEventRecord writes meta plus the event bytes verbatim (json.Marshal would
// compact them, and the event id commits to the bytes as submitted).
func encodeEventRecord(meta EventMeta, event []byte) ([]byte, error) {
	head, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(event)+10)
	out = append(out, head[:len(head)-1]...)
	out = append(out, `,"event":`...)
	out = append(out, event...)
	return append(out, '}'), nil
}

// DecodeEventRecord parses a stored event record; Event keeps the exact bytes.
func DecodeEventRecord(b []byte) (EventRecord, error) {
	var r EventRecord
	err := json.Unmarshal(b, &r)
	return r, err
}

// Validator is a consensus validator as stored under prefixValidator.
type Validator struct {
	PubKey  []byte `json:"pubkey"`
	Address string `json:"address"`
	Power   int64  `json:"power"`
	Name    string `json:"name,omitempty"`
}

// Misbehaviour is evidence reported by CometBFT in FinalizeBlock.
type Misbehaviour struct {
	Type             string `json:"type"`
	Validator        string `json:"validator"`
	Power            int64  `json:"power"`
	Height           int64  `json:"height"`
	Time             string `json:"time"`
	TotalVotingPower int64  `json:"total_voting_power"`
	ReportedAt       int64  `json:"reported_at_height"`
}

// WriteOncePrefixes are the key prefixes whose records are never overwritten or
// deleted; the ledger enforces it (ledger.Options.WriteOncePrefixes).
func WriteOncePrefixes() [][]byte {
	return [][]byte{{prefixEventLog}, {prefixEventID}, {prefixEPC}, {prefixMisbehaviour}}
}
