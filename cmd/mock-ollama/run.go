package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shakedown-dev/shakedown/harness/ollama"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mock-ollama", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:11434", "address to listen on, host:port")
	seed := fs.Uint64("seed", 1, "seed of every answer and fault decision")
	models := fs.String("models", "", "models to serve, comma-separated (default: llama3.2,qwen2.5,nomic-embed-text)")
	ttft := fs.Duration("ttft", 0, "time to first token, e.g. 200ms")
	interval := fs.Duration("token-interval", 0, "time between tokens, e.g. 20ms")
	tokens := fs.Int("tokens", 0, "tokens per answer (0: 8 to 39, drawn per request)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mock-ollama [flags]\n\nServes the Ollama API with deterministic answers; faults are set at %s.\n\n", ollama.FaultsPath)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; mock-ollama takes flags only (see --help)", fs.Arg(0))
	}
	cfg := ollama.Config{Seed: *seed, TimeToFirstToken: *ttft, TokenInterval: *interval, Tokens: *tokens}
	if *models != "" {
		m, err := ollama.ParseModels(*models)
		if err != nil {
			return fmt.Errorf("--models: %w", err)
		}
		cfg.Models = m
	}
	s, err := ollama.New(cfg)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	for _, c := range s.Collectors() {
		reg.MustRegister(c)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", s.Handler())

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", *addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	fmt.Fprintf(stdout, "mock-ollama listening on http://%s (seed %d)\n", ln.Addr(), *seed)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
