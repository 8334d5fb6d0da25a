package units

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a non-negative time.Duration written in files as Go duration text ("250ms", "1m30s").
// A bare "0" is accepted; any other number without a unit is an error, because "250" could mean
// milliseconds or seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// ParseDuration parses the file form of a duration.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty duration; want a number with a unit like 250ms, 2s or 1m30s")
	}
	if t == "0" {
		return 0, nil
	}
	v, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; want a number with a unit like 250ms, 2s or 1m30s", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q is negative; want 0 or more", s)
	}
	return Duration(v), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
