package harness

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/scenarios"
)

// ErrTargetNotAllowed is returned when a scenario would touch an address that is neither on this
// machine nor allowed by name.
var ErrTargetNotAllowed = fmt.Errorf("target not allowed")

// checkTargets refuses a scenario that would send load or faults to an address that is not on
// this machine (loopback) unless its host is in allow (--allow-target), naming every such target
// and where the scenario names it. It touches nothing: it runs before anything starts.
func checkTargets(sc *scenarios.Scenario, allow []string) error {
	type target struct{ where, addr string }
	var ts []target
	if sc.SUT.URL != "" {
		ts = append(ts, target{"sut.url", sc.SUT.URL})
	}
	for i, t := range sc.Load.Targets {
		if !strings.HasPrefix(t.URL, "/") && !ownService(t.URL) {
			ts = append(ts, target{fmt.Sprintf("load.targets[%d].url", i), t.URL})
		}
	}
	if ext := sc.Environment.External; ext != nil {
		if ext.Toxiproxy != "" {
			ts = append(ts, target{"environment.external.toxiproxy", ext.Toxiproxy})
		}
		names := make([]string, 0, len(ext.Services))
		for n := range ext.Services {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			es := ext.Services[n]
			for field, v := range map[string]string{"address": es.Address, "listen": es.Listen, "url": es.URL} {
				if v != "" {
					ts = append(ts, target{fmt.Sprintf("environment.external.services.%s.%s", n, field), v})
				}
			}
		}
	}
	if k := sc.Environment.Kubernetes; k != nil {
		for _, n := range slices.Sorted(maps.Keys(k.Services)) {
			ks := k.Services[n]
			for field, v := range map[string]string{"address": ks.Address, "url": ks.URL} {
				if v != "" {
					ts = append(ts, target{fmt.Sprintf("environment.kubernetes.services.%s.%s", n, field), v})
				}
			}
		}
	}
	var bad []string
	for _, t := range ts {
		h := hostOf(t.addr)
		if isLoopback(h) || slices.Contains(allow, h) || slices.Contains(allow, t.addr) {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s = %s (host %s)", t.where, t.addr, h))
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%w: these targets are not on this machine and not allowed: %s; allow each host by name with --allow-target HOST (allowed now: %v)",
		ErrTargetNotAllowed, strings.Join(slices.Compact(bad), "; "), allow)
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// ownService reports whether a URL's host is one of the run's own services, by its placeholder
// ({{ollama.url}}/api/tags, http://{{redis.host}}:8080/): the environment's addresses, checked
// as the environment's.
func ownService(u string) bool {
	tmpl, err := scenarios.ParseTemplate(schemeRE.ReplaceAllString(u, ""))
	if err != nil || len(tmpl) == 0 || tmpl[0].Kind != scenarios.PieceService {
		return false
	}
	_, part, _ := strings.Cut(tmpl[0].Name, ".")
	end := "/?#"
	switch part {
	case "host":
		end += ":"
	case "addr", "url":
	default:
		return false
	}
	return len(tmpl) == 1 || tmpl[1].Kind == scenarios.PieceLiteral && strings.ContainsAny(tmpl[1].Text[:1], end)
}

// hostOf returns the host of a URL, a DSN or a host:port.
func hostOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return u.Hostname()
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return s
}

func isLoopback(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
