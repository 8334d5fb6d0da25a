package hedge_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/shakedown-dev/shakedown/resilience/hedge"
)

func Example() {
	h, err := hedge.New(hedge.Config{Name: "search", Delay: 50 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	var attempts atomic.Int32 // the attempts run at once, each on its own goroutine
	v, err := hedge.Do(context.Background(), h, func(ctx context.Context) (string, error) {
		if attempts.Add(1) == 1 { // the first replica is in a GC pause
			<-ctx.Done()
			return "", ctx.Err()
		}
		return "results from the second replica", nil
	})
	fmt.Println(v, err)
	// Output: results from the second replica <nil>
}
