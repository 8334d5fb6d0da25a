package faultproxy

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/units"
)

// The toxic types the server adds to Toxiproxy's, and the name of each proxy's request stage.
const (
	// QueryToxic is a query fault on a Postgres proxy (faults.Query).
	QueryToxic = "shakedown_query"
	// CommandToxic is a command fault on a Redis proxy (faults.Command).
	CommandToxic = "shakedown_command"
	// HTTPToxic is an HTTP fault (faults.HTTP) on a proxy whose clients speak HTTP/1.x.
	HTTPToxic = "shakedown_http"
	// StageToxic names the request stage the server puts on every proxy as it is created: it
	// frames each connection from its first byte, so that a fault added later acts inside
	// connections opened before it (pooled, with their prepared statements).
	StageToxic = "shakedown_stage"
)

var registerToxics = sync.OnceFunc(func() {
	toxics.Register(QueryToxic, new(queryToxic))
	toxics.Register(CommandToxic, new(commandToxic))
	toxics.Register(HTTPToxic, new(httpToxic))
	toxics.Register(HTTPStageType, new(httpStageToxic))
})

// faultToxic is one request fault as a toxic: its attributes are the fault (the flat JSON of
// wirefault.Fault or httpfault.Fault: name, probability, kind, ...), the run it belongs to and
// the seed of that run, and its lease. The toxic passes its bytes as they come; the proxy's
// stages decide the fault, and the server keeps them in step (Server.reconcile).
type faultToxic struct {
	mu      sync.Mutex
	fault   json.RawMessage // the fault's own fields, checked for the toxic's type
	name    string          // the fault's name
	run     string
	seed    uint64
	lease   time.Duration // 0: none
	renewed time.Time     // when it was last set: created or updated
	counts  func() (decided, injected uint64, ok bool)
}

// The attributes beside the fault's own fields; decided and injected are read-only.
const (
	attrRun      = "run"
	attrSeed     = "seed"
	attrLease    = "lease"
	attrDecided  = "decided"
	attrInjected = "injected"
)

func (t *faultToxic) Pipe(stub *toxics.ToxicStub) { new(toxics.NoopToxic).Pipe(stub) }

// decode sets the toxic from attributes b, over what it holds (Toxiproxy decodes an update into
// the toxic it has: fields not given keep their values); check validates the fault's own fields
// and returns its name.
func (t *faultToxic) decode(b []byte, check func(fault []byte) (name string, err error)) error {
	var given map[string]json.RawMessage
	if err := json.Unmarshal(b, &given); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	all := map[string]json.RawMessage{}
	if t.name != "" { // an update: start from what the toxic holds
		cur, err := t.attributes()
		if err != nil {
			return err
		}
		maps.Copy(all, cur)
	}
	maps.Copy(all, given)
	delete(all, attrDecided)
	delete(all, attrInjected)
	var (
		run   string
		seed  uint64
		lease units.Duration
	)
	for key, dst := range map[string]any{attrRun: &run, attrSeed: &seed, attrLease: &lease} {
		if raw, ok := all[key]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			delete(all, key)
		}
	}
	rest, err := json.Marshal(all)
	if err != nil {
		return err
	}
	name, err := check(rest)
	if err != nil {
		return err
	}
	if run == "" {
		return fmt.Errorf("%s: empty; want the id of the run that sets the fault (its decisions are logged under it)", attrRun)
	}
	if lease < 0 {
		return fmt.Errorf("%s: %s; want a duration (0: the toxic stays until removed)", attrLease, lease)
	}
	t.fault, t.name, t.run, t.seed, t.lease, t.renewed = rest, name, run, seed, lease.D(), time.Now()
	return nil
}

// attributes returns the toxic's attributes, the counts included; t.mu is held.
func (t *faultToxic) attributes() (map[string]json.RawMessage, error) {
	var out map[string]json.RawMessage
	if err := json.Unmarshal(t.fault, &out); err != nil {
		return nil, err
	}
	extra := map[string]any{attrRun: t.run, attrSeed: t.seed, attrLease: units.Duration(t.lease)}
	if t.counts != nil {
		if d, i, ok := t.counts(); ok {
			extra[attrDecided], extra[attrInjected] = d, i
		}
	}
	for k, v := range extra {
		var err error
		if out[k], err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *faultToxic) MarshalJSON() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, err := t.attributes()
	if err != nil {
		return nil, err
	}
	return json.Marshal(a)
}

// state returns what the server needs of the toxic: the fault's JSON, its run and seed, and
// when its lease runs out (zero: never).
func (t *faultToxic) state() (fault json.RawMessage, run string, seed uint64, expires time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lease > 0 {
		expires = t.renewed.Add(t.lease)
	}
	return t.fault, t.run, t.seed, expires
}

// renew sets the toxic's lease again from now.
func (t *faultToxic) renew(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.renewed = now
}

func (t *faultToxic) setCounts(c func() (decided, injected uint64, ok bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts = c
}

// queryToxic, commandToxic and httpToxic are the registered types: Toxiproxy makes each toxic
// from its type's Go type.
type (
	queryToxic   struct{ faultToxic }
	commandToxic struct{ faultToxic }
	httpToxic    struct{ faultToxic }
)

func (t *queryToxic) UnmarshalJSON(b []byte) error   { return t.decode(b, wireCheck(wirefault.Postgres)) }
func (t *commandToxic) UnmarshalJSON(b []byte) error { return t.decode(b, wireCheck(wirefault.Redis)) }
func (t *httpToxic) UnmarshalJSON(b []byte) error    { return t.decode(b, httpCheck) }

func wireCheck(p wirefault.Protocol) func([]byte) (string, error) {
	return func(b []byte) (string, error) {
		f, err := wireFault(b)
		if err != nil {
			return "", err
		}
		return f.Name, wirefault.Validate(f, p)
	}
}

func httpCheck(b []byte) (string, error) {
	f, err := httpFault(b)
	if err != nil {
		return "", err
	}
	return f.Name, httpfault.Validate(f)
}

// wireFault and httpFault read a fault toxic's fault.
func wireFault(b []byte) (f wirefault.Fault, err error) { return f, json.Unmarshal(b, &f) }

func httpFault(b []byte) (httpfault.Fault, error) {
	fs, err := httpfault.ParseFaults(b)
	if err != nil {
		return httpfault.Fault{}, err
	}
	return fs[0], nil
}

// onProxy is a fault toxic on a proxy: its name there, the toxic, and its type.
type onProxy struct {
	name string
	ft   *faultToxic
	typ  string
}

// protocol is the wire protocol of a query or command fault ("" for an HTTP fault).
func (o onProxy) protocol() wirefault.Protocol {
	switch o.typ {
	case QueryToxic:
		return wirefault.Postgres
	case CommandToxic:
		return wirefault.Redis
	}
	return ""
}

// faultsOn returns the fault toxics on p, in Toxiproxy's order.
func faultsOn(p *toxiproxy.Proxy) []onProxy {
	var out []onProxy
	for _, t := range p.Toxics.GetToxicArray() {
		w := t.(*toxics.ToxicWrapper)
		switch ft := w.Toxic.(type) {
		case *queryToxic:
			out = append(out, onProxy{w.Name, &ft.faultToxic, QueryToxic})
		case *commandToxic:
			out = append(out, onProxy{w.Name, &ft.faultToxic, CommandToxic})
		case *httpToxic:
			out = append(out, onProxy{w.Name, &ft.faultToxic, HTTPToxic})
		}
	}
	return out
}
