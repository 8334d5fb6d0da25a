package inject_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/faults/inject"
	"github.com/shakedown-dev/shakedown/faults/seeded"
)

// prefix is the action of the tests' faults: it matches requests (strings) by prefix.
type prefix struct {
	Prefix string `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	Max    int    `json:"max,omitempty" yaml:"max,omitempty"`
}

func (a prefix) Limit() int { return a.Max }

type fault = inject.Fault[prefix]

// decide decides req on d and returns what OnDecision was handed.
func decide(d *inject.Decider[fault, string], req string, got *[]string) []string {
	*got = nil
	d.Decide(func(f *fault) bool { return strings.HasPrefix(req, f.Action.Prefix) }, func(f *fault, dr inject.Draw, _ *rand.Rand) string {
		return fmt.Sprintf("%s#%d:%v", f.Name, dr.Seq, dr.Injected)
	})
	return *got
}

func newDecider(seed uint64) (*inject.Decider[fault, string], *[]string) {
	var got []string
	return inject.New[fault](seed, func(s string) { got = append(got, s) }), &got
}

// TestSameSeedSameNameSameDraws: the k-th request a fault matches gets draw k of the stream the
// seed and its name give (seeded.NewDraws), whatever other faults there are: what lets a fault
// decided in another process (a mock's container, a proxy) replay the harness's decisions.
func TestSameSeedSameNameSameDraws(t *testing.T) {
	t.Parallel()
	want := seeded.NewDraws(7, "flaky")
	alone, _ := newDecider(7)
	crowded, _ := newDecider(7)
	alone.Set(fault{Name: "flaky", Probability: 0.3})
	crowded.Set(fault{Name: "other", Probability: 0.5}, fault{Name: "flaky", Probability: 0.3, Action: prefix{Prefix: "/api"}})
	for k := range 100 {
		_, wantDraw, wantInjected := want.Decide(0.3, 0)
		for _, d := range []*inject.Decider[fault, string]{alone, crowded} {
			var got inject.Draw
			d.Decide(func(*fault) bool { return true }, func(f *fault, dr inject.Draw, _ *rand.Rand) string {
				if f.Name == "flaky" {
					got = dr
				}
				return ""
			})
			if got != (inject.Draw{Seq: uint64(k), Draw: wantDraw, Probability: 0.3, Injected: wantInjected}) {
				t.Fatalf("request %d: flaky drew %+v; want draw %d of seed 7's stream: %v, injected %v", k, got, k, wantDraw, wantInjected)
			}
		}
	}
}

func TestSetRemoveClear(t *testing.T) {
	t.Parallel()
	d, got := newDecider(1)
	if !d.Idle() || len(decide(d, "/x", got)) != 0 {
		t.Fatal("a new Decider is not idle")
	}
	d.Set(fault{Name: "a", Probability: 1}, fault{Name: "b", Probability: 0, Action: prefix{Prefix: "/api"}})
	d.Set(fault{Name: "a", Probability: 0}) // replaced in its place
	if names := []string{d.Faults()[0].Name, d.Faults()[1].Name}; !slices.Equal(names, []string{"a", "b"}) || d.Faults()[0].Probability != 0 {
		t.Errorf("Faults() = %+v; want a (replaced, probability 0) then b", d.Faults())
	}
	if g := decide(d, "/api/x", got); !slices.Equal(g, []string{"a#0:false", "b#0:false"}) {
		t.Errorf("decisions %v; want a's then b's, in the order first set", g)
	}
	if g := decide(d, "/other", got); !slices.Equal(g, []string{"a#1:false"}) {
		t.Errorf("decisions %v; want a's alone: b does not match and takes no draw", g)
	}
	if !d.Remove("a") || d.Remove("a") || d.Len() != 1 {
		t.Errorf("Remove(a) twice: want true then false, one fault left; %d left", d.Len())
	}
	d.Clear()
	d.Set(fault{Name: "a", Probability: 1, Action: prefix{Max: 2}})
	if g := [][]string{decide(d, "/", got), decide(d, "/", got), decide(d, "/", got)}; g[0][0] != "a#2:true" || g[1][0] != "a#3:true" || g[2][0] != "a#4:false" {
		t.Errorf("after Clear and Set: %v; want a's stream going on (2, 3, 4), injecting twice (max 2)", g)
	}
	if dec, inj, ok := d.Counts("a"); dec != 5 || inj != 2 || !ok {
		t.Errorf("Counts(a) = %d, %d, %v; want 5, 2, true", dec, inj, ok)
	}
	if st := d.States(); len(st) != 1 || st[0].Decisions != 5 || st[0].Injected != 2 {
		t.Errorf("States() = %+v", st)
	}
	if _, _, ok := d.Counts("never"); ok {
		t.Error("Counts of a fault never set: ok")
	}
}

func TestFaultJSON(t *testing.T) {
	t.Parallel()
	f := fault{Name: "x", Probability: 0.25, Action: prefix{Prefix: "/api", Max: 2}}
	b, err := json.Marshal(f)
	if want := `{"name":"x","probability":"0.25","prefix":"/api","max":2}`; err != nil || string(b) != want {
		t.Errorf("json.Marshal(%+v) = %s, %v; want %s", f, b, err, want)
	}
	if b, _ := json.Marshal(fault{Name: "y"}); string(b) != `{"name":"y","probability":"0"}` {
		t.Errorf("a fault with an empty action: %s", b)
	}
	for in, want := range map[string]string{
		`{"name":"x","probability":0.25,"prefix":"/api","max":2}`:  "",
		`{"name":"x","probability":"25%","prefix":"/api","max":2}`: "",
		`{"name":"x","probability":0.25,"prefix":"/api","mx":2}`:   `unknown field "mx"`,
		`{"name":"x","probability":2}`:                             `fault "x": probability: probability "2" is outside 0..1`,
		`{"name":3}`:                                               "fault: name:",
		`[]`:                                                       "cannot unmarshal array",
	} {
		var got fault
		err := json.Unmarshal([]byte(in), &got)
		if want == "" && (err != nil || got != f) {
			t.Errorf("json.Unmarshal(%s) = %+v, %v; want %+v", in, got, err, f)
		}
		if want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("json.Unmarshal(%s) error = %v; want one containing %q", in, err, want)
		}
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	errs := fault{Name: "bad name", Probability: 1.5, Action: prefix{Max: -1}}.Problems("test fault")
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	want := []string{`test fault "bad name": name = "bad name"; want 1-64 letters, digits, '.', '_' or '-'`,
		`test fault "bad name": probability = 150%; want a value from 0 to 1`,
		`test fault "bad name": max = -1; want 0 (no limit) or the number of injections after which the fault stops`}
	if !slices.Equal(msgs, want) {
		t.Errorf("Problems() = %q; want %q", msgs, want)
	}
	if errs := (fault{Name: "ok.2_x-y", Probability: 1}).Problems("test fault"); len(errs) != 0 {
		t.Errorf("Problems() of a good fault = %v", errs)
	}
}
