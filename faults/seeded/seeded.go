// Package seeded derives each fault's stream of random draws from a run's seed, in one place for
// every kind of fault: the scheduler's per-window and per-tick draws (faults.Schedule) and the
// per-request draws of request faults (faults/inject), whether in the harness's process or in a
// mock's container, come from the same derivation, so the same seed gives the same decisions wherever a fault is decided.
package seeded

import (
	"hash/fnv"
	"math/rand/v2"
)

// Stream returns the fault's source of draws: a PCG seeded by the run's seed and an FNV-1a hash of
// the fault's name, so that one fault's draws do not depend on which other faults there are.
func Stream(seed uint64, fault string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(fault))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Draws is one fault's numbered draws and its count of injections (faults/inject keeps one per
// fault name). A fault removed and set again goes on where its draws were. Not safe for
// concurrent use: its owner draws under a lock.
type Draws struct {
	rng      *rand.Rand
	seq      uint64
	injected uint64
}

// NewDraws returns the fault's draws, from Stream.
func NewDraws(seed uint64, fault string) *Draws { return &Draws{rng: Stream(seed, fault)} }

// Decide takes the next draw: its number (from 0), the draw, and whether it injects: below p,
// while fewer than max were injected (max 0: no cap).
func (d *Draws) Decide(p float64, max int) (seq uint64, draw float64, injected bool) {
	seq, draw = d.seq, d.rng.Float64()
	d.seq++
	injected = draw < p && (max == 0 || d.injected < uint64(max))
	if injected {
		d.injected++
	}
	return seq, draw, injected
}

// Rand is the stream itself, for what an injection needs drawn (a jitter, a delay from a
// distribution): such draws follow the injection's in the stream.
func (d *Draws) Rand() *rand.Rand { return d.rng }

// Counts returns the decisions and injections so far.
func (d *Draws) Counts() (decided, injected uint64) { return d.seq, d.injected }
