package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/scenarios"
)

const exportHelp = `usage: shakedown export chaos-mesh [flags] FILE

Writes the scenario's faults as Chaos Mesh objects, YAML on stdout, for teams that apply them
themselves (GitOps). Each fault window the seed's draws open becomes one object, with the window
as its duration and its offset from the run's start in the annotation shakedown.dev/offset;
--form workflow writes one Workflow that runs every window at its offset, and --schedule CRON
wraps it in a Schedule (the nightly form). The pods are selected by the kubernetes description:
the scenario's environment.kubernetes, or a staging file's (--staging). A fault Chaos Mesh
cannot express is refused with the reason (see docs/kubernetes.md).

example:
  shakedown export chaos-mesh --staging staging.yaml scenarios/catalog/postgres-outage.yaml
  shakedown export chaos-mesh --staging staging.yaml --form workflow --schedule "0 2 * * *" FILE
`

func export(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "chaos-mesh" {
		return usagef("export: want shakedown export chaos-mesh [flags] FILE")
	}
	fs := flag.NewFlagSet("export chaos-mesh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, exportHelp); fs.PrintDefaults() }
	staging := fs.String("staging", "", "take the kubernetes description from this staging file")
	seed := fs.Uint64("seed", 0, "seed of the windows' draws (0: the scenario's)")
	short := fs.Bool("short", false, "export the scenario's short form")
	form := fs.String("form", kube.FormManifests, "manifests (one object per window) or workflow (one Workflow)")
	schedule := fs.String("schedule", "", "a cron schedule: wrap the workflow in a Schedule that runs it")
	file, err := parseOne(fs, args[1:])
	if err != nil || file == "" {
		return err
	}
	sc, err := scenarios.Load(file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return usagef("export: %s is invalid", file)
	}
	if *short && sc.Short != nil {
		sc = sc.Shortened()
	}
	desc := sc.Environment.Kubernetes
	if *staging != "" {
		st, err := scenarios.LoadStaging(*staging)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return usagef("export: %s is invalid", *staging)
		}
		desc = st.Environment.Kubernetes
	}
	if desc == nil {
		return usagef("export: %s has no kubernetes description (environment.kubernetes); give one in the scenario or a staging file (--staging)", file)
	}
	if *seed == 0 {
		*seed = sc.Seed
	}
	p := kube.ExportPlan{Scenario: sc.Name, Seed: *seed, FaultStart: sc.Phases.Warmup.D(), FaultPhase: sc.Phases.Fault.D(), Faults: sc.Faults}
	if err := kube.Export(stdout, desc, p, *form, *schedule); err != nil {
		return usagef("export: %s: %v", file, err)
	}
	return nil
}
