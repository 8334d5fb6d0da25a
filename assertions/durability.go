package assertions

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Durability checks that every write the SUT acknowledged is found after the run by Query ($1 is
// the text[] of the acknowledged ids; it returns the ids it found), over a direct connection to
// Postgres. An acknowledgement is an answer with a status of Status whose id is where ID says.
// The harness runs the check when the scenario has this assertion (harness.NewPlan resolves the
// query: this one, else the builtin service's own).
type Durability struct {
	Common `yaml:",inline"`
	// Query finds the acknowledged ids among $1. Empty: the builtin service's query.
	Query string `yaml:"query,omitempty" json:"query,omitempty"`
	// Status are the statuses of an acknowledged write. Empty: 201.
	Status []units.StatusRange `yaml:"status,omitempty" json:"status,omitempty"`
	// ID is where an acknowledgement's id is: location (the last path segment of its Location
	// header), header:NAME, or a JSON pointer into the body (/data/id). Empty: location.
	ID units.Locator `yaml:"id,omitempty" json:"id,omitempty"`
}

func (*Durability) Kind() string { return "durability" }
func (d *Durability) Validate() error {
	ok := d.ID == "" || d.ID.Validate() == nil
	return d.validate(rangeErr(&d.Common, "id", ok, fmt.Sprintf("%q", d.ID), "location, header:NAME or a JSON pointer such as /data/id"))
}
func (d *Durability) Evaluate(rec *record.Record) Verdict {
	v := d.verdict(d.Kind())
	c := rec.Durability[d.Name]
	if c == nil {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: the record has no durability check (the run ended early?)", d.Name)
		return v
	}
	if c.Error != "" {
		v.Status, v.Explanation = Fail, fmt.Sprintf("%s: the check could not run: %s", d.Name, c.Error)
		return v
	}
	if c.Acknowledged == 0 {
		v.Status = Insufficient
		v.Explanation = fmt.Sprintf("%s: no write was acknowledged: %s", d.Name, whyNoAck(rec, rec.Acks[d.Name], c.Rule))
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

// whyNoAck says why no answer was an acknowledgement: the answers that matched the rule's status
// but had no id, or the statuses the answers had.
func whyNoAck(rec *record.Record, acks *record.Acks, rule string) string {
	if acks != nil && acks.WithoutID > 0 {
		return fmt.Sprintf("%d answers had the rule's status but no id where it says (%s)", acks.WithoutID, rule)
	}
	codes := slices.Sorted(maps.Keys(rec.Statuses))
	parts := make([]string, 0, len(codes))
	for _, code := range codes {
		name := strconv.Itoa(code)
		if code == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", name, rec.Statuses[code]))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("no response matched the rule (%s); there was no answer at all", rule)
	}
	return fmt.Sprintf("no response matched the rule (%s); the answers were %s", rule, strings.Join(parts, ", "))
}
