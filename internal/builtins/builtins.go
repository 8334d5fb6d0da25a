// Package builtins hands the reference service to a run as a builtin system under test, in one
// place for the shakedown command and harnesstest: a scenario's sut.builtin: agentd runs it in
// the harness's process.
package builtins

import (
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/internal/agentd"
	"github.com/shakedown-dev/shakedown/service"
)

// Agentd is the name scenarios give the reference service.
const Agentd = "agentd"

// Reference returns the builtins this module ships: agentd, which needs every service.
func Reference() harness.Builtins {
	return harness.Builtins{Agentd: {Needs: service.Names(), DurabilityQuery: agentd.DurabilityQuery, Start: agentd.StartInProcess}}
}
