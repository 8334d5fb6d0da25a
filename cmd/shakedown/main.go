// Command shakedown is Shakedown's command line: run, validate, schema and env up; list and report
// come with the catalog and the reports.
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
		fmt.Fprintln(os.Stderr, "shakedown:", err)
		os.Exit(exitCode(err))
	}
}
