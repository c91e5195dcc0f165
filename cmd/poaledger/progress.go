package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/poaledger/poaledger/client"
)

// A tx command shows on a terminal what it is waiting for — the node's chain id
// and nonce, the broadcast (CheckTx), the mempool, block N — as one spinner line
// on standard error with the elapsed time (github.com/schollz/progressbar/v3, the
// library bench's progress bars use), erased before the result is printed. When
// standard error is not a terminal, or with -o json, nothing extra is written.

// isTerminal reports whether w is a terminal (a variable for tests).
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// waitLine is the spinner line; a nil *waitLine shows nothing.
type waitLine struct {
	bar *progressbar.ProgressBar
}

// newWaitLine returns the spinner for cmd, or nil when it must stay silent.
func (g *globals) newWaitLine(cmd *cobra.Command) *waitLine {
	w := cmd.ErrOrStderr()
	if g.output == "json" || !isTerminal(w) {
		return nil
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("starting"),
	)
	_ = bar.RenderBlank()
	return &waitLine{bar: bar}
}

// update shows the step the send is at (a client.SendOpts.Progress func).
func (l *waitLine) update(p client.Progress) {
	if l != nil {
		l.bar.Describe(p.String())
	}
}

// progress is the SendOpts.Progress func, nil when nothing is shown.
func (l *waitLine) progress() func(client.Progress) {
	if l == nil {
		return nil
	}
	return l.update
}

// done erases the line (before the result or an error is printed).
func (l *waitLine) done() {
	if l != nil {
		_ = l.bar.Finish()
	}
}
