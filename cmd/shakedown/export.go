package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/scenarios"
)

const exportHelp = `usage: shakedown export chaos-mesh [flags] FILE
       shakedown export proxy --staging FILE --image IMAGE [--namespace NS] [--name NAME]

Writes the scenario's faults as Chaos Mesh objects, YAML on stdout, for teams that apply them
themselves (GitOps). Each fault window the seed's draws open becomes one object, with the window
as its duration and its offset from the run's start in the annotation shakedown.dev/offset;
--form workflow writes one Workflow that runs every window at its offset, and --schedule CRON
wraps it in a Schedule (the nightly form). The pods are selected by the kubernetes description:
the scenario's environment.kubernetes, or a staging file's (--staging). A fault Chaos Mesh
cannot express is refused with the reason (see docs/kubernetes.md).

export proxy writes what runs Shakedown's fault proxy (cmd/shakedown-proxy) beside the services
of a Kubernetes staging description, YAML on stdout, to apply or commit: a ConfigMap of its
proxies (Postgres and Redis, each on its own port in front of its address), a ServiceAccount with
no token (it calls no Kubernetes API: no RBAC), a Deployment and a Service. Point the system under
test's DSNs at the Service (docs/kubernetes.md).

example:
  shakedown export chaos-mesh --staging staging.yaml scenarios/catalog/postgres-outage.yaml
  shakedown export chaos-mesh --staging staging.yaml --form workflow --schedule "0 2 * * *" FILE
  shakedown export proxy --staging staging.yaml --image registry.example.com/shakedown-proxy:v1
`

func export(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "proxy" {
		return exportProxy(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "chaos-mesh" {
		return usagef("export: want shakedown export chaos-mesh [flags] FILE, or shakedown export proxy --staging FILE --image IMAGE")
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

// exportProxy writes the fault proxy's objects for a staging file's Kubernetes description.
func exportProxy(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, exportHelp); fs.PrintDefaults() }
	staging := fs.String("staging", "", "the staging file whose kubernetes description names the services")
	var opt kube.ProxyOptions
	fs.StringVar(&opt.Image, "image", "", "the fault proxy's image in your registry (images/shakedown-proxy/Dockerfile.release builds it)")
	fs.StringVar(&opt.Namespace, "namespace", "", "where the proxy runs (default: the system under test's namespace)")
	fs.StringVar(&opt.Name, "name", "", "the objects' name (default: shakedown-proxy)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("export proxy: %v", err)
	}
	if fs.NArg() > 0 || *staging == "" {
		return usagef("export proxy: want --staging FILE (and no other argument)")
	}
	st, err := scenarios.LoadStaging(*staging)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return usagef("export proxy: %s is invalid", *staging)
	}
	if st.Environment.Kubernetes == nil {
		return usagef("export proxy: %s has no kubernetes description (environment.kubernetes)", *staging)
	}
	if err := kube.ExportProxy(stdout, st.Environment.Kubernetes, opt); err != nil {
		return usagef("export proxy: %s: %v", *staging, err)
	}
	return nil
}
