package harness

import (
	"context"
	"sync"
)

// Gate keeps runs that share a machine off each other's measurements: while one run's load is
// measured (its warmup, fault and recovery phases), no other run starts or stops its
// environment or its system under test (initdb, containers, servers starting: bursts of CPU that
// would land on the measured latency), and while a run starts or stops, no other run's
// measurement begins. Runs measure together and start together, except a run whose faults burn
// the harness's machine (a cpu fault), which measures alone. When a run of another kind is
// waiting, the gate takes no new holder of the kind that holds it, except those that were
// already waiting when their kind took it, so no kind waits for ever.
//
// Runs share a gate through RunOptions.Gate; its zero value is ready. harnesstest gives every
// run of a test binary the same one, so that parallel tests keep their start-ups off each other's
// warmups.
type Gate struct {
	mu      sync.Mutex
	kind    gateKind // the holders' kind, when n > 0
	last    gateKind // the kind that held the gate last
	n       int      // holders
	admit   int      // holders of kind still admitted while another kind waits
	waiting [gateKinds]int
	changed chan struct{} // closed when the gate may admit another kind
}

type gateKind int

const (
	gateBusy    gateKind = iota // starting or stopping the environment and the SUT, set-up steps
	gateMeasure                 // a run's load and its metrics, from the warmup to the recovery's end
	gateAlone                   // the same, for a run that burns the machine: no one else holds the gate
	gateKinds
)

// waitingBesides is how many wait to hold the gate as another kind than k; g.mu is held.
func (g *Gate) waitingBesides(k gateKind) int {
	n := 0
	for other, w := range g.waiting {
		if gateKind(other) != k {
			n += w
		}
	}
	return n
}

// enter waits until a run may do work of kind k, or ctx ends, and returns the function that
// leaves (safe to call more than once). A nil gate admits at once.
func (g *Gate) enter(ctx context.Context, k gateKind) (leave func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	g.mu.Lock()
	for {
		others := g.waitingBesides(k)
		switch {
		case g.n == 0 && (others == 0 || g.last != k):
			g.kind, g.last, g.n = k, k, 1
			g.admit = g.waiting[k] // those waiting now join this turn
			g.mu.Unlock()
			return sync.OnceFunc(g.leave), nil
		case g.n > 0 && g.kind == k && k != gateAlone && (others == 0 || g.admit > 0):
			g.n++
			if g.admit > 0 {
				g.admit--
			}
			g.mu.Unlock()
			return sync.OnceFunc(g.leave), nil
		}
		if g.changed == nil {
			g.changed = make(chan struct{})
		}
		ch := g.changed
		g.waiting[k]++
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		g.mu.Lock()
		g.waiting[k]--
		if err := ctx.Err(); err != nil {
			g.wake() // a turn may have waited for this one
			g.mu.Unlock()
			return func() {}, err
		}
	}
}

func (g *Gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n--; g.n == 0 {
		g.admit = 0
		g.wake()
	}
}

// wake tells every waiter to look again; g.mu is held.
func (g *Gate) wake() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}
