package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// API holds the HTTP handlers' dependencies.
type API struct {
	store   Store
	catalog *Catalog
	auth    *Auth
	metrics *Metrics

	metricsToken string
}

// NewRouter wires the routes. It needs no live servers: the store and the
// cache are interfaces, so tests can pass fakes.
func NewRouter(api *API) *gin.Engine {
	r := gin.Default()
	r.Use(api.metrics.Middleware())

	r.GET("/healthz", api.healthz)
	r.GET("/readyz", api.readyz)
	r.GET("/internal/metrics", requireMetricsToken(api.metricsToken), gin.WrapH(api.metrics.Handler()))

	v1 := r.Group("/api/v1")
	v1.POST("/login", api.auth.handleLogin)

	authed := v1.Group("", api.auth.requireToken())
	authed.POST("/orders", api.createOrder)
	authed.GET("/orders/:id", api.getOrder)
	authed.GET("/products", api.listProducts)
	return r
}

func (a *API) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (a *API) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "error": err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

type createOrderRequest struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

func (a *API) createOrder(c *gin.Context) {
	var req createOrderRequest
	if err := c.ShouldBindJSON(&req); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "invalid request body"})
		return
	}
	if req.SKU == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "sku is required"})
		return
	}
	if req.Quantity < 1 {
		c.JSON(http.StatusBadRequest, gin.H{"error": "quantity must be at least 1"})
		return
	}

	id, err := a.store.CreateOrder(c.Request.Context(), req.SKU, req.Quantity)
	if err != nil {
		dbError(c, "create order", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"data": gin.H{"id": id}})
}

func (a *API) getOrder(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "order id must be a number"})
		return
	}
	order, err := a.store.GetOrder(c.Request.Context(), id)
	if errors.Is(err, ErrNotFound) {
		c.JSON(http.StatusNotFound, gin.H{"error": "order not found"})
		return
	}
	if err != nil {
		dbError(c, "get order", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"data": order})
}

func (a *API) listProducts(c *gin.Context) {
	products, from, err := a.catalog.Products(c.Request.Context())
	if err != nil {
		dbError(c, "list products", err)
		return
	}
	c.Header("X-Served-From", from)
	c.JSON(http.StatusOK, gin.H{"data": products})
}

// dbError answers 503 for a database call that failed after its retries.
func dbError(c *gin.Context, what string, err error) {
	log.Printf("%s: %v", what, err)
	c.JSON(http.StatusServiceUnavailable, gin.H{"error": "database unavailable"})
}
