package env

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/shakedown-dev/shakedown/faults"
)

// Proxy is the handle on one service's embedded Toxiproxy proxy.
type Proxy struct {
	p *toxiproxy.Proxy
}

var _ faults.Proxy = (*Proxy)(nil)

// newToxiServer returns an embedded Toxiproxy server. It gets a real metrics container (a nil one
// crashes the process on the first connection) and a silent logger. (The bandwidth toxic also
// logs through zerolog's global logger, at trace level, which zerolog's default global level
// already drops; the harness leaves that process-wide setting to the program.)
func newToxiServer() *toxiproxy.ApiServer {
	return toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
}

// startProxy starts a proxy named name listening on listen (127.0.0.1:0: a port the OS chooses), in
// front of upstream.
func startProxy(srv *toxiproxy.ApiServer, name, listen, upstream string) (*Proxy, error) {
	p := toxiproxy.NewProxy(srv, name, listen, upstream)
	if err := srv.Collection.Add(p, true); err != nil {
		return nil, fmt.Errorf("proxy %s -> %s: %w", name, upstream, err)
	}
	return &Proxy{p: p}, nil
}

// Name returns the proxy's (and its service's) name.
func (p *Proxy) Name() string { return p.p.Name }

// Listen returns the address the proxy listens on: what the system under test must use.
func (p *Proxy) Listen() string {
	p.p.Lock()
	defer p.p.Unlock()
	return p.p.Listen
}

// AddToxic adds a toxic. A zero Toxicity means 1 and an empty Stream downstream, as in Toxiproxy.
func (p *Proxy) AddToxic(_ context.Context, t faults.Toxic) error {
	if t.Toxicity == 0 {
		t.Toxicity = 1
	}
	if t.Stream == "" {
		t.Stream = "downstream"
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if _, err := p.p.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
		return fmt.Errorf("proxy %s: add toxic %q (%s): %w", p.Name(), t.Name, t.Type, err)
	}
	return nil
}

// RemoveToxic removes a toxic by name.
func (p *Proxy) RemoveToxic(ctx context.Context, name string) error {
	if err := p.p.Toxics.RemoveToxic(ctx, name); err != nil {
		return fmt.Errorf("proxy %s: remove toxic %q: %w", p.Name(), name, err)
	}
	return nil
}

// WireToxic names the request stage's toxic on a proxy (see Spec.Wire).
const WireToxic = "shakedown-request-stage"

// Toxics returns the toxics faults put in place: the request stage, part of the proxy for the
// whole run, is not among them.
func (p *Proxy) Toxics() []faults.Toxic {
	var out []faults.Toxic
	for _, t := range p.p.Toxics.GetToxicArray() {
		b, err := json.Marshal(t)
		if err != nil {
			continue
		}
		var x faults.Toxic
		if json.Unmarshal(b, &x) == nil && x.Name != WireToxic {
			out = append(out, x)
		}
	}
	return out
}

// Disable stops the proxy: new connections are refused and open ones end (with EOF).
func (p *Proxy) Disable(context.Context) error {
	p.p.Stop()
	return nil
}

// Enable starts a disabled proxy again, on the same address.
func (p *Proxy) Enable(context.Context) error {
	if err := p.p.Start(); err != nil && err != toxiproxy.ErrProxyAlreadyStarted {
		return fmt.Errorf("proxy %s: enable on %s: %w", p.Name(), p.Listen(), err)
	}
	return nil
}

// SetUpstream points the proxy at another address (a restarted container's new port). Open
// connections end; the proxy listens on the same address and keeps its toxics and its state.
func (p *Proxy) SetUpstream(addr string) error {
	p.p.Lock()
	in := &toxiproxy.Proxy{Name: p.p.Name, Listen: p.p.Listen, Upstream: addr, Enabled: p.p.Enabled}
	p.p.Unlock()
	if err := p.p.Update(in); err != nil {
		return fmt.Errorf("proxy %s: upstream %s: %w", p.Name(), addr, err)
	}
	return nil
}
