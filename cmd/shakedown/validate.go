package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/internal/builtins"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

const validateHelp = `usage: shakedown validate FILE...

Reads each scenario file strictly and prints every problem as file:line:column: field: message.
Exits 0 when every file is valid, 2 otherwise.

example:
  shakedown validate scenarios/catalog/*.yaml
`

func validate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, validateHelp) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return usagef("validate: %v", err)
	}
	if fs.NArg() == 0 {
		return usagef("validate: no file given; want shakedown validate FILE...")
	}
	bad := 0
	for _, path := range fs.Args() {
		s, err := scenarios.Load(path)
		if err != nil {
			bad++
			fmt.Fprintln(stdout, err)
			continue
		}
		if err := builtins.Reference().Check(s); err != nil {
			bad++
			fmt.Fprintf(stdout, "%s: %v\n", path, err)
			continue
		}
		if k := s.Environment.Kubernetes; k != nil && s.Environment.Backend == service.BackendKubernetes {
			if err := (kube.Backend{}).Check(k, s.Faults); err != nil {
				bad++
				fmt.Fprintf(stdout, "%s: on the kubernetes backend: %v\n", path, err)
				continue
			}
		}
		fmt.Fprintf(stdout, "%s: ok (%q: %d faults, %s)\n", path, s.Name, len(s.Faults), s.Phases.Total())
	}
	if bad > 0 {
		return usageError{fmt.Sprintf("%d of %d files are invalid", bad, fs.NArg())}
	}
	return nil
}
