package faults

import (
	"context"
	"time"
)

// The optional capabilities of a fault, a spec or an engine: what a Scheduler (or whoever opened
// the engine) looks for beyond Fault, Spec and Builder, as Toxiproxy's toxics name theirs. An
// implementer states each with a compile-time check (var _ Reporter = (*kill)(nil)).

// Windowed is a fault that is told each window's length when it is applied (a Chaos Mesh object
// carries it as its duration, so that it ends even if the harness dies). The scheduler calls
// ApplyFor instead of Apply.
type Windowed interface {
	Fault
	ApplyFor(ctx context.Context, window time.Duration) error
}

// Reporter is a fault that says what it did: the scheduler puts Report in the detail of the
// removal event, right after each Undo (a CPU spike's achieved load, a restart's time).
type Reporter interface {
	Report() string
}

// Counter is a request fault that counts its decisions: the scheduler puts Counts in the removal
// event's counts, right after each Undo; ok is false when it could not tell (a mock that did not
// answer).
type Counter interface {
	Counts() (decided, injected uint64, ok bool)
}

// Ticker is a spec of a kind drawn per tick (Unit PerTick): Schedule cuts each of its windows into
// ticks of TickLength, each with a draw of its own.
type Ticker interface {
	TickLength() time.Duration
}

// Closer is an Engine that holds what must be released when the run ends (a cluster client, the
// objects left of the run): whoever opened the engine closes it, with a context that outlives the
// run's.
type Closer interface {
	Close(ctx context.Context) error
}
