package ollama

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/types/model"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
)

// FaultsPath is where the mock serves its fault admin endpoint (see httpfault.AdminHandler).
const FaultsPath = "/__shakedown/faults"

// Server is a mock Ollama server.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:38123, once started.
	URL string

	cfg     Config
	faults  *httpfault.Injector
	sched   *scheduler
	handler http.Handler
	ts      *httptest.Server
	stop    context.CancelFunc // ends every request's context: Close does not wait on sleeps

	mu     sync.RWMutex
	list   []Model          // served, in order: created and copied models come last
	byName map[string]Model // by canonical name, and by the names as served (Name, tagged)
	blobs  map[string]bool  // digests uploaded to /api/blobs
}

// NewServer starts a mock on 127.0.0.1 on a port the OS chooses. It panics on an invalid Config,
// like httptest.NewServer panics when it cannot listen; use New to get the error instead.
func NewServer(cfg Config) *Server {
	s := NewUnstartedServer(cfg)
	s.Start()
	return s
}

// NewUnstartedServer returns a mock that Start starts. It panics on an invalid Config.
func NewUnstartedServer(cfg Config) *Server {
	s, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return s
}

// New returns a mock that is not listening: use Handler to serve it yourself, or Start.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Models == nil {
		cfg.Models = DefaultModels
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	inj, err := httpfault.New(httpfault.Config{Seed: cfg.Seed, Faults: cfg.Faults, OnDecision: cfg.OnDecision,
		ErrorBody: errorBody, StreamError: streamError})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, faults: inj, byName: map[string]Model{}, blobs: map[string]bool{}}
	s.sched = newScheduler(&s.cfg)
	for _, m := range cfg.Models {
		s.addModel(m)
	}
	s.handler = s.routes()
	return s, nil
}

// Start starts listening on 127.0.0.1:0.
func (s *Server) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.ts = httptest.NewUnstartedServer(s.handler)
	s.ts.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	s.ts.Start()
	s.URL = s.ts.URL
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return strings.TrimPrefix(s.URL, "http://") }

// Close ends every request in progress, stops listening and waits for the connections to close.
func (s *Server) Close() {
	if s.ts == nil {
		return
	}
	s.stop()
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Handler returns the mock's handler: the API behind the fault injector, plus the fault admin
// endpoint at FaultsPath (never faulted).
func (s *Server) Handler() http.Handler { return s.handler }

// Faults returns the fault injector, to set and clear faults while the server runs.
func (s *Server) Faults() *httpfault.Injector { return s.faults }

// Collectors returns the mock's Prometheus collectors (its fault decisions) for the caller to
// register.
func (s *Server) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.faults.Collector()}
}

// models are the models served now.
func (s *Server) models() []Model {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.list)
}

// addModel serves m, replacing a model of the same name (as /api/create and /api/copy do).
func (s *Server) addModel(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := canonical(m.Name)
	if _, ok := s.byName[c]; ok {
		i := slices.IndexFunc(s.list, func(o Model) bool { return canonical(o.Name) == c })
		s.list[i] = m
	} else {
		s.list = append(s.list, m)
	}
	s.byName[c], s.byName[m.Name], s.byName[m.tagged()] = m, m, m
}

func (s *Server) removeModel(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := canonical(m.Name)
	delete(s.byName, c)
	delete(s.byName, m.Name)
	delete(s.byName, m.tagged())
	s.list = slices.DeleteFunc(s.list, func(o Model) bool { return canonical(o.Name) == c })
}

func (s *Server) lookup(c string) (Model, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.byName[c]
	return m, ok
}

func (s *Server) hasBlob(d string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.blobs[strings.Replace(d, "-", ":", 1)]
}

func (s *Server) addBlob(d string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[strings.Replace(d, "-", ":", 1)] = true
}

// caps are m's capabilities as /api/show reports them.
func caps(m Model) []model.Capability {
	var out []model.Capability
	for _, c := range m.capabilities() {
		out = append(out, model.Capability(c))
	}
	return out
}
