// Package faults holds the fault kinds a scenario can inject and the seeded scheduler that applies
// them on their schedule during the fault phase of a run.
//
// Each kind owns its spec type (a plain struct that scenario files decode into, with the fields of
// Common inline) and builds a Fault that can always be undone. What one probability draw stands for
// depends on the kind and is part of its description (Kinds):
//
//   - network toxics (latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data):
//     per connection. The probability is the toxic's Toxiproxy toxicity; Toxiproxy draws it when a
//     connection opens and again whenever a toxic of the proxy changes, from its own unseeded
//     source, so these draws are not reproducible by seed (the window's application is).
//   - request faults (http, query, command): per request, decided by faults/inject (under
//     faults/httpfault and faults/wirefault) from a stream seeded by the run's seed and the
//     fault's name.
//   - windows (proxy_down, pause, kill) and ticks (cpu): per window or per tick: one draw from the
//     fault's own seeded stream decides whether it acts in that window. Schedule draws a fault's
//     windows once, before they open; the Scheduler follows them.
//
// One seed splits into an independent stream per fault, keyed by the fault's name, so the same
// seed gives the same decisions and adding a fault does not change another fault's. Every
// decision and every application and removal goes to a Sink (the run record).
package faults
