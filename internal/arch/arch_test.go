package arch

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/poaledger/poaledger"

// allowed lists, for every package of the module, the module packages its
// non-test code may import (ARCHITECTURE.md, "Arrows"). A package missing here
// fails the test: a new package must be placed on the whiteboard first.
var allowed = map[string][]string{
	"consensus":         {},
	"epcis":             {},
	"ledger":            {},
	"app/tx":            {"consensus"},
	"app/api":           {"app/tx", "consensus", "epcis"},
	"app":               {"app/api", "app/tx", "consensus", "epcis", "ledger"},
	"keyring":           {"app/tx"},
	"config":            {"app/api", "app/tx", "ledger"},
	"node":              {"app", "app/api", "app/tx", "config", "consensus", "keyring", "ledger"},
	"client":            {"app/api", "app/tx", "epcis"},
	"testnet":           {"app", "app/api", "app/tx", "config", "consensus", "keyring", "node"},
	"cmd/poaledger":     {"app/api", "app/tx", "bench", "client", "config", "epcis", "keyring", "node", "testnet"},
	"bench":             {"app", "app/api", "app/tx", "client", "config", "consensus", "epcis", "ledger", "testnet"},
	"internal/testutil": {"app", "app/api", "app/tx", "config", "keyring", "node"},
	"internal/arch":     {},
}

// light lists packages whose whole dependency tree must stay free of the storage
// engine and of metrics: what a client links, and the pure rules.
var light = []string{"client", "app/api", "app/tx", "consensus", "epcis", "keyring"}

// heavy are the dependency path fragments light packages must not reach.
var heavy = []string{"github.com/dgraph-io/badger", "github.com/cosmos/iavl", "github.com/prometheus/"}

// pure packages must not depend on CometBFT at all (DESIGN.md: no node, no I/O).
var pure = []string{"consensus", "epcis", "ledger", "app/tx", "app/api"}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func rel(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

func TestImportArrows(t *testing.T) {
	lines := goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...")
	seen := map[string]bool{}
	for _, line := range lines {
		fields := strings.Fields(line)
		pkg := rel(fields[0])
		seen[pkg] = true
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s is not on the whiteboard: add it to ARCHITECTURE.md and to allowed in %s", pkg, "internal/arch/arch_test.go")
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if r := rel(imp); !slices.Contains(ok, r) {
				t.Errorf("%s imports %s: not an allowed arrow (allowed: %v); see ARCHITECTURE.md", pkg, r, ok)
			}
		}
	}
	for pkg := range allowed {
		if !seen[pkg] {
			t.Errorf("allowed lists %s, which no longer exists", pkg)
		}
	}
}

func TestLightPackagesStayLight(t *testing.T) {
	for _, pkg := range light {
		for _, dep := range goList(t, "-deps", module+"/"+pkg) {
			for _, h := range heavy {
				if strings.HasPrefix(dep, h) {
					t.Errorf("%s depends on %s (via some import): a client must not link the store or metrics", pkg, dep)
				}
			}
		}
	}
	for _, pkg := range pure {
		for _, dep := range goList(t, "-deps", module+"/"+pkg) {
			if strings.HasPrefix(dep, "github.com/cometbft/") {
				t.Errorf("%s depends on %s: pure packages do not import CometBFT", pkg, dep)
			}
		}
	}
}
