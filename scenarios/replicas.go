package scenarios

import "fmt"

// MaxReplicas bounds sut.replicas: replicas run on this machine, beside the load generator.
const MaxReplicas = 64

// N returns how many instances of the system under test run: Replicas, or 1.
func (s SUT) N() int { return max(s.Replicas, 1) }

// checkReplicas checks sut.replicas and sut.port: a number of instances of a command, from a
// port on. A builtin runs once in the harness's process, and a url SUT runs elsewhere: the
// harness starts no replica of either, and picks no port for them.
func (s *Scenario) checkReplicas() []problem {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	n := s.SUT.Replicas
	switch {
	case n < 0 || n > MaxReplicas:
		add("sut.replicas", "%d; want a number of instances from 1 to %d (0: 1)", n, MaxReplicas)
	case n <= 1:
	case s.SUT.Builtin != "":
		add("sut.replicas", "%d with builtin %q; a builtin runs once, in the harness's process: run replicas of a command (sut.command), each on its own {{port}}", n, s.SUT.Builtin)
	case s.SUT.URL != "":
		add("sut.replicas", "%d with url %s; the harness starts nothing for a url SUT, whose replicas are behind the url: leave replicas out, and read each replica's metrics with metrics.source: prometheus", n, s.SUT.URL)
	}
	switch port, last := s.SUT.Port, s.SUT.Port+s.SUT.N()-1; {
	case port == 0:
	case len(s.SUT.Command) == 0:
		add("sut.port", "%d; the port is a command's: a builtin and a url SUT have their own", port)
	case port < 1024 || last > 65535:
		add("sut.port", "%d; want a port from 1024 to %d, so that each replica's (port to port+%d) is one", port, 65535-s.SUT.N()+1, s.SUT.N()-1)
	}
	return ps
}
