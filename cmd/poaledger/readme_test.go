package main

// The README must not drift from the CLI: TestReadmeQuickStart runs every command line of
// README.md's Quick start section against a real chain, and TestReadmeCommandsParse
// checks that every poaledger command line anywhere in the README names a real command
// with real flags and the right number of arguments.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/internal/testutil"
)

const (
	readmePath         = "../../README.md"
	readmeRunSection   = "## Quick start" // every ```sh line in it is executed
	readmeDefaultRPC   = 26657            // README's single validator (poaledger's default --node)
	readmeLocalnetBase = 26600            // README's `make localnet` (testnet's default --base-port)
	readmeLocalnetSize = 4                // validators `make localnet` runs
)

// readmeRunElsewhere lists the README command lines this test does not run, with the
// reason and the test that covers them. Any other line it cannot run fails the test.
var readmeRunElsewhere = map[string]string{
	"make test": "it is the whole suite (CI: .ci/run), of which this test is part",
}

// readmeLine is one logical line of a ```sh block: continuation lines joined, with the
// "#   key: value" comment lines that follow it (the output the README promises).
type readmeLine struct {
	n      int    // line number in README.md of its first physical line
	text   string // as sh sees it: backslash-newlines removed, without a trailing comment
	expect []string
}

func (l readmeLine) String() string {
	return fmt.Sprintf("README.md:%d: %s", l.n, strings.Join(strings.Fields(l.text), " "))
}

// readmeShLines returns the logical lines of the ```sh blocks of README.md that lie in
// the section starting at heading (every section if heading is "").
func readmeShLines(t *testing.T, heading string) []readmeLine {
	t.Helper()
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out              []readmeLine
		inSection        = heading == ""
		seenSection      bool
		inSh, inFence    bool
		cont             *readmeLine
		lastCmdInBlock   = -1
		physical         = strings.Split(string(raw), "\n")
		stripTrailingCmt = func(s string) string { return strings.TrimSpace(cutComment(s)) }
	)
	for i, line := range physical {
		n := i + 1
		if !inFence && strings.HasPrefix(line, "## ") {
			inSection = heading == "" || line == heading
			seenSection = seenSection || line == heading
		}
		if strings.HasPrefix(line, "```") {
			if inFence {
				if cont != nil {
					t.Fatalf("README.md:%d: sh block ends inside a continued line", n)
				}
				inFence, inSh = false, false
				continue
			}
			inFence, inSh = true, strings.TrimSpace(line) == "```sh"
			lastCmdInBlock = -1
			continue
		}
		if !inSh || !inSection {
			continue
		}
		trimmed := strings.TrimSpace(line)
		if cont == nil && strings.HasPrefix(trimmed, "#") {
			if lastCmdInBlock < 0 {
				if heading == "" {
					continue // prose; only the run section's comments are promised output
				}
				t.Fatalf("README.md:%d: comment line %q before any command of its sh block", n, trimmed)
			}
			out[lastCmdInBlock].expect = append(out[lastCmdInBlock].expect, strings.TrimSpace(strings.TrimPrefix(trimmed, "#")))
			continue
		}
		if cont == nil && trimmed == "" {
			continue
		}
		if cont == nil {
			cont = &readmeLine{n: n}
		}
		if strings.HasSuffix(line, "\\") {
			cont.text += strings.TrimSuffix(line, "\\")
			continue
		}
		cont.text = stripTrailingCmt(cont.text + line)
		out = append(out, *cont)
		lastCmdInBlock = len(out) - 1
		cont = nil
	}
	if heading != "" && !seenSection {
		t.Fatalf("README.md has no %q section", heading)
	}
	return out
}

// cutComment drops a shell comment: a # that starts a word outside quotes.
func cutComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == '\\' && q == '"' {
				i++
			} else if c == q {
				q = 0
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			q = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// shell is the small subset of sh the README uses: words, '...' and "...", backslash
// escapes, $VAR and ${VAR}, VAR=value and export VAR=value lines, $(command)
// substitution, and pipelines (split by splitPipeline). Everything else (;, &&, redirections, globs, backquotes)
// is an error, so a README line using it cannot pass untested.
type shell struct {
	vars  map[string]string
	subst func(cmd string) (string, error) // runs the command of a $(...)
}

var shellAssign = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// shellExport matches `export VAR=value` (one word after expansion); the variable is
// also put into the environment of every later command.
var shellExport = regexp.MustCompile(`^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// readmeScrubbedEnv are the variables a README command never inherits from the test's
// environment: the README must export them itself.
var readmeScrubbedEnv = []string{passphraseEnv, exportPassphraseEnv}

// words splits and expands one command (no pipes).
func (sh *shell) words(s string) ([]string, error) {
	var (
		out   []string
		cur   strings.Builder
		inWrd bool
	)
	flush := func() {
		if inWrd {
			out = append(out, cur.String())
		}
		cur.Reset()
		inWrd = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWrd = true
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated '")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWrd = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0:
					i++
					cur.WriteByte(s[i])
				case s[i] == '$':
					v, n, err := sh.dollar(s[i:])
					if err != nil {
						return nil, err
					}
					cur.WriteString(v)
					i += n - 1
				case s[i] == '`':
					return nil, fmt.Errorf("backquotes are not supported")
				default:
					cur.WriteByte(s[i])
				}
			}
			if i >= len(s) {
				return nil, fmt.Errorf(`unterminated "`)
			}
			inWrd = true
		case c == '$':
			v, n, err := sh.dollar(s[i:])
			if err != nil {
				return nil, err
			}
			// Unquoted expansions are split into words, as sh does.
			fields := strings.Fields(v)
			for j, f := range fields {
				if j > 0 {
					flush()
				}
				cur.WriteString(f)
				inWrd = true
			}
			i += n - 1
		case strings.IndexByte("|&;<>`*?[](){}", c) >= 0:
			return nil, fmt.Errorf("shell syntax %q is not supported here", c)
		default:
			cur.WriteByte(c)
			inWrd = true
		}
	}
	flush()
	return out, nil
}

// dollar expands the $... at the start of s, returning the value and the bytes used.
func (sh *shell) dollar(s string) (string, int, error) {
	switch {
	case strings.HasPrefix(s, "$("):
		depth, q := 0, byte(0)
		for i := 1; i < len(s); i++ {
			c := s[i]
			switch {
			case q != 0:
				if c == '\\' && q == '"' {
					i++
				} else if c == q {
					q = 0
				}
			case c == '\'' || c == '"':
				q = c
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth == 0 {
					v, err := sh.subst(s[2:i])
					return strings.TrimRight(v, "\n"), i + 1, err
				}
			}
		}
		return "", 0, fmt.Errorf("unterminated $(")
	case strings.HasPrefix(s, "${"):
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", 0, fmt.Errorf("unterminated ${")
		}
		v, ok := sh.vars[s[2:end]]
		if !ok {
			return "", 0, fmt.Errorf("variable %s is not set", s[2:end])
		}
		return v, end + 1, nil
	}
	n := 1
	for n < len(s) && (s[n] == '_' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 'a' && s[n] <= 'z' || n > 1 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	if n == 1 {
		return "", 0, fmt.Errorf("lone $")
	}
	v, ok := sh.vars[s[1:n]]
	if !ok {
		return "", 0, fmt.Errorf("variable %s is not set", s[1:n])
	}
	return v, n, nil
}

// splitPipeline splits s at the | outside quotes and $(...).
func splitPipeline(s string) []string {
	var out []string
	depth, q, start := 0, byte(0), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == '\\' && q == '"' {
				i++
			} else if c == q {
				q = 0
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			q = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// isPoaledger reports whether argv0 (expanded) names the poaledger binary.
func isPoaledger(argv0 string) bool {
	return argv0 == "poaledger" || argv0 == "./build/poaledger" || argv0 == "build/poaledger"
}

// jq runs the only jq form the README uses: jq -r .field[.field...].
func jq(args []string, in []byte) (string, error) {
	if len(args) != 2 || args[0] != "-r" || !strings.HasPrefix(args[1], ".") {
		return "", fmt.Errorf("only `jq -r .field` is supported, not jq %s", strings.Join(args, " "))
	}
	var v any
	if err := json.Unmarshal(in, &v); err != nil {
		return "", fmt.Errorf("jq: input is not JSON: %v", err)
	}
	for _, f := range strings.Split(strings.TrimPrefix(args[1], "."), ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("jq: %s: not an object", f)
		}
		if v, ok = m[f]; !ok {
			return "null", nil
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// checkCommandParses resolves a poaledger argv (without argv0) against the real
// command tree: the command exists, its flags parse, its argument count is right.
func checkCommandParses(args []string) error {
	root := newRootCmd()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if cmd == root || (!cmd.Runnable() && len(cmd.Commands()) > 0) {
		return fmt.Errorf("%q is not a command (%s)", strings.Join(args, " "), cmd.CommandPath())
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return fmt.Errorf("%s: %v", cmd.CommandPath(), err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return fmt.Errorf("%s: %v", cmd.CommandPath(), err)
	}
	return nil
}

// TestReadmeCommandsParse: every poaledger command line in every ```sh block of the
// README (including those inside $(...) and after a |) is a real command with real
// flags and the right number of arguments. Other programs (make, cat, docker) are
// left alone here; TestReadmeQuickStart runs the Quick start for real.
func TestReadmeCommandsParse(t *testing.T) {
	var checked int
	sh := &shell{vars: map[string]string{}}
	var checkPipeline func(s string) error
	sh.subst = func(cmd string) (string, error) { return "SUBSTITUTED", checkPipeline(cmd) }
	checkPipeline = func(s string) error {
		for _, seg := range splitPipeline(s) {
			if f := strings.Fields(seg); len(f) == 0 || !isPoaledger(f[0]) && !strings.HasPrefix(f[0], "$") {
				continue // another program
			}
			w, err := sh.words(seg)
			if err != nil {
				return err
			}
			if len(w) == 0 || !isPoaledger(w[0]) {
				continue
			}
			checked++
			if err := checkCommandParses(w[1:]); err != nil {
				return err
			}
		}
		return nil
	}
	for _, l := range readmeShLines(t, "") {
		if m := shellAssign.FindStringSubmatch(l.text); m != nil && !strings.ContainsAny(l.text, " \t") {
			sh.vars[m[1]] = m[2]
			continue
		}
		if err := checkPipeline(l.text); err != nil {
			t.Errorf("%s\n\t%v", l, err)
		}
	}
	if checked < 20 {
		t.Errorf("only %d poaledger command lines found in README.md", checked)
	}
}

// readmeRun executes README lines in a scratch directory laid out like the
// repository: build/poaledger (built by the test) and examples/ (copied).
type readmeRun struct {
	t     *testing.T
	dir   string
	bin   string
	ports map[int]int    // README's port -> the port the test really uses
	homes map[string]int // home dir (as written) -> its real RPC port
	sh    *shell
	env   []string // VAR=value of the README's export lines, in order
}

// TestReadmeQuickStart runs README.md's Quick start as written: `make build` (the test
// builds ./build/poaledger itself), `make localnet` (the Makefile's two commands, with a
// free --base-port), `init`, `start` and every later command line, in a scratch
// directory. The README's ports are mapped to free ones (--node is rewritten or added;
// a fresh home's config.toml gets free ports and a 200 ms timeout_commit). Every
// command must exit 0; `tx record FILE` must print the ids of FILE's events; `--prove`
// must print `verified: true`; and each "#   key: value" comment under a command must
// match a line of its output ("..." matches anything; a value with "..." matches around
// it). A line the test cannot run fails the test unless readmeRunElsewhere lists it.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	lines := readmeShLines(t, readmeRunSection)
	r := &readmeRun{t: t, dir: t.TempDir(), ports: map[int]int{}, homes: map[string]int{}}
	r.sh = &shell{vars: map[string]string{}, subst: r.substitute}

	// First pass: every line is one the test knows how to run.
	var unknown []string
	for _, l := range lines {
		if err := r.classify(l); err != nil {
			unknown = append(unknown, fmt.Sprintf("%s\n\t%v", l, err))
		}
	}
	if len(unknown) > 0 {
		t.Fatalf("TestReadmeQuickStart cannot run these README lines; teach it, or list them in readmeRunElsewhere with the test that covers them:\n%s",
			strings.Join(unknown, "\n"))
	}

	r.bin = filepath.Join(r.dir, "build", "poaledger")
	build := exec.Command("go", "build", "-o", r.bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	r.copyExamples()

	for _, l := range lines {
		start := time.Now()
		r.exec(l)
		t.Logf("%s (%s)", l, time.Since(start).Round(time.Millisecond))
	}
}

// classify reports whether the test knows how to run l (without running it).
func (r *readmeRun) classify(l readmeLine) error {
	if _, ok := readmeRunElsewhere[l.text]; ok {
		return nil
	}
	switch l.text {
	case "make build", "make localnet":
		return nil
	}
	if shellAssign.MatchString(l.text) && !strings.ContainsAny(l.text, " \t") {
		return nil
	}
	if m := shellExport.FindStringSubmatch(l.text); m != nil {
		if w, err := r.sh.words(m[2]); err != nil || len(w) != 1 {
			return fmt.Errorf("export: want one word after =, got %q (%v)", w, err)
		}
		return nil
	}
	segs := splitPipeline(l.text)
	if len(segs) != 1 {
		return errors.New("pipelines are only supported inside $(...)")
	}
	fields := strings.Fields(segs[0])
	if len(fields) == 0 {
		return errors.New("empty command")
	}
	if argv0 := fields[0]; !isPoaledger(argv0) && !strings.HasPrefix(argv0, "$") {
		return fmt.Errorf("%s is not a command this test runs", argv0)
	}
	for _, e := range l.expect {
		if _, _, err := parseExpectation(e); err != nil {
			return err
		}
	}
	return nil
}

func (r *readmeRun) copyExamples() {
	src, err := filepath.Glob("../../examples/*")
	if err != nil || len(src) == 0 {
		r.t.Fatalf("examples: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(r.dir, "examples"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, "examples", filepath.Base(f)), b, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *readmeRun) exec(l readmeLine) {
	t := r.t
	t.Helper()
	if why, ok := readmeRunElsewhere[l.text]; ok {
		t.Logf("%s: not run here: %s", l, why)
		return
	}
	switch l.text {
	case "make build":
		r.checkMakefile(`-o $(BUILD_DIR)/poaledger ./cmd/poaledger`)
		return // built above, as the Makefile does
	case "make localnet":
		r.localnet()
		return
	}
	if m := shellAssign.FindStringSubmatch(l.text); m != nil && !strings.ContainsAny(l.text, " \t") {
		w, err := r.sh.words(m[2])
		if err != nil || len(w) != 1 {
			t.Fatalf("%s: %v", l, err)
		}
		r.sh.vars[m[1]] = w[0]
		return
	}
	if m := shellExport.FindStringSubmatch(l.text); m != nil {
		w, err := r.sh.words(m[2])
		if err != nil || len(w) != 1 {
			t.Fatalf("%s: %v", l, err)
		}
		r.sh.vars[m[1]] = w[0]
		r.env = append(r.env, m[1]+"="+w[0])
		return
	}
	argv, err := r.sh.words(l.text)
	if err != nil {
		t.Fatalf("%s: %v", l, err)
	}
	if len(argv) == 0 || !isPoaledger(argv[0]) {
		t.Fatalf("%s: not a poaledger command after expansion: %q", l, argv)
	}
	args, err := r.mapNode(argv[1:])
	if err != nil {
		t.Fatalf("%s: %v", l, err)
	}
	switch {
	case len(args) > 0 && args[0] == "start":
		r.background(l, args, flagValue(args, "--home"))
		return
	}
	out, err := r.run(args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", l, err, out)
	}
	if len(args) > 0 && args[0] == "init" {
		r.freshPorts(l, flagValue(args, "--home"))
	}
	r.checkOutput(l, args, out)
}

// run executes the binary in the scratch directory and returns stdout (with
// stderr appended on failure).
func (r *readmeRun) run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = r.dir
	cmd.Env = r.environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return append(out, stderr.Bytes()...), err
	}
	return out, nil
}

// environ is the environment of a README command: the test's, without
// readmeScrubbedEnv, plus what the README exported so far.
func (r *readmeRun) environ() []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, name := range readmeScrubbedEnv {
			if strings.HasPrefix(kv, name+"=") {
				continue next
			}
		}
		env = append(env, kv)
	}
	return append(env, r.env...)
}

// substitute runs the command of a $(...): a poaledger command, optionally piped
// into `jq -r .field`.
func (r *readmeRun) substitute(s string) (string, error) {
	segs := splitPipeline(s)
	argv, err := r.sh.words(segs[0])
	if err != nil {
		return "", err
	}
	if len(argv) == 0 || !isPoaledger(argv[0]) {
		return "", fmt.Errorf("$(%s): only poaledger commands are supported", s)
	}
	args, err := r.mapNode(argv[1:])
	if err != nil {
		return "", err
	}
	out, err := r.run(args...)
	if err != nil {
		return "", fmt.Errorf("$(%s): %v\n%s", s, err, out)
	}
	v := string(out)
	for _, seg := range segs[1:] {
		w, err := r.sh.words(seg)
		if err != nil {
			return "", err
		}
		if len(w) == 0 || w[0] != "jq" {
			return "", fmt.Errorf("$(%s): only | jq is supported", s)
		}
		if v, err = jq(w[1:], []byte(v)); err != nil {
			return "", err
		}
	}
	return v, nil
}

// mapNode points --node at the port the test really uses for the README's address
// (adding the README's default, 127.0.0.1:26657, to node commands without --node).
func (r *readmeRun) mapNode(args []string) ([]string, error) {
	out := append([]string(nil), args...)
	for i, a := range out {
		val, eq := "", false
		switch {
		case a == "--node" && i+1 < len(out):
			val = out[i+1]
		case strings.HasPrefix(a, "--node="):
			val, eq = strings.TrimPrefix(a, "--node="), true
		default:
			continue
		}
		mapped, err := r.mapAddr(val)
		if err != nil {
			return nil, err
		}
		if eq {
			out[i] = "--node=" + mapped
		} else {
			out[i+1] = mapped
		}
		return out, nil
	}
	if len(out) > 0 && (out[0] == "tx" || out[0] == "query" || out[0] == "status") {
		mapped, err := r.mapAddr(fmt.Sprintf("tcp://127.0.0.1:%d", readmeDefaultRPC))
		if err != nil {
			return nil, err
		}
		out = append(out, "--node", mapped)
	}
	return out, nil
}

func (r *readmeRun) mapAddr(addr string) (string, error) {
	const prefix = "tcp://127.0.0.1:"
	port, err := strconv.Atoi(strings.TrimPrefix(addr, prefix))
	if !strings.HasPrefix(addr, prefix) || err != nil {
		return "", fmt.Errorf("--node %s: the test only maps tcp://127.0.0.1:PORT", addr)
	}
	real, ok := r.ports[port]
	if !ok {
		return "", fmt.Errorf("--node %s: no node the README started listens there (at this point of the README)", addr)
	}
	return fmt.Sprintf("%s%d", prefix, real), nil
}

// freshPorts gives the home that `init` just wrote free ports and a short
// timeout_commit, and maps the README's default ports to them.
func (r *readmeRun) freshPorts(l readmeLine, home string) {
	t := r.t
	if home == "" {
		t.Fatalf("%s: init without --home would write the user's ~/.poaledger", l)
	}
	cfgPath := filepath.Join(r.dir, home, "config", "config.toml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ports := testutil.FreePorts(t, 3)
	rpc, p2p, metrics := ports[0], ports[1], ports[2]
	s := string(cfg)
	for _, rep := range [][2]string{
		{fmt.Sprintf(`"tcp://127.0.0.1:%d"`, readmeDefaultRPC), fmt.Sprintf(`"tcp://127.0.0.1:%d"`, rpc)},
		{`"tcp://0.0.0.0:26656"`, fmt.Sprintf(`"tcp://127.0.0.1:%d"`, p2p)},
		{`"127.0.0.1:26660"`, fmt.Sprintf(`"127.0.0.1:%d"`, metrics)},
		{`timeout_commit = "500ms"`, `timeout_commit = "200ms"`},
	} {
		if !strings.Contains(s, rep[0]) {
			t.Fatalf("%s: %s has no %s", l, cfgPath, rep[0])
		}
		s = strings.ReplaceAll(s, rep[0], rep[1])
	}
	if err := os.WriteFile(cfgPath, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	r.ports[readmeDefaultRPC] = rpc
	r.homes[filepath.Clean(home)] = rpc
}

// localnet does what `make localnet` does (checked against the Makefile), on free ports.
func (r *readmeRun) localnet() {
	t := r.t
	r.checkMakefile(
		`LOCALNET_DIR      ?= $(BUILD_DIR)/localnet`,
		`LOCALNET_CHAIN_ID ?= poaledger-localnet`,
		`localnet: build`,
		`$(BUILD_DIR)/poaledger testnet init --validators 4 --chain-id $(LOCALNET_CHAIN_ID) --output $(LOCALNET_DIR) >/dev/null`,
		`$(BUILD_DIR)/poaledger testnet start $(LOCALNET_DIR)`,
	)
	base := readmeFreeBlock(t, 10*readmeLocalnetSize)
	dir := filepath.Join("build", "localnet")
	if out, err := r.run("testnet", "init", "--validators", strconv.Itoa(readmeLocalnetSize), "--chain-id", "poaledger-localnet",
		"--output", dir, "--base-port", strconv.Itoa(base)); err != nil {
		t.Fatalf("make localnet: testnet init: %v\n%s", err, out)
	}
	for i := 0; i < readmeLocalnetSize; i++ {
		for off := 0; off < 3; off++ { // p2p, rpc, metrics
			r.ports[readmeLocalnetBase+10*i+off] = base + 10*i + off
		}
	}
	r.homes[filepath.Join(dir, "node0")] = base + 1
	r.background(readmeLine{text: "make localnet"}, []string{"testnet", "start", dir}, filepath.Join(dir, "node0"))
}

func (r *readmeRun) checkMakefile(want ...string) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(string(mk), w) {
			r.t.Fatalf("the Makefile no longer contains %q: update TestReadmeQuickStart's emulation of it", w)
		}
	}
}

// background starts a long-running command (a node, a testnet) and waits until the
// RPC of home reports height >= 1. Cleanup stops it with SIGTERM (a testnet then
// stops its nodes), or kills it if it does not exit within 30 s.
func (r *readmeRun) background(l readmeLine, args []string, home string) {
	t := r.t
	port, ok := r.homes[filepath.Clean(home)]
	if !ok {
		t.Fatalf("%s: the test did not prepare home %q (init it first)", l, home)
	}
	logPath := filepath.Join(r.dir, fmt.Sprintf("background-%d.log", port))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(r.bin, args...)
	cmd.Dir = r.dir
	cmd.Env = r.environ()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		defer logf.Close()
		select {
		case <-exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("%s: did not stop within 30 s of SIGTERM (killed)", l)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go func() { // stop waiting as soon as the process dies
		select {
		case <-exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	rpc := testutil.NewRPC(t, fmt.Sprintf("tcp://127.0.0.1:%d", port))
	if _, err := testutil.WaitHeight(ctx, rpc, 1); err != nil {
		log, _ := os.ReadFile(logPath)
		select {
		case <-exited:
			t.Fatalf("%s: exited early (%v):\n%s", l, waitErr, log)
		default:
			t.Fatalf("%s: %v; log:\n%s", l, err, log)
		}
	}
}

// checkOutput: the checks every command gets, then the README's promised output.
func (r *readmeRun) checkOutput(l readmeLine, args []string, out []byte) {
	t := r.t
	got := outputLines(out)
	if len(args) >= 3 && args[0] == "tx" && args[1] == "record" && args[2] != "-" && flagValue(args, "--output") != "json" && flagValue(args, "-o") != "json" {
		doc, err := os.ReadFile(filepath.Join(r.dir, args[2]))
		if err != nil {
			t.Fatal(err)
		}
		events, err := epcis.SplitDocument(doc)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		var ids []string
		for _, kv := range got {
			if kv[0] == "event" {
				ids = append(ids, kv[1])
			}
		}
		if len(ids) != len(events) {
			t.Fatalf("%s: printed %d event ids for %d events:\n%s", l, len(ids), len(events), out)
		}
		for i, ev := range events {
			if ids[i] != epcis.EventID(ev) {
				t.Fatalf("%s: event %d id %s, want %s", l, i, ids[i], epcis.EventID(ev))
			}
		}
	}
	if hasFlag(args, "--prove") && !printsVerified(out) {
		t.Fatalf("%s: --prove did not print verified: true:\n%s", l, out)
	}
	for _, e := range l.expect {
		key, pattern, _ := parseExpectation(e)
		if key == "" {
			continue
		}
		found := false
		for _, kv := range got {
			if kv[0] == key && matchElided(pattern, kv[1]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: the README promises the output line %q; the command printed:\n%s", l, e, out)
		}
	}
}

// printsVerified reports whether a command's output says its answer was
// verified: a text line "verified: true ..." (its value aligned with any
// spaces) or JSON "verified": true.
func printsVerified(out []byte) bool {
	for _, kv := range outputLines(out) {
		if kv[0] == "verified" && strings.HasPrefix(kv[1], "true") {
			return true
		}
	}
	return bytes.Contains(out, []byte(`"verified": true`))
}

// parseExpectation parses a README output comment: "key: value" or "..." (key "").
func parseExpectation(e string) (key, value string, err error) {
	if e == "..." {
		return "", "", nil
	}
	k, v, ok := strings.Cut(e, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return "", "", fmt.Errorf("output comment %q: want \"key: value\" or \"...\"", e)
	}
	return strings.TrimSpace(k), strings.Join(strings.Fields(v), " "), nil
}

// outputLines splits text output into (key, value) pairs at the first colon, with
// the value's whitespace collapsed.
func outputLines(out []byte) [][2]string {
	var kv [][2]string
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			kv = append(kv, [2]string{strings.TrimSpace(k), strings.Join(strings.Fields(v), " ")})
		}
	}
	return kv
}

// matchElided matches got against pattern, where each "..." stands for any text.
func matchElided(pattern, got string) bool {
	parts := strings.Split(pattern, "...")
	if len(parts) == 1 {
		return got == pattern
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(got, p)
		if i < 0 {
			return false
		}
		got = got[i+len(p):]
	}
	return strings.HasSuffix(got, parts[len(parts)-1])
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// readmeFreeBlock finds n consecutive free ports below the usual ephemeral range,
// starting from a point that differs between concurrent test processes.
func readmeFreeBlock(t *testing.T, n int) int {
	t.Helper()
	const lo, hi = 20000, 32000
	for try := 0; try < 200; try++ {
		base := lo + (os.Getpid()*7919+try*n)%(hi-lo-n)
		free := true
		for p := base; p < base+n && free; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				continue
			}
			l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports in %d..%d", n, lo, hi)
	return 0
}
