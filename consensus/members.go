package consensus

import (
	"errors"
	"fmt"
	"slices"
)

// Member is what the authority rules need to know of a member account.
type Member struct {
	Address string // for messages only
	Roles   []string
	Active  bool
}

// IsAuthority reports whether m is an active member holding RoleAuthority.
func (m Member) IsAuthority() bool { return m.Active && slices.Contains(m.Roles, RoleAuthority) }

// Members is read access to the member set, the small state the rules run over.
//
// EachMember calls fn once per member, in a deterministic order (the app's is
// ascending address), and stops at the first error fn returns, returning it. An
// error reading the underlying state is returned as is.
type Members interface {
	EachMember(fn func(Member) error) error
}

// Sentinel errors of the member rules.
var (
	ErrNoAuthority     = errors.New("consensus: no authority")
	ErrLastAuthority   = errors.New("consensus: last active authority")
	ErrAlreadyRevoked  = errors.New("consensus: member already revoked")
	ErrDuplicateMember = errors.New("consensus: duplicate member")
	errStop            = errors.New("stop")
)

// ActiveAuthorities counts the active members holding RoleAuthority.
func ActiveAuthorities(ms Members) (int, error) {
	n := 0
	err := ms.EachMember(func(m Member) error {
		if m.IsAuthority() {
			n++
		}
		return nil
	})
	return n, err
}

// hasOtherAuthority reports whether an active authority other than address exists;
// it stops at the first one found.
func hasOtherAuthority(ms Members, address string) (bool, error) {
	found := false
	err := ms.EachMember(func(m Member) error {
		if m.IsAuthority() && m.Address != address {
			found = true
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}

// CheckRevoke decides whether target may be revoked: it must be active, and
// revoking it must leave at least one active authority to govern the chain.
func CheckRevoke(ms Members, target Member) error {
	if !target.Active {
		return fmt.Errorf("%w: %s", ErrAlreadyRevoked, target.Address)
	}
	if !target.IsAuthority() {
		return nil
	}
	ok, err := hasOtherAuthority(ms, target.Address)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s is the last active authority; revoking it would leave nobody to govern", ErrLastAuthority, target.Address)
	}
	return nil
}

// CheckGenesis decides whether a genesis member list can start a chain: distinct
// addresses, known roles, and at least one authority.
func CheckGenesis(members []Member) error {
	authorities := 0
	seen := make(map[string]bool, len(members)) // lookups only
	for i, m := range members {
		if seen[m.Address] {
			return fmt.Errorf("%w: members[%d] %s", ErrDuplicateMember, i, m.Address)
		}
		seen[m.Address] = true
		for _, r := range m.Roles {
			if !ValidRole(r) {
				return fmt.Errorf("%w %q: members[%d] %s", ErrUnknownRole, r, i, m.Address)
			}
		}
		if m.IsAuthority() {
			authorities++
		}
	}
	if authorities == 0 {
		return fmt.Errorf("%w: no member has role %q; nobody could govern the chain", ErrNoAuthority, RoleAuthority)
	}
	return nil
}

// ErrTooManyMembers is returned when admitting a member would pass max_members.
var ErrTooManyMembers = errors.New("consensus: too many members")

// CheckSetRoles decides whether target's roles may become roles: target must be
// active, the roles known, and the change must not take the authority role from
// the last active authority.
func CheckSetRoles(ms Members, target Member, roles []string) error {
	if !target.Active {
		return fmt.Errorf("%w: %s", ErrAlreadyRevoked, target.Address)
	}
	if len(roles) == 0 {
		return fmt.Errorf("%w: no roles for %s", ErrUnknownRole, target.Address)
	}
	for _, r := range roles {
		if !ValidRole(r) {
			return fmt.Errorf("%w %q", ErrUnknownRole, r)
		}
	}
	if !target.IsAuthority() || slices.Contains(roles, RoleAuthority) {
		return nil
	}
	ok, err := hasOtherAuthority(ms, target.Address)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s is the last active authority; it must keep the authority role", ErrLastAuthority, target.Address)
	}
	return nil
}

// CheckAdmit decides whether one more member may be admitted: fewer than
// maxMembers members (active or revoked: records stay) exist.
func CheckAdmit(ms Members, maxMembers int) error {
	n := 0
	if err := ms.EachMember(func(Member) error { n++; return nil }); err != nil {
		return err
	}
	if n >= maxMembers {
		return fmt.Errorf("%w: %d members, max_members %d", ErrTooManyMembers, n, maxMembers)
	}
	return nil
}

// ActiveAuthorityList returns the addresses of the active authorities, in the
// order EachMember visits them (ascending address for the app).
func ActiveAuthorityList(ms Members) ([]string, error) {
	var out []string
	err := ms.EachMember(func(m Member) error {
		if m.IsAuthority() {
			out = append(out, m.Address)
		}
		return nil
	})
	return out, err
}
