// Command replica is a small service to run several of, behind the harness's load: the tests of
// sut.replicas and of the Prometheus metrics source run three of it, and the figure of one
// machine's load in docs/performance.md was measured against three of it.
//
// It listens on 127.0.0.1:$PORT and answers GET / with 200, counting every answer in
// replica_requests_total{code}. The replica whose $REPLICA equals $REDIS_REPLICA also reads a key
// from Redis ($SHAKEDOWN_REDIS_URL) behind a circuit breaker named redis, on the resilience core,
// and answers 503 when the read fails or the breaker refuses it. The breaker opens after 3
// failures in a row, for 2.5 s: through a short outage, so that scrapes a second apart see it
// open (open for 0.5 s, it would spend as long half-open on its probes). Every replica exports the
// breaker's state as resilience_circuit_breaker_state{name="redis"} (the others' stays closed), so
// a fault on Redis opens one replica's breaker of three. /health/ready answers 200; /metrics
// serves the registry.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/prom"
	"github.com/shakedown-dev/shakedown/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		os.Exit(1)
	}
}

func run() error {
	port := os.Getenv("PORT")
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("PORT=%q; want the port to listen on", port)
	}
	reg := prometheus.NewRegistry()
	m, err := prom.New(reg)
	if err != nil {
		return err
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "replica_requests_total", Help: "Answers to GET /, by status."}, []string{"code"})
	reg.MustRegister(requests)
	b, err := circuitbreaker.New(circuitbreaker.Config{Name: service.Redis, ConsecutiveFailures: 3, OpenDuration: 2500 * time.Millisecond, Observer: m.Breaker()})
	if err != nil {
		return err
	}
	m.WatchBreaker(b)

	var rdb *redis.Client
	if r := os.Getenv("REPLICA"); r != "" && r == os.Getenv("REDIS_REPLICA") {
		opt, err := redis.ParseURL(os.Getenv(service.URLVar(service.Redis)))
		if err != nil {
			return fmt.Errorf("%s: %w", service.URLVar(service.Redis), err)
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = 250*time.Millisecond, 250*time.Millisecond, 250*time.Millisecond, 250*time.Millisecond
		opt.MaxRetries, opt.DialerRetries = -1, 1
		rdb = redis.NewClient(opt)
		defer rdb.Close()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, req *http.Request) {
		code := http.StatusOK
		if rdb != nil {
			_, err := circuitbreaker.Execute(req.Context(), b, func(ctx context.Context) (struct{}, error) {
				if err := rdb.Get(ctx, "k").Err(); err != nil && !errors.Is(err, redis.Nil) {
					return struct{}{}, err
				}
				return struct{}{}, nil
			})
			if err != nil {
				code = http.StatusServiceUnavailable
				log.Printf("GET /: redis: %v", err)
			}
		}
		requests.WithLabelValues(strconv.Itoa(code)).Inc()
		w.WriteHeader(code)
	})
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
