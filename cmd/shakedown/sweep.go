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
