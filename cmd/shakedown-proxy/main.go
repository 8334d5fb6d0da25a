// Command shakedown-proxy is Shakedown's fault proxy for a staging: a Toxiproxy server (the same
// HTTP API, so toxiproxy-cli and Toxiproxy's Go client work against it) with Shakedown's
// request-level faults as toxics of their own (shakedown_query on Postgres, shakedown_command on
// Redis, shakedown_http on anything that speaks HTTP/1.x), decided from the run's seed exactly as
// on the harness's machine. See faults/faultproxy and docs/nightly.md.
//
//	shakedown-proxy --host 0.0.0.0 --port 8474 --config proxies.json
//
// Exit codes: 0 after SIGINT or SIGTERM, 1 when it fails, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shakedown-dev/shakedown/faults/faultproxy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("shakedown-proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", "localhost", "the host the API listens on (0.0.0.0: every interface)")
	port := fs.String("port", "8474", "the API's port (Toxiproxy's)")
	config := fs.String("config", "", "a Toxiproxy configuration: a JSON array of proxies {name, listen, upstream}, created at start, each with its request stage")
	tick := fs.Duration("lease-check", time.Second, "how often faults whose lease ran out are removed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *tick <= 0 {
		fmt.Fprintf(stderr, "shakedown-proxy: unexpected arguments %q (or --lease-check %v, want a positive duration)\n", fs.Args(), *tick)
		return 2
	}
	logger := log.New(stderr, "shakedown-proxy: ", log.LstdFlags)
	s := faultproxy.New()
	if *config != "" {
		if err := s.Populate(*config); err != nil {
			logger.Print(err)
			return 1
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*host, *port))
	if err != nil {
		logger.Print(err)
		return 1
	}
	logger.Printf("listening on %s", ln.Addr())
	if err := s.Serve(ctx, ln, *tick, logger.Printf); err != nil {
		logger.Print(err)
		return 1
	}
	return 0
}
