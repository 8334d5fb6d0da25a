package main

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned by a Store when the requested row does not exist.
var ErrNotFound = errors.New("not found")

// Order is a row of the orders table.
type Order struct {
	ID       int64  `json:"id"`
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Product is a row of the products table.
type Product struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int    `json:"price_cents"`
}

// Store is the service's persistent storage.
type Store interface {
	CreateOrder(ctx context.Context, sku string, quantity int) (int64, error)
	GetOrder(ctx context.Context, id int64) (Order, error)
	ListProducts(ctx context.Context) ([]Product, error)
	Ping(ctx context.Context) error
}

// dbTimeout bounds every database call, retries included.
const dbTimeout = 2 * time.Second

// PGStore is a Store backed by a pgx connection pool. Every query runs
// through the retrier, under a dbTimeout deadline derived from the caller's
// (request) context.
type PGStore struct {
	pool  *pgxpool.Pool
	retry *Retrier
}

func NewPGStore(pool *pgxpool.Pool, retry *Retrier) *PGStore {
	return &PGStore{pool: pool, retry: retry}
}

func (s *PGStore) do(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	return s.retry.Run(ctx, func() error { return fn(ctx) })
}

func (s *PGStore) CreateOrder(ctx context.Context, sku string, quantity int) (int64, error) {
	var id int64
	err := s.do(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx,
			`INSERT INTO orders (sku, quantity) VALUES ($1, $2) RETURNING id`,
			sku, quantity).Scan(&id)
	})
	return id, err
}

func (s *PGStore) GetOrder(ctx context.Context, id int64) (Order, error) {
	var o Order
	err := s.do(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx,
			`SELECT id, sku, quantity FROM orders WHERE id = $1`, id).
			Scan(&o.ID, &o.SKU, &o.Quantity)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	return o, err
}

func (s *PGStore) ListProducts(ctx context.Context) ([]Product, error) {
	var products []Product
	err := s.do(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx,
			`SELECT sku, name, price_cents FROM products ORDER BY sku`)
		if err != nil {
			return err
		}
		products, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Product])
		return err
	})
	if err != nil {
		return nil, err
	}
	if products == nil {
		products = []Product{}
	}
	return products, nil
}

// Ping checks that the database answers. It is used by the readiness probe
// and is deliberately not retried.
func (s *PGStore) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}
