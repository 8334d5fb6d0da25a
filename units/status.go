package units

import (
	"fmt"
	"strconv"
	"strings"
)

// StatusRange is a range of HTTP statuses as written in files: one status ("404"), a class
// ("2xx") or a range ("200-299").
type StatusRange struct{ From, To int }

// Contains reports whether code is in the range.
func (r StatusRange) Contains(code int) bool { return code >= r.From && code <= r.To }

// String formats r in its file form.
func (r StatusRange) String() string {
	switch {
	case r.From == r.To:
		return strconv.Itoa(r.From)
	case r.From%100 == 0 && r.To == r.From+99:
		return fmt.Sprintf("%dxx", r.From/100)
	}
	return fmt.Sprintf("%d-%d", r.From, r.To)
}

// UnmarshalText parses "404", "2xx" or "200-299"; statuses are 100 to 599.
func (r *StatusRange) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	bad := fmt.Errorf("status %q; want a status (404), a class (2xx) or a range (200-299) within 100-599", s)
	status := func(t string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		return n, err == nil && n >= 100 && n <= 599
	}
	switch {
	case len(s) == 3 && strings.HasSuffix(strings.ToLower(s), "xx"):
		c := s[0]
		if c < '1' || c > '5' {
			return bad
		}
		from := int(c-'0') * 100
		*r = StatusRange{from, from + 99}
	case strings.Contains(s, "-"):
		a, b, _ := strings.Cut(s, "-")
		from, ok1 := status(a)
		to, ok2 := status(b)
		if !ok1 || !ok2 || from > to {
			return bad
		}
		*r = StatusRange{from, to}
	default:
		n, ok := status(s)
		if !ok {
			return bad
		}
		*r = StatusRange{n, n}
	}
	return nil
}

// MarshalText writes r in its file form.
func (r StatusRange) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// DefaultExpect is what counts as a success when a load target says nothing: 2xx and 3xx, as
// k6's http_req_failed counts it.
var DefaultExpect = []StatusRange{{200, 299}, {300, 399}}

// Expected reports whether code is in any of the ranges, or in DefaultExpect when there are none.
func Expected(ranges []StatusRange, code int) bool {
	if len(ranges) == 0 {
		ranges = DefaultExpect
	}
	for _, r := range ranges {
		if r.Contains(code) {
			return true
		}
	}
	return false
}
