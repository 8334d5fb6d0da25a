package circuitbreaker_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
)

func Example() {
	b, err := circuitbreaker.New(circuitbreaker.Config{Name: "ollama", ConsecutiveFailures: 2})
	if err != nil {
		panic(err)
	}
	down := errors.New("connection refused")
	for i := range 3 {
		_, err := circuitbreaker.Execute(context.Background(), b, func(context.Context) (string, error) {
			return "", down
		})
		fmt.Printf("call %d: %v (breaker %s)\n", i+1, err, b.State())
	}
	// Output:
	// call 1: connection refused (breaker closed)
	// call 2: connection refused (breaker open)
	// call 3: circuit breaker is open: "ollama" is open (breaker open)
}

func ExampleBreaker_Allow() {
	b, _ := circuitbreaker.New(circuitbreaker.Config{Name: "redis"})
	p, err := b.Allow()
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	// ... make the call ...
	p.Done(nil)
	fmt.Println(b.State())
	// Output: closed
}
