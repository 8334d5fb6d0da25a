package wirefault

import (
	"sync"
	"time"

	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// ToxicType is the Toxiproxy toxic type of the stage.
const ToxicType = "shakedown_wire"

var registerToxic = sync.OnceFunc(func() { toxics.Register(ToxicType, new(Toxic)) })

// Toxic is the stage as a Toxiproxy toxic. Put it on the upstream (client to server) stream of
// the service's proxy, with toxicity 1, before the first connection, and with attributes
// Attributes gives (an Injector's or a Stage's); Toxiproxy makes one per proxy and one state per
// connection.
type Toxic struct {
	// Injector is the key of the Injector deciding this proxy's faults.
	Injector string `json:"injector,omitempty"`
	// Stage is the key of the Stage deciding them, when the proxy's connections may speak
	// either protocol.
	Stage string `json:"stage,omitempty"`
}

// Attributes returns the attributes of the toxic that puts in's stage on a proxy, registering
// the toxic type with Toxiproxy on first use.
func (in *Injector) Attributes() map[string]any {
	registerToxic()
	return map[string]any{"injector": in.key}
}

// connState is one connection's state; it outlives an interruption of the toxic (Toxiproxy
// interrupts it when another toxic is added or removed).
type connState struct {
	proto  Protocol // told by the connection's first bytes
	framer framer   // nil until the first bytes
	// pending: the units left when an interruption came during a delay, and when the delay ends.
	pending []unit
	wake    time.Time
}

// NewState is Toxiproxy's hook for a connection's state.
func (t *Toxic) NewState() any { return &connState{} }

// Pipe forwards the connection's bytes, deciding each request.
func (t *Toxic) Pipe(stub *toxics.ToxicStub) {
	key := t.Injector
	if key == "" {
		key = t.Stage
	}
	src, err := lookup(key)
	st, _ := stub.State.(*connState)
	if err != nil || st == nil { // no injector (or a toxic made without state): pass everything
		new(toxics.NoopToxic).Pipe(stub)
		return
	}
	if len(st.pending) > 0 {
		us, wake := st.pending, st.wake
		st.pending = nil
		if in := src.injector(st.proto); in == nil { // the faults' injector left meanwhile
			if out := join(us, nil); len(out) > 0 {
				stub.Output <- &stream.StreamChunk{Data: out, Timestamp: time.Now()}
			}
		} else if !t.forward(stub, st, in, us, wake, time.Now()) {
			return
		}
	}
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if st.framer == nil {
				st.proto = src.protocol(c.Data)
				st.framer = newFramer(st.proto)
			}
			us := st.framer.feed(c.Data)
			in := src.injector(st.proto)
			if in == nil || in.decider.Idle() {
				out := join(us, c.Data)
				if len(out) > 0 {
					stub.Output <- &stream.StreamChunk{Data: out, Timestamp: c.Timestamp}
				}
				continue
			}
			if !t.forward(stub, st, in, us, time.Time{}, c.Timestamp) {
				return
			}
		}
	}
}

// join returns the units' bytes in one slice: data itself when they are all of it.
func join(us []unit, data []byte) []byte {
	if len(us) == 1 && len(us[0].raw) == len(data) && (len(data) == 0 || &us[0].raw[0] == &data[0]) {
		return data
	}
	var n int
	for _, u := range us {
		n += len(u.raw)
	}
	out := make([]byte, 0, n)
	for _, u := range us {
		out = append(out, u.raw...)
	}
	return out
}

// forward decides each request of us and sends the bytes on; a delay before us[0] lasts until
// wake. It returns false when the toxic must stop: interrupted (the rest kept in st) or the
// connection cut.
func (t *Toxic) forward(stub *toxics.ToxicStub, st *connState, in *Injector, us []unit, wake time.Time, ts time.Time) bool {
	var out []byte
	flush := func() {
		if len(out) > 0 {
			stub.Output <- &stream.StreamChunk{Data: out, Timestamp: ts}
			out = nil
		}
	}
	for i := 0; i < len(us); i++ {
		u := us[i]
		raw := u.raw
		if u.req != nil {
			a := in.decide(u.req)
			if a.drop {
				flush()
				stub.Close()
				for range stub.Input { // the client's further bytes go nowhere
				}
				return false
			}
			if a.replace != nil {
				raw = a.replace
			}
			if a.delay > 0 {
				wake = time.Now().Add(a.delay)
			}
			us[i] = unit{raw: raw} // decided: a resumed toxic does not decide it again
		}
		if !wake.IsZero() {
			flush()
			if !sleep(stub, wake) {
				st.pending, st.wake = us[i:], wake
				return false
			}
			wake = time.Time{}
		}
		out = append(out, raw...)
	}
	flush()
	return true
}

// sleep waits until wake; false: interrupted first.
func sleep(stub *toxics.ToxicStub, wake time.Time) bool {
	d := time.Until(wake)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-stub.Interrupt:
		return false
	}
}
