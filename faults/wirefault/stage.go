package wirefault

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Stage is the request stage of a proxy whose connections may speak either protocol, as the
// fault proxy's are (cmd/shakedown-proxy): each connection's protocol is told by its first
// bytes (a Postgres startup message or SSLRequest starts with a zero byte, a RESP command with
// '*'), and each of its requests is decided by the injector in use for that protocol when the
// request arrives (none: it passes). Put its Toxic on the proxy before the first connection, as
// an Injector's; Use changes the injectors under open connections.
type Stage struct {
	key string
	in  [2]atomic.Pointer[Injector] // Postgres's, Redis's
}

// NewStage returns a Stage with no injector in use, registered for its toxic until Close.
func NewStage() *Stage {
	s := &Stage{key: fmt.Sprintf("stage-%d", registered.Add(1))}
	registry.Store(s.key, s)
	return s
}

// Attributes returns the attributes of the stage's toxic, registering the toxic type with
// Toxiproxy on first use.
func (s *Stage) Attributes() map[string]any {
	registerToxic()
	return map[string]any{"stage": s.key}
}

// Use puts in to deciding the requests of its protocol's connections, from their next request
// on; it returns the injector it replaces (nil: none).
func (s *Stage) Use(in *Injector) *Injector {
	return s.in[slot(in.proto)].Swap(in)
}

// Injector returns the injector in use for p, or nil.
func (s *Stage) Injector(p Protocol) *Injector {
	if p != Postgres && p != Redis {
		return nil
	}
	return s.in[slot(p)].Load()
}

// Close unregisters the stage: its toxic passes everything from then on.
func (s *Stage) Close() { registry.Delete(s.key) }

func slot(p Protocol) int {
	if p == Redis {
		return 1
	}
	return 0
}

// protocol tells a connection's protocol by its first bytes; "" when it is neither.
func (s *Stage) protocol(first []byte) Protocol {
	switch {
	case len(first) == 0:
		return ""
	case first[0] == 0: // a startup message's length, or SSLRequest's: a Postgres client
		return Postgres
	case first[0] == '*': // a RESP array: a Redis client
		return Redis
	case len(first) >= 5 && strings.IndexByte(pgFrontend, first[0]) >= 0 && first[1] == 0:
		// A Postgres message (a type byte, then a length under 16 MiB): a connection opened
		// before the stage was put on, joined mid-stream (statements it prepared before are
		// not known by their text).
		return Postgres
	}
	return ""
}

func (s *Stage) injector(p Protocol) *Injector { return s.Injector(p) }

// source is what a toxic finds by its key: an Injector, for its protocol alone, or a Stage.
type source interface {
	// protocol is the protocol of a connection whose first bytes are first ("": pass it).
	protocol(first []byte) Protocol
	// injector is the injector deciding p's requests now, or nil.
	injector(p Protocol) *Injector
}

func (in *Injector) protocol([]byte) Protocol { return in.proto }

func (in *Injector) injector(p Protocol) *Injector {
	if p != in.proto {
		return nil
	}
	return in
}
