package bench

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows where a run is. On a terminal it is a live bar per phase
// (github.com/schollz/progressbar/v3), cleared when the phase ends, plus the
// summary lines of logf; elsewhere (a log file, CI) only the lines, so nothing
// is redrawn into a file. A nil *progress shows nothing. Safe for concurrent use.
type progress struct {
	w    io.Writer
	term bool

	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	start time.Time
}

func newProgress(w io.Writer, term bool) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, term: term, start: time.Now()}
}

// phase starts a phase of total steps (0: unknown).
func (p *progress) phase(desc string, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLocked()
	if !p.term {
		return
	}
	if total <= 0 {
		total = -1 // a spinner
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
	)
}

// add advances the current phase.
func (p *progress) add(n int) {
	if p == nil || n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

func (p *progress) finishLocked() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
}

// logf prints a line (above the bar on a terminal), prefixed with the time
// since the run started.
func (p *progress) logf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.w, "bench [%5.0fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
	if p.bar != nil {
		_ = p.bar.RenderBlank()
	}
}

// done ends the current phase.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLocked()
}
