package consensus

import (
	"errors"
	"fmt"
	"slices"
)

// Node roles: what an admitted node does in the network.
const (
	NodeValidator = "validator" // signs blocks
	NodeFull      = "full"      // follows the chain, serves queries
	NodeSentry    = "sentry"    // relays for validators that hide behind it
)

// NodeRoles lists every node role, in a fixed order.
var NodeRoles = []string{NodeValidator, NodeFull, NodeSentry}

// Sentinel errors of the node-admission rules.
var (
	ErrUnknownNodeRole = errors.New("consensus: unknown node role")
	ErrNodeAdmitted    = errors.New("consensus: node already admitted")
	ErrNodeNotAdmitted = errors.New("consensus: node not admitted")
	ErrOperator        = errors.New("consensus: node operator is not an active member")
)

// ValidNodeRole reports whether r is a known node role.
func ValidNodeRole(r string) bool { return slices.Contains(NodeRoles, r) }

// CheckAdmitNode decides whether a node may be admitted: a known role, not
// admitted already (a revoked node may be admitted again), run by an active
// member.
func CheckAdmitNode(role string, admitted bool, operator *Member) error {
	switch {
	case !ValidNodeRole(role):
		return fmt.Errorf("%w %q (want one of %v)", ErrUnknownNodeRole, role, NodeRoles)
	case admitted:
		return ErrNodeAdmitted
	case operator == nil || !operator.Active:
		return ErrOperator
	}
	return nil
}

// CheckRevokeNode decides whether a node may be revoked: it must be admitted.
func CheckRevokeNode(admitted bool) error {
	if !admitted {
		return ErrNodeNotAdmitted
	}
	return nil
}
