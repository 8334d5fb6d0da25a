// Command shop is a small order service: it takes orders, stores them in
// Postgres, and serves a product list cached in Redis.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

const (
	redisTimeout    = 200 * time.Millisecond
	shutdownTimeout = 5 * time.Second
)

func main() {
	lookup, err := lookupWithEnvFile(envFileName, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "shop: %v\n", err)
		os.Exit(1)
	}
	cfg, err := loadConfig(lookup)
	if err != nil {
		var missing *MissingError
		if errors.As(err, &missing) {
			for _, v := range missing.Vars {
				fmt.Fprintf(os.Stderr, "shop: %s is not set\n", v)
			}
		} else {
			fmt.Fprintf(os.Stderr, "shop: %v\n", err)
		}
		os.Exit(1)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "shop: %v\n", err)
		os.Exit(1)
	}
}

func run(cfg Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	metrics := NewMetrics()

	pool, err := pgxpool.New(ctx, cfg.PostgresDSN())
	if err != nil {
		return fmt.Errorf("postgres config: %w", err)
	}
	defer pool.Close()

	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := pool.Ping(pingCtx); err != nil {
		log.Printf("postgres not reachable yet: %v", err)
	}
	cancel()

	rdb := redis.NewClient(&redis.Options{
		Addr:         cfg.CacheAddr,
		DialTimeout:  redisTimeout,
		ReadTimeout:  redisTimeout,
		WriteTimeout: redisTimeout,
	})
	defer rdb.Close()

	store := NewPGStore(pool, NewRetrier(metrics.ObserveDBCall))
	catalog := NewCatalog(store, NewRedisCache(rdb))
	metrics.RegisterBreaker(catalog.breaker.Name(), func() float64 { return float64(catalog.BreakerState()) })

	router := NewRouter(&API{
		store:        store,
		catalog:      catalog,
		auth:         NewAuth(cfg.APIKeys, cfg.JWTSecret),
		metrics:      metrics,
		metricsToken: cfg.MetricsToken,
	})

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           router,
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() {
		log.Printf("shop listening on %s", cfg.Addr)
		errc <- srv.ListenAndServe()
	}()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop()
	log.Printf("shutting down")

	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
