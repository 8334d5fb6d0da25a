package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/shakedown-dev/shakedown/harness"
)

// progress prints a run's progress on stderr: on a terminal one line rewritten every second, else
// (a CI log) a line every 10 seconds.
type progress struct {
	w       io.Writer
	quiet   bool
	tty     bool
	mu      sync.Mutex
	printed time.Time
	open    bool // a rewritten line is on screen
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// Write writes a SUT's output to stderr, clearing a rewritten progress line first, so that the
// two do not mix.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	return p.w.Write(b)
}

func (p *progress) phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, "phase %s\n", name)
}

func (p *progress) tick(pr harness.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", pr)
		p.open = true
	case time.Since(p.printed) >= 10*time.Second:
		fmt.Fprintln(p.w, pr)
		p.printed = time.Now()
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *progress) clear() {
	if p.open {
		fmt.Fprint(p.w, "\r\033[K")
		p.open = false
	}
}
