package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/shakedown-dev/shakedown/scenarios/catalog"
)

const listHelp = `usage: shakedown list

Lists the scenario catalog (scenarios/catalog), each with what it proves. Run one with
  shakedown run scenarios/catalog/NAME.yaml
`

func list(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, listHelp) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return usagef("list: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("list: takes no arguments, got %q", fs.Arg(0))
	}
	for _, name := range catalog.Names() {
		sc, err := catalog.Load(name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-24s %s\n", name, firstSentence(sc.Description))
	}
	return nil
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
