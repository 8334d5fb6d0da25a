// Command agentd is Shakedown's reference service: a small AI-agent API on the resilience core,
// with Postgres, Redis and Ollama behind it (see internal/agentd). Run it against the environment
// of `shakedown env up`:
//
//	eval "$(shakedown env up --print-env)"   # or set the three variables yourself
//	agentd --addr 127.0.0.1:8080 --admin-token secret
//
// Exit codes: 0 after SIGINT or SIGTERM and a graceful stop, 1 when it fails, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/shakedown-dev/shakedown/internal/agentd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := agentd.ParseFlags(args, getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, err)
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, nil)))
	s, err := agentd.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	err = s.ListenAndServe(ctx, func(addr string) { slog.Info("agentd: listening", "addr", addr) })
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
