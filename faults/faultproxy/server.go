// Package faultproxy is Shakedown's deployable fault proxy: a Toxiproxy server (its HTTP API, so
// that toxiproxy-cli and Toxiproxy's Go client work against it unchanged) with Shakedown's
// request-level faults as toxic types of their own, for a staging the harness does not run.
//
// Every proxy gets its stages as it is created (Stages): the request stage (wirefault's) tells
// each connection's protocol by its first bytes and frames Postgres's and Redis's requests from
// the start, so that a fault added later acts on single queries and commands inside connections
// opened long before it, exactly as the harness's embedded proxy does; the HTTP stage (two
// toxics, one per direction) serves a connection whose first line is an HTTP/1.x request line
// through an HTTP reverse proxy with httpfault's middleware, the same as the harness's mock and
// reverse proxy. A fault is a toxic of type QueryToxic, CommandToxic or HTTPToxic whose
// attributes are the fault (the flat JSON of wirefault.Fault or httpfault.Fault), the run it
// belongs to (run), that run's seed (seed) and a lease (lease, "30s"):
//
//	toxiproxy-cli toxic add -t shakedown_query -a run=nightly-1 -a seed=7 ... postgres
//	toxiproxy-cli toxic add -t shakedown_http -a run=nightly-1 -a seed=7 -a kind=error -a status=503 ... ollama
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

	"github.com/shakedown-dev/shakedown/faults/httpfault"
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

// proxyState is what the server keeps of one proxy: its stages and the injectors in use.
type proxyState struct {
	stage  *wirefault.Stage
	http   *httpStage
	run    string // the run whose faults the injectors hold
	in     map[wirefault.Protocol]*wirefault.Injector
	httpIn *httpfault.Injector
	set    map[string][]string // the fault names set, by toxic type
}

// Decision is one logged decision: the proxy and run it was made for, and the draw of a query
// or command fault (Wire) or of an HTTP fault (HTTP).
type Decision struct {
	Run   string              `json:"run"`
	Proxy string              `json:"proxy"`
	Wire  *wirefault.Decision `json:"wire,omitempty"`
	HTTP  *httpfault.Decision `json:"http,omitempty"`
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
		writeJSON(w, http.StatusOK, Info{Server: "shakedown-proxy", Toxics: []string{QueryToxic, CommandToxic, HTTPToxic}, Stages: Stages})
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

// Stages names the stage toxics the server puts on every proxy, in the order it puts them on.
var Stages = []string{StageToxic, HTTPRequests, HTTPResponses}

// Info is GET /shakedown's answer: what the server is, its fault toxic types, and the stage
// toxics it puts on every proxy.
type Info struct {
	Server string   `json:"server"`
	Toxics []string `json:"toxics"`
	Stages []string `json:"stages"`
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
	if typ != QueryToxic && typ != CommandToxic && typ != HTTPToxic {
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
			ps.http.close()
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
		ps = &proxyState{stage: wirefault.NewStage(), http: newHTTPStage(), in: map[wirefault.Protocol]*wirefault.Injector{}, set: map[string][]string{}}
		s.proxies[name] = ps
	}
	if err := s.putStages(p, ps); err != nil {
		return err
	}
	want := map[string][]*faultToxic{}
	run, seed := "", uint64(0)
	for _, f := range faultsOn(p) {
		want[f.typ] = append(want[f.typ], f.ft)
		_, run, seed, _ = f.ft.state()
	}
	if run != "" && run != ps.run { // a new run: fresh injectors, every stream from its first draw
		for _, in := range ps.in {
			in.Close()
		}
		ps.http.use(nil)
		ps.run, ps.in, ps.httpIn, ps.set = run, map[wirefault.Protocol]*wirefault.Injector{}, nil, map[string][]string{}
	}
	var errs []error
	for _, typ := range []string{QueryToxic, CommandToxic} {
		proto := onProxy{typ: typ}.protocol()
		in := ps.in[proto]
		if in == nil && len(want[typ]) > 0 {
			var err error
			if in, err = wirefault.New(wirefault.Config{Protocol: proto, Seed: seed, OnDecision: func(d wirefault.Decision) {
				s.record(Decision{Run: run, Proxy: name, Wire: &d})
			}}); err != nil {
				return err
			}
			ps.in[proto] = in
			ps.stage.Use(in)
		}
		errs = append(errs, s.setFaults(ps, typ, want[typ], func(b []byte) (string, error) {
			f, err := wireFault(b)
			if err == nil {
				err = in.Set(f)
			}
			return f.Name, err
		}, func(n string) { in.Remove(n) }, func(n string) (uint64, uint64, bool) { return in.Counts(n) }))
	}
	if ps.httpIn == nil && len(want[HTTPToxic]) > 0 {
		in, err := httpfault.New(httpfault.Config{Seed: seed, OnDecision: func(d httpfault.Decision) {
			s.record(Decision{Run: run, Proxy: name, HTTP: &d})
		}})
		if err != nil {
			return err
		}
		ps.httpIn = in
		ps.http.use(in)
	}
	if in := ps.httpIn; in != nil {
		errs = append(errs, s.setFaults(ps, HTTPToxic, want[HTTPToxic], func(b []byte) (string, error) {
			f, err := httpFault(b)
			if err == nil {
				err = in.Set(f)
			}
			return f.Name, err
		}, func(n string) { in.Remove(n) }, func(n string) (uint64, uint64, bool) { return in.Snapshot().Counts(n) }))
	}
	return errors.Join(errs...)
}

// putStages puts a proxy's stages on (again, after a reset): the wire stage and the HTTP
// stage's request half first on the upstream stream, the HTTP stage's response half first on
// the downstream one.
func (s *Server) putStages(p *toxiproxy.Proxy, ps *proxyState) error {
	type stage struct {
		name, typ, stream string
		attrs             map[string]any
	}
	var missing []stage
	for _, st := range []stage{
		{StageToxic, wirefault.ToxicType, "upstream", ps.stage.Attributes()},
		{HTTPRequests, HTTPStageType, "upstream", ps.http.attributes(sideRequests)},
		{HTTPResponses, HTTPStageType, "downstream", ps.http.attributes(sideResponses)},
	} {
		if p.Toxics.GetToxic(st.name) == nil {
			missing = append(missing, st)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ps.http.putting(true)
	defer ps.http.putting(false)
	for _, st := range missing {
		b, err := json.Marshal(map[string]any{"name": st.name, "type": st.typ, "stream": st.stream, "toxicity": 1, "attributes": st.attrs})
		if err != nil {
			return err
		}
		if _, err := p.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("putting the stage %s on: %w", st.name, err)
		}
	}
	return nil
}

// setFaults sets on one injector exactly the faults of the proxy's toxics of type typ: set
// sets one (the fault's JSON) and returns its name, remove takes an old one off, counts reads
// a fault's counts for its toxic.
func (s *Server) setFaults(ps *proxyState, typ string, toxics []*faultToxic, set func([]byte) (string, error), remove func(string),
	counts func(string) (uint64, uint64, bool)) error {
	var errs []error
	var names []string
	for _, ft := range toxics {
		f, _, _, _ := ft.state()
		name, err := set(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ft.setCounts(func() (uint64, uint64, bool) { return counts(name) })
		names = append(names, name)
	}
	for _, old := range ps.set[typ] {
		if !slices.Contains(names, old) {
			remove(old)
		}
	}
	ps.set[typ] = names
	return errors.Join(errs...)
}

// record logs a decision.
func (s *Server) record(d Decision) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if len(s.log) >= MaxDecisions { // drop the oldest tenth: amortised
		n := len(s.log) / 10
		for _, d := range s.log[:n] {
			s.dropped[d.Run]++
		}
		s.log = slices.Delete(s.log, 0, n)
	}
	s.log = append(s.log, d)
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

// Close removes every proxy (their listeners close, their connections end) and their stages.
func (s *Server) Close() error {
	return errors.Join(s.api.Collection.Clear(), s.reconcile())
}

// Serve serves the API on ln until ctx ends, then closes the server; it removes expired faults
// every tick and says what it removed on logf.
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
			return errors.Join(srv.Shutdown(sctx), s.Close())
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
