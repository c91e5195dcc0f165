package testnet

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/poaledger/poaledger/internal/testutil"
)

// partitionFor is the least time the partition lasts (the fault, not a bound).
const partitionFor = 20 * time.Second

// requireDocker skips the test when Docker or docker-compose is unusable, except
// under CI=true, where a missing Docker is a failure.
func requireDocker(t *testing.T) {
	t.Helper()
	var missing string
	if _, err := exec.LookPath("docker-compose"); err != nil {
		missing = "docker-compose not in PATH"
	} else if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		missing = fmt.Sprintf("docker daemon not usable: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s", missing)
	}
	t.Skipf("compose fault scenarios skipped: %s", missing)
}

func run(t *testing.T, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// buildImage builds the FROM scratch image of ../Dockerfile from a context that
// holds only what it copies, and removes it when the test ends.
func buildImage(t *testing.T, tag string) {
	t.Helper()
	ctxDir := t.TempDir()
	bin := filepath.Join(ctxDir, "build", "linux-amd64", "poaledger")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(ctxDir, "build", "docker-root", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		data, err := os.ReadFile(testBinary)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		run(t, 5*time.Minute, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}, "go", "build", "-o", bin, "../cmd/poaledger")
	}
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), df, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, 5*time.Minute, nil, "docker", "build", "-q", "-t", tag, ctxDir)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
}

// TestComposeFaults runs scenario 4 (partition one validator for 20 s with
// `docker network disconnect`) on the docker-compose cluster of ../docker-compose.yml,
// built from ../Dockerfile, with homes from Init in hostname mode.
func TestComposeFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test; skipped with -short")
	}
	requireDocker(t)
	ctx := context.Background()
	var rb [3]byte
	_, _ = rand.Read(rb[:])
	runID := fmt.Sprintf("%x", rb)
	project := "poatest" + runID
	image := "poaledger-test:" + runID
	netPrefix := fmt.Sprintf("172.28.%d", 100+int(rb[0])%150)

	start := time.Now()
	buildImage(t, image)
	built := time.Since(start)

	data := t.TempDir()
	m, err := Init(InitOptions{Dir: data, Validators: 4, ChainID: "compose-faults",
		Hostnames: DockerHostnames(4), Tune: fastConsensus})
	if err != nil {
		t.Fatal(err)
	}
	uid := "10001:10001"
	if os.Getuid() == 0 {
		run(t, time.Minute, nil, "chown", "-R", uid, data)
	} else {
		uid = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	}
	ports := testutil.FreePorts(t, 8)
	env := []string{"COMPOSE_PROJECT_NAME=" + project, "POALEDGER_IMAGE=" + image, "POALEDGER_DATA=" + data,
		"POALEDGER_UID=" + uid, "POALEDGER_NET=" + netPrefix}
	var names, addrs []string
	for i := range 4 {
		env = append(env, fmt.Sprintf("POALEDGER_RPC%d=%d", i, ports[i]), fmt.Sprintf("POALEDGER_METRICS%d=%d", i, ports[4+i]))
		names, addrs = append(names, m.Nodes[i].Name), append(addrs, fmt.Sprintf("tcp://127.0.0.1:%d", ports[i]))
	}
	compose := func(timeout time.Duration, args ...string) string {
		return run(t, timeout, env, "docker-compose", append([]string{"-f", "../docker-compose.yml", "-p", project}, args...)...)
	}
	t.Cleanup(func() {
		if t.Failed() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "docker-compose", "-f", "../docker-compose.yml", "-p", project, "logs", "--tail", "20")
			cmd.Env = append(os.Environ(), env...)
			out, _ := cmd.CombinedOutput()
			t.Logf("compose logs:\n%s", out)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker-compose", "-f", "../docker-compose.yml", "-p", project,
			"--profile", "monitoring", "down", "-v", "--remove-orphans", "-t", "10")
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	compose(3*time.Minute, "up", "-d", "node0", "node1", "node2", "node3")
	nodes := newRPCNodes(t, names, addrs)
	if err := waitHeight(ctx, nodes, 2, liveness); err != nil {
		t.Fatal(err)
	}
	upTook := time.Since(start)

	g := newLoadGen(t, nodes, m.ChainID, m.HomePath(0))
	stopLoad := startLoad(g)
	defer stopLoad()
	if err := pollUntil(ctx, liveness, func() bool { _, a, _ := g.stats(); return a >= 5 }); err != nil {
		t.Fatalf("load generator: %v (%v)", err, g.err())
	}

	t.Run("4_partition_one_validator", func(t *testing.T) {
		const victim = 3
		container := compose(time.Minute, "ps", "-q", "node3")
		network := project + "_poanet"
		others := []*rpcNode{nodes[0], nodes[1], nodes[2]}
		h0 := maxHeight(ctx, others)
		run(t, time.Minute, nil, "docker", "network", "disconnect", network, container)
		cut := time.Now()
		reconnected := false
		defer func() {
			if !reconnected {
				_ = exec.Command("docker", "network", "connect", "--ip", netPrefix+".13", network, container).Run()
			}
		}()
		// The others must commit pauseBlocks heights during the partition, which
		// lasts until they have and at least partitionFor.
		if err := waitHeight(ctx, others, h0+pauseBlocks, liveness); err != nil {
			t.Fatalf("the other three stopped committing during the partition: %v", err)
		}
		if err := pollUntil(ctx, partitionFor, func() bool { return time.Since(cut) >= partitionFor }); err != nil {
			t.Fatal(err)
		}
		hCut, err := commonHeight(ctx, others)
		if err != nil {
			t.Fatal(err)
		}
		run(t, time.Minute, nil, "docker", "network", "connect", "--ip", netPrefix+".13", network, container)
		reconnected = true
		cutFor := time.Since(cut)
		took, err := catchUp(ctx, nodes[victim], others)
		if err != nil {
			t.Fatalf("partitioned validator did not catch up: %v", err)
		}
		gap, err := longestGap(ctx, others[0], h0, hCut)
		if err != nil {
			t.Fatal(err)
		}
		c := checkConsistency(t, ctx, nodes, g.Acked())
		sent, _, resends := g.stats()
		report(t, "scenario=partition_one (compose) heights=[%s] partitioned=node%d for=%s fault_heights=%d..%d longest_gap=%s catch_up=%s compared_heights=1..%d txs_sent=%d txs_acked=%d acked_found_on_all=%d events=%d stored_once=%d resends=%d image_build=%s cluster_up=%s",
			heightsString(ctx, nodes), victim, cutFor.Round(time.Millisecond), h0, hCut, gap.Round(time.Millisecond), took.Round(time.Millisecond),
			c.common, sent, c.acked, c.found, c.events, c.uniqueOnce, resends, built.Round(time.Millisecond), upTook.Round(time.Millisecond))
		if c.found != c.acked || c.uniqueOnce != c.events {
			t.Fatalf("acked %d found %d, events %d stored once %d", c.acked, c.found, c.events, c.uniqueOnce)
		}
	})
	stopLoad()
	if err := g.err(); err != nil {
		t.Fatalf("load generator: %v", err)
	}
}
