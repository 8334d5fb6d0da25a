// Command mock-ollama serves the mock Ollama API (package harness/ollama) on an address, until
// SIGINT or SIGTERM.
//
//	mock-ollama --addr 127.0.0.1:11434 --seed 7 --models llama3.2,nomic-embed-text --ttft 200ms --token-interval 20ms
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mock-ollama:", err)
		os.Exit(2)
	}
}
