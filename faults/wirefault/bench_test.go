package wirefault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

// BenchmarkStage measures one request's round trip, serially on one connection, to a real
// Redis (GET) and Postgres (SELECT $1 through pgx's extended protocol), through a plain embedded
// Toxiproxy proxy and through one with the request stage holding a fault that matches nothing,
// so every request is framed and decided and none is faulted; the direct path is the floor.
// The difference of the medians is the stage's price:
//
//	go test -run '^$' -bench Stage -count 6 ./faults/wirefault/ | benchstat -col /path -
func BenchmarkStage(b *testing.B) {
	e := harnesstest.StartEnv(b, env.Spec{Backend: service.BackendLocal, Services: []string{service.Postgres, service.Redis}, StateDir: b.TempDir()})
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	defer srv.Collection.Clear()
	for _, name := range []string{service.Redis, service.Postgres} {
		svc, _ := e.Service(name)
		proto := map[string]wirefault.Protocol{service.Redis: wirefault.Redis, service.Postgres: wirefault.Postgres}[name]
		in, err := wirefault.New(wirefault.Config{Protocol: proto})
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close()
		match := "nothing-matches-this"
		if err := in.Set(wirefault.Fault{Name: "idle", Probability: units.Probability(0.5), Action: wirefault.Action{Kind: wirefault.KindError, Match: match}}); err != nil {
			b.Fatal(err)
		}
		plain := proxy(b, srv, name+"-plain", svc.Direct(), nil)
		staged := proxy(b, srv, name+"-stage", svc.Direct(), in)
		for _, p := range []struct{ path, addr string }{{"direct", svc.Direct()}, {"toxiproxy", plain}, {"toxiproxy+stage", staged}} {
			b.Run(fmt.Sprintf("proto=%s/path=%s", name, p.path), func(b *testing.B) {
				if name == service.Redis {
					benchRedis(b, p.addr)
				} else {
					benchPostgres(b, p.addr)
				}
			})
		}
	}
}

// proxy starts a proxy in front of upstream, with in's stage when in is set, and returns its
// address.
func proxy(b *testing.B, srv *toxiproxy.ApiServer, name, upstream string, in *wirefault.Injector) string {
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := srv.Collection.Add(p, true); err != nil {
		b.Fatal(err)
	}
	if in != nil {
		t, _ := json.Marshal(map[string]any{"name": "stage", "type": wirefault.ToxicType, "stream": "upstream", "attributes": in.Attributes()})
		if _, err := p.Toxics.AddToxicJson(bytes.NewReader(t)); err != nil {
			b.Fatal(err)
		}
	}
	return p.Listen
}

func benchRedis(b *testing.B, addr string) {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer c.Close()
	if err := c.Set(ctx, "bench", "v", 0).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Get(ctx, "bench").Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPostgres(b *testing.B, addr string) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://shakedown:shakedown@%s/shakedown?sslmode=disable", addr))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	var v int
	b.ReportAllocs()
	for b.Loop() {
		if err := c.QueryRow(ctx, "SELECT $1::int", 1).Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
}
