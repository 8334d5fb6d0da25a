package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrCacheMiss is returned by a ProductCache that holds no product list.
var ErrCacheMiss = errors.New("cache miss")

const (
	productsCacheKey = "shop:products"
	productsCacheTTL = 5 * time.Second
)

// ProductCache caches the product list.
type ProductCache interface {
	GetProducts(ctx context.Context) ([]Product, error)
	SetProducts(ctx context.Context, products []Product) error
}

// RedisCache is a ProductCache that stores the list as JSON in Redis.
type RedisCache struct {
	rdb *redis.Client
}

func NewRedisCache(rdb *redis.Client) *RedisCache {
	return &RedisCache{rdb: rdb}
}

func (c *RedisCache) GetProducts(ctx context.Context) ([]Product, error) {
	b, err := c.rdb.Get(ctx, productsCacheKey).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrCacheMiss
	}
	if err != nil {
		return nil, err
	}
	var products []Product
	if err := json.Unmarshal(b, &products); err != nil {
		return nil, err
	}
	return products, nil
}

func (c *RedisCache) SetProducts(ctx context.Context, products []Product) error {
	b, err := json.Marshal(products)
	if err != nil {
		return err
	}
	return c.rdb.Set(ctx, productsCacheKey, b, productsCacheTTL).Err()
}
