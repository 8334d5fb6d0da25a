package main

import (
	"flag"
	"strings"

	"github.com/shakedown-dev/shakedown/env/kube"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

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
