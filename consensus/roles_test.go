package consensus

import (
	"errors"
	"testing"
)

func TestAuthorize(t *testing.T) {
	cases := []struct {
		name  string
		roles []string
		need  string
		want  error
	}{
		{"recorder records", []string{RoleRecorder}, RoleRecorder, nil},
		{"authority cannot record without recorder role", []string{RoleAuthority}, RoleRecorder, ErrRoleNotAllowed},
		{"both roles record", []string{RoleAuthority, RoleRecorder}, RoleRecorder, nil},
		{"authority governs", []string{RoleAuthority}, RoleAuthority, nil},
		{"recorder cannot govern", []string{RoleRecorder}, RoleAuthority, ErrRoleNotAllowed},
		{"no roles", nil, RoleRecorder, ErrRoleNotAllowed},
		{"handler needs an unknown role", []string{RoleAuthority, RoleRecorder}, "minter", ErrUnknownRole},
		{"handler needs no role", []string{RoleAuthority, RoleRecorder}, "", ErrUnknownRole},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Authorize(c.roles, "some_kind", c.need)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Authorize(%v, %q) = %v, want %v", c.roles, c.need, err, c.want)
			}
		})
	}
}

func TestValidRole(t *testing.T) {
	for _, r := range []string{RoleAuthority, RoleRecorder} {
		if !ValidRole(r) {
			t.Errorf("ValidRole(%q) = false", r)
		}
	}
	for _, r := range []string{"", "admin", "Authority"} {
		if ValidRole(r) {
			t.Errorf("ValidRole(%q) = true", r)
		}
	}
}
