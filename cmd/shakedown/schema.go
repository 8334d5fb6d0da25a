package main

import (
	"context"
	"fmt"
	"io"

	"github.com/shakedown-dev/shakedown/scenarios"
)

const schemaHelp = `usage: shakedown schema

Prints the JSON Schema of the scenario file, generated from the Go types. Point an editor at it
to check scenario files as you type; for example, with the YAML language server, put this first
line in a scenario file:

  # yaml-language-server: $schema=./scenario.schema.json

example:
  shakedown schema > scenario.schema.json
`

func schema(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(stderr, schemaHelp)
			return nil
		}
		return usagef("schema: unexpected argument %q; it takes none", args[0])
	}
	b, err := scenarios.Schema()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}
