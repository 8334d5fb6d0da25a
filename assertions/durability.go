package assertions

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/record"
)

// Durability checks that every write the SUT acknowledged (each 201's Location) is found after the run by
// Query ($1 is the text[] of the Locations' last segments; it returns the ids it found), over a
// direct connection to Postgres. The harness runs the check when the scenario has this assertion
// (harness.NewPlan resolves the query: this one, else the builtin service's own).
type Durability struct {
	Common `yaml:",inline"`
	// Query finds the acknowledged ids among $1. Empty: the builtin service's query.
	Query string `yaml:"query,omitempty" json:"query,omitempty"`
}

func (*Durability) Kind() string      { return "durability" }
func (d *Durability) Validate() error { return d.validate() }
func (d *Durability) Evaluate(rec *record.Record) Verdict {
	v := d.verdict(d.Kind())
	c := rec.Durability
	if c == nil {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: the record has no durability check (the run ended early?)", d.Name)
		return v
	}
	if c.Error != "" {
		v.Status, v.Explanation = Fail, fmt.Sprintf("%s: the check could not run: %s", d.Name, c.Error)
		return v
	}
	v.Value = float64(c.Missing)
	v.Expected = "every acknowledged write in Postgres"
	v.Measured = fmt.Sprintf("acknowledged=%d missing=%d", c.Acknowledged, c.Missing)
	if c.Missing > 0 {
		v.Measured += fmt.Sprintf(" (first missing: %v)", c.MissingIDs)
	}
	if c.Checked < c.Acknowledged {
		v.Measured += fmt.Sprintf(" (the first %d checked)", c.Checked)
	}
	judge(&v, &d.Common, c.Missing == 0, c.Checked, 1)
	return v
}
