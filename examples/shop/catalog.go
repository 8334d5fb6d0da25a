package main

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Where a product list was served from (the X-Served-From header).
const (
	servedFromCache = "cache"
	servedFromDB    = "db"
)

// Catalog serves the product list from the cache when it can and from the
// store otherwise. The cache sits behind a circuit breaker so that a sick
// Redis costs at most a few slow requests before it is skipped.
type Catalog struct {
	store   Store
	cache   ProductCache
	breaker *gobreaker.CircuitBreaker[[]Product]
}

func newCacheBreaker() *gobreaker.CircuitBreaker[[]Product] {
	return gobreaker.NewCircuitBreaker[[]Product](gobreaker.Settings{
		Name:        "cache",
		MaxRequests: 1,
		Interval:    0,
		Timeout:     2 * time.Second,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= 3
		},
		// A miss means Redis answered: it is no reason to open the breaker.
		IsSuccessful: func(err error) bool {
			return err == nil || errors.Is(err, ErrCacheMiss)
		},
		OnStateChange: func(name string, from, to gobreaker.State) {
			log.Printf("circuit breaker %q: %s -> %s", name, from, to)
		},
	})
}

func NewCatalog(store Store, cache ProductCache) *Catalog {
	return &Catalog{store: store, cache: cache, breaker: newCacheBreaker()}
}

// BreakerState returns the cache breaker's state (closed 0, half-open 1,
// open 2). Asking also lets an open breaker whose timeout has passed move
// to half-open.
func (c *Catalog) BreakerState() gobreaker.State {
	return c.breaker.State()
}

// Products returns the product list and where it came from.
func (c *Catalog) Products(ctx context.Context) ([]Product, string, error) {
	products, err := c.breaker.Execute(func() ([]Product, error) {
		return c.cache.GetProducts(ctx)
	})
	if err == nil {
		return products, servedFromCache, nil
	}
	miss := errors.Is(err, ErrCacheMiss)
	if !miss && !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) {
		log.Printf("products cache read failed: %v", err)
	}

	products, err = c.store.ListProducts(ctx)
	if err != nil {
		return nil, "", err
	}

	// Best effort: only refill the cache when it answered with a miss.
	if miss {
		if _, err := c.breaker.Execute(func() ([]Product, error) {
			return nil, c.cache.SetProducts(ctx, products)
		}); err != nil {
			log.Printf("products cache write failed: %v", err)
		}
	}
	return products, servedFromDB, nil
}
