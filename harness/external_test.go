package harness

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/faultproxy"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/faults/seeded"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

// toxiproxyServer builds Toxiproxy's own server from the module and starts it on loopback as a
// separate process, as staging would run it; the harness reaches it only through its HTTP API.
func toxiproxyServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "toxiproxy-server")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/Shopify/toxiproxy/v2/cmd/server").CombinedOutput(); err != nil {
		t.Fatalf("build toxiproxy's server: %v\n%s", err, out)
	}
	port, err := env.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-host", "127.0.0.1", "-port", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	api := "http://127.0.0.1:" + strconv.Itoa(port)
	c := toxiclient.NewClient(api)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.Version(); err == nil {
			return api
		} else if time.Now().After(deadline) {
			t.Fatalf("toxiproxy server at %s did not answer within 10s: %v", api, err)
		}
		time.Sleep(20 * time.Millisecond) // a process that logs nothing we could wait on; bounded
	}
}

// pingSUT is a service whose every answer is a PING to the Redis at addr: 503 when it fails.
func pingSUT(t *testing.T, addr string) *httptest.Server {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	sut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(func() { sut.Close(); rdb.Close() })
	return sut
}

// TestExternalBackendThroughToxiproxyServer: the external backend against a Redis and a service
// this test starts on loopback, with faults applied through a standalone Toxiproxy server's API
// (the proxy created beforehand, as staging's configuration would): the latency shows in the
// record, and afterwards the harness's toxics are gone while the server's own toxic stays.
func TestExternalBackendThroughToxiproxyServer(t *testing.T) {
	t.Parallel()
	rs := mustService(t, startOn(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}}), service.Redis)
	api := toxiproxyServer(t)
	c := toxiclient.NewClient(api)
	p, err := c.CreateProxy("redis", "127.0.0.1:0", rs.Direct())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddToxic("staging-own", "latency", "downstream", 0.01, toxiclient.Attributes{"latency": 1}); err != nil {
		t.Fatal(err)
	}
	sut := pingSUT(t, p.Listen)

	sc := &scenarios.Scenario{
		Name: "external", Seed: 3,
		Environment: scenarios.Environment{Services: []string{service.Redis}, Backend: service.BackendExternal,
			External: &service.External{Toxiproxy: api, Services: map[string]service.ExternalService{service.Redis: {Address: rs.Direct()}}}},
		SUT:    scenarios.SUT{URL: sut.URL, Ready: "/"},
		Load:   scenarios.LoadSpec{Rate: units.Rate{Freq: 20, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/"}}},
		Phases: scenarios.Phases{Warmup: units.Duration(2 * time.Second), Fault: units.Duration(3 * time.Second), Recovery: units.Duration(time.Second)},
		Faults: []faults.Spec{&faults.Latency{Common: faults.Common{Name: "slow", Type: "latency", Target: service.Redis}, Latency: units.Duration(200 * time.Millisecond)}},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir(), ScrapeTick: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != record.StatusCompleted || rec.Env.Backend != service.BackendExternal {
		t.Fatalf("record: %s on %s", rec.Status, rec.Env.Backend)
	}
	if warm, faulty := rec.Latency["warmup"].Quantile(0.5), rec.Latency["fault"].Quantile(0.95); warm > 100*time.Millisecond || faulty < 150*time.Millisecond {
		t.Errorf("p50 in warmup %v, p95 in fault %v; want the 200ms latency through the server to show in the fault phase only", warm, faulty)
	}
	p, _ = c.Proxy("redis")
	toxics, _ := p.Toxics()
	if len(toxics) != 1 || toxics[0].Name != "staging-own" || !p.Enabled {
		t.Errorf("the server's proxy after the run: enabled %v, toxics %+v; want only its own toxic, enabled", p.Enabled, toxics)
	}
}

// TestAllowTargetRefusesBeforeAnythingStarts: a scenario naming hosts off this machine is refused
// before the environment starts, naming each target; allowed by name, it passes the check.
func TestAllowTargetRefusesBeforeAnythingStarts(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{Name: "staging", Environment: scenarios.Environment{Services: []string{service.Postgres}, Backend: service.BackendExternal,
		External: &service.External{Toxiproxy: "http://toxiproxy.staging.internal:8474",
			Services: map[string]service.ExternalService{service.Postgres: {Address: "db.staging.internal:5432"}}}},
		SUT:    scenarios.SUT{URL: "https://agentd.staging.internal"},
		Load:   scenarios.LoadSpec{Rate: units.Rate{Freq: 1, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/"}}},
		Phases: scenarios.Phases{Fault: units.Duration(time.Second)}}
	state := t.TempDir()
	_, err := NewPlan(sc, RunOptions{StateDir: state, AllowTargets: []string{"agentd.staging.internal"}})
	if !errors.Is(err, ErrTargetNotAllowed) {
		t.Fatalf("NewPlan = %v; want ErrTargetNotAllowed", err)
	}
	for _, want := range []string{"environment.external.toxiproxy = http://toxiproxy.staging.internal:8474 (host toxiproxy.staging.internal)",
		"environment.external.services.postgres.address = db.staging.internal:5432", "--allow-target HOST"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "sut.url") {
		t.Errorf("the allowed SUT is refused too: %v", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(state, "*", "*")); len(entries) != 0 {
		t.Errorf("the refused run left %v in the state directory", entries)
	}
	if err := checkTargets(sc, []string{"agentd.staging.internal", "toxiproxy.staging.internal", "db.staging.internal"}); err != nil {
		t.Errorf("every host allowed: %v", err)
	}
	sc.SUT.URL = "http://127.0.0.1:8080"
	sc.Environment = scenarios.Environment{}
	if err := checkTargets(sc, nil); err != nil {
		t.Errorf("loopback only: %v", err)
	}
	// A target at one of the run's own services, by its placeholder, is the environment's.
	sc.Load.Targets = []scenarios.LoadTarget{{URL: "{{ollama.url}}/api/tags"}, {URL: "http://{{redis.host}}:8080/"}, {URL: "{{ollama.addr}}"}}
	if err := checkTargets(sc, nil); err != nil {
		t.Errorf("targets at the run's own services: %v", err)
	}
	sc.Load.Targets = []scenarios.LoadTarget{{URL: "http://{{postgres.user}}.evil.example/"}, {URL: "{{redis.host}}.evil.example/"}}
	err = checkTargets(sc, nil)
	for _, want := range []string{"load.targets[0].url", "load.targets[1].url"} {
		if !errors.Is(err, ErrTargetNotAllowed) || !strings.Contains(err.Error(), want) {
			t.Errorf("a host made of a service's part and more: %v; want %s refused", err, want)
		}
	}
}

// TestExternalBackendEmbeddedListen: without a Toxiproxy server, the embedded proxy listens where
// the (staging) SUT is configured to connect, and faults act there.
func TestExternalBackendEmbeddedListen(t *testing.T) {
	t.Parallel()
	rs := mustService(t, startOn(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}}), service.Redis)
	port, err := env.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	sut := pingSUT(t, listen)
	sc := &scenarios.Scenario{
		Name: "external-listen", Seed: 3,
		Environment: scenarios.Environment{Services: []string{service.Redis}, Backend: service.BackendExternal,
			External: &service.External{Services: map[string]service.ExternalService{service.Redis: {Address: rs.Direct(), Listen: listen}}}},
		SUT:    scenarios.SUT{URL: sut.URL, Ready: "/"},
		Load:   scenarios.LoadSpec{Rate: units.Rate{Freq: 20, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/"}}},
		Phases: scenarios.Phases{Warmup: units.Duration(2 * time.Second), Fault: units.Duration(2 * time.Second), Recovery: units.Duration(time.Second)},
		Faults: []faults.Spec{&faults.ProxyDown{Common: faults.Common{Name: "down", Type: "proxy_down", Target: service.Redis}}},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	warm, _ := rec.PhaseCounts("warmup")
	fault, _ := rec.PhaseCounts("fault")
	if warm.Availability() < 0.95 || fault.Availability() > 0.5 { // a request straddling the boundary may fail
		t.Errorf("availability: warmup %v, fault %v; want the proxy on the listen address up, then down", warm.Availability(), fault.Availability())
	}
	if _, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
		t.Error("the embedded proxy still listens after the run")
	}
}

// faultProxyServer builds cmd/shakedown-proxy and starts it on loopback as its own process, as
// a staging would run it; the harness reaches it only through its HTTP API.
func faultProxyServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shakedown-proxy")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/shakedown-dev/shakedown/cmd/shakedown-proxy").CombinedOutput(); err != nil {
		t.Fatalf("build the fault proxy: %v\n%s", err, out)
	}
	port, err := env.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n') // "listening on ...": it serves from then on
	if err != nil || !strings.Contains(line, "listening on") {
		t.Fatalf("the fault proxy said %q, %v; want it listening", line, err)
	}
	go io.Copy(io.Discard, out)
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// TestExternalBackendThroughFaultProxy: the external backend whose Toxiproxy server is a
// Shakedown fault proxy runs a command fault there, on a connection the service opened before
// it: the record's decisions, read back from the proxy, are the stream of the run's seed, draw
// for draw, and the harness's toxics are gone afterwards. Behind a plain Toxiproxy the same
// scenario is refused, saying what to deploy.
func TestExternalBackendThroughFaultProxy(t *testing.T) {
	t.Parallel()
	rs := mustService(t, startOn(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}}), service.Redis)
	p30 := units.Probability(0.3)
	scenario := func(api string) *scenarios.Scenario {
		sc := &scenarios.Scenario{
			Name: "external-fault-proxy", Seed: 3,
			Environment: scenarios.Environment{Services: []string{service.Redis}, Backend: service.BackendExternal,
				External: &service.External{Toxiproxy: api, Services: map[string]service.ExternalService{service.Redis: {Address: rs.Direct()}}}},
			Load:   scenarios.LoadSpec{Rate: units.Rate{Freq: 20, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/"}}},
			Phases: scenarios.Phases{Warmup: units.Duration(time.Second), Fault: units.Duration(2 * time.Second), Recovery: units.Duration(time.Second)},
			Faults: []faults.Spec{&faults.Command{Common: faults.Common{Name: "ping-errors", Type: "command", Target: service.Redis, Probability: &p30},
				Action: wirefault.Action{Kind: wirefault.KindError, Match: "PING"}}},
		}
		return sc
	}
	for _, plain := range []bool{false, true} {
		t.Run(map[bool]string{false: "fault proxy", true: "plain toxiproxy"}[plain], func(t *testing.T) {
			api := faultProxyServer(t)
			if plain {
				api = toxiproxyServer(t)
			}
			p, err := toxiclient.NewClient(api).CreateProxy("redis", "127.0.0.1:0", rs.Direct())
			if err != nil {
				t.Fatal(err)
			}
			sc := scenario(api)
			sc.SUT = scenarios.SUT{URL: pingSUT(t, p.Listen).URL, Ready: "/"}
			if err := sc.Validate(); err != nil {
				t.Fatal(err)
			}
			rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()})
			if plain {
				if err == nil || !strings.Contains(err.Error(), "plain Toxiproxy") || !strings.Contains(err.Error(), "shakedown-proxy") {
					t.Errorf("behind a plain Toxiproxy: %v; want the command fault refused, naming the fault proxy to deploy", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			draws := seeded.NewDraws(sc.Seed, "ping-errors")
			var injected int
			for i, d := range rec.DecisionLog {
				seq, draw, inj := draws.Decide(0.3, 0)
				if d.Fault != "ping-errors" || d.Seq != seq || d.Draw != draw || d.Injected != inj {
					t.Fatalf("decision %d read back: %+v; want draw %d of the seed's stream: %d %v %v", i, d, i, seq, draw, inj)
				}
				if inj {
					injected++
				}
			}
			fault, _ := rec.PhaseCounts(record.PhaseFault)
			if len(rec.DecisionLog) < 20 || injected == 0 || fault.Failed < int64(injected)/2 {
				t.Errorf("%d decisions, %d injected, %d requests failed in the fault phase; want the PINGs decided and the injected ones failing", len(rec.DecisionLog), injected, fault.Failed)
			}
			stagesAlone(t, api, "redis")
		})
	}
}

// stagesAlone checks that the proxy named name on the fault proxy at api holds its stages alone.
func stagesAlone(t *testing.T, api, name string) {
	t.Helper()
	p, err := toxiclient.NewClient(api).Proxy(name)
	if err != nil {
		t.Fatal(err)
	}
	toxics, _ := p.Toxics()
	var names []string
	for _, tx := range toxics {
		names = append(names, tx.Name)
	}
	if !slices.Equal(names, faultproxy.Stages) {
		t.Errorf("proxy %s's toxics after the run: %v; want its stages alone, %v", name, names, faultproxy.Stages)
	}
}

// llmSUT is a service that asks the LLM at addr for each request to / it serves: 200 when the
// LLM answered, 502 when it did not.
func llmSUT(t *testing.T, addr string) *httptest.Server {
	hc := &http.Client{Transport: &http.Transport{}}
	sut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" { // the readiness probe, the metrics scrape
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+addr+"/api/chat",
			strings.NewReader(`{"model": "`+ollama.DefaultModels[0].Name+`", "stream": false, "messages": [{"role": "user", "content": "hi"}]}`))
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			http.Error(w, resp.Status, http.StatusBadGateway)
		}
	}))
	t.Cleanup(func() { sut.Close(); hc.CloseIdleConnections() })
	return sut
}

// TestExternalBackendHTTPFaultThroughFaultProxy: the external backend whose Toxiproxy server
// is a Shakedown fault proxy runs an HTTP fault on the LLM there, not on the mock's own
// injector: the record's decisions, read back from the proxy, are the stream of the run's seed,
// the injected ones are the service's failures, and only the proxy's stages are left after the
// run. Behind a plain Toxiproxy the fault goes to the mock's admin endpoint, as before.
func TestExternalBackendHTTPFaultThroughFaultProxy(t *testing.T) {
	t.Parallel()
	var byMock, injMock atomic.Int64 // decisions of the mock's own injector
	mock := ollama.NewServer(ollama.Config{Seed: 1, OnDecision: func(d httpfault.Decision) {
		byMock.Add(1)
		if d.Injected {
			injMock.Add(1)
		}
	}})
	t.Cleanup(mock.Close)
	llm := strings.TrimPrefix(mock.URL, "http://")
	p30 := units.Probability(0.3)
	for _, plain := range []bool{false, true} {
		t.Run(map[bool]string{false: "fault proxy", true: "plain toxiproxy"}[plain], func(t *testing.T) {
			api := faultProxyServer(t)
			if plain {
				api = toxiproxyServer(t)
			}
			p, err := toxiclient.NewClient(api).CreateProxy(service.Ollama, "127.0.0.1:0", llm)
			if err != nil {
				t.Fatal(err)
			}
			sc := &scenarios.Scenario{
				Name: "external-fault-proxy-http", Seed: 5,
				Environment: scenarios.Environment{Services: []string{service.Ollama}, Backend: service.BackendExternal,
					External: &service.External{Toxiproxy: api, Services: map[string]service.ExternalService{service.Ollama: {Address: llm, URL: mock.URL}}}},
				SUT:    scenarios.SUT{URL: llmSUT(t, p.Listen).URL, Ready: "/ready"},
				Load:   scenarios.LoadSpec{Rate: units.Rate{Freq: 20, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/"}}},
				Phases: scenarios.Phases{Warmup: units.Duration(time.Second), Fault: units.Duration(2 * time.Second), Recovery: units.Duration(time.Second)},
				Faults: []faults.Spec{&faults.HTTP{Common: faults.Common{Name: "llm-errors", Type: "http", Target: service.Ollama, Probability: &p30},
					Action: httpfault.Action{Kind: httpfault.KindError, Status: 503, PathPrefix: "/api/chat"}}},
			}
			if err := sc.Validate(); err != nil {
				t.Fatal(err)
			}
			byMock.Store(0)
			rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			all, _ := rec.PhaseCounts(record.PhaseAll)
			failed := all.Failed // only the fault's injections fail
			if plain {
				if byMock.Load() < 20 || failed != injMock.Load() {
					t.Errorf("behind a plain Toxiproxy: the mock decided %d requests, injected %d, %d failed; want the fault on the mock", byMock.Load(), injMock.Load(), failed)
				}
				return
			}
			if n := byMock.Load(); n != 0 {
				t.Errorf("the mock's own injector decided %d requests; want none (the fault proxy decides)", n)
			}
			ph, _ := rec.Phase(record.PhaseFault)
			start, off := ph.Start, record.Duration(0) // the fault is applied after the phase starts, and the record's event says when it was removed
			for _, e := range rec.Faults {
				if e.Action == record.FaultRemoved {
					off = e.At
				}
			}
			draws := seeded.NewDraws(sc.Seed, "llm-errors")
			var injected int
			for i, d := range rec.DecisionLog {
				if d.At < start || d.At > off {
					t.Errorf("decision %d at %v; want the time the proxy made it, between the fault phase's start and the fault's removal [%v, %v]", i, d.At, start, off)
				}
				seq, draw, inj := draws.Decide(0.3, 0)
				if d.Fault != "llm-errors" || d.Seq != seq || d.Draw != draw || d.Injected != inj || d.Detail != "POST /api/chat" {
					t.Fatalf("decision %d read back: %+v; want draw %d of the seed's stream: %d %v %v, POST /api/chat", i, d, i, seq, draw, inj)
				}
				if inj {
					injected++
				}
			}
			if len(rec.DecisionLog) < 20 || injected == 0 || failed != int64(injected) {
				t.Errorf("%d decisions, %d injected, %d requests failed; want every injected one failing, no other", len(rec.DecisionLog), injected, failed)
			}
			stagesAlone(t, api, service.Ollama)
		})
	}
}
