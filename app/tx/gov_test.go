package tx

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/poaledger/poaledger/consensus"
)

func TestGovernanceRoundTripValues(t *testing.T) {
	for _, name := range []string{"propose_add_member", "propose_revoke", "propose_set_roles", "propose_add_validator",
		"propose_remove_validator", "propose_set_power", "propose_set_param", "propose_admit_node", "propose_revoke_node",
		"vote_yes", "vote_no"} {
		body := sampleBodies()[name]
		got, err := DecodeBody(mustEncode(t, body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, body) {
			t.Fatalf("%s: got %#v, want %#v", name, got.Msg, body.Msg)
		}
		if err := got.ValidateBasic(); err != nil {
			t.Fatalf("%s: ValidateBasic: %v", name, err)
		}
	}
}

func TestGovernanceActionKinds(t *testing.T) {
	for _, a := range []Action{&AddMember{}, &RevokeMember{}, &SetRoles{}, &AddValidator{}, &RemoveValidator{}, &SetPower{}, &SetParam{},
		&AdmitNode{}, &RevokeNode{}} {
		found := false
		for _, k := range consensus.ProposalKinds {
			found = found || k == a.ProposalKind()
		}
		if !found {
			t.Errorf("%T.ProposalKind() = %q is not a consensus proposal kind", a, a.ProposalKind())
		}
	}
}

func TestGovernanceDecodeRejects(t *testing.T) {
	valid := mustEncode(t, sampleBodies()["propose_set_param"])
	body, _ := DecodeBody(valid)
	action := body.Msg.(*Propose).Action
	twoActions := protowire.AppendTag(nil, fieldProposeSetParam, protowire.BytesType)
	twoActions = protowire.AppendBytes(twoActions, action.encode())
	twoActions = protowire.AppendTag(twoActions, fieldProposeSetParam, protowire.BytesType)
	twoActions = protowire.AppendBytes(twoActions, action.encode())
	wrap := func(msg []byte) []byte {
		b := appendStringField(nil, fieldBodyChainID, "x")
		return appendLenField(b, fieldBodyPropose, msg)
	}
	cases := map[string][]byte{
		"propose without action": wrap(nil),
		"two actions":            wrap(twoActions),
		"reason before action": wrap(append(appendStringField(nil, fieldProposeReason, "r"),
			protowire.AppendBytes(protowire.AppendTag(nil, fieldProposeSetParam, protowire.BytesType), action.encode())...)),
		"unknown action field": wrap(protowire.AppendBytes(protowire.AppendTag(nil, 10, protowire.BytesType), nil)),
		"vote explicit zero":   append(appendStringField(nil, fieldBodyChainID, "x"), appendLenField(nil, fieldBodyVote, []byte{0x08, 0x00})...),
	}
	for name, b := range cases {
		if got, err := DecodeBody(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: DecodeBody = %+v, %v; want ErrMalformed", name, got, err)
		}
	}
	long := &Body{ChainID: "x", Msg: &Propose{Action: &SetParam{Name: "n", Value: 1}, Reason: strings.Repeat("r", MaxReasonLen+1)}}
	if _, err := long.Encode(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("reason over the bound: %v", err)
	}
}

func TestGovernanceValidateBasic(t *testing.T) {
	addr := Address(pubKey(2))
	cases := map[string]Msg{
		"vote without id":            &Vote{Option: VoteYes},
		"vote option 3":              &Vote{ProposalID: 1, Option: 3},
		"vote without option":        &Vote{ProposalID: 1},
		"evidence height alone":      &Propose{Action: &SetParam{Name: "n"}, EvidenceHeight: 3},
		"set_roles unknown role":     &Propose{Action: &SetRoles{Address: addr, Roles: []string{"king"}}},
		"set_roles no roles":         &Propose{Action: &SetRoles{Address: addr}},
		"set_roles short address":    &Propose{Action: &SetRoles{Address: addr[:5], Roles: []string{"recorder"}}},
		"add_validator power 0":      &Propose{Action: &AddValidator{PubKey: pubKey(3), Operator: addr}},
		"add_validator huge power":   &Propose{Action: &AddValidator{PubKey: pubKey(3), Operator: addr, Power: consensus.MaxPower + 1}},
		"add_validator no operator":  &Propose{Action: &AddValidator{PubKey: pubKey(3), Power: 1}},
		"add_validator short key":    &Propose{Action: &AddValidator{PubKey: pubKey(3)[:31], Operator: addr, Power: 1}},
		"remove_validator no key":    &Propose{Action: &RemoveValidator{}},
		"set_power 0":                &Propose{Action: &SetPower{PubKey: pubKey(3)}},
		"set_param without name":     &Propose{Action: &SetParam{Value: 3}},
		"add_member bad role inside": &Propose{Action: &AddMember{PubKey: pubKey(3), Roles: []string{"king"}}},
		"admit_node unknown role":    &Propose{Action: &AdmitNode{NodeID: addr, Role: "archive", Operator: addr}},
		"admit_node short id":        &Propose{Action: &AdmitNode{NodeID: addr[:3], Role: "full", Operator: addr}},
		"admit_node no operator":     &Propose{Action: &AdmitNode{NodeID: addr, Role: "full"}},
		"revoke_node no id":          &Propose{Action: &RevokeNode{}},
	}
	for name, m := range cases {
		b := &Body{ChainID: "x", Msg: m}
		if err := b.ValidateBasic(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ValidateBasic = %v, want ErrMalformed", name, err)
		}
	}
}
