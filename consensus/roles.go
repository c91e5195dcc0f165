package consensus

import (
	"errors"
	"fmt"
	"slices"
)

// Member roles.
const (
	RoleAuthority = "authority"
	RoleRecorder  = "recorder"
)

// Message kinds, as reported by tx.Msg.Kind.
const (
	KindRecordEvents = "record_events"
	KindAddMember    = "add_member"
	KindRevokeMember = "revoke_member"
)

// ErrRoleNotAllowed is returned when a member lacks the role a message needs.
var ErrRoleNotAllowed = errors.New("consensus: role not allowed")

// ErrUnknownKind is returned for a message kind with no rule.
var ErrUnknownKind = errors.New("consensus: unknown message kind")

// requiredRole maps each message kind to the role that may send it. A kind missing
// here cannot be sent by anyone.
var requiredRole = map[string]string{
	KindRecordEvents: RoleRecorder,
	KindAddMember:    RoleAuthority,
	KindRevokeMember: RoleAuthority,
}

// RequiredRole returns the role a member needs to send a message of kind.
func RequiredRole(kind string) (string, error) {
	r, ok := requiredRole[kind]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	return r, nil
}

// Authorize reports whether a member holding roles may send a message of kind.
func Authorize(roles []string, kind string) error {
	need, err := RequiredRole(kind)
	if err != nil {
		return err
	}
	if !slices.Contains(roles, need) {
		return fmt.Errorf("%w: %s needs role %q, member has %v", ErrRoleNotAllowed, kind, need, roles)
	}
	return nil
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return r == RoleAuthority || r == RoleRecorder }
