// Package seeded derives each fault's stream of random draws from a run's seed, in one place for
// every kind of fault: the scheduler's per-window and per-tick draws and the per-request draws of
// HTTP faults, whether in the harness's process or in a mock's container, come from the same
// derivation, so the same seed gives the same decisions wherever a fault is decided.
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
