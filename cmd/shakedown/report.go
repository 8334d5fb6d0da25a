package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/shakedown-dev/shakedown/reports"
)

const reportHelp = `usage: shakedown report JOURNAL... [--out DIR]
       shakedown report --index DIR

Renders reports again from journals (the journal.json that shakedown run writes beside each
report): report.html and junit.xml next to each journal, or in DIR. With --index, writes
DIR/index.html over every run found under DIR: each scenario's verdicts over time, and what
changed since the previous run.

examples:
  shakedown report out/llm-down-20261122T030000Z/journal.json
  shakedown report --index out/nightly
`

func report(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportHelp); fs.PrintDefaults() }
	out := fs.String("out", "", "write the reports here instead of next to each journal")
	index := fs.String("index", "", "write DIR/index.html over the runs under DIR")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return usagef("report: %v", err)
	}
	if *index != "" {
		if fs.NArg() > 0 {
			return usagef("report: --index takes a folder, not journals too")
		}
		p, n, err := reports.WriteIndex(*index)
		if err != nil {
			return usagef("report: %v", err)
		}
		fmt.Fprintf(stdout, "%s: %d runs\n", p, n)
		return nil
	}
	if fs.NArg() == 0 {
		return usagef("report: no journal given; want shakedown report JOURNAL... or --index DIR")
	}
	for _, path := range fs.Args() {
		j, err := reports.ReadJournalFile(path)
		if err != nil {
			return usagef("report: %v", err)
		}
		dir := filepath.Dir(path)
		if *out != "" {
			dir = *out
		}
		paths, err := reports.Write(dir, j, reports.HTML{}, reports.JUnit{})
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
	}
	return nil
}
