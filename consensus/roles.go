package consensus

import (
	"errors"
	"fmt"
	"slices"
)

// Member roles. These constants are the only definition of the role names: the tx
// codec validates roles with ValidRole and each message handler names the role its
// kind needs.
const (
	RoleAuthority = "authority" // may govern: admit and revoke members
	RoleRecorder  = "recorder"  // may record EPCIS events
)

// Roles lists every role, in a fixed order.
var Roles = []string{RoleAuthority, RoleRecorder}

// ErrRoleNotAllowed is returned when a member lacks the role a message needs.
var ErrRoleNotAllowed = errors.New("consensus: role not allowed")

// ErrUnknownRole is returned for a role name that is not one of Roles.
var ErrUnknownRole = errors.New("consensus: unknown role")

// Authorize reports whether a member holding roles may send a message of kind,
// which needs role need. kind is only named in the error.
func Authorize(roles []string, kind, need string) error {
	if !ValidRole(need) {
		return fmt.Errorf("%w %q required by %s", ErrUnknownRole, need, kind)
	}
	if !slices.Contains(roles, need) {
		return fmt.Errorf("%w: %s needs role %q, member has %v", ErrRoleNotAllowed, kind, need, roles)
	}
	return nil
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return slices.Contains(Roles, r) }
