package units_test

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/units"
)

func ExampleParseProbability() {
	p, _ := units.ParseProbability("30%")
	fmt.Println(p.F(), p)
	_, err := units.ParseProbability("130%")
	fmt.Println(err)
	// Output:
	// 0.3 30%
	// probability "130%" is outside 0..1; want a fraction from 0 to 1 (0.3) or a percentage from 0% to 100%
}

func ExampleParseRate() {
	r, _ := units.ParseRate("50/100ms")
	fmt.Println(r, r.PerSecond())
	// Output: 50/100ms 500
}
