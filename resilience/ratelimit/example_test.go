package ratelimit_test

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
)

func Example() {
	// 5 calls a second, 3 at once after a quiet spell.
	l, err := ratelimit.New(ratelimit.Config{Name: "public-api", Rate: 5, Burst: 3})
	if err != nil {
		panic(err)
	}
	for i := range 4 {
		ok, after := l.Take()
		fmt.Printf("call %d: allowed %v", i+1, ok)
		if !ok {
			fmt.Printf(", retry in about %dms", after.Round(100_000_000).Milliseconds())
		}
		fmt.Println()
	}
	// Output:
	// call 1: allowed true
	// call 2: allowed true
	// call 3: allowed true
	// call 4: allowed false, retry in about 200ms
}
