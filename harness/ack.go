package harness

import (
	"fmt"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/units"
)

// ackRule recognises an acknowledged write in a response and says where its id is, for the
// durability check: a status of Status (default 201) and an id where ID says (default
// "location").
type ackRule struct {
	// Check names the durability assertion whose rule it is.
	Check  string
	Status []units.StatusRange
	ID     units.Locator
	// Target limits the rule to one named load target's responses. Empty: every response.
	Target string
}

// String says the rule in words, for a verdict that saw no acknowledgement.
func (a *ackRule) String() string {
	status := "201"
	if len(a.Status) > 0 {
		parts := make([]string, len(a.Status))
		for i, s := range a.Status {
			parts[i] = s.String()
		}
		status = strings.Join(parts, " or ")
	}
	s := fmt.Sprintf("status %s, the id from %s", status, a.locator())
	if a.Target != "" {
		s += ", of target " + a.Target
	}
	return s
}

func (a *ackRule) locator() units.Locator {
	if a.ID == "" {
		return "location"
	}
	return a.ID
}

// find returns the write's id when r is an acknowledgement, and whether r matched the rule's
// status (an acknowledgement whose id is missing matches and returns "").
func (a *ackRule) find(r *vegeta.Result, target string) (id string, matched bool) {
	if a.Target != "" && target != a.Target {
		return "", false
	}
	if len(a.Status) == 0 {
		if r.Code != 201 {
			return "", false
		}
	} else if !units.Expected(a.Status, int(r.Code)) {
		return "", false
	}
	return a.locator().Find(r.Headers, r.Body), true
}
