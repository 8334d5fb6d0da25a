package faultproxy_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults/faultproxy"
	"github.com/shakedown-dev/shakedown/faults/seeded"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/service"
)

func TestMain(m *testing.M) {
	env.SetProcessDefaults()
	m.Run()
}

// serve starts a fault proxy on a port of 127.0.0.1 for the test; its leases are expired by the
// test (Server.Expire), not by a tick.
func serve(t testing.TB) (*faultproxy.Server, *toxiclient.Client) {
	t.Helper()
	s := faultproxy.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Hour, t.Logf) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return s, toxiclient.NewClient("http://" + ln.Addr().String())
}

// proxied starts the service on the local backend and a fault proxy with a proxy named after it
// in front of it.
func proxied(t *testing.T, name string) (*env.Service, *faultproxy.Server, *toxiclient.Proxy) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	svc, _ := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{name}, StateDir: t.TempDir()}).Service(name)
	s, c := serve(t)
	proxy, err := c.CreateProxy(name, "127.0.0.1:0", svc.Direct())
	if err != nil {
		t.Fatal(err)
	}
	return svc, s, proxy
}

// decisions returns the run's logged decisions of a fault (query, command or http) as
// seq:draw:injected.
func decisions(s *faultproxy.Server, run, fault string) []string {
	var out []string
	for _, d := range s.Decisions(run).Decisions {
		switch {
		case d.Wire != nil && d.Wire.Fault == fault:
			out = append(out, fmt.Sprintf("%d:%v:%v", d.Wire.Seq, d.Wire.Draw, d.Wire.Injected))
		case d.HTTP != nil && d.HTTP.Fault == fault:
			out = append(out, fmt.Sprintf("%d:%v:%v", d.HTTP.Seq, d.HTTP.Draw, d.HTTP.Injected))
		}
	}
	return out
}

// stream returns the first n decisions of the fault's stream from seed, as decisions does.
func stream(seed uint64, fault string, p float64, max, n int) []string {
	d := seeded.NewDraws(seed, fault)
	out := make([]string, n)
	for i := range out {
		seq, draw, injected := d.Decide(p, max)
		out[i] = fmt.Sprintf("%d:%v:%v", seq, draw, injected)
	}
	return out
}

// TestQueryFaultThroughTheProxy: a query fault added through Toxiproxy's Go client acts on
// single statements inside pooled connections opened, with their prepared statements, before
// it; its decisions are the seed's stream (draw k of the fault's stream from the run's seed),
// read back from the server's log; a second run's fault is refused while the first's is set,
// and starts its stream afresh once it is gone; a fault whose lease ran out is removed.
func TestQueryFaultThroughTheProxy(t *testing.T) {
	pg, s, proxy := proxied(t, service.Postgres)
	ts, err := proxy.Toxics()
	if err != nil || len(ts) != 3 || ts[0].Name != faultproxy.StageToxic {
		t.Fatalf("a new proxy's toxics: %+v, %v; want its stages, %s first", ts, err, faultproxy.StageToxic)
	}

	ctx := t.Context()
	dsn := strings.Replace(pg.DirectURL(), pg.Direct(), proxy.Listen, 1)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE TABLE runs (id int)"); err != nil {
		t.Fatal(err)
	}
	insert := func(i int) error {
		_, err := pool.Exec(ctx, "INSERT INTO runs VALUES ($1)", i) // prepared once per connection, then bound by name
		return err
	}
	for i := range 20 { // the pool's connections open and prepare the statement before the fault
		if err := insert(i); err != nil {
			t.Fatal(err)
		}
	}

	const seed, p, n = 7, 0.3, 60
	if _, err := proxy.AddToxic("db-cuts", faultproxy.QueryToxic, "upstream", 1, toxiclient.Attributes{
		"run": "r1", "seed": seed, "probability": p, "kind": "error", "sqlstate": "40001", "match": "INSERT INTO runs", "lease": "30s",
	}); err != nil {
		t.Fatal(err)
	}
	var failed int
	for i := range n {
		err := insert(i)
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "40001":
			failed++
		case err != nil:
			t.Fatalf("insert %d: %v; want nil or SQLSTATE 40001", i, err)
		}
		if _, err := pool.Exec(ctx, "SELECT 1"); err != nil { // not matched: never faulted
			t.Fatalf("select: %v", err)
		}
	}
	got := decisions(s, "r1", "db-cuts")
	want := stream(seed, "db-cuts", p, 0, n)
	if !slices.Equal(got, want) {
		t.Fatalf("decisions read back:\n%v\nwant the stream of seed %d:\n%v", got, seed, want)
	}
	var injected int
	for _, d := range want {
		if strings.HasSuffix(d, ":true") {
			injected++
		}
	}
	if failed != injected || injected == 0 {
		t.Errorf("%d inserts failed with 40001; want the %d the stream injected", failed, injected)
	}
	shown, err := proxy.Toxics()
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range shown {
		if tx.Name == "db-cuts" && (tx.Attributes["decided"] != float64(n) || tx.Attributes["injected"] != float64(injected)) {
			t.Errorf("the toxic shows %v decided, %v injected; want %d and %d", tx.Attributes["decided"], tx.Attributes["injected"], n, injected)
		}
	}

	if _, err := proxy.AddToxic("other", faultproxy.QueryToxic, "upstream", 1, toxiclient.Attributes{"run": "r2", "seed": 8, "probability": 1, "kind": "drop"}); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("a second run's fault while r1's is set: %v; want 409", err)
	}

	// r1 renews its lease once: its fault outlives the first 30 s; then, unrenewed, it runs out
	// and is removed, and inserts pass.
	if n := s.Renew("r1", time.Now().Add(20*time.Second)); n != 1 {
		t.Errorf("Renew renewed %d faults; want r1's one", n)
	}
	if gone, err := s.Expire(time.Now().Add(31 * time.Second)); len(gone) != 0 || err != nil {
		t.Errorf("Expire 31s on = %v, %v; want nothing gone: the lease was renewed at 20s", gone, err)
	}
	gone, err := s.Expire(time.Now().Add(51 * time.Second))
	if err != nil || !slices.Equal(gone, []string{"postgres/db-cuts"}) {
		t.Fatalf("Expire = %v, %v; want postgres/db-cuts gone", gone, err)
	}
	for i := range 10 {
		if err := insert(i); err != nil {
			t.Fatalf("insert after the lease ran out: %v", err)
		}
	}
	if got := decisions(s, "r1", "db-cuts"); len(got) != n {
		t.Errorf("%d decisions once the fault was removed; want %d", len(got), n)
	}

	// r2, the same fault name and seed: its stream starts again at draw 0.
	if _, err := proxy.AddToxic("db-cuts", faultproxy.QueryToxic, "upstream", 1, toxiclient.Attributes{
		"run": "r2", "seed": seed, "probability": p, "kind": "error", "match": "INSERT INTO runs"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		insert(i)
	}
	if got, want := decisions(s, "r2", "db-cuts"), stream(seed, "db-cuts", p, 0, 5); !slices.Equal(got, want) {
		t.Errorf("r2's decisions %v; want its own stream from draw 0: %v", got, want)
	}
	if err := proxy.RemoveToxic("db-cuts"); err != nil {
		t.Fatal(err)
	}
}

// TestCommandFaultThroughTheProxy: a command fault with max 2 fails the first two matching
// commands of a go-redis client whose connection was open before it, and no other command. (ERR:
// go-redis retries a LOADING reply by itself.)
func TestCommandFaultThroughTheProxy(t *testing.T) {
	_, s, proxy := proxied(t, service.Redis)
	ctx := t.Context()
	rc := redis.NewClient(&redis.Options{Addr: proxy.Listen, PoolSize: 1})
	defer rc.Close()
	if err := rc.Set(ctx, "cache:a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := proxy.AddToxic("first-two", faultproxy.CommandToxic, "upstream", 1, toxiclient.Attributes{
		"run": "r1", "seed": 1, "probability": 1, "kind": "error", "error": "ERR", "match": "GET cache:*", "max": 2}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 4 {
		v, err := rc.Get(ctx, "cache:a").Result()
		if err != nil {
			v = err.Error()
		}
		got = append(got, v)
		if err := rc.Set(ctx, "cache:b", "2", 0).Err(); err != nil {
			t.Fatalf("SET, not matched: %v", err)
		}
	}
	if !strings.HasPrefix(got[0], "ERR") || !strings.HasPrefix(got[1], "ERR") || got[2] != "1" || got[3] != "1" {
		t.Errorf("four GETs answered %q; want ERR twice, then the value", got)
	}
	if n := len(decisions(s, "r1", "first-two")); n != 4 {
		t.Errorf("%d decisions; want 4", n)
	}
}
