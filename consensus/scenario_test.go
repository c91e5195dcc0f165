package consensus

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// model is an in-memory chain state for the governance scenario scripts in
// testdata/governance: members, validators and parameters, changed only
// through the rules of this package, as the app changes its own.
type model struct {
	members    []Member // ascending address
	validators []Power
	threshold  uint64
	lifetime   int64
	maxVals    int
	maxMembers int
	proposals  []*Proposal
	payload    map[uint64]string // kind-specific argument, as written in the script
	block      *Block            // this block's validator changes (set by endblock)
}

func (m *model) EachMember(fn func(Member) error) error {
	for _, mb := range m.members {
		if err := fn(mb); err != nil {
			return err
		}
	}
	return nil
}

func (m *model) Authorities() ([]string, error) { return ActiveAuthorityList(m) }
func (m *model) Threshold() uint64              { return m.threshold }

func (m *model) member(addr string) (int, bool) {
	for i, mb := range m.members {
		if mb.Address == addr {
			return i, true
		}
	}
	return -1, false
}

// check runs a proposal's submission-time rules against the current state;
// apply runs them again and makes the change.
func (m *model) check(kind, arg string, blk *Block) error {
	f := strings.Fields(arg)
	switch kind {
	case ProposalAddMember:
		if _, ok := m.member(f[0]); ok {
			return fmt.Errorf("member %s exists", f[0])
		}
		return CheckAdmit(m, m.maxMembers)
	case ProposalRevokeMember:
		i, ok := m.member(f[0])
		if !ok {
			return fmt.Errorf("member %s does not exist", f[0])
		}
		return CheckRevoke(m, m.members[i])
	case ProposalSetRoles:
		i, ok := m.member(f[0])
		if !ok {
			return fmt.Errorf("member %s does not exist", f[0])
		}
		return CheckSetRoles(m, m.members[i], strings.Split(f[1], ","))
	case ProposalAddValidator, ProposalSetPower, ProposalRemoveValidator:
		c := Change{PubKey: f[0]}
		switch kind {
		case ProposalAddValidator:
			c.Op = OpAdd
		case ProposalSetPower:
			c.Op = OpSet
		default:
			c.Op = OpRemove
		}
		if len(f) > 1 {
			p, _ := strconv.ParseInt(f[1], 10, 64)
			c.Power = p
		}
		if blk == nil {
			return NewBlock(m.validators, m.maxVals).Add(c)
		}
		return blk.Add(c)
	case ProposalSetParam:
		v, _ := strconv.ParseUint(f[1], 10, 64)
		if f[0] == "threshold" && !ValidThreshold(v) {
			return fmt.Errorf("%w: %d", ErrBadThreshold, v)
		}
		return nil
	}
	return fmt.Errorf("unknown kind %s", kind)
}

func (m *model) Apply(p *Proposal) error {
	arg := m.payload[p.ID]
	if err := m.check(p.Kind, arg, m.block); err != nil {
		return Refuse(err)
	}
	f := strings.Fields(arg)
	switch p.Kind {
	case ProposalAddMember:
		m.members = append(m.members, Member{Address: f[0], Roles: strings.Split(f[1], ","), Active: true})
		slices.SortFunc(m.members, func(a, b Member) int { return strings.Compare(a.Address, b.Address) })
	case ProposalRevokeMember:
		i, _ := m.member(f[0])
		m.members[i].Active = false
	case ProposalSetRoles:
		i, _ := m.member(f[0])
		m.members[i].Roles = strings.Split(f[1], ",")
	case ProposalSetParam:
		v, _ := strconv.ParseUint(f[1], 10, 64)
		if f[0] == "threshold" {
			m.threshold = v
		}
	}
	return nil
}

func (m *model) open() []*Proposal {
	var out []*Proposal
	for _, p := range m.proposals {
		if p.Status == StatusOpen {
			out = append(out, p)
		}
	}
	return out
}

func (m *model) find(id uint64) *Proposal {
	for _, p := range m.proposals {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func arg(d *datadriven.TestData, key string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			return strings.Join(a.Vals, ",")
		}
	}
	d.Fatalf(nil, "missing argument %s", key)
	return ""
}

func (m *model) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "init":
		m.threshold, m.lifetime, m.maxVals, m.maxMembers = 50, 10, 10, 100
		m.payload = map[uint64]string{}
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			f := strings.Fields(line)
			switch f[0] {
			case "member": // member ADDR roles [revoked]
				m.members = append(m.members, Member{Address: f[1], Roles: strings.Split(f[2], ","), Active: len(f) < 4})
			case "validator": // validator KEY power
				p, _ := strconv.ParseInt(f[2], 10, 64)
				m.validators = append(m.validators, Power{PubKey: f[1], Power: p})
			case "threshold":
				m.threshold, _ = strconv.ParseUint(f[1], 10, 64)
			case "lifetime":
				m.lifetime, _ = strconv.ParseInt(f[1], 10, 64)
			case "max-validators":
				m.maxVals, _ = strconv.Atoi(f[1])
			case "max-members":
				m.maxMembers, _ = strconv.Atoi(f[1])
			}
		}
		slices.SortFunc(m.members, func(a, b Member) int { return strings.Compare(a.Address, b.Address) })
		return "ok"
	case "propose": // propose by=A height=H kind=K args... ; input: payload
		by, kind := arg(d, "by"), arg(d, "kind")
		h, _ := strconv.ParseInt(arg(d, "height"), 10, 64)
		auth, _ := m.Authorities()
		if err := CheckAuthority(auth, by); err != nil {
			return "refused: " + err.Error()
		}
		payload := strings.TrimSpace(d.Input)
		if err := m.check(kind, payload, nil); err != nil {
			return "refused: " + err.Error()
		}
		p, err := NewProposal(uint64(len(m.proposals)+1), kind, by, h, m.lifetime)
		if err != nil {
			return "refused: " + err.Error()
		}
		m.proposals = append(m.proposals, &p)
		m.payload[p.ID] = payload
		return fmt.Sprintf("proposal %d open until height %d", p.ID, p.ExpiryHeight)
	case "vote": // vote by=A id=N yes|no
		by := arg(d, "by")
		id, _ := strconv.ParseUint(arg(d, "id"), 10, 64)
		yes := d.HasArg("yes")
		auth, _ := m.Authorities()
		if err := CheckAuthority(auth, by); err != nil {
			return "refused: " + err.Error()
		}
		p := m.find(id)
		if p == nil {
			return "refused: no such proposal"
		}
		if err := p.Vote(by, yes); err != nil {
			return "refused: " + err.Error()
		}
		return "ok"
	case "endblock": // endblock height=H
		h, _ := strconv.ParseInt(arg(d, "height"), 10, 64)
		m.block = NewBlock(m.validators, m.maxVals)
		closed, err := Decide(m.open(), m, h)
		if err != nil {
			t.Fatal(err)
		}
		m.validators = m.block.Set()
		var b strings.Builder
		for _, p := range closed {
			fmt.Fprintf(&b, "proposal %d %s", p.ID, p.Status)
			if p.Note != "" {
				fmt.Fprintf(&b, ": %s", p.Note)
			}
			b.WriteString("\n")
		}
		for _, u := range m.block.Updates() {
			fmt.Fprintf(&b, "validator update %s power %d\n", u.PubKey, u.Power)
		}
		if b.Len() == 0 {
			return "nothing decided"
		}
		return strings.TrimSpace(b.String())
	case "state":
		var b strings.Builder
		auth, _ := m.Authorities()
		fmt.Fprintf(&b, "authorities %s threshold %d\n", strings.Join(auth, ","), m.threshold)
		for _, v := range m.validators {
			fmt.Fprintf(&b, "validator %s %d\n", v.PubKey, v.Power)
		}
		for _, p := range m.proposals {
			fmt.Fprintf(&b, "proposal %d %s %s by %s ballots %v\n", p.ID, p.Kind, p.Status, p.Proposer, p.Ballots)
		}
		return strings.TrimSpace(b.String())
	}
	d.Fatalf(t, "unknown command %s", d.Cmd)
	return ""
}

// TestGovernanceScenarios runs the scripts in testdata/governance (propose,
// vote, replace a vote, expire, several proposals decided in one block, the
// threshold changed while proposals are open). Regenerate expected output with
// go test ./consensus/ -run Scenarios -rewrite, then review the diff.
func TestGovernanceScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/governance", func(t *testing.T, path string) {
		m := &model{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string { return m.run(t, d) })
	})
}
