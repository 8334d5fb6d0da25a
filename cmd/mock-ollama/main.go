// Command mock-ollama serves the mock Ollama API (package mock/ollama) on an address until
// SIGINT or SIGTERM, then shuts down gracefully. Prometheus metrics are at /metrics and the fault
// admin endpoint at /__shakedown/faults.
//
//	mock-ollama --addr 127.0.0.1:11434 --seed 7 --models llama3.2,nomic-embed-text --ttft 200ms --token-interval 20ms
//
// It exits 0 after a shutdown (or -h), 2 for a bad command line, 1 when it cannot serve.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "mock-ollama:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "mock-ollama:", err)
		os.Exit(1)
	}
}
