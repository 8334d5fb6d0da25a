package record

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
)

// MaxDecisions is how many decisions a record keeps one by one. Every decision, kept or not, is
// counted and folded into its fault's digest.
const MaxDecisions = 10000

// Decision is one random decision of a fault: whether it acted on one unit (a connection, a
// request, a tick). Seq numbers a fault's draws from 0 in the order its random stream made them,
// so that decisions made concurrently still compare between runs.
type Decision struct {
	At          Duration `json:"at"`
	Fault       string   `json:"fault"`
	Unit        string   `json:"unit"` // "connection", "request" or "tick"
	Seq         uint64   `json:"seq"`
	Draw        float64  `json:"draw"` // the uniform draw in [0, 1)
	Probability float64  `json:"p"`
	Injected    bool     `json:"injected"`
	Detail      string   `json:"detail,omitempty"`
}

// DecisionSummary counts one fault's decisions. Digest is order-independent: it is the sum of a
// hash of each (seq, draw, injected), so two runs with the same seed have the same digest however
// their requests interleaved.
type DecisionSummary struct {
	Fault    string `json:"fault"`
	Unit     string `json:"unit"`
	Total    uint64 `json:"total"`
	Injected uint64 `json:"injected"`
	Digest   string `json:"digest"`
	digest   uint64
}

func decisionHash(d Decision) uint64 {
	h := fnv.New64a()
	var b [17]byte
	binary.LittleEndian.PutUint64(b[0:], d.Seq)
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(d.Draw))
	if d.Injected {
		b[16] = 1
	}
	h.Write([]byte(d.Fault))
	h.Write(b[:])
	return h.Sum64()
}

func (s *DecisionSummary) add(d Decision) {
	s.Total++
	if d.Injected {
		s.Injected++
	}
	s.digest += decisionHash(d)
	s.Digest = fmt.Sprintf("%016x", s.digest)
}
