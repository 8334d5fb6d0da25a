package env

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

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

// startProxy starts a proxy named name listening on listen ("": a free port on 127.0.0.1 below
// the OS's ephemeral range, see proxyPort), in front of upstream.
func startProxy(srv *toxiproxy.ApiServer, name, listen, upstream string) (*Proxy, error) {
	var err error
	for range 20 {
		addr := listen
		if addr == "" {
			addr = proxyAddr()
		}
		p := toxiproxy.NewProxy(srv, name, addr, upstream)
		if err = srv.Collection.Add(p, true); err == nil {
			return &Proxy{p: p}, nil
		}
		if listen != "" || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("proxy %s -> %s: %w", name, upstream, err)
}

// proxyAddr is a free address on 127.0.0.1 for a proxy, its port drawn below the OS's ephemeral
// range (Linux's net.ipv4.ip_local_port_range). A proxy_down fault closes the proxy's listener
// and opens it again on the same port when it ends: a port of the ephemeral range may meanwhile
// have been taken by a connection another program dialled, or by a listener on port 0 (a
// fresh-clone CI saw "bind: address already in use" on an undo). Below the range, only a
// program that chose that very port can take it. Where the range cannot be read, the OS chooses.
func proxyAddr() string {
	lo := ephemeralStart()
	if lo <= 11000 {
		return "127.0.0.1:0"
	}
	for range 50 {
		port := 10000 + rand.IntN(lo-10000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			ln.Close()
			return ln.Addr().String()
		}
	}
	return "127.0.0.1:0"
}

// ephemeralStart is the first port of Linux's ephemeral range, or 0 where it cannot be read.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return lo
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
