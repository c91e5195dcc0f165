package consensus

import (
	"errors"
	"testing"
)

func TestAuthorize(t *testing.T) {
	cases := []struct {
		name  string
		roles []string
		kind  string
		want  error
	}{
		{"recorder records", []string{RoleRecorder}, KindRecordEvents, nil},
		{"authority cannot record without recorder role", []string{RoleAuthority}, KindRecordEvents, ErrRoleNotAllowed},
		{"both roles record", []string{RoleAuthority, RoleRecorder}, KindRecordEvents, nil},
		{"authority adds member", []string{RoleAuthority}, KindAddMember, nil},
		{"recorder cannot add member", []string{RoleRecorder}, KindAddMember, ErrRoleNotAllowed},
		{"authority revokes", []string{RoleAuthority}, KindRevokeMember, nil},
		{"recorder cannot revoke", []string{RoleRecorder}, KindRevokeMember, ErrRoleNotAllowed},
		{"no roles", nil, KindRecordEvents, ErrRoleNotAllowed},
		{"unknown kind", []string{RoleAuthority, RoleRecorder}, "mint", ErrUnknownKind},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Authorize(c.roles, c.kind)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Authorize(%v, %q) = %v, want %v", c.roles, c.kind, err, c.want)
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
