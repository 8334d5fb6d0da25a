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
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/units"
)

// Lease is how long a fault set on a fault proxy stays after the harness last renewed it, unless
// the description says (service.External.FaultLease): a harness that dies leaves it there that
// long at most. The harness renews every third of it.
const Lease = 30 * time.Second

var _ faults.WireInjector = (*remoteWire)(nil)

// remoteWire is a service's request stage on a fault proxy (faults/faultproxy): each fault is a
// toxic on the service's proxy there, with the run's id and seed and a lease the harness renews;
// the decisions the proxy made are read back from its log and handed to the harness's injector,
// whose OnDecision writes the record, as a local stage's go.
type remoteWire struct {
	in    *wirefault.Injector // the harness's: the protocol, the seed, where decisions go
	p     *toxiclient.Proxy
	api   string
	run   string
	lease time.Duration

	mu        sync.Mutex
	set       map[string]bool // faults with a toxic on the proxy
	last      map[string][2]uint64
	delivered int // how many of the proxy's decisions for the run went to in
	stop      chan struct{}
	done      chan struct{}
}

// runID names this run on a fault proxy: the host and the run's state folder.
func runID(r *runDir) string {
	host, _ := os.Hostname()
	return host + "/" + filepath.Base(r.path)
}

func newRemoteWire(in *wirefault.Injector, p *toxiclient.Proxy, api, run string, lease time.Duration) *remoteWire {
	w := &remoteWire{in: in, p: p, api: api, run: run, lease: cmp.Or(lease, Lease), set: map[string]bool{}, last: map[string][2]uint64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.renew()
	return w
}

func (w *remoteWire) Protocol() wirefault.Protocol { return w.in.Protocol() }

func (w *remoteWire) toxicType() string {
	if w.in.Protocol() == wirefault.Redis {
		return faultproxy.CommandToxic
	}
	return faultproxy.QueryToxic
}

// Set adds the fault's toxic, or updates it when it is there.
func (w *remoteWire) Set(f wirefault.Fault) error {
	if err := wirefault.Validate(f, w.in.Protocol()); err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	var attrs toxiclient.Attributes
	if err := json.Unmarshal(b, &attrs); err != nil {
		return err
	}
	attrs["run"], attrs["seed"], attrs["lease"] = w.run, w.in.Seed(), units.Duration(w.lease).String()
	w.mu.Lock()
	defer w.mu.Unlock()
	name := faults.ToxicPrefix + f.Name
	if w.set[f.Name] { // set anew: removed and added, not updated (see faultproxy.Server.Renew)
		w.p.RemoveToxic(name)
	}
	if _, err = w.p.AddToxic(name, w.toxicType(), "upstream", 1, attrs); err != nil {
		return fmt.Errorf("fault proxy %s, proxy %s: set %s: %w", w.api, w.p.Name, f.Name, err)
	}
	w.set[f.Name] = true
	return nil
}

// Remove removes the fault's toxic and hands the decisions made so far to the harness.
func (w *remoteWire) Remove(name string) bool {
	w.mu.Lock()
	was := w.set[name]
	delete(w.set, name)
	w.mu.Unlock()
	if was {
		w.p.RemoveToxic(faults.ToxicPrefix + name)
	}
	w.fetch(context.Background())
	return was
}

// Counts reads the fault's counts from its toxic, or gives those read last when it is gone.
func (w *remoteWire) Counts(name string) (decided, injected uint64, ok bool) {
	ts, err := w.p.Toxics()
	if err == nil {
		for _, t := range ts {
			if t.Name != faults.ToxicPrefix+name {
				continue
			}
			d, okd := t.Attributes["decided"].(float64)
			i, oki := t.Attributes["injected"].(float64)
			if okd && oki {
				w.mu.Lock()
				w.last[name] = [2]uint64{uint64(d), uint64(i)}
				w.mu.Unlock()
			}
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.last[name]
	return c[0], c[1], ok
}

// fetch hands the proxy's decisions for the run not yet delivered to the harness's injector.
func (w *remoteWire) fetch(ctx context.Context) error {
	l, err := faultproxy.FetchDecisions(ctx, w.api, w.run)
	if err != nil {
		return err
	}
	var mine []wirefault.Decision
	for _, d := range l.Decisions {
		if d.Proxy == w.p.Name {
			mine = append(mine, d.Decision)
		}
	}
	w.mu.Lock()
	from := min(w.delivered, len(mine))
	w.delivered = len(mine)
	w.mu.Unlock()
	w.in.Report(mine[from:]...)
	return nil
}

// renew renews the run's leases on the proxy every third of the lease, until close.
func (w *remoteWire) renew() {
	defer close(w.done)
	t := time.NewTicker(w.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.lease/3)
		faultproxy.Renew(ctx, w.api, w.run) // a renewal lost is one of three before the lease runs out
		cancel()
	}
}

// close stops renewing, removes what faults are left, and hands the last decisions over.
func (w *remoteWire) close(ctx context.Context) error {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	names := make([]string, 0, len(w.set))
	for name := range w.set {
		names = append(names, name)
	}
	w.mu.Unlock()
	for _, name := range names {
		w.Remove(name)
	}
	return w.fetch(ctx)
}
