package env

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/service"
)

// BenchmarkStartLocal: from nothing to Postgres, Redis and Ollama answering through their proxies
// (StartEnv returns once each server said it is ready), then Close.
func BenchmarkStartLocal(b *testing.B) {
	state := b.TempDir()
	for b.Loop() {
		e, err := Start(context.Background(), Spec{Backend: service.BackendLocal, StateDir: state})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		e.Close(context.Background())
		b.StartTimer()
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

// BenchmarkProxyOverhead measures each service's request directly and through its embedded proxy
// with no toxic, side by side in the same run: the difference of the p50s is what the proxy adds.
func BenchmarkProxyOverhead(b *testing.B) {
	ctx := context.Background()
	e, err := Start(ctx, Spec{Backend: service.BackendLocal, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	pg, _ := e.Service(service.Postgres)
	rs, _ := e.Service(service.Redis)
	ol, _ := e.Service(service.Ollama)
	for _, path := range []struct{ name, pg, redis, ollama string }{
		{"direct", pg.DirectURL(), rs.Direct(), ol.DirectURL()},
		{"proxied", pg.URL, rs.Proxied, ol.URL},
	} {
		b.Run("redis-ping/"+path.name, func(b *testing.B) {
			rdb := redis.NewClient(&redis.Options{Addr: path.redis, PoolSize: 1})
			defer rdb.Close()
			median(b, func() error { return rdb.Ping(ctx).Err() })
		})
		b.Run("postgres-select1/"+path.name, func(b *testing.B) {
			conn, err := pgx.Connect(ctx, path.pg)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			var one int
			median(b, func() error { return conn.QueryRow(ctx, "SELECT 1").Scan(&one) })
		})
		b.Run("ollama-version/"+path.name, func(b *testing.B) {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			median(b, func() error {
				resp, err := hc.Get(path.ollama + "/api/version")
				if err != nil {
					return err
				}
				io.Copy(io.Discard, resp.Body)
				return resp.Body.Close()
			})
		})
	}
}

// BenchmarkStartDocker: the same on the docker backend (the images of make images, named by the
// SHAKEDOWN_*_IMAGE variables as make sets them).
func BenchmarkStartDocker(b *testing.B) {
	if DockerAvailable(context.Background()) != nil || os.Getenv(service.ImageVar(service.Postgres)) == "" {
		b.Skip("needs a Docker engine and SHAKEDOWN_*_IMAGE set (make sets them)")
	}
	state := b.TempDir()
	for b.Loop() {
		e, err := Start(context.Background(), Spec{Backend: service.BackendDocker, StateDir: state})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		e.Close(context.Background())
		b.StartTimer()
	}
}
