package units

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of events per period, written in files as "200/s", "50/100ms" or "3000/1m".
// A bare number means per second. The shape matches vegeta.Rate, so a Rate converts directly.
type Rate struct {
	Freq int           // events per Per; more than 0
	Per  time.Duration // the period; more than 0
}

// PerSecond returns the rate as events per second.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) / r.Per.Seconds()
}

// IsZero reports whether r was never set.
func (r Rate) IsZero() bool { return r.Freq == 0 && r.Per == 0 }

// String formats r in its file form, using "s", "m" or "h" for whole units.
func (r Rate) String() string {
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.Freq)
	case time.Minute:
		return fmt.Sprintf("%d/m", r.Freq)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.Freq)
	}
	return fmt.Sprintf("%d/%s", r.Freq, r.Per)
}

const rateForms = "want events per period like 200/s, 50/100ms or 3000/1m"

// ParseRate parses the file form of a rate.
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	num, per, hasPer := strings.Cut(t, "/")
	f, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil {
		return Rate{}, fmt.Errorf("%q is not a rate; %s", s, rateForms)
	}
	r := Rate{Freq: f, Per: time.Second}
	if hasPer {
		p := strings.TrimSpace(per)
		switch p {
		case "s":
			r.Per = time.Second
		case "m", "min":
			r.Per = time.Minute
		case "h":
			r.Per = time.Hour
		default:
			d, err := time.ParseDuration(p)
			if err != nil {
				return Rate{}, fmt.Errorf("%q is not a rate: period %q is not a duration; %s", s, p, rateForms)
			}
			r.Per = d
		}
	}
	if r.Freq <= 0 || r.Per <= 0 {
		return Rate{}, fmt.Errorf("rate %q must be more than zero; %s", s, rateForms)
	}
	return r, nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
