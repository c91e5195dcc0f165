package ledger

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

const (
	crashChildEnv = "POALEDGER_LEDGER_CRASH_CHILD" // "dir|seed" in the child
	crashSeed     = 0xC0FFEE
	crashMaxOps   = 400 // ops per block: big enough that a kill often lands inside SaveVersion
	// soakKillsEnv sets the number of kills of TestCrashRecovery (make soak:
	// 500). Unset: crashKills, or crashKillsShort with -short.
	soakKillsEnv    = "POALEDGER_SOAK_KILLS"
	crashKills      = 50
	crashKillsShort = 10
	// hangGuard bounds every wait on a child. It only keeps a wedged child from
	// hanging the test; nothing is expected to come near it, even on a loaded
	// machine: the number of kills, not time, bounds the test.
	hangGuard = 5 * time.Minute
)

// crashBadgerOptions shrink Badger's files for the crash test (child and
// parent alike): 1 MiB memtables and value-log files, and most leaves in the
// value log, so a child creates, rotates, flushes and deletes WAL and
// value-log files every few blocks and kills land in those windows too (the
// empty-file case of emptylogs.go), not only inside SaveVersion.
func crashBadgerOptions(o *badger.Options) {
	o.MemTableSize = 1 << 20
	o.ValueLogFileSize = 1 << 20
	o.ValueThreshold = 128
}

// crashKillCount is the number of kills TestCrashRecovery runs.
func crashKillCount(t *testing.T) int {
	if v := os.Getenv(soakKillsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number of kills", soakKillsEnv, v)
		}
		return n
	}
	if testing.Short() {
		return crashKillsShort
	}
	return crashKills
}

// TestCrashChild is the child process of TestCrashRecovery; it does nothing
// in a normal test run. It opens the store, then commits blocks of the seeded
// stream forever, printing "COMMIT <version> <hash>" after each Commit returns.
func TestCrashChild(t *testing.T) {
	arg := os.Getenv(crashChildEnv)
	if arg == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	dir, seedStr, _ := strings.Cut(arg, "|")
	seed, err := strconv.ParseUint(seedStr, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// Small flushes: every version is written in many Badger batches, so a
	// kill can leave a partial version behind.
	iavlFlushBytes = 16 << 10
	tuneBadgerOptions = crashBadgerOptions
	s, err := Open(dir, Options{CacheSize: 2000})
	if err != nil {
		fmt.Fprintf(os.Stdout, "OPENERR %v\n", err)
		os.Exit(3)
	}
	fmt.Fprintf(os.Stdout, "OPEN %d\n", s.LastCommit().Version)
	for {
		v := s.WorkingVersion()
		if err := applyTestOps(s, blockOps(seed, v, crashMaxOps)); err != nil {
			fmt.Fprintf(os.Stdout, "ERR %v\n", err)
			os.Exit(4)
		}
		h, got, err := s.Commit()
		if err != nil || got != v {
			fmt.Fprintf(os.Stdout, "ERR commit %d: %v\n", got, err)
			os.Exit(5)
		}
		// os.Stdout is unbuffered: the line is in the pipe when Fprintf returns.
		fmt.Fprintf(os.Stdout, "COMMIT %d %x\n", got, h)
	}
}

// reference replays the seeded stream on an in-memory store and remembers the
// hash of every version.
type reference struct {
	s      *Store
	seed   uint64
	hashes map[int64][]byte
}

func (r *reference) hashAt(t *testing.T, v int64) []byte {
	t.Helper()
	for r.s.LastCommit().Version < v {
		wv := r.s.WorkingVersion()
		if err := applyTestOps(r.s, blockOps(r.seed, wv, crashMaxOps)); err != nil {
			t.Fatal(err)
		}
		h, got := mustCommit(t, r.s)
		r.hashes[got] = h
	}
	return r.hashes[v]
}

// TestCrashRecovery kills a committing child process with SIGKILL at random
// points, reopens the store and checks it is at a complete version whose hash
// matches the reference, with every version the child reported still present.
// All runs share one directory, so recovery of recovered stores is covered too.
// The kill points are seeded; the number of kills (crashKillCount, 500 in make
// soak) bounds the test, never a time budget: every reopen must succeed.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in child")
	}
	runs := crashKillCount(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tuneBadgerOptions = crashBadgerOptions // the parent reopens like the child
	t.Cleanup(func() { tuneBadgerOptions = nil })
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(crashSeed, 1)) // kill delays: deterministic seed
	mem, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	ref := &reference{s: mem, seed: crashSeed, hashes: map[int64][]byte{}}
	var rolledBack, midCommitKills int
	counter := &countingLogger{}
	progressEvery := max(runs/10, 1)
	start := time.Now()

	for run := range runs {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", crashChildEnv, dir, crashSeed))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var (
			mu        sync.Mutex
			reported  = map[int64][]byte{}
			committed = make(chan struct{}) // closed at the first COMMIT line
			lines     []string
			done      = make(chan struct{})
		)
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			first := true
			for sc.Scan() {
				line := sc.Text()
				mu.Lock()
				lines = append(lines, line)
				f := strings.Fields(line)
				if len(f) == 3 && f[0] == "COMMIT" {
					v, _ := strconv.ParseInt(f[1], 10, 64)
					h, _ := hex.DecodeString(f[2])
					reported[v] = h
				}
				mu.Unlock()
				if first && len(f) == 3 && f[0] == "COMMIT" {
					first = false
					close(committed)
				}
			}
		}()
		// The kill point: one kill in five lands a random delay after the start
		// (often during start-up and recovery); the others a random delay after
		// the child's first commit of this run, usually inside a later Commit.
		// The delays are fault injection, not synchronisation: a kill may land
		// anywhere, and each run checks whatever state it left.
		var delay time.Duration
		if rng.IntN(5) == 0 {
			delay = time.Duration(rng.IntN(150)) * time.Millisecond
		} else {
			select {
			case <-committed:
			case <-done: // the child exited: its output says why
			case <-time.After(hangGuard):
				_ = cmd.Process.Kill()
				t.Fatalf("run %d: child committed nothing in %s: %s", run, hangGuard, stderr.String())
			}
			delay = time.Duration(rng.IntN(100)) * time.Millisecond
			midCommitKills++
		}
		killAt := time.NewTimer(delay)
		select {
		case <-killAt.C:
		case <-done:
			killAt.Stop()
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		<-done

		mu.Lock()
		for _, l := range lines {
			if strings.HasPrefix(l, "ERR") || strings.HasPrefix(l, "OPENERR") {
				t.Fatalf("run %d: child: %s\nstderr: %s", run, l, stderr.String())
			}
		}
		var maxReported int64
		for v := range reported {
			maxReported = max(maxReported, v)
		}
		mu.Unlock()

		s, err := Open(dir, Options{CacheSize: 2000, Logger: counter})
		if err != nil {
			t.Fatalf("run %d: reopen after kill: %v", run, err)
		}
		lc := s.LastCommit()
		if lc.Version < maxReported {
			t.Fatalf("run %d: store at version %d, child reported %d committed", run, lc.Version, maxReported)
		}
		if lc.Version > maxReported && maxReported > 0 {
			rolledBack++ // marker synced, kill before the line was printed: fine
		}
		if lc.Version > 0 {
			if want := ref.hashAt(t, lc.Version); !bytes.Equal(lc.Hash, want) {
				t.Fatalf("run %d: version %d hash %x, reference %x", run, lc.Version, lc.Hash, want)
			}
		}
		for v, h := range reported {
			if !s.VersionExists(v) {
				t.Fatalf("run %d: reported version %d missing", run, v)
			}
			if want := ref.hashAt(t, v); !bytes.Equal(h, want) {
				t.Fatalf("run %d: child reported %x at %d, reference %x", run, h, v, want)
			}
		}
		// The working state is exactly the last commit: nothing half-applied.
		if wh := s.WorkingHash(); lc.Version > 0 && !bytes.Equal(wh, lc.Hash) {
			t.Fatalf("run %d: working hash %x != last commit %x", run, wh, lc.Hash)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n := run + 1; n%progressEvery == 0 || n == runs {
			rec, empty := counter.counts()
			t.Logf("%d/%d kills, every reopen ok, store at version %d, %d partial versions rolled back, %d empty log files removed (%s)",
				n, runs, lc.Version, rec, empty, time.Since(start).Round(time.Second))
		}
	}
	final := ref.s.LastCommit().Version
	rec, empty := counter.counts()
	t.Logf("%d kills (%d after a commit), all reopened; reference reached version %d, %d runs ended past the last printed version, %d partial versions rolled back, %d empty log files removed",
		runs, midCommitKills, final, rolledBack, rec, empty)
	if final < int64(midCommitKills) {
		t.Fatalf("children committed only %d versions in total; kills are not landing during commits", final)
	}
}

// countingLogger counts the store's recovery messages: partial versions
// rolled back or discarded, and empty log files removed on open.
type countingLogger struct {
	mu                     sync.Mutex
	recoveries, emptyFiles int
}

func (c *countingLogger) Info(msg string, _ ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case strings.Contains(msg, "rolling back") || strings.Contains(msg, "discarding"):
		c.recoveries++
	case strings.Contains(msg, "empty Badger log file"):
		c.emptyFiles++
	}
}
func (c *countingLogger) Error(string, ...any) {}
func (c *countingLogger) counts() (recoveries, emptyFiles int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recoveries, c.emptyFiles
}
