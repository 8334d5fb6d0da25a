// Command shakedown is Shakedown's command line: run, validate, list, report, schema and env up.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/shakedown-dev/shakedown/env"
)

func main() {
	env.SetProcessDefaults() // the process is the command's: testcontainers-go's settings for the docker backend
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shakedown:", err)
		os.Exit(exitCode(err))
	}
}
