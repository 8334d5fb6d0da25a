// Package faultproxy is Shakedown's deployable fault proxy: a Toxiproxy server (its HTTP API, so
// that toxiproxy-cli and Toxiproxy's Go client work against it unchanged) with Shakedown's
// request-level faults as toxic types of their own, for a staging the harness does not run.
//
// Every proxy gets a request stage as it is created (the toxic StageToxic, wirefault's stage):
// it tells each connection's protocol by its first bytes and frames Postgres's and Redis's
// requests from the start, so that a fault added later acts on single queries and commands
// inside connections opened long before it, exactly as the harness's embedded proxy does. A
// fault is a toxic of type QueryToxic or CommandToxic whose attributes are the fault (the
// flat JSON of wirefault.Fault), the run it belongs to (run), that run's seed (seed) and a lease
// (lease, "30s"):
//
//	toxiproxy-cli toxic add -t shakedown_query -a run=nightly-1 -a seed=7 ... postgres
//
// Decisions are drawn as on the harness's machine: the proxy's faults share one injector per
// protocol, seeded with the run's seed, a stream per fault name, so the k-th request a fault
// matches gets the k-th draw of the same stream. One run at a time sets faults on a proxy (a
// fault of another run is refused with 409 while the first run's are set); a new run starts
// every stream afresh. Each decision is logged under its run, for the harness to read back
// (GET /shakedown/decisions?run=ID), and a fault toxic shows its counts (decided, injected).
//
// A fault whose lease has run out without being renewed (POST /shakedown/leases?run=ID, or an
// update of the toxic) is removed: a harness that died cannot leave a staging broken.
package faultproxy

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/shakedown-dev/shakedown/faults/wirefault"
)

// MaxDecisions bounds the decision log the server keeps (the oldest go first, counted).
const MaxDecisions = 200_000

// Server is the fault proxy. Create it with New, serve Handler, and call Expire on a tick (Serve
// does both).
type Server struct {
	api  *toxiproxy.ApiServer
	logf func(format string, args ...any) // what goes wrong after an answer was sent

	mu      sync.Mutex // over proxies
	proxies map[string]*proxyState

	logMu   sync.Mutex // over log and dropped; taken on the connections' goroutines
	log     []Decision
	dropped map[string]int // decisions dropped from the log, by run
}

// proxyState is what the server keeps of one proxy: its stage and the injectors in use.
type proxyState struct {
	stage *wirefault.Stage
	run   string // the run whose faults the injectors hold
	in    map[wirefault.Protocol]*wirefault.Injector
	set   map[wirefault.Protocol][]string // the fault names set on each
}

// Decision is one logged decision: the proxy and run it was made for, and the draw.
type Decision struct {
	Run   string `json:"run"`
	Proxy string `json:"proxy"`
	wirefault.Decision
}

// New returns a server with no proxy.
func New() *Server {
	registerToxics()
	return &Server{api: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop()), logf: func(string, ...any) {},
		proxies: map[string]*proxyState{}, dropped: map[string]int{}}
}

// Populate creates the proxies of a Toxiproxy configuration file (a JSON array of {name, listen,
// upstream, enabled}), as toxiproxy-server's -config does, each with its stage.
func (s *Server) Populate(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := s.api.Collection.PopulateJson(s.api, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return s.reconcile()
}

// Handler serves Toxiproxy's HTTP API, and GET /shakedown (what the server is: how the harness
// tells it from a plain Toxiproxy), GET /shakedown/decisions?run=ID (the run's decision log) and
// POST /shakedown/leases?run=ID (renew the leases of the run's faults).
func (s *Server) Handler() http.Handler {
	api := s.api.Routes()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /shakedown", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, Info{Server: "shakedown-proxy", Toxics: []string{QueryToxic, CommandToxic}, Stage: StageToxic})
	})
	mux.HandleFunc("GET /shakedown/decisions", func(w http.ResponseWriter, r *http.Request) {
		run := r.URL.Query().Get("run")
		if run == "" {
			writeError(w, http.StatusBadRequest, "run: missing; want the id of a run (?run=ID)")
			return
		}
		writeJSON(w, http.StatusOK, s.Decisions(run))
	})
	mux.HandleFunc("POST /shakedown/leases", func(w http.ResponseWriter, r *http.Request) {
		run := r.URL.Query().Get("run")
		if run == "" {
			writeError(w, http.StatusBadRequest, "run: missing; want the id of a run (?run=ID)")
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"renewed": s.Renew(run, time.Now())})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			api.ServeHTTP(w, r)
			return
		}
		if err := s.admit(r); err != nil {
			var he *httpError
			if errors.As(err, &he) {
				writeError(w, he.status, he.msg)
			} else {
				writeError(w, http.StatusBadRequest, err.Error())
			}
			return
		}
		// The change takes effect on the stages before the answer is sent: a harness that sets
		// a fault and sends its load at once finds it set.
		var b bufferedResponse
		api.ServeHTTP(&b, r)
		if err := s.reconcile(); err != nil {
			s.logf("%s %s: the request stages could not follow: %v", r.Method, r.URL.Path, err)
		}
		b.writeTo(w)
	})
	return mux
}

// bufferedResponse holds an answer until it is sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedResponse) writeTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), b.header)
	w.WriteHeader(cmp.Or(b.status, http.StatusOK))
	w.Write(b.body.Bytes())
}

// Info is GET /shakedown's answer.
type Info struct {
	Server string   `json:"server"`
	Toxics []string `json:"toxics"`
	Stage  string   `json:"stage"`
}

// Log is GET /shakedown/decisions's answer: a run's decisions in the order they were made, and
// how many of its oldest were dropped from the bounded log.
type Log struct {
	Decisions []Decision `json:"decisions"`
	Dropped   int        `json:"dropped"`
}

// Decisions returns the run's logged decisions.
func (s *Server) Decisions(run string) Log {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := Log{Decisions: []Decision{}, Dropped: s.dropped[run]}
	for _, d := range s.log {
		if d.Run == run {
			out.Decisions = append(out.Decisions, d)
		}
	}
	return out
}

type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// admit looks at a new toxic before Toxiproxy does. A fault toxic whose attributes give no
// name takes the toxic's; one of a run other than the one whose faults the proxy holds is
// refused (409).
func (s *Server) admit(r *http.Request) error {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost || len(parts) != 3 || parts[0] != "proxies" || parts[2] != "toxics" {
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var t map[string]json.RawMessage
	if json.Unmarshal(body, &t) != nil {
		return nil // Toxiproxy answers for a body it cannot read
	}
	var typ, name, stream string
	json.Unmarshal(t["type"], &typ)
	json.Unmarshal(t["name"], &name)
	json.Unmarshal(t["stream"], &stream)
	if typ != QueryToxic && typ != CommandToxic {
		return nil
	}
	var attrs map[string]json.RawMessage
	if json.Unmarshal(t["attributes"], &attrs) != nil || attrs == nil {
		attrs = map[string]json.RawMessage{}
	}
	if _, ok := attrs["name"]; !ok {
		if name == "" { // Toxiproxy's own default
			name = typ + "_" + cmp.Or(stream, "downstream")
		}
		attrs["name"], _ = json.Marshal(name)
		t["attributes"], _ = json.Marshal(attrs)
		body, _ = json.Marshal(t)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	var run string
	json.Unmarshal(attrs[attrRun], &run)
	proxy := parts[1]
	p, err := s.api.Collection.Get(proxy)
	if err != nil {
		return nil // Toxiproxy's 404
	}
	for _, f := range faultsOn(p) {
		if _, other, _, _ := f.ft.state(); other != run {
			return &httpError{http.StatusConflict, fmt.Sprintf("proxy %s carries the faults of run %q; a fault of run %q waits until they are removed (or their lease runs out)", proxy, other, run)}
		}
	}
	return nil
}

// reconcile brings every proxy's stage in line with its toxics: a stage on each proxy (put back
// after a reset), and on each protocol's injector exactly the faults of the proxy's fault toxics.
func (s *Server) reconcile() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.api.Collection.Proxies()
	var errs []error
	for name, ps := range s.proxies {
		if _, ok := all[name]; !ok {
			ps.stage.Close()
			delete(s.proxies, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		if err := s.reconcileProxy(name, all[name]); err != nil {
			errs = append(errs, fmt.Errorf("proxy %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) reconcileProxy(name string, p *toxiproxy.Proxy) error {
	ps := s.proxies[name]
	if ps == nil {
		ps = &proxyState{stage: wirefault.NewStage(), in: map[wirefault.Protocol]*wirefault.Injector{}, set: map[wirefault.Protocol][]string{}}
		s.proxies[name] = ps
	}
	if p.Toxics.GetToxic(StageToxic) == nil {
		b, err := json.Marshal(map[string]any{"name": StageToxic, "type": wirefault.ToxicType, "stream": "upstream", "toxicity": 1, "attributes": ps.stage.Attributes()})
		if err != nil {
			return err
		}
		if _, err := p.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("putting the request stage on: %w", err)
		}
	}
	want := map[wirefault.Protocol][]*faultToxic{}
	run, seed := "", uint64(0)
	for _, f := range faultsOn(p) {
		want[f.proto] = append(want[f.proto], f.ft)
		_, run, seed, _ = f.ft.state()
	}
	if run != "" && run != ps.run { // a new run: fresh injectors, every stream from its first draw
		for _, in := range ps.in {
			in.Close()
		}
		ps.run, ps.in, ps.set = run, map[wirefault.Protocol]*wirefault.Injector{}, map[wirefault.Protocol][]string{}
	}
	var errs []error
	for _, proto := range []wirefault.Protocol{wirefault.Postgres, wirefault.Redis} {
		in := ps.in[proto]
		if in == nil && len(want[proto]) > 0 {
			var err error
			if in, err = wirefault.New(wirefault.Config{Protocol: proto, Seed: seed, OnDecision: s.logger(run, name)}); err != nil {
				return err
			}
			ps.in[proto] = in
			ps.stage.Use(in)
		}
		var names []string
		for _, ft := range want[proto] {
			f, _, _, _ := ft.state()
			if err := in.Set(f); err != nil {
				errs = append(errs, err)
				continue
			}
			ft.setCounts(func() (uint64, uint64, bool) { return in.Counts(f.Name) })
			names = append(names, f.Name)
		}
		for _, old := range ps.set[proto] {
			if !slices.Contains(names, old) {
				in.Remove(old)
			}
		}
		ps.set[proto] = names
	}
	return errors.Join(errs...)
}

// logger returns the decision hook of a run's injector on a proxy.
func (s *Server) logger(run, proxy string) func(wirefault.Decision) {
	return func(d wirefault.Decision) {
		s.logMu.Lock()
		defer s.logMu.Unlock()
		if len(s.log) >= MaxDecisions { // drop the oldest tenth: amortised
			n := len(s.log) / 10
			for _, d := range s.log[:n] {
				s.dropped[d.Run]++
			}
			s.log = slices.Delete(s.log, 0, n)
		}
		s.log = append(s.log, Decision{Run: run, Proxy: proxy, Decision: d})
	}
}

// Renew sets the lease of every fault toxic of the run again from now, and returns how many it
// renewed. (Updating each toxic through Toxiproxy's API renews it too, but Toxiproxy writes a
// toxic's toxicity while its links read it, unsynchronised: a race the renewal need not run.)
func (s *Server) Renew(run string, now time.Time) int {
	n := 0
	for _, p := range s.api.Collection.Proxies() {
		for _, f := range faultsOn(p) {
			if _, r, _, _ := f.ft.state(); r == run {
				f.ft.renew(now)
				n++
			}
		}
	}
	return n
}

// Expire removes every fault toxic whose lease ran out before now, and returns their names
// (proxy/toxic).
func (s *Server) Expire(now time.Time) ([]string, error) {
	var gone []string
	var errs []error
	for name, p := range s.api.Collection.Proxies() {
		for _, f := range faultsOn(p) {
			if _, _, _, expires := f.ft.state(); !expires.IsZero() && now.After(expires) {
				if err := p.Toxics.RemoveToxic(context.Background(), f.name); err != nil && !errors.Is(err, toxiproxy.ErrToxicNotFound) {
					errs = append(errs, err)
					continue
				}
				gone = append(gone, name+"/"+f.name)
			}
		}
	}
	if len(gone) > 0 {
		errs = append(errs, s.reconcile())
	}
	return gone, errors.Join(errs...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError answers as Toxiproxy's API does: {"error": ..., "status": ...}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"error": msg, "status": code})
}

// Serve serves the API on ln until ctx ends, removing expired faults every tick, and says what
// it removed on logf.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tick time.Duration, logf func(format string, args ...any)) error {
	s.logf = logf
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 15 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		case now := <-t.C:
			gone, err := s.Expire(now)
			for _, g := range gone {
				logf("lease ran out: removed %s", g)
			}
			if err != nil {
				logf("removing expired faults: %v", err)
			}
		}
	}
}
