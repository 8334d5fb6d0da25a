package main

import (
	"context"
	"fmt"
	"io"
)

const usage = `usage: shakedown <command> [arguments]

commands:
  env up    start Postgres, Redis and a mock Ollama, each behind a Toxiproxy proxy, print their
            endpoints and hold them until Ctrl-C
  run       run scenarios: write their journals, HTML reports and JUnit XML, print their verdicts
  validate  check scenario files and print every problem as file:line:column
  list      list the scenario catalog with what each scenario proves
  report    render reports again from journals, or an index page over a folder of runs
  schema    print the JSON Schema of the scenario file, for editors
  export    export chaos-mesh: the scenario's faults as Chaos Mesh objects (YAML), for GitOps;
            export proxy: the fault proxy's Deployment, Service and configuration for a Kubernetes staging
  sweep     remove what runs killed outright left: processes, folders, containers and, with
            --kubernetes FILE, Chaos Mesh objects

Run "shakedown <command> --help" for a command's flags and an example.

Exit codes: 0 success (every verdict passed); 1 a verdict failed or had too little data;
2 invalid input (a flag, an argument, a scenario file); 3 the environment or the system under
test failed; 4 interrupted (Ctrl-C): faults removed, the journal written and marked aborted.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	switch {
	case args[0] == "env" && len(args) > 1 && args[1] == "up":
		return envUp(ctx, args[2:], stdout, stderr)
	case args[0] == "env":
		return usagef("env: want a subcommand: shakedown env up [flags]")
	case args[0] == "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case args[0] == "validate":
		return validate(ctx, args[1:], stdout, stderr)
	case args[0] == "schema":
		return schema(ctx, args[1:], stdout, stderr)
	case args[0] == "list":
		return list(ctx, args[1:], stdout, stderr)
	case args[0] == "report":
		return report(ctx, args[1:], stdout, stderr)
	case args[0] == "export":
		return export(ctx, args[1:], stdout, stderr)
	case args[0] == "sweep":
		return sweep(ctx, args[1:], stdout, stderr)
	default:
		return usagef("unknown command %q; want one of: run, env up, validate, list, report, schema, export, sweep (see shakedown --help)", args[0])
	}
}
