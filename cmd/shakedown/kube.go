package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
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

const sweepHelp = `usage: shakedown sweep [flags]

Removes what runs killed outright left behind: their child processes and folders under the state
directory, their containers and, with --kubernetes FILE, their Chaos Mesh objects in the
namespaces of that file's kubernetes description (a scenario or a staging file): those of a dead
harness of this machine, and any whose window ended over a minute ago. --all removes every
object the harness made there, whatever its run. Objects the harness did not make (without its
labels) are never touched. Every start of a run sweeps the same way.

example:
  shakedown sweep --kubernetes staging.yaml --allow-target staging
`

func sweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sweepHelp); fs.PrintDefaults() }
	kfile := fs.String("kubernetes", "", "sweep the cluster of this file's kubernetes description (a scenario or a staging file)")
	all := fs.Bool("all", false, "with --kubernetes: remove every object the harness made, whatever its run")
	kf := kubeFlags(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return usagef("sweep: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("sweep: unexpected argument %q", fs.Arg(0))
	}
	stale, err := env.Sweep(env.StateDir())
	if err != nil {
		return err
	}
	for _, s := range stale {
		fmt.Fprintf(stdout, "removed run %s (%d processes killed)\n", s.Dir, len(s.Children))
	}
	n, err := env.SweepContainers(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "sweep: containers: %v\n", err)
	} else if n > 0 {
		fmt.Fprintf(stdout, "removed %d containers\n", n)
	}
	if *kfile == "" {
		return nil
	}
	desc, err := kubeDescription(*kfile)
	if err != nil {
		return err
	}
	swept, err := kube.SweepCluster(ctx, desc, kf.options(), *all)
	for _, s := range swept {
		fmt.Fprintf(stdout, "deleted %s %s/%s of run %s: %s\n", s.Kind, s.Namespace, s.Name, s.Run, s.Why)
	}
	return err
}

// kubeDescription reads the kubernetes description of a scenario or a staging file.
func kubeDescription(path string) (*service.Kubernetes, error) {
	if sc, err := scenarios.Load(path); err == nil && sc.Environment.Kubernetes != nil {
		return sc.Environment.Kubernetes, nil
	}
	st, err := scenarios.LoadStaging(path)
	if err != nil {
		return nil, usagef("%s is neither a scenario nor a staging file with a kubernetes description: %v", path, err)
	}
	if st.Environment.Kubernetes == nil {
		return nil, usagef("%s has no kubernetes description (environment.kubernetes)", path)
	}
	return st.Environment.Kubernetes, nil
}

// kubeOptions are the flags that choose a cluster.
type kubeOptions struct {
	context, kubeconfig *string
	allow               *stringList
}

func kubeFlags(fs *flag.FlagSet) kubeOptions {
	o := kubeOptions{
		context:    fs.String("kube-context", "", "the kubeconfig context of the kubernetes backend (default: the description's, else the current one)"),
		kubeconfig: fs.String("kubeconfig", "", "the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)"),
		allow:      &stringList{},
	}
	if fs.Lookup("allow-target") == nil {
		fs.Var(o.allow, "allow-target", "a host or cluster context the command may touch; repeat for each")
	}
	return o
}

func (o kubeOptions) options() kube.Options {
	return kube.Options{Context: *o.context, Kubeconfig: *o.kubeconfig, Allow: *o.allow}
}

func (o kubeOptions) backend() kube.Backend {
	return kube.Backend{Context: *o.context, Kubeconfig: *o.kubeconfig}
}

// parseFiles parses flags and file arguments in any order; help is true after --help.
func parseFiles(fs *flag.FlagSet, args []string) (files []string, help bool, err error) {
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, true, nil
			}
			return nil, false, usagef("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	return files, false, nil
}

// parseOne parses flags and exactly one file argument, in any order. A "" file with a nil error
// is --help.
func parseOne(fs *flag.FlagSet, args []string) (string, error) {
	files, help, err := parseFiles(fs, args)
	if help || err != nil {
		return "", err
	}
	if len(files) != 1 {
		return "", usagef("%s: want one scenario file, got %d", fs.Name(), len(files))
	}
	return files[0], nil
}
