package faultproxy_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults/faultproxy"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/service"
)

// BenchmarkFaultProxyCost measures a round trip, side by side in one run, for Redis GET,
// Postgres SELECT $1 and an HTTP GET: directly; through the harness's embedded proxy (a request
// stage with a fault set that matches nothing, so every request is framed and decided, and
// without one; for HTTP, the fault proxy's own code in the harness's process); and through the
// fault proxy in a container (make images' shakedown/proxy:dev, on the host's network), with
// such a fault and without. It reports the median in microseconds.
func BenchmarkFaultProxyCost(b *testing.B) {
	ctx := context.Background()
	if env.DockerAvailable(ctx) != nil || exec.Command("docker", "image", "inspect", image()).Run() != nil {
		b.Skipf("needs a Docker engine and the image %s (make images)", image())
	}
	in := map[string]*wirefault.Injector{}
	for name, p := range map[string]wirefault.Protocol{service.Postgres: wirefault.Postgres, service.Redis: wirefault.Redis} {
		w, err := wirefault.New(wirefault.Config{Protocol: p, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		in[name] = w
	}
	plain, err := env.Start(ctx, env.Spec{Backend: service.BackendLocal, Services: []string{service.Postgres, service.Redis}, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close(ctx)
	staged, err := env.Start(ctx, env.Spec{Backend: service.BackendLocal, Services: []string{service.Postgres, service.Redis}, StateDir: b.TempDir(), Wire: in})
	if err != nil {
		b.Fatal(err)
	}
	defer staged.Close(ctx)
	pg, _ := staged.Service(service.Postgres)
	rd, _ := staged.Service(service.Redis)
	ppg, _ := plain.Service(service.Postgres)
	prd, _ := plain.Service(service.Redis)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok": true}`)
	}))
	defer web.Close()
	webAddr := strings.TrimPrefix(web.URL, "http://")
	upstreams := map[string]string{"postgres": pg.Direct(), "redis": rd.Direct(), "http": webAddr}
	api, proxies := containerProxy(b, upstreams)
	pgProxy, rdProxy := proxies["postgres"], proxies["redis"]
	_, embedded := serve(b) // the HTTP stage in this process: one proxy with the fault, one without
	webFault, err := embedded.CreateProxy("http", "127.0.0.1:0", webAddr)
	if err != nil {
		b.Fatal(err)
	}
	webBare, err := embedded.CreateProxy("http-bare", "127.0.0.1:0", webAddr)
	if err != nil {
		b.Fatal(err)
	}
	neverHTTP := toxiclient.Attributes{"run": "bench", "seed": 1, "probability": 1, "kind": "error", "path_prefix": "/nowhere"}
	if _, err := webFault.AddToxic("never", faultproxy.HTTPToxic, "upstream", 1, neverHTTP); err != nil {
		b.Fatal(err)
	}
	dsn := func(addr string) string { return strings.Replace(pg.DirectURL(), pg.Direct(), addr, 1) }

	never := map[string]wirefault.Fault{ // configured, matching nothing: every request framed and decided
		service.Postgres: {Name: "never", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Match: "INSERT INTO nowhere"}},
		service.Redis:    {Name: "never", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Match: "GET nowhere:*"}},
	}
	for name, f := range never {
		if err := in[name].Set(f); err != nil {
			b.Fatal(err)
		}
	}
	c := toxiclient.NewClient(api)
	for _, name := range []string{service.Postgres, service.Redis, "http"} {
		p, err := c.Proxy(name)
		if err != nil {
			b.Fatal(err)
		}
		attrs := neverHTTP
		if f, ok := never[name]; ok {
			typ := map[string]string{service.Postgres: faultproxy.QueryToxic, service.Redis: faultproxy.CommandToxic}[name]
			attrs = toxiclient.Attributes{"run": "bench", "seed": 1, "probability": 1, "kind": string(f.Action.Kind), "match": f.Action.Match}
			_, err = p.AddToxic("never", typ, "upstream", 1, attrs)
		} else {
			_, err = p.AddToxic("never", faultproxy.HTTPToxic, "upstream", 1, attrs)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	// The container's faults stay set; "without" is a second proxy of each service there.
	_, bare := containerProxy(b, upstreams)

	for _, path := range []struct{ name, pg, redis, web string }{
		{"direct", dsn(pg.Direct()), rd.Direct(), webAddr},
		{"embedded", ppg.URL, prd.Proxied, webBare.Listen},
		{"embedded-fault", pg.URL, rd.Proxied, webFault.Listen},
		{"container", dsn(bare["postgres"]), bare["redis"], bare["http"]},
		{"container-fault", dsn(pgProxy), rdProxy, proxies["http"]},
	} {
		b.Run("http-get/"+path.name, func(b *testing.B) {
			tr := &http.Transport{MaxConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			median(b, func() error {
				resp, err := hc.Get("http://" + path.web + "/api/tags")
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("GET: %s", resp.Status)
				}
				return err
			})
		})
		b.Run("redis-get/"+path.name, func(b *testing.B) {
			rdb := redis.NewClient(&redis.Options{Addr: path.redis, PoolSize: 1})
			defer rdb.Close()
			if err := rdb.Set(ctx, "bench:k", "v", 0).Err(); err != nil {
				b.Fatal(err)
			}
			median(b, func() error { return rdb.Get(ctx, "bench:k").Err() })
		})
		b.Run("postgres-select/"+path.name, func(b *testing.B) {
			conn, err := pgx.Connect(ctx, path.pg)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			var n int
			median(b, func() error { return conn.QueryRow(ctx, "SELECT $1::int", 1).Scan(&n) })
		})
	}
}

func image() string {
	if v := os.Getenv("SHAKEDOWN_PROXY_IMAGE"); v != "" {
		return v
	}
	return "shakedown/proxy:dev"
}

// containerProxy runs the fault proxy's image on the host's network with a proxy in front of
// each upstream, and returns its API's URL and each proxy's address.
func containerProxy(b *testing.B, upstreams map[string]string) (api string, proxies map[string]string) {
	b.Helper()
	ports := make([]int, len(upstreams)+1)
	for i := range ports {
		p, err := env.FreePort()
		if err != nil {
			b.Fatal(err)
		}
		ports[i] = p
	}
	var cfg []string
	proxies = map[string]string{}
	i := 1
	for _, name := range slices.Sorted(maps.Keys(upstreams)) {
		proxies[name] = "127.0.0.1:" + strconv.Itoa(ports[i])
		cfg = append(cfg, fmt.Sprintf(`{"name": %q, "listen": %q, "upstream": %q}`, name, proxies[name], upstreams[name]))
		i++
	}
	file := filepath.Join(b.TempDir(), "proxies.json")
	if err := os.WriteFile(file, []byte("["+strings.Join(cfg, ",")+"]"), 0o644); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command("docker", "run", "-d", "--rm", "--network", "host", "-v", file+":/proxies.json:ro", image(),
		"--host", "127.0.0.1", "--port", strconv.Itoa(ports[0]), "--config", "/proxies.json").CombinedOutput()
	if err != nil {
		b.Fatalf("docker run %s: %v\n%s", image(), err, out)
	}
	id := strings.TrimSpace(string(out))
	b.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	api = "http://127.0.0.1:" + strconv.Itoa(ports[0])
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) { // a container we can only ask
		if _, ok, _ := faultproxy.Probe(context.Background(), api); ok {
			return api, proxies
		}
		if time.Now().After(deadline) {
			logs, _ := exec.Command("docker", "logs", id).CombinedOutput()
			b.Fatalf("the fault proxy's container did not answer at %s within 10s:\n%s", api, logs)
		}
	}
}

// median runs op b.N times and reports its median latency in microseconds.
func median(b *testing.B, op func() error) {
	d := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, "p50-µs")
}
