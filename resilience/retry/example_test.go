package retry_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shakedown-dev/shakedown/resilience/retry"
)

func ExampleDo() {
	r, _ := retry.New(retry.Config{Name: "redis", MaxAttempts: 4, BaseDelay: time.Millisecond})
	calls := 0
	v, err := retry.Do(context.Background(), r, func(context.Context) (string, error) {
		calls++
		if calls < 3 {
			return "", errors.New("connection reset")
		}
		return "PONG", nil
	})
	fmt.Println(v, err, calls)
	// Output: PONG <nil> 3
}
