package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/service"
)

const envUpHelp = `usage: shakedown env up [--services postgres,redis,ollama] [--backend local] [--seed N]

Starts the services, each behind an embedded Toxiproxy proxy, prints their endpoints and the
environment variables to export, and holds them until Ctrl-C; then stops everything.

example:
  shakedown env up --services postgres,redis
`

func envUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("env up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, envUpHelp); fs.PrintDefaults() }
	services := fs.String("services", "postgres,redis,ollama", "services to start, comma-separated")
	backend := fs.String("backend", "auto", "where to run them: auto or local (docker is not built yet)")
	seed := fs.Uint64("seed", 1, "seed of the mock Ollama's answers")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return usagef("env up: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("env up: unexpected argument %q; it takes flags only", fs.Arg(0))
	}
	spec := env.Spec{Backend: *backend, Ollama: ollama.Config{Seed: *seed}}
	for _, s := range strings.Split(*services, ",") {
		spec.Services = append(spec.Services, strings.TrimSpace(s))
	}
	if err := spec.Validate(); err != nil {
		return usagef("%v", err)
	}
	start := time.Now()
	e, err := env.Start(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# %s backend, ready in %s\n", e.Backend, time.Since(start).Round(time.Millisecond))
	for _, s := range e.Services() {
		fmt.Fprintf(stdout, "# %-8s %-28s proxy %s -> %s\n", s.Name, s.Version, s.Proxied, s.Direct())
	}
	for _, s := range e.Services() {
		fmt.Fprintf(stdout, "export %s=%q\n", service.URLVar(s.Name), s.URL)
	}
	fmt.Fprintln(stdout, "# Ctrl-C stops everything")
	<-ctx.Done()
	closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Close(closeCtx); err != nil {
		return fmt.Errorf("env up: stopping: %w", err)
	}
	fmt.Fprintln(stdout, "# stopped")
	return nil
}
