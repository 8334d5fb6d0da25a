package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// errUsage marks a command line that could not be used; main exits 2 for it.
var errUsage = errors.New("usage")

// usageError is a flag problem: the flag, the input quoted, and the form expected.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// durationFlag parses a non-negative duration and says what it wants.
func durationFlag(fs *flag.FlagSet, name string, usage string) *time.Duration {
	d := new(time.Duration)
	fs.Func(name, usage, func(s string) error {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			return errors.New("want a duration of 0 or more with a unit, like 200ms or 1.5s")
		}
		*d = v
		return nil
	})
	return d
}

// config parses the command line into the mock's Config and the listening address.
func config(args []string, stderr io.Writer) (ollama.Config, string, error) {
	var cfg ollama.Config
	fs := flag.NewFlagSet("mock-ollama", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, the usage printed on -h only
	addr := fs.String("addr", "127.0.0.1:11434", "address to listen on, host:port (the image uses 0.0.0.0:11434)")
	fs.Func("seed", "seed of every answer and fault decision, a whole number (default 1)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("want a whole number from 0 to 18446744073709551615")
		}
		cfg.Seed = v
		return nil
	})
	cfg.Seed = 1
	models := fs.String("models", "", "models to serve, comma-separated (default llama3.2,qwen2.5,nomic-embed-text)")
	ttft := durationFlag(fs, "ttft", "time to first token, e.g. 200ms (default 0)")
	interval := durationFlag(fs, "token-interval", "time between tokens, e.g. 20ms (default 0)")
	fs.Func("tokens", "tokens per answer; 0 draws 8 to 39 per request (default 0)", func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return errors.New("want 0 (drawn per request) or a positive whole number")
		}
		cfg.Tokens = v
		return nil
	})
	fs.Func("num-parallel", "requests a loaded model serves at a time, as OLLAMA_NUM_PARALLEL; -1: no limit (default 1)", func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil || v < -1 || v == 0 {
			return errors.New("want a positive whole number, or -1 for no limit")
		}
		cfg.NumParallel = v
		return nil
	})
	fs.Func("max-queue", "requests that may wait for a loading model, as OLLAMA_MAX_QUEUE (default 512)", func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return errors.New("want a positive whole number")
		}
		cfg.MaxQueue = v
		return nil
	})
	load := durationFlag(fs, "load-duration", "how long a model takes to load, e.g. 2s (default 0)")
	keepAlive := durationFlag(fs, "keep-alive", "how long a model stays loaded after its last request, as OLLAMA_KEEP_ALIVE (default 5m)")
	faultsFile := fs.String("faults", "", "a JSON file of faults to set at start: one fault object or an array, as PUT "+ollama.FaultsPath+" takes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "usage: mock-ollama [flags]\n\nServes the Ollama API with deterministic answers, Prometheus metrics at /metrics,\nand its faults at %s (GET, PUT, DELETE).\n\n", ollama.FaultsPath)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return cfg, "", err
		}
		return cfg, "", usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return cfg, "", usageError("unexpected argument %q; mock-ollama takes flags only, like --addr 127.0.0.1:11434 --seed 7 (see -h)", fs.Arg(0))
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return cfg, "", usageError("invalid value %q for flag -addr: want host:port, like 127.0.0.1:11434 or :11434", *addr)
	}
	cfg.TimeToFirstToken, cfg.TokenInterval, cfg.LoadDuration, cfg.KeepAlive = *ttft, *interval, *load, *keepAlive
	if *models != "" {
		m, err := ollama.ParseModels(*models)
		if err != nil {
			return cfg, "", usageError("invalid value for flag -models: %v", err)
		}
		cfg.Models = m
	}
	if *faultsFile != "" {
		b, err := os.ReadFile(*faultsFile)
		if err != nil {
			return cfg, "", usageError("flag -faults: %v", err)
		}
		faults, err := httpfault.ParseFaults(b)
		if err != nil {
			return cfg, "", usageError("flag -faults %q: %v", *faultsFile, err)
		}
		cfg.Faults = faults
	}
	return cfg, *addr, nil
}

// run serves the mock until ctx ends, then closes every connection at once, as Ollama's server
// does on SIGINT and SIGTERM (server/routes.go:1733-1736): a stream in progress is cut.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, addr, err := config(args, stderr)
	if err != nil {
		return err
	}
	s, err := ollama.New(cfg)
	if err != nil {
		return usageError("%v", err)
	}
	reg := prometheus.NewRegistry()
	for _, c := range s.Collectors() {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", s.Handler())

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on --addr %q: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "mock-ollama listening on http://%s (seed %d, %d faults set)\n", ln.Addr(), cfg.Seed, len(cfg.Faults))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	srv.Close()
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "mock-ollama stopped")
	return nil
}
