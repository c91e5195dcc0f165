package tx

import (
	"bytes"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/poaledger/poaledger/consensus"
)

// Governance messages (tx.proto: Propose = 13, Vote = 14). A Propose carries one
// Action, the change the authorities vote on; a Vote answers a proposal by id.

// Bounds of the governance messages.
const (
	MaxReasonLen     = 512 // Propose.Reason, bytes
	MaxValidatorName = 128 // AddValidator.Name, bytes
	MaxParamNameLen  = 64  // SetParam.Name, bytes
)

// Message kinds of governance.
const (
	KindPropose = "propose"
	KindVote    = "vote"
)

// Vote options.
const (
	VoteYes uint64 = 1
	VoteNo  uint64 = 2
)

// Propose opens a proposal for one Action. Reason is free text; a proposal may
// reference recorded misbehaviour by (EvidenceHeight, EvidenceIndex+1).
type Propose struct {
	Action         Action
	Reason         string
	EvidenceHeight uint64 // 0: no reference
	EvidenceNumber uint64 // 1-based index of the misbehaviour at EvidenceHeight
}

// Vote answers proposal ProposalID with VoteYes or VoteNo.
type Vote struct {
	ProposalID uint64
	Option     uint64
}

// Action is the change a proposal asks for: *AddMember, *RevokeMember,
// *SetRoles, *AddValidator, *RemoveValidator, *SetPower or *SetParam.
type Action interface {
	// ProposalKind names the change (consensus.Proposal*).
	ProposalKind() string
	actionField() protowire.Number
	check() error
	encode() []byte
	validateBasic() error
}

// SetRoles replaces a member's roles.
type SetRoles struct {
	Address []byte // AddressLen bytes
	Roles   []string
}

// AddValidator adds a consensus validator.
type AddValidator struct {
	PubKey   []byte // ed25519 consensus key, PubKeyLen bytes
	Power    uint64 // 1..consensus.MaxPower
	Name     string
	Operator []byte // address of the member that runs it, AddressLen bytes
}

// RemoveValidator removes a consensus validator.
type RemoveValidator struct {
	PubKey []byte
}

// SetPower changes a validator's voting power.
type SetPower struct {
	PubKey []byte
	Power  uint64
}

// AdmitNode admits a CometBFT node (by node ID, the address of its P2P key) to
// connect, sync and gossip.
type AdmitNode struct {
	NodeID   []byte // NodeIDLen bytes
	Role     string // consensus.NodeRoles
	Operator []byte // address of the member that runs it, AddressLen bytes
}

// RevokeNode revokes a node's admission.
type RevokeNode struct {
	NodeID []byte
}

// NodeIDLen is the length of a CometBFT node ID in bytes (40 hex characters).
const NodeIDLen = 20

// SetParam sets one chain parameter (api.Params, by JSON name).
type SetParam struct {
	Name  string
	Value uint64
}

const (
	fieldProposeAddMember       protowire.Number = 1
	fieldProposeRevokeMember    protowire.Number = 2
	fieldProposeSetRoles        protowire.Number = 3
	fieldProposeAddValidator    protowire.Number = 4
	fieldProposeRemoveValidator protowire.Number = 5
	fieldProposeSetPower        protowire.Number = 6
	fieldProposeSetParam        protowire.Number = 7
	fieldProposeAdmitNode       protowire.Number = 8
	fieldProposeRevokeNode      protowire.Number = 9
	fieldProposeReason          protowire.Number = 15
	fieldProposeEvidenceHeight  protowire.Number = 16
	fieldProposeEvidenceNumber  protowire.Number = 17

	fieldVoteProposalID protowire.Number = 1
	fieldVoteOption     protowire.Number = 2

	fieldSetRolesAddress protowire.Number = 1
	fieldSetRolesRoles   protowire.Number = 2

	fieldAddValidatorPubKey   protowire.Number = 1
	fieldAddValidatorPower    protowire.Number = 2
	fieldAddValidatorName     protowire.Number = 3
	fieldAddValidatorOperator protowire.Number = 4

	fieldRemoveValidatorPubKey protowire.Number = 1

	fieldSetPowerPubKey protowire.Number = 1
	fieldSetPowerPower  protowire.Number = 2

	fieldSetParamName  protowire.Number = 1
	fieldSetParamValue protowire.Number = 2

	fieldAdmitNodeID       protowire.Number = 1
	fieldAdmitNodeRole     protowire.Number = 2
	fieldAdmitNodeOperator protowire.Number = 3

	fieldRevokeNodeID protowire.Number = 1
)

// actionDecoders maps each field of Propose's action oneof to its decoder.
var actionDecoders = map[protowire.Number]func([]byte) (Action, error){
	fieldProposeAddMember:       func(b []byte) (Action, error) { return decodeAddMember(b) },
	fieldProposeRevokeMember:    func(b []byte) (Action, error) { return decodeRevokeMember(b) },
	fieldProposeSetRoles:        func(b []byte) (Action, error) { return decodeSetRoles(b) },
	fieldProposeAddValidator:    func(b []byte) (Action, error) { return decodeAddValidator(b) },
	fieldProposeRemoveValidator: func(b []byte) (Action, error) { return decodeRemoveValidator(b) },
	fieldProposeSetPower:        func(b []byte) (Action, error) { return decodeSetPower(b) },
	fieldProposeSetParam:        func(b []byte) (Action, error) { return decodeSetParam(b) },
	fieldProposeAdmitNode:       func(b []byte) (Action, error) { return decodeAdmitNode(b) },
	fieldProposeRevokeNode:      func(b []byte) (Action, error) { return decodeRevokeNode(b) },
}

var (
	proposeSchema = func() schema {
		s := schema{fieldProposeReason: kindString, fieldProposeEvidenceHeight: kindVarint, fieldProposeEvidenceNumber: kindVarint}
		for num := range actionDecoders {
			s[num] = kindMessage
		}
		return s
	}()
	voteSchema         = schema{fieldVoteProposalID: kindVarint, fieldVoteOption: kindVarint}
	setRolesSchema     = schema{fieldSetRolesAddress: kindBytes, fieldSetRolesRoles: kindRepeatedString}
	addValidatorSchema = schema{fieldAddValidatorPubKey: kindBytes, fieldAddValidatorPower: kindVarint,
		fieldAddValidatorName: kindString, fieldAddValidatorOperator: kindBytes}
	removeValidatorSchema = schema{fieldRemoveValidatorPubKey: kindBytes}
	setPowerSchema        = schema{fieldSetPowerPubKey: kindBytes, fieldSetPowerPower: kindVarint}
	setParamSchema        = schema{fieldSetParamName: kindString, fieldSetParamValue: kindVarint}
	admitNodeSchema       = schema{fieldAdmitNodeID: kindBytes, fieldAdmitNodeRole: kindString, fieldAdmitNodeOperator: kindBytes}
	revokeNodeSchema      = schema{fieldRevokeNodeID: kindBytes}
)

// --- Msg implementations ---

func (*Propose) Kind() string                  { return KindPropose }
func (*Vote) Kind() string                     { return KindVote }
func (*Propose) fieldNumber() protowire.Number { return fieldBodyPropose }
func (*Vote) fieldNumber() protowire.Number    { return fieldBodyVote }

func (m *Propose) check() error {
	if m == nil {
		return nilMsg(KindPropose)
	}
	if m.Action == nil {
		return fmt.Errorf("%w: %s: no action", ErrMalformed, KindPropose)
	}
	if err := checkString(KindPropose+": reason", m.Reason, MaxReasonLen); err != nil {
		return err
	}
	return m.Action.check()
}

func (m *Propose) encode() []byte {
	b := appendLenField(nil, m.Action.actionField(), m.Action.encode())
	b = appendStringField(b, fieldProposeReason, m.Reason)
	b = appendVarintField(b, fieldProposeEvidenceHeight, m.EvidenceHeight)
	return appendVarintField(b, fieldProposeEvidenceNumber, m.EvidenceNumber)
}

func decodePropose(b []byte) (*Propose, error) {
	m := &Propose{}
	err := walk(b, KindPropose, proposeSchema, func(f field) error {
		switch f.num {
		case fieldProposeReason:
			m.Reason = string(f.b)
		case fieldProposeEvidenceHeight:
			m.EvidenceHeight = f.u
		case fieldProposeEvidenceNumber:
			m.EvidenceNumber = f.u
		default:
			if m.Action != nil {
				return fmt.Errorf("%w: %s: more than one action", ErrMalformed, KindPropose)
			}
			a, err := actionDecoders[f.num](f.b) // walk admits only proposeSchema's fields
			if err != nil {
				return err
			}
			m.Action = a
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.Action == nil {
		return nil, fmt.Errorf("%w: %s: no action", ErrMalformed, KindPropose)
	}
	return m, nil
}

func (m *Propose) validateBasic() error {
	if (m.EvidenceHeight == 0) != (m.EvidenceNumber == 0) {
		return fmt.Errorf("%w: %s: evidence height and number go together", ErrMalformed, KindPropose)
	}
	return m.Action.validateBasic()
}

func (m *Vote) check() error {
	if m == nil {
		return nilMsg(KindVote)
	}
	return nil
}

func (m *Vote) encode() []byte {
	b := appendVarintField(nil, fieldVoteProposalID, m.ProposalID)
	return appendVarintField(b, fieldVoteOption, m.Option)
}

func decodeVote(b []byte) (*Vote, error) {
	m := &Vote{}
	err := walk(b, KindVote, voteSchema, func(f field) error {
		if f.num == fieldVoteProposalID {
			m.ProposalID = f.u
		} else {
			m.Option = f.u
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Vote) validateBasic() error {
	if m.ProposalID == 0 {
		return fmt.Errorf("%w: %s: no proposal id", ErrMalformed, KindVote)
	}
	if m.Option != VoteYes && m.Option != VoteNo {
		return fmt.Errorf("%w: %s: option %d, want 1 (yes) or 2 (no)", ErrMalformed, KindVote, m.Option)
	}
	return nil
}

// --- Actions ---

func (*AddMember) ProposalKind() string       { return consensus.ProposalAddMember }
func (*RevokeMember) ProposalKind() string    { return consensus.ProposalRevokeMember }
func (*SetRoles) ProposalKind() string        { return consensus.ProposalSetRoles }
func (*AddValidator) ProposalKind() string    { return consensus.ProposalAddValidator }
func (*RemoveValidator) ProposalKind() string { return consensus.ProposalRemoveValidator }
func (*SetPower) ProposalKind() string        { return consensus.ProposalSetPower }
func (*SetParam) ProposalKind() string        { return consensus.ProposalSetParam }
func (*AdmitNode) ProposalKind() string       { return consensus.ProposalAdmitNode }
func (*RevokeNode) ProposalKind() string      { return consensus.ProposalRevokeNode }

func (*AddMember) actionField() protowire.Number       { return fieldProposeAddMember }
func (*RevokeMember) actionField() protowire.Number    { return fieldProposeRevokeMember }
func (*SetRoles) actionField() protowire.Number        { return fieldProposeSetRoles }
func (*AddValidator) actionField() protowire.Number    { return fieldProposeAddValidator }
func (*RemoveValidator) actionField() protowire.Number { return fieldProposeRemoveValidator }
func (*SetPower) actionField() protowire.Number        { return fieldProposeSetPower }
func (*SetParam) actionField() protowire.Number        { return fieldProposeSetParam }
func (*AdmitNode) actionField() protowire.Number       { return fieldProposeAdmitNode }
func (*RevokeNode) actionField() protowire.Number      { return fieldProposeRevokeNode }

func checkLen(what string, b []byte, max int) error {
	if len(b) > max {
		return fmt.Errorf("%w: %s: %d bytes, max %d", ErrTooLarge, what, len(b), max)
	}
	return nil
}

func wantLen(what string, b []byte, n int) error {
	if len(b) != n {
		return fmt.Errorf("%w: %s %d bytes, want %d", ErrMalformed, what, len(b), n)
	}
	return nil
}

func checkRoles(kind string, roles []string) error {
	if len(roles) > MaxRoles {
		return fmt.Errorf("%w: %s: %d roles, max %d", ErrTooLarge, kind, len(roles), MaxRoles)
	}
	for i, r := range roles {
		if err := checkString(fmt.Sprintf("%s: role %d", kind, i), r, MaxRoleLen); err != nil {
			return err
		}
	}
	return nil
}

func validRoles(kind string, roles []string) error {
	if len(roles) == 0 {
		return fmt.Errorf("%w: %s: no roles", ErrMalformed, kind)
	}
	for i, r := range roles {
		if !consensus.ValidRole(r) {
			return fmt.Errorf("%w: %s: unknown role %q", ErrMalformed, kind, r)
		}
		for _, prev := range roles[:i] {
			if prev == r {
				return fmt.Errorf("%w: %s: duplicate role %q", ErrMalformed, kind, r)
			}
		}
	}
	return nil
}

func (m *SetRoles) check() error {
	if m == nil {
		return nilMsg(consensus.ProposalSetRoles)
	}
	if err := checkLen("set_roles: address", m.Address, AddressLen); err != nil {
		return err
	}
	return checkRoles(consensus.ProposalSetRoles, m.Roles)
}

func (m *SetRoles) encode() []byte {
	b := appendBytesField(nil, fieldSetRolesAddress, m.Address)
	for _, r := range m.Roles {
		b = appendLenField(b, fieldSetRolesRoles, []byte(r))
	}
	return b
}

func decodeSetRoles(b []byte) (*SetRoles, error) {
	m := &SetRoles{}
	err := walk(b, consensus.ProposalSetRoles, setRolesSchema, func(f field) error {
		if f.num == fieldSetRolesAddress {
			m.Address = bytes.Clone(f.b)
			return nil
		}
		if len(m.Roles) == MaxRoles {
			return fmt.Errorf("%w: %s: more than %d roles", ErrTooLarge, consensus.ProposalSetRoles, MaxRoles)
		}
		m.Roles = append(m.Roles, string(f.b))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *SetRoles) validateBasic() error {
	if err := wantLen("set_roles: address", m.Address, AddressLen); err != nil {
		return err
	}
	return validRoles(consensus.ProposalSetRoles, m.Roles)
}

func (m *AddValidator) check() error {
	if m == nil {
		return nilMsg(consensus.ProposalAddValidator)
	}
	if err := checkLen("add_validator: public key", m.PubKey, PubKeyLen); err != nil {
		return err
	}
	if err := checkLen("add_validator: operator", m.Operator, AddressLen); err != nil {
		return err
	}
	return checkString("add_validator: name", m.Name, MaxValidatorName)
}

func (m *AddValidator) encode() []byte {
	b := appendBytesField(nil, fieldAddValidatorPubKey, m.PubKey)
	b = appendVarintField(b, fieldAddValidatorPower, m.Power)
	b = appendStringField(b, fieldAddValidatorName, m.Name)
	return appendBytesField(b, fieldAddValidatorOperator, m.Operator)
}

func decodeAddValidator(b []byte) (*AddValidator, error) {
	m := &AddValidator{}
	err := walk(b, consensus.ProposalAddValidator, addValidatorSchema, func(f field) error {
		switch f.num {
		case fieldAddValidatorPubKey:
			m.PubKey = bytes.Clone(f.b)
		case fieldAddValidatorPower:
			m.Power = f.u
		case fieldAddValidatorName:
			m.Name = string(f.b)
		case fieldAddValidatorOperator:
			m.Operator = bytes.Clone(f.b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func validPower(kind string, p uint64) error {
	if p < 1 || p > consensus.MaxPower {
		return fmt.Errorf("%w: %s: power %d, want 1..%d", ErrMalformed, kind, p, uint64(consensus.MaxPower))
	}
	return nil
}

func (m *AddValidator) validateBasic() error {
	if err := wantLen("add_validator: public key", m.PubKey, PubKeyLen); err != nil {
		return err
	}
	if err := wantLen("add_validator: operator", m.Operator, AddressLen); err != nil {
		return err
	}
	return validPower(consensus.ProposalAddValidator, m.Power)
}

func (m *RemoveValidator) check() error {
	if m == nil {
		return nilMsg(consensus.ProposalRemoveValidator)
	}
	return checkLen("remove_validator: public key", m.PubKey, PubKeyLen)
}

func (m *RemoveValidator) encode() []byte {
	return appendBytesField(nil, fieldRemoveValidatorPubKey, m.PubKey)
}

func decodeRemoveValidator(b []byte) (*RemoveValidator, error) {
	m := &RemoveValidator{}
	err := walk(b, consensus.ProposalRemoveValidator, removeValidatorSchema, func(f field) error {
		m.PubKey = bytes.Clone(f.b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *RemoveValidator) validateBasic() error {
	return wantLen("remove_validator: public key", m.PubKey, PubKeyLen)
}

func (m *SetPower) check() error {
	if m == nil {
		return nilMsg(consensus.ProposalSetPower)
	}
	return checkLen("set_power: public key", m.PubKey, PubKeyLen)
}

func (m *SetPower) encode() []byte {
	b := appendBytesField(nil, fieldSetPowerPubKey, m.PubKey)
	return appendVarintField(b, fieldSetPowerPower, m.Power)
}

func decodeSetPower(b []byte) (*SetPower, error) {
	m := &SetPower{}
	err := walk(b, consensus.ProposalSetPower, setPowerSchema, func(f field) error {
		if f.num == fieldSetPowerPubKey {
			m.PubKey = bytes.Clone(f.b)
		} else {
			m.Power = f.u
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *SetPower) validateBasic() error {
	if err := wantLen("set_power: public key", m.PubKey, PubKeyLen); err != nil {
		return err
	}
	return validPower(consensus.ProposalSetPower, m.Power)
}

func (m *SetParam) check() error {
	if m == nil {
		return nilMsg(consensus.ProposalSetParam)
	}
	return checkString("set_param: name", m.Name, MaxParamNameLen)
}

func (m *SetParam) encode() []byte {
	b := appendStringField(nil, fieldSetParamName, m.Name)
	return appendVarintField(b, fieldSetParamValue, m.Value)
}

func decodeSetParam(b []byte) (*SetParam, error) {
	m := &SetParam{}
	err := walk(b, consensus.ProposalSetParam, setParamSchema, func(f field) error {
		if f.num == fieldSetParamName {
			m.Name = string(f.b)
		} else {
			m.Value = f.u
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// validateBasic: a name; whether it is a known parameter and the value in its
// bounds is the app's to decide (api.Params).
func (m *SetParam) validateBasic() error {
	if m.Name == "" {
		return fmt.Errorf("%w: set_param: no name", ErrMalformed)
	}
	return nil
}

func (m *AdmitNode) check() error {
	if m == nil {
		return nilMsg(consensus.ProposalAdmitNode)
	}
	if err := checkLen("admit_node: node id", m.NodeID, NodeIDLen); err != nil {
		return err
	}
	if err := checkLen("admit_node: operator", m.Operator, AddressLen); err != nil {
		return err
	}
	return checkString("admit_node: role", m.Role, MaxRoleLen)
}

func (m *AdmitNode) encode() []byte {
	b := appendBytesField(nil, fieldAdmitNodeID, m.NodeID)
	b = appendStringField(b, fieldAdmitNodeRole, m.Role)
	return appendBytesField(b, fieldAdmitNodeOperator, m.Operator)
}

func decodeAdmitNode(b []byte) (*AdmitNode, error) {
	m := &AdmitNode{}
	err := walk(b, consensus.ProposalAdmitNode, admitNodeSchema, func(f field) error {
		switch f.num {
		case fieldAdmitNodeID:
			m.NodeID = bytes.Clone(f.b)
		case fieldAdmitNodeRole:
			m.Role = string(f.b)
		case fieldAdmitNodeOperator:
			m.Operator = bytes.Clone(f.b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *AdmitNode) validateBasic() error {
	if err := wantLen("admit_node: node id", m.NodeID, NodeIDLen); err != nil {
		return err
	}
	if err := wantLen("admit_node: operator", m.Operator, AddressLen); err != nil {
		return err
	}
	if !consensus.ValidNodeRole(m.Role) {
		return fmt.Errorf("%w: admit_node: role %q, want one of %v", ErrMalformed, m.Role, consensus.NodeRoles)
	}
	return nil
}

func (m *RevokeNode) check() error {
	if m == nil {
		return nilMsg(consensus.ProposalRevokeNode)
	}
	return checkLen("revoke_node: node id", m.NodeID, NodeIDLen)
}

func (m *RevokeNode) encode() []byte { return appendBytesField(nil, fieldRevokeNodeID, m.NodeID) }

func decodeRevokeNode(b []byte) (*RevokeNode, error) {
	m := &RevokeNode{}
	err := walk(b, consensus.ProposalRevokeNode, revokeNodeSchema, func(f field) error {
		m.NodeID = bytes.Clone(f.b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *RevokeNode) validateBasic() error {
	return wantLen("revoke_node: node id", m.NodeID, NodeIDLen)
}
