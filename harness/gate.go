package harness

import (
	"context"
	"sync"
	"time"
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
	// Settle, when set, is waited for by each run of a turn of measured phases before it starts
	// its load, one run after another: the turn's first run waits up to TurnSettle for what the
	// start-ups left running on the machine to die down, each run that joins the turn up to
	// JoinSettle for the cold start of the one before it (MachineSettled). Runs that start their
	// loads at the same instant saturate a small machine for seconds: cold services, pools
	// filling. nil: no wait.
	Settle func(ctx context.Context, within time.Duration) error

	mu      sync.Mutex
	settled chan struct{} // closed when the last run admitted finished settling
	kind    gateKind      // the holders' kind, when n > 0
	last    gateKind      // the kind that held the gate last
	n       int           // holders
	admit   int           // holders of kind still admitted while another kind waits
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
			return g.entered(g.settle(ctx, k, nil, TurnSettle))
		case g.n > 0 && g.kind == k && k != gateAlone && (others == 0 || g.admit > 0):
			g.n++
			if g.admit > 0 {
				g.admit--
			}
			return g.entered(g.settle(ctx, k, g.settled, JoinSettle))
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

// How long a run waits for the machine to settle before its load starts (Gate.Settle): the first
// run of a turn, after the start-ups; a run that joins the turn, after the run before it.
const (
	TurnSettle = 10 * time.Second
	JoinSettle = 2 * time.Second
)

// settle waits for the run admitted before this one (prev) to settle, then, for measured work,
// for the machine to settle within the given time; g.mu is held and settle releases it.
func (g *Gate) settle(ctx context.Context, k gateKind, prev chan struct{}, within time.Duration) error {
	mine := make(chan struct{})
	g.settled = mine
	g.mu.Unlock()
	defer close(mine)
	if prev != nil {
		select {
		case <-prev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if k == gateBusy || g.Settle == nil {
		return nil
	}
	return g.Settle(ctx, within)
}

// entered returns the function that leaves the gate, or leaves at once when waiting for the
// turn to settle ended with err.
func (g *Gate) entered(err error) (func(), error) {
	if err != nil {
		g.leave()
		return func() {}, err
	}
	return sync.OnceFunc(g.leave), nil
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
