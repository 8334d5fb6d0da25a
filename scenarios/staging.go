package scenarios

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Staging describes where nightly runs go: the environment and the system under test that replace
// every scenario's own (the external backend's services, the staging SUT's URL), the hosts the
// runs may touch and where results are pushed. The same catalog runs in CI against local servers
// and every night against staging with this one file.
type Staging struct {
	Environment Environment `yaml:"environment"`
	SUT         SUT         `yaml:"sut"`
	// AllowTargets are the hosts off this machine the runs may touch (as --allow-target).
	AllowTargets []string `yaml:"allow_targets,omitempty"`
	// Push is a Prometheus Pushgateway URL for the results. Empty: none.
	Push string `yaml:"push,omitempty"`
	// Halt is added to every scenario's halt conditions: staging's safety floor.
	Halt []HaltCondition `yaml:"halt,omitempty"`
	// Metrics, when set, replaces every scenario's metrics source and keeps its keep list: a
	// staging service with replicas is judged from its Prometheus.
	Metrics *Metrics `yaml:"metrics,omitempty"`

	File string `yaml:"-"`
	// Secrets are the values of the environment variables the file references (${NAME}); a
	// scenario moved to staging adds them to its own.
	Secrets []string `yaml:"-"`
}

// LoadStaging reads a staging description strictly, as Load reads a scenario. ${VAR} in it is
// replaced by the environment variable (a password kept out of the file, say), whose value joins
// its Secrets; an unset one is an error naming it.
func LoadStaging(path string) (*Staging, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data, secrets, err := expand(path, raw, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty; want environment, sut and allow_targets", path)
	}
	d := &decoder{file: path, pos: map[string]*yaml.Node{}}
	st := &Staging{File: path, Secrets: secrets}
	d.decode(doc.Content[0], reflect.ValueOf(st).Elem(), "")
	if err := errors.Join(d.errs...); err != nil {
		return nil, err
	}
	return st, nil
}

// OnStaging returns the scenario moved to staging: its environment and system under test replaced
// by the staging file's, its halt conditions and its secrets joined by staging's, checked again
// (a fault whose target staging lacks is an error naming both files).
func (s *Scenario) OnStaging(st *Staging) (*Scenario, error) {
	c := *s
	c.Environment, c.SUT = st.Environment, st.SUT
	if s.SUT.Builtin != "" {
		c.StagedBuiltin = s.SUT.Builtin
	}
	c.Halt = append(append([]HaltCondition(nil), s.Halt...), st.Halt...)
	c.Secrets = append(slices.Clone(s.Secrets), st.Secrets...)
	if m := st.Metrics; m != nil {
		keep := append(slices.Clone(s.Metrics.Keep), m.Keep...)
		c.Metrics = *m
		c.Metrics.Keep = keep
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", s.File, st.File, err)
	}
	return &c, nil
}
