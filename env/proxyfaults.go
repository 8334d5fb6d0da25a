package env

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/faultproxy"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

// Lease is how long a fault set on a fault proxy stays after the harness last renewed it, unless
// the description says (service.External.FaultLease): a harness that dies leaves it there that
// long at most. The harness renews every third of it.
const Lease = 30 * time.Second

// runID names this run on a fault proxy: the host and the run's state folder.
func runID(r *runDir) string {
	host, _ := os.Hostname()
	return host + "/" + filepath.Base(r.path)
}

// proxyRun is this run on a fault proxy (faults/faultproxy): its id there, and the renewal of
// its faults' leases, one for all of the run's faults on the server, from the first fault set
// until the environment closes.
type proxyRun struct {
	api, id string
	lease   time.Duration

	once       sync.Once
	stop, done chan struct{}
}

func newProxyRun(api, id string, lease time.Duration) *proxyRun {
	return &proxyRun{api: api, id: id, lease: cmp.Or(lease, Lease), stop: make(chan struct{}), done: make(chan struct{})}
}

// renewing starts the renewals, once.
func (r *proxyRun) renewing() {
	r.once.Do(func() {
		go func() {
			defer close(r.done)
			t := time.NewTicker(r.lease / 3)
			defer t.Stop()
			for {
				select {
				case <-r.stop:
					return
				case <-t.C:
				}
				ctx, cancel := context.WithTimeout(context.Background(), r.lease/3)
				faultproxy.Renew(ctx, r.api, r.id) // a renewal lost is one of three before the lease runs out
				cancel()
			}
		}()
	})
}

// close stops the renewals.
func (r *proxyRun) close(context.Context) error {
	close(r.stop)
	r.once.Do(func() { close(r.done) }) // never started
	<-r.done
	return nil
}

// proxyRunOn starts this run on the fault proxy (or Toxiproxy server) at api, once: its
// renewals stop when the environment closes, after the faults' own clean-ups.
func (e *Env) proxyRunOn(api string, lease time.Duration) *proxyRun {
	if e.proxyRun == nil {
		e.proxyRun = newProxyRun(api, runID(e.run), lease)
		e.cleanups = append(e.cleanups, e.proxyRun.close)
	}
	return e.proxyRun
}

// onFaultProxy puts a service's request faults on its proxy p on the run's fault proxy: query
// and command faults when the run has them (spec.Wire), and the LLM's http faults. mock, when
// set, takes the http faults instead if the server is a plain Toxiproxy (which refuses the
// others); without it, a plain Toxiproxy is an error when the first http fault is set.
func (e *Env) onFaultProxy(s *Service, name string, spec Spec, p *toxiclient.Proxy, mock faults.HTTPInjector) error {
	api := e.proxyRun.api
	if in := spec.Wire[name]; in != nil {
		if ok, err := e.isFaultProxy(api); !ok {
			return fmt.Errorf("request faults on %s (query and command faults): %w", name, cmp.Or(err, e.plainToxiproxy(api)))
		}
		w := newRemoteWire(in, e.proxyRun, p)
		e.cleanups = append(e.cleanups, w.f.close) // before the proxy's clean-up: the last decisions
		s.wire = w
	}
	if name == service.Ollama {
		onDecision := spec.Ollama.OnDecision
		h := &remoteHTTP{e: e, mock: mock, f: newProxyFaults(e.proxyRun, p, faultproxy.HTTPToxic, spec.Ollama.Seed, func(ds []faultproxy.Decision) {
			for _, d := range ds {
				if onDecision != nil {
					onDecision(*d.HTTP)
				}
			}
		})}
		e.cleanups = append(e.cleanups, h.close)
		s.http = h
	}
	return nil
}

// proxyFaults are the faults of one toxic type on one service's proxy on a fault proxy: each
// fault a toxic named after it, carrying the run's id and seed and the lease; the decisions the
// proxy made for them are read back from its log and delivered in order, when a fault is
// removed and when the environment closes.
type proxyFaults struct {
	run     *proxyRun
	p       *toxiclient.Proxy
	typ     string // faultproxy.QueryToxic, CommandToxic or HTTPToxic
	seed    uint64
	deliver func([]faultproxy.Decision)

	mu        sync.Mutex
	added     bool            // a fault was set
	set       map[string]bool // faults with a toxic on the proxy
	last      map[string][2]uint64
	delivered int // how many of the proxy's decisions of this type went to deliver
}

func newProxyFaults(run *proxyRun, p *toxiclient.Proxy, typ string, seed uint64, deliver func([]faultproxy.Decision)) *proxyFaults {
	return &proxyFaults{run: run, p: p, typ: typ, seed: seed, deliver: deliver, set: map[string]bool{}, last: map[string][2]uint64{}}
}

// add sets a fault (v, a wirefault.Fault or an httpfault.Fault) as its toxic, anew when it is
// there: removed and added, not updated (see faultproxy.Server.Renew).
func (f *proxyFaults) add(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var attrs toxiclient.Attributes
	if err := json.Unmarshal(b, &attrs); err != nil {
		return err
	}
	attrs["run"], attrs["seed"], attrs["lease"] = f.run.id, f.seed, units.Duration(f.run.lease).String()
	f.mu.Lock()
	defer f.mu.Unlock()
	toxic := faults.ToxicPrefix + name
	if f.set[name] {
		f.p.RemoveToxic(toxic)
	}
	if _, err = f.p.AddToxic(toxic, f.typ, "upstream", 1, attrs); err != nil {
		return fmt.Errorf("fault proxy %s, proxy %s: set %s: %w", f.run.api, f.p.Name, name, err)
	}
	f.set[name], f.added = true, true
	f.run.renewing()
	return nil
}

// remove removes the fault's toxic and delivers the decisions made so far.
func (f *proxyFaults) remove(ctx context.Context, name string) (bool, error) {
	f.mu.Lock()
	was := f.set[name]
	delete(f.set, name)
	f.mu.Unlock()
	var err error
	if was {
		err = f.p.RemoveToxic(faults.ToxicPrefix + name)
	}
	if ferr := f.fetch(ctx); err == nil {
		err = ferr
	}
	return was, err
}

// counts reads the fault's counts from its toxic, or gives those read last when it is gone.
func (f *proxyFaults) counts(name string) (decided, injected uint64, ok bool) {
	if ts, err := f.p.Toxics(); err == nil {
		for _, t := range ts {
			if t.Name != faults.ToxicPrefix+name {
				continue
			}
			d, okd := t.Attributes["decided"].(float64)
			i, oki := t.Attributes["injected"].(float64)
			if okd && oki {
				f.mu.Lock()
				f.last[name] = [2]uint64{uint64(d), uint64(i)}
				f.mu.Unlock()
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.last[name]
	return c[0], c[1], ok
}

// fetch delivers the proxy's decisions of this type for the run not yet delivered.
func (f *proxyFaults) fetch(ctx context.Context) error {
	l, err := faultproxy.FetchDecisions(ctx, f.run.api, f.run.id)
	if err != nil {
		return err
	}
	var mine []faultproxy.Decision
	for _, d := range l.Decisions {
		if d.Proxy == f.p.Name && (d.HTTP != nil) == (f.typ == faultproxy.HTTPToxic) {
			mine = append(mine, d)
		}
	}
	f.mu.Lock()
	from := min(f.delivered, len(mine))
	f.delivered = len(mine)
	f.mu.Unlock()
	f.deliver(mine[from:])
	return nil
}

// close removes what faults are left and delivers the last decisions.
func (f *proxyFaults) close(ctx context.Context) error {
	f.mu.Lock()
	if !f.added {
		f.mu.Unlock()
		return nil
	}
	names := make([]string, 0, len(f.set))
	for name := range f.set {
		names = append(names, name)
	}
	f.mu.Unlock()
	for _, name := range names {
		f.remove(ctx, name)
	}
	return f.fetch(ctx)
}

var _ faults.WireInjector = (*remoteWire)(nil)

// remoteWire is a service's request stage on a fault proxy: the decisions the proxy made are
// handed to the harness's injector, whose OnDecision writes the record, as a local stage's go.
type remoteWire struct {
	in *wirefault.Injector // the harness's: the protocol, the seed, where decisions go
	f  *proxyFaults
}

func newRemoteWire(in *wirefault.Injector, run *proxyRun, p *toxiclient.Proxy) *remoteWire {
	typ := faultproxy.QueryToxic
	if in.Protocol() == wirefault.Redis {
		typ = faultproxy.CommandToxic
	}
	return &remoteWire{in: in, f: newProxyFaults(run, p, typ, in.Seed(), func(ds []faultproxy.Decision) {
		for _, d := range ds {
			in.Report(*d.Wire)
		}
	})}
}

func (w *remoteWire) Protocol() wirefault.Protocol { return w.in.Protocol() }

// Set adds the fault's toxic, or sets it anew when it is there.
func (w *remoteWire) Set(f wirefault.Fault) error {
	if err := wirefault.Validate(f, w.in.Protocol()); err != nil {
		return err
	}
	return w.f.add(f.Name, f)
}

// Remove removes the fault's toxic and hands the decisions made so far to the harness.
func (w *remoteWire) Remove(name string) bool {
	was, _ := w.f.remove(context.Background(), name)
	return was
}

func (w *remoteWire) Counts(name string) (decided, injected uint64, ok bool) { return w.f.counts(name) }

var _ faults.HTTPInjector = (*remoteHTTP)(nil)

// remoteHTTP is the HTTP stage of a service's proxy on a fault proxy: its decisions are drawn
// from the run's seed there and handed to onDecision (the record), as the mock's in this
// process are. Behind a plain Toxiproxy, the faults go to mock, the mock Ollama's admin
// endpoint, instead (the mock decides them; its counts come back with each fault's removal).
type remoteHTTP struct {
	e    *Env
	f    *proxyFaults
	mock faults.HTTPInjector
}

// viaProxy reports whether the faults go to the fault proxy.
func (h *remoteHTTP) viaProxy() (bool, error) { return h.e.isFaultProxy(h.f.run.api) }

func (h *remoteHTTP) Set(ctx context.Context, f httpfault.Fault) error {
	switch ok, err := h.viaProxy(); {
	case err != nil:
		return fmt.Errorf("set HTTP fault %q: %w", f.Name, err)
	case !ok && h.mock == nil:
		return fmt.Errorf("set HTTP fault %q: %w", f.Name, h.e.plainToxiproxy(h.f.run.api))
	case !ok:
		return h.mock.Set(ctx, f)
	}
	if err := httpfault.Validate(f); err != nil {
		return err
	}
	return h.f.add(f.Name, f)
}

func (h *remoteHTTP) Remove(ctx context.Context, name string) error {
	if ok, _ := h.viaProxy(); !ok && h.mock != nil {
		return h.mock.Remove(ctx, name)
	}
	_, err := h.f.remove(ctx, name)
	return err
}

func (h *remoteHTTP) Counts(ctx context.Context, name string) (decided, injected uint64, ok bool) {
	if ok, _ := h.viaProxy(); !ok && h.mock != nil {
		return h.mock.Counts(ctx, name)
	}
	return h.f.counts(name)
}

// close removes the faults left on the fault proxy and delivers the last decisions.
func (h *remoteHTTP) close(ctx context.Context) error { return h.f.close(ctx) }
