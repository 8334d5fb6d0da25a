package redact

import (
	"slices"

	"github.com/shakedown-dev/shakedown/record"
)

// Record returns a copy of rec with the secrets in its text redacted; rec is not changed. The
// scenario's source is redacted by form alone (Text): it is the file as written, whose secrets
// are references or literals, so a known value found in it is the file's own text (a service
// named as a variable's value is) and stays. Everything else the run wrote goes through String:
// the command, the error, the halt, the SUT's and the replicas' URLs, the metrics source's URL
// and last error, the durability check's error, and the details and errors of the fault events,
// the events and the decisions.
func (r *Redactor) Record(rec *record.Record) *record.Record {
	c := *rec
	c.Scenario.Source = Text(c.Scenario.Source)
	c.Command, c.Error, c.Halted, c.Env.SUT = r.String(c.Command), r.String(c.Error), r.String(c.Halted), r.String(c.Env.SUT)
	c.Env.Replicas = slices.Clone(c.Env.Replicas)
	for i, u := range c.Env.Replicas {
		c.Env.Replicas[i] = r.String(u)
	}
	if c.Scrape != nil {
		sc := *c.Scrape
		sc.URL, sc.LastError = r.String(sc.URL), r.String(sc.LastError)
		c.Scrape = &sc
	}
	if c.Durability != nil {
		c.Durability = make(map[string]*record.Durability, len(rec.Durability))
		for name, d := range rec.Durability {
			dc := *d
			dc.Error = r.String(dc.Error)
			c.Durability[name] = &dc
		}
	}
	c.Faults = slices.Clone(c.Faults)
	for i := range c.Faults {
		c.Faults[i] = r.FaultEvent(c.Faults[i])
	}
	c.Events = slices.Clone(c.Events)
	for i := range c.Events {
		c.Events[i].Detail = r.String(c.Events[i].Detail)
	}
	c.DecisionLog = slices.Clone(c.DecisionLog)
	for i := range c.DecisionLog {
		c.DecisionLog[i].Detail = r.String(c.DecisionLog[i].Detail)
	}
	return &c
}

// FaultEvent returns e with its detail and error redacted.
func (r *Redactor) FaultEvent(e record.FaultEvent) record.FaultEvent {
	e.Detail, e.Error = r.String(e.Detail), r.String(e.Error)
	return e
}
