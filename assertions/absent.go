package assertions

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/record"
)

// absent says, when the record holds no series named name whose labels include match, that a
// verdict has nothing to read: the series it looked for and what was seen nearest (the names
// closest to a misspelt one, or the label values of the series of that name), so that a typo
// reads as insufficient data and not as a service that did nothing. It returns "" when there is
// such a series.
func absent(rec *record.Record, name string, match map[string]string) string {
	if len(rec.FindSeries(name, match)) > 0 {
		return ""
	}
	want := record.SeriesKey(name, match)
	if same := rec.FindSeries(name, nil); len(same) > 0 {
		seen := map[string]bool{}
		for _, s := range same {
			seen[record.SeriesKey(name, pick(s.Labels, match))] = true
		}
		return fmt.Sprintf("no series %s was collected; the series of that name are %s", want, list(slices.Sorted(maps.Keys(seen)), 5))
	}
	names := map[string]bool{}
	for _, s := range rec.Series {
		names[s.Name] = true
	}
	if len(names) == 0 {
		why := "no series was collected at all"
		if sc := rec.Scrape; sc != nil && sc.Attempts > 0 && sc.Failed == sc.Attempts {
			why += fmt.Sprintf(" (every one of %d scrapes failed; the last: %s)", sc.Attempts, sc.LastError)
		}
		return fmt.Sprintf("no series %s was collected: %s", want, why)
	}
	all := slices.Sorted(maps.Keys(names))
	slices.SortStableFunc(all, func(a, b string) int { return distance(name, a) - distance(name, b) })
	return fmt.Sprintf("no series %s was collected; the nearest names collected are %s (of %d)", want, list(all, 3), len(all))
}

// coreSeries returns the names of the resilience core's series the record holds, sorted.
func coreSeries(rec *record.Record) []string {
	names := map[string]bool{}
	for _, s := range rec.Series {
		if strings.HasPrefix(s.Name, "resilience_") {
			names[s.Name] = true
		}
	}
	return slices.Sorted(maps.Keys(names))
}

// pick returns the labels of l that match names, for a series key that shows where it differs.
func pick(l, match map[string]string) map[string]string {
	out := map[string]string{}
	for k := range match {
		if v, ok := l[k]; ok {
			out[k] = v
		}
	}
	return out
}

// list joins the first n of items, saying how many more there are.
func list(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
