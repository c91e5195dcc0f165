package main

import (
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/poaledger/poaledger/internal/testutil"
)

// captureStderr runs fn with os.Stderr redirected and returns what it wrote.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	fn()
	os.Stderr = old
	w.Close()
	return <-done
}

// TestExitCodes: a typo at any level is a usage error (2) with a suggestion,
// never help and 0; a node that does not answer is one message in the user's
// words (1), whatever command met it.
func TestExitCodes(t *testing.T) {
	home := t.TempDir()
	down := "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t)) // nothing listens there
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"qeury"}, 2, "Did you mean this?\n\tquery"},
		{[]string{"tx", "recrod", "x"}, 2, "Did you mean this?\n\trecord"},
		{[]string{"keys", "lst"}, 2, "Did you mean this?\n\tlist"},
		{[]string{"query", "evnt", "x"}, 2, "event"},
		{[]string{"tx", "propose", "add-membr"}, 2, "add-member"},
		{[]string{"tx"}, 2, "needs a subcommand: propose, record, vote"},
		{[]string{"query", "status", "--node", "ftp://x:1"}, 1, "unknown scheme"},
		{[]string{"query", "status", "--node", down}, 1, "cannot reach node at tcp://" + down + " (connection refused) — is it running? (--node)"},
		{[]string{"query", "params", "--node", "tcp://" + down}, 1, "cannot reach node at tcp://" + down + " (connection refused)"},
		{[]string{"query", "event", "abc", "--node", "http://" + down}, 1, "cannot reach node at http://" + down},
		{[]string{"version"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var code int
			stderr := captureStderr(t, func() { code = run(append(c.args, "--home", home)) })
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.want)
			}
			if c.code == 1 && strings.Contains(stderr, "post failed") {
				t.Fatalf("internal step leaked into the message: %q", stderr)
			}
		})
	}
}
