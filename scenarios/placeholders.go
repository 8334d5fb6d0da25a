package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/units"
)

// StepsBeforeSUT returns how many set-up steps run before the system under test starts: those
// before the first request step (every step when there is none). The SUT starts, and is waited
// for, after them; the steps from the first request step on run with it up, in order.
func (s *Scenario) StepsBeforeSUT() int {
	for i, st := range s.Setup {
		if st.Request != nil {
			return i
		}
	}
	return len(s.Setup)
}

// placeKind is a kind of field whose text the run fills in, in the order a run reaches them.
type placeKind int

const (
	inCommand placeKind = iota // a set-up command's argument
	inEnv                      // sut.env, filled as the SUT starts
	inSetupRequest
	inTarget
)

// place is one field whose text the run fills in.
type place struct {
	path string
	kind placeKind
	// step is a set-up step's index.
	step int
	// captures: a load target that captures values itself.
	captures bool
}

// capture is where a value is captured: a set-up request (step is its index) or a load target
// (step is -1).
type capture struct {
	where string
	step  int
}

// checkPlaceholders checks every placeholder where it is used against what the run knows at that
// point (docs/scenarios.md has the table): a service's parts everywhere, for the services the
// environment has; {{port}} and {{replica}} in sut.env; {{uuid}} and {{random N}} in requests;
// {{seq}} in load targets; a value captured by a set-up request in the steps after it and in
// the load targets; a value captured by a load target in the other targets (one that captures
// uses none of those, so some target can always be sent). It checks the captures too: a name of
// their own, and a place in the answer.
func (s *Scenario) checkPlaceholders(services []string) []problem {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	captured := map[string]capture{}
	register := func(path string, c map[string]units.Locator, step int) {
		for _, name := range slices.Sorted(maps.Keys(c)) {
			p := path + ".capture." + name
			switch {
			case !nameRE.MatchString(name) || slices.Contains(reservedNames, name):
				add(p, "%q cannot name a captured value; want letters, digits and _ (not %s)", name, strings.Join(reservedNames, ", "))
			case captured[name].where != "":
				add(p, "%q is captured twice (first by %s); give each value its own name", name, captured[name].where)
			default:
				captured[name] = capture{path, step}
			}
			if err := c[name].Validate(); err != nil {
				add(p, "%v", err)
			}
		}
	}
	for i, st := range s.Setup {
		if st.Request != nil {
			register(fmt.Sprintf("setup[%d].request", i), st.Request.Capture, i)
		}
	}
	for i, t := range s.Load.Targets {
		register(fmt.Sprintf("load.targets[%d]", i), t.Capture, -1)
	}

	check := func(pl place, text string) {
		tmpl, err := ParseTemplate(text)
		if err != nil {
			add(pl.path, "%v", err)
			return
		}
		for _, pc := range tmpl {
			if msg := known(pl, pc, services, captured); msg != "" {
				add(pl.path, "%s", msg)
			}
		}
	}
	request := func(path string, t *LoadTarget, pl place) {
		fields := map[string]string{path + ".url": t.URL, path + ".body": t.Body}
		for k, v := range t.Headers {
			fields[path+".headers."+k] = v
		}
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			pl.path = f
			check(pl, fields[f])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.SUT.Env)) {
		check(place{path: "sut.env." + k, kind: inEnv}, s.SUT.Env[k])
	}
	for i, st := range s.Setup {
		for j, arg := range st.Command {
			check(place{path: fmt.Sprintf("setup[%d].command[%d]", i, j), kind: inCommand, step: i}, arg)
		}
		if st.Request != nil {
			request(fmt.Sprintf("setup[%d].request", i), st.Request, place{kind: inSetupRequest, step: i})
		}
	}
	for i := range s.Load.Targets {
		t := &s.Load.Targets[i]
		request(fmt.Sprintf("load.targets[%d]", i), t, place{kind: inTarget, captures: len(t.Capture) > 0})
	}
	return ps
}

// known says why the placeholder pc is not known at pl ("" when it is): where it may appear, or
// where its value becomes known.
func known(pl place, pc Piece, services []string, captured map[string]capture) string {
	switch pc.Kind {
	case PieceService:
		if svc, _, _ := strings.Cut(pc.Name, "."); !slices.Contains(services, svc) {
			return fmt.Sprintf("unknown placeholder %s: the environment has no %s (its services: %s)", pc.Text, svc, strings.Join(services, ", "))
		}
	case PiecePort, PieceReplica:
		if pl.kind != inEnv {
			return fmt.Sprintf("%s is a command replica's own (its port, its number), known in sut.env only; %s", pc.Text, map[placeKind]string{
				inCommand:      "a set-up command runs once, not per replica",
				inSetupRequest: "a request's path (/login) goes to the service, on its port",
				inTarget:       "a request's path (/orders) goes to every replica in turn, each on its port",
			}[pl.kind])
		}
	case PieceSeq:
		switch pl.kind {
		case inSetupRequest:
			return "{{seq}} numbers the load's requests; a set-up request is sent once"
		case inEnv, inCommand:
			return "{{seq}} numbers the load's requests: it is known in load targets only"
		}
	case PieceUUID, PieceRandom:
		if pl.kind == inEnv || pl.kind == inCommand {
			return fmt.Sprintf("%s is drawn for each request: it is known in set-up requests and load targets only", pc.Text)
		}
	case PieceCaptured:
		c, ok := captured[pc.Name]
		switch {
		case !ok:
			return fmt.Sprintf("unknown placeholder %s: no request captures %s; want %s", pc.Text, pc.Name, wants(pl, services, captured))
		case pl.kind == inEnv && c.step >= 0:
			return fmt.Sprintf("%s is captured by %s, once the service runs; sut.env is filled as it starts", pc.Text, c.where)
		case pl.kind != inTarget && c.step < 0:
			return fmt.Sprintf("%s is captured by %s, whose answers come during the load, after the set-up", pc.Text, c.where)
		case pl.kind != inTarget && c.step == pl.step:
			return fmt.Sprintf("%s is captured from this request's own answer; a request uses the values of the requests before it", pc.Text)
		case pl.kind != inTarget && c.step > pl.step:
			return fmt.Sprintf("%s is captured by %s, which runs after this step; move that request before it", pc.Text, c.where)
		case pl.kind == inTarget && c.step < 0 && pl.captures:
			return fmt.Sprintf("%s is captured by %s, and this target captures too; a target that captures may use only set-up captures", pc.Text, c.where)
		}
	}
	return ""
}

// wants lists what pl may use, for an error.
func wants(pl place, services []string, captured map[string]capture) string {
	var out []string
	switch pl.kind {
	case inEnv:
		out = append(out, "{{port}}", "{{replica}}")
	case inTarget:
		out = append(out, "{{seq}}", "{{uuid}}", "{{random N}}")
	case inSetupRequest:
		out = append(out, "{{uuid}}", "{{random N}}")
	}
	for _, svc := range services {
		out = append(out, partPlaceholders(svc)...)
	}
	if pl.kind == inEnv {
		return strings.Join(out, ", ")
	}
	var names []string
	for _, n := range slices.Sorted(maps.Keys(captured)) {
		c := captured[n]
		if pl.kind == inTarget && (c.step >= 0 || !pl.captures) || pl.kind != inTarget && c.step >= 0 && c.step < pl.step {
			names = append(names, "{{"+n+"}}")
		}
	}
	if len(names) == 0 {
		return strings.Join(out, ", ") + " or a captured value (none is captured before it)"
	}
	return strings.Join(out, ", ") + " or a captured value (" + strings.Join(names, ", ") + ")"
}
