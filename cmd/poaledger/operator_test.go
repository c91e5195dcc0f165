package main

// Operator experience: errors in the user's words (item 3), feedback while
// waiting (4), hints that run as printed (6), and logs without false alarms (7).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poaledger/poaledger/client"
	"github.com/poaledger/poaledger/internal/testutil"
	"github.com/poaledger/poaledger/keyring"
)

// TestErrorTexts: what a user meets says what is wrong in their words, with the
// exit code the README promises.
func TestErrorTexts(t *testing.T) {
	home := t.TempDir()
	if err := keyring.New(home, keyring.Unencrypted()).Import(goldenKey("alice", 1)); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"type\": \"ObjectEvent\",\n  \"eventTime\": x\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "no-such-home")
	down := "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
	cases := []struct {
		name       string
		args       []string
		code       int
		stderr     []string // each must be in standard error
		stdout     string   // must be in standard output
		notStderr  string
		notCreated string
	}{
		{name: "bad JSON says line and column", args: []string{"tx", "record", bad, "--from", "alice", "--home", home},
			code: 1, stderr: []string{bad + ": ", "at line 3, column 16"}, notStderr: "at byte"},
		{name: "keys list of a home that does not exist", args: []string{"keys", "list", "--home", missing},
			code: 1, stderr: []string{"home " + missing + " does not exist", "--home"}, notCreated: missing},
		{name: "keys list of an empty home", args: []string{"keys", "list", "--home", t.TempDir()},
			code: 0, stdout: "no keys in "},
		{name: "tx --wait against no node", args: []string{"tx", "record", "../../examples/01-commission.json", "--from", "alice",
			"--home", home, "--node", down, "--wait"},
			code: 1, stderr: []string{"cannot reach node at tcp://" + down + " (connection refused) — is it running? (--node)"}},
		{name: "bad --log-format", args: []string{"start", "--home", home, "--log-format", "xml"},
			code: 2, stderr: []string{`--log-format "xml": want plain or json`}},
		{name: "bad --log-level", args: []string{"start", "--home", home, "--log-level", "consensus:loud"},
			code: 2, stderr: []string{`--log-level "consensus:loud"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var code int
			var stdout string
			stderr := captureStderr(t, func() {
				stdout = captureStdout(t, func() { code = run(c.args) })
			})
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			for _, want := range c.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
			if c.stdout != "" && !strings.Contains(stdout, c.stdout) {
				t.Errorf("stdout %q lacks %q", stdout, c.stdout)
			}
			if c.notStderr != "" && strings.Contains(stderr, c.notStderr) {
				t.Errorf("stderr %q has %q", stderr, c.notStderr)
			}
			if c.notCreated != "" {
				if _, err := os.Stat(c.notCreated); err == nil {
					t.Errorf("%s was created", c.notCreated)
				}
			}
		})
	}
}

// captureStdout runs fn with os.Stdout redirected and returns what it wrote.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	fn()
	os.Stdout = old
	w.Close()
	return <-done
}

// TestWaitFeedback: on a terminal a tx command shows what it waits for on
// standard error (and erases it); not on a terminal, and never with -o json,
// standard error stays empty. Standard output is the same either way.
func TestWaitFeedback(t *testing.T) {
	home := t.TempDir()
	if err := keyring.New(home, keyring.Unencrypted()).Import(goldenKey("alice", 1)); err != nil {
		t.Fatal(err)
	}
	f := newFakeNode(t, "wait-chain")
	args := []string{"tx", "record", "../../examples/01-commission.json", "--from", "alice", "--wait", "--home", home, "--node", f.addr()}
	runWith := func(terminal bool, extra ...string) (stdout, stderr string) {
		old := isTerminal
		isTerminal = func(io.Writer) bool { return terminal }
		defer func() { isTerminal = old }()
		root := newRootCmd()
		var out, errb bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errb)
		root.SetArgs(append(args, extra...))
		if err := root.Execute(); err != nil {
			t.Fatalf("%v\n%s", err, errb.String())
		}
		return out.String(), errb.String()
	}

	plainOut, plainErr := runWith(false)
	if plainErr != "" {
		t.Errorf("not a terminal: stderr %q, want nothing", plainErr)
	}
	termOut, termErr := runWith(true)
	if termOut != plainOut {
		t.Errorf("stdout differs on a terminal:\n%s\nvs\n%s", termOut, plainOut)
	}
	for _, want := range []string{"asking " + f.addr() + " for the chain id and nonce", "broadcasting tx", "is in the mempool, waiting for block 8",
		"committed in block 8", "\r"} {
		if !strings.Contains(termErr, want) {
			t.Errorf("terminal: stderr lacks %q: %q", want, termErr)
		}
	}
	// The line is erased: the last thing written is blanks and a carriage return.
	if !strings.HasSuffix(termErr, " \r") {
		t.Errorf("the status line is not erased: %q", termErr)
	}
	if _, jsonErr := runWith(true, "-o", "json"); jsonErr != "" {
		t.Errorf("-o json on a terminal: stderr %q, want nothing", jsonErr)
	}
}

// buildBinary builds ./build/poaledger under dir (as `make build` does) and
// copies examples/ next to it, like the repository.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "build", "poaledger")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	src, err := filepath.Glob("../../examples/*.json")
	if err != nil || len(src) == 0 {
		t.Fatalf("examples: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "examples", filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// logTrouble returns the lines of a node log an operator would read as trouble:
// errors (plain E[...] or JSON level error) and Go struct dumps.
func logTrouble(log []byte) []string {
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "E[") || strings.Contains(l, `"level":"error"`) || strings.Contains(l, "level=error") ||
			strings.Contains(l, "&{") || strings.Contains(l, "0xc0") {
			bad = append(bad, l)
		}
	}
	return bad
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return lines[len(lines)-1]
}

// stopAndWait sends sig to cmd and waits (bounded) for it to exit with status 0.
func stopAndWait(t *testing.T, cmd *exec.Cmd, exited <-chan error, sig os.Signal) {
	t.Helper()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("%s: exit %v after %v", cmd.Path, err, sig)
		}
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%s did not exit within 40 s of %v", cmd.Path, sig)
	}
}

func startBackground(t *testing.T, dir string, logw io.Writer, name string, args ...string) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return cmd, exited
}

// TestCleanStopLogs: a node stopped by SIGINT logs no error line and no Go
// struct dump, in plain and JSON format, even with a client's websocket (tx
// --wait) used meanwhile; its last line says it stopped and the ledger closed at
// its height. At info a healthy node logs one line per block.
func TestCleanStopLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	home := filepath.Join(dir, "home")
	if out, err := exec.Command(bin, "init", "--chain-id", "logs", "--home", home, "--unencrypted").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	ports := testutil.FreePorts(t, 3)
	rpc := fmt.Sprintf("tcp://127.0.0.1:%d", ports[0])
	cfgPath := filepath.Join(home, "config", "config.toml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.NewReplacer(`"tcp://127.0.0.1:26657"`, strconv.Quote(rpc),
		`"tcp://0.0.0.0:26656"`, fmt.Sprintf(`"tcp://127.0.0.1:%d"`, ports[1]),
		`"127.0.0.1:26660"`, fmt.Sprintf(`"127.0.0.1:%d"`, ports[2]),
		`timeout_commit = "500ms"`, `timeout_commit = "200ms"`).Replace(string(cfg)))
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(rpc)
	if err != nil {
		t.Fatal(err)
	}

	for _, format := range []string{"plain", "json"} {
		var log bytes.Buffer
		cmd, exited := startBackground(t, dir, &log, bin, "start", "--home", home, "--log-format", format)
		st := waitHeight(t, c, 1, 30*time.Second)
		if format == "plain" {
			out, err := exec.Command(bin, "tx", "record", filepath.Join(dir, "examples", "01-commission.json"),
				"--from", "admin", "--home", home, "--node", rpc, "--wait").CombinedOutput()
			if err != nil {
				t.Fatalf("tx record: %v\n%s", err, out)
			}
			st = waitHeight(t, c, st.Height+2, 30*time.Second) // the tx's block and the one proving it
		}
		stopAndWait(t, cmd, exited, os.Interrupt)
		if bad := logTrouble(log.Bytes()); len(bad) > 0 {
			t.Errorf("%s log of a clean stop has error lines or struct dumps:\n%s\nfull log:\n%s", format, strings.Join(bad, "\n"), log.String())
		}
		last := lastLine(log.Bytes())
		if format == "json" {
			var l map[string]any
			if err := json.Unmarshal([]byte(last), &l); err != nil {
				t.Fatalf("json log: last line is not JSON: %q", last)
			}
			last = fmt.Sprint(l["_msg"])
		}
		want := regexp.MustCompile(`poaledger node stopped, ledger closed at height (\d+)`)
		m := want.FindStringSubmatch(last)
		if m == nil {
			t.Fatalf("%s log: last line %q does not say the node stopped and the ledger's height\n%s", format, last, log.String())
		}
		if h, _ := strconv.ParseInt(m[1], 10, 64); h < st.Height {
			t.Errorf("%s log: ledger closed at height %d, but the node had reached %d", format, h, st.Height)
		}
		if format == "plain" {
			blocks := strings.Count(log.String(), "finalized block")
			if per := strings.Count(log.String(), "\n") - blocks; blocks == 0 || per > 25 {
				t.Errorf("plain log: %d block lines and %d other lines for a start, a tx and a stop:\n%s", blocks, per, log.String())
			}
		}
	}
}

// TestTestnetHintsAndStop: `testnet start` prints commands that run as printed
// from the directory it was started in (this binary's path, a real example file,
// the real homes and node addresses); they do; and on SIGINT every node stops
// without an error line in its log.
func TestTestnetHintsAndStop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a testnet")
	}
	dir := t.TempDir()
	buildBinary(t, dir)
	self := "./build/poaledger" // as a user in the repository types it
	base := readmeFreeBlock(t, 20)
	initCmd := exec.Command(self, "testnet", "init", "--validators", "2", "--output", "build/net", "--base-port", strconv.Itoa(base))
	initCmd.Dir = dir
	initOut, err := initCmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testnet init: %v\n%s", err, initOut)
	}
	if !strings.Contains(string(initOut), "chain poaledger-localnet") {
		t.Errorf("testnet init: not the localnet's own chain id:\n%s", initOut)
	}
	hints := printedCommands(string(initOut), self)
	if len(hints) != 1 || hints[0] != self+" testnet start build/net" {
		t.Fatalf("testnet init hints %q, want %q:\n%s", hints, self+" testnet start build/net", initOut)
	}

	var out syncBuffer
	cmd, exited := startBackground(t, dir, &out, self, "testnet", "start", "build/net")
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(out.String(), "press Ctrl-C to stop") {
		if time.Now().After(deadline) {
			t.Fatalf("testnet start did not come up:\n%s", out.String())
		}
		select {
		case err := <-exited:
			t.Fatalf("testnet start exited: %v\n%s", err, out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	hints = printedCommands(out.String(), self)
	var sawRecord bool
	for _, h := range hints {
		if strings.Contains(h, "FILE") {
			t.Errorf("hint %q names a placeholder, not a real file", h)
		}
		sawRecord = sawRecord || strings.Contains(h, "tx record examples/01-commission.json")
		sh := exec.Command("sh", "-c", h)
		sh.Dir = dir
		res, err := sh.CombinedOutput()
		if err != nil {
			t.Errorf("printed command does not run as printed: %s\n%v\n%s", h, err, res)
		} else {
			t.Logf("ran %s", h)
		}
	}
	if !sawRecord || len(hints) < 3 {
		t.Errorf("testnet start printed %d commands (want tx record of the example, a query, a status):\n%s", len(hints), out.String())
	}

	stopAndWait(t, cmd, exited, os.Interrupt)
	if !strings.Contains(out.String(), "all nodes stopped") {
		t.Errorf("testnet start output:\n%s", out.String())
	}
	for _, node := range []string{"node0", "node1"} {
		log, err := os.ReadFile(filepath.Join(dir, "build", "net", node, "node.log"))
		if err != nil {
			t.Fatal(err)
		}
		if bad := logTrouble(log); len(bad) > 0 {
			t.Errorf("%s: the log of a clean stop has error lines or struct dumps:\n%s", node, strings.Join(bad, "\n"))
		}
		if last := lastLine(log); !strings.Contains(last, "poaledger node stopped, ledger closed at height") {
			t.Errorf("%s: last log line %q", node, last)
		}
	}
}

// printedCommands are the lines of out that are commands of self (indented, as
// the hints print them).
func printedCommands(out, self string) []string {
	var cmds []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, self+" ") {
			cmds = append(cmds, l)
		}
	}
	return cmds
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
