package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	gin.DefaultWriter = io.Discard
	os.Exit(m.Run())
}

// fakeStore is an in-memory Store.
type fakeStore struct {
	mu       sync.Mutex
	orders   map[int64]Order
	nextID   int64
	products []Product
	err      error // returned by every call when set
	calls    int
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		orders: map[int64]Order{},
		nextID: 41,
		products: []Product{
			{SKU: "mug-001", Name: "Enamel mug", PriceCents: 1200},
			{SKU: "tee-002", Name: "Logo T-shirt", PriceCents: 2500},
		},
	}
}

func (s *fakeStore) CreateOrder(_ context.Context, sku string, qty int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return 0, s.err
	}
	s.nextID++
	s.orders[s.nextID] = Order{ID: s.nextID, SKU: sku, Quantity: qty}
	return s.nextID, nil
}

func (s *fakeStore) GetOrder(_ context.Context, id int64) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return Order{}, s.err
	}
	o, ok := s.orders[id]
	if !ok {
		return Order{}, ErrNotFound
	}
	return o, nil
}

func (s *fakeStore) ListProducts(context.Context) ([]Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	return s.products, nil
}

func (s *fakeStore) Ping(context.Context) error { return s.err }

// fakeCache is an in-memory ProductCache.
type fakeCache struct {
	mu       sync.Mutex
	products []Product
	err      error
	gets     int
	sets     int
}

func (c *fakeCache) GetProducts(context.Context) ([]Product, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets++
	if c.err != nil {
		return nil, c.err
	}
	if c.products == nil {
		return nil, ErrCacheMiss
	}
	return c.products, nil
}

func (c *fakeCache) SetProducts(_ context.Context, p []Product) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sets++
	if c.err != nil {
		return c.err
	}
	c.products = p
	return nil
}

const (
	testSecret       = "test-secret"
	testMetricsToken = "scrape-me"
)

type testEnv struct {
	router  *gin.Engine
	store   *fakeStore
	cache   *fakeCache
	auth    *Auth
	catalog *Catalog
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	store := newFakeStore()
	cache := &fakeCache{}
	auth := NewAuth([]string{"key-a", "key-b"}, []byte(testSecret))
	catalog := NewCatalog(store, cache)
	metrics := NewMetrics()
	metrics.RegisterBreaker(catalog.breaker.Name(), func() float64 { return float64(catalog.BreakerState()) })
	router := NewRouter(&API{
		store:        store,
		catalog:      catalog,
		auth:         auth,
		metrics:      metrics,
		metricsToken: testMetricsToken,
	})
	return &testEnv{router: router, store: store, cache: cache, auth: auth, catalog: catalog}
}

func (e *testEnv) do(t *testing.T, method, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return w
}

func (e *testEnv) login(t *testing.T) string {
	t.Helper()
	w := e.do(t, http.MethodPost, "/api/v1/login", `{"api_key":"key-a"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var resp struct {
		Data struct {
			AccessToken string `json:"accessToken"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.NotEmpty(t, resp.Data.AccessToken)
	return resp.Data.AccessToken
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), w.Body.String())
	return m
}

func TestHealthz(t *testing.T) {
	e := newTestEnv(t)
	e.store.err = errors.New("db down") // liveness does not care
	w := e.do(t, http.MethodGet, "/healthz", "")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"ok"}`, w.Body.String())
}

func TestReadyz(t *testing.T) {
	e := newTestEnv(t)
	w := e.do(t, http.MethodGet, "/readyz", "")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"ready"}`, w.Body.String())

	e.store.err = errors.New("connection refused")
	w = e.do(t, http.MethodGet, "/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.JSONEq(t, `{"status":"not ready","error":"connection refused"}`, w.Body.String())
}

func TestLoginGoodKey(t *testing.T) {
	e := newTestEnv(t)
	w := e.do(t, http.MethodPost, "/api/v1/login", `{"api_key":"key-b"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	var resp struct {
		Data struct {
			AccessToken string `json:"accessToken"`
			ExpiresIn   int    `json:"expiresIn"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	assert.Equal(t, 3600, resp.Data.ExpiresIn)

	claims, err := e.auth.Verify(resp.Data.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "1", claims.Subject, "sub is the index of the key")
	assert.WithinDuration(t, time.Now().Add(time.Hour), claims.ExpiresAt.Time, 5*time.Second)

	tok, _, err := jwt.NewParser().ParseUnverified(resp.Data.AccessToken, &jwt.RegisteredClaims{})
	require.NoError(t, err)
	assert.Equal(t, "HS256", tok.Method.Alg())
}

func TestLoginBadKey(t *testing.T) {
	e := newTestEnv(t)
	for name, body := range map[string]string{
		"unknown key": `{"api_key":"key-c"}`,
		"empty key":   `{"api_key":""}`,
		"no key":      `{}`,
		"not json":    `api_key=key-a`,
	} {
		t.Run(name, func(t *testing.T) {
			w := e.do(t, http.MethodPost, "/api/v1/login", body)
			assert.Equal(t, http.StatusUnauthorized, w.Code)
			assert.JSONEq(t, `{"error":"invalid api key"}`, w.Body.String())
		})
	}
}

func TestProtectedRoutesNeedToken(t *testing.T) {
	e := newTestEnv(t)

	other := NewAuth([]string{"key-a"}, []byte("another-secret"))
	forged, err := other.Issue(0)
	require.NoError(t, err)

	past := NewAuth([]string{"key-a"}, []byte(testSecret))
	past.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, err := past.Issue(0)
	require.NoError(t, err)

	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.RegisteredClaims{
		Subject: "0", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	})
	unsigned, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)

	cases := map[string]struct {
		header string
		want   string
	}{
		"missing":       {"", "missing bearer token"},
		"wrong scheme":  {"Basic a2V5LWE6", "malformed authorization header"},
		"empty bearer":  {"Bearer ", "malformed authorization header"},
		"garbage":       {"Bearer not.a.jwt", "invalid token"},
		"bad signature": {"Bearer " + forged, "invalid token"},
		"alg none":      {"Bearer " + unsigned, "invalid token"},
		"expired":       {"Bearer " + expired, "token expired"},
	}
	routes := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/orders", `{"sku":"mug-001","quantity":1}`},
		{http.MethodGet, "/api/v1/orders/1", ""},
		{http.MethodGet, "/api/v1/products", ""},
	}
	for name, tc := range cases {
		for _, rt := range routes {
			t.Run(name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				var hdr []string
				if tc.header != "" {
					hdr = []string{"Authorization", tc.header}
				}
				w := e.do(t, rt.method, rt.path, rt.body, hdr...)
				assert.Equal(t, http.StatusUnauthorized, w.Code)
				assert.Equal(t, tc.want, decode(t, w)["error"])
			})
		}
	}
	assert.Zero(t, e.store.calls, "no request without a valid token may reach the store")
}

func TestCreateOrderReturns200WithID(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)

	w := e.do(t, http.MethodPost, "/api/v1/orders", `{"sku":"mug-001","quantity":2}`,
		"Authorization", "Bearer "+token)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Empty(t, w.Header().Get("Location"))
	assert.Contains(t, w.Header().Get("Content-Type"), "application/json")
	assert.JSONEq(t, `{"data":{"id":42}}`, w.Body.String())
	assert.Equal(t, Order{ID: 42, SKU: "mug-001", Quantity: 2}, e.store.orders[42])

	// The id comes back as a JSON number and the order can be read back.
	w = e.do(t, http.MethodGet, "/api/v1/orders/42", "", "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"data":{"id":42,"sku":"mug-001","quantity":2}}`, w.Body.String())
}

func TestCreateOrderValidation(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)
	for name, body := range map[string]string{
		"zero quantity":     `{"sku":"mug-001","quantity":0}`,
		"negative quantity": `{"sku":"mug-001","quantity":-1}`,
		"no quantity":       `{"sku":"mug-001"}`,
		"empty sku":         `{"sku":"","quantity":1}`,
		"no sku":            `{"quantity":1}`,
		"not json":          `sku=mug-001`,
		"wrong type":        `{"sku":"mug-001","quantity":"2"}`,
	} {
		t.Run(name, func(t *testing.T) {
			w := e.do(t, http.MethodPost, "/api/v1/orders", body, "Authorization", "Bearer "+token)
			assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			assert.NotEmpty(t, decode(t, w)["error"])
		})
	}
	assert.Zero(t, e.store.calls)
}

func TestCreateOrderDatabaseDown(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)
	e.store.err = errors.New("connection reset by peer")
	w := e.do(t, http.MethodPost, "/api/v1/orders", `{"sku":"mug-001","quantity":1}`,
		"Authorization", "Bearer "+token)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.NotEmpty(t, decode(t, w)["error"])
}

func TestGetOrder(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)
	auth := []string{"Authorization", "Bearer " + token}

	w := e.do(t, http.MethodGet, "/api/v1/orders/7", "", auth...)
	assert.Equal(t, http.StatusNotFound, w.Code)

	w = e.do(t, http.MethodGet, "/api/v1/orders/seven", "", auth...)
	assert.Equal(t, http.StatusBadRequest, w.Code)

	e.store.err = errors.New("timeout")
	w = e.do(t, http.MethodGet, "/api/v1/orders/7", "", auth...)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
}

func TestProductsReadThroughCache(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)
	auth := []string{"Authorization", "Bearer " + token}

	w := e.do(t, http.MethodGet, "/api/v1/products", "", auth...)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "db", w.Header().Get("X-Served-From"))
	assert.Equal(t, 1, e.cache.sets, "a miss refills the cache")

	w = e.do(t, http.MethodGet, "/api/v1/products", "", auth...)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "cache", w.Header().Get("X-Served-From"))
	assert.JSONEq(t, `{"data":[
		{"sku":"mug-001","name":"Enamel mug","price_cents":1200},
		{"sku":"tee-002","name":"Logo T-shirt","price_cents":2500}]}`, w.Body.String())
}

func TestProductsCacheFailureOpensBreaker(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)
	auth := []string{"Authorization", "Bearer " + token}

	// Misses are not failures.
	for range 5 {
		e.cache.products = nil
		w := e.do(t, http.MethodGet, "/api/v1/products", "", auth...)
		require.Equal(t, http.StatusOK, w.Code)
	}
	assert.Equal(t, gobreaker.StateClosed, e.catalog.BreakerState())
	assert.Zero(t, e.catalog.breaker.Counts().TotalFailures, "a miss is not a breaker failure")

	e.cache.err = errors.New("dial tcp: connection refused")
	for i := range 3 {
		w := e.do(t, http.MethodGet, "/api/v1/products", "", auth...)
		require.Equal(t, http.StatusOK, w.Code, "request %d", i)
		assert.Equal(t, "db", w.Header().Get("X-Served-From"))
	}
	assert.Equal(t, gobreaker.StateOpen, e.catalog.BreakerState())

	gets := e.cache.gets
	w := e.do(t, http.MethodGet, "/api/v1/products", "", auth...)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "db", w.Header().Get("X-Served-From"))
	assert.Equal(t, gets, e.cache.gets, "an open breaker keeps requests away from the cache")

	w = e.do(t, http.MethodGet, "/internal/metrics", "", "Authorization", "Bearer "+testMetricsToken)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `shop_cache_breaker_state{breaker="cache"} 2`)
}

func TestProductsDatabaseDown(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)
	e.store.err = errors.New("connection refused")
	w := e.do(t, http.MethodGet, "/api/v1/products", "", "Authorization", "Bearer "+token)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
}

func TestMetricsEndpoint(t *testing.T) {
	e := newTestEnv(t)
	token := e.login(t)
	e.do(t, http.MethodPost, "/api/v1/orders", `{"sku":"mug-001","quantity":1}`, "Authorization", "Bearer "+token)
	e.do(t, http.MethodGet, "/api/v1/orders/999", "", "Authorization", "Bearer "+token)

	w := e.do(t, http.MethodGet, "/internal/metrics", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	w = e.do(t, http.MethodGet, "/internal/metrics", "", "Authorization", "Bearer wrong")
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	w = e.do(t, http.MethodGet, "/internal/metrics", "", "Authorization", "Bearer "+testMetricsToken)
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.Contains(t, body, `shop_http_requests_total{code="200",route="/api/v1/login"} 1`)
	assert.Contains(t, body, `shop_http_requests_total{code="200",route="/api/v1/orders"} 1`)
	assert.Contains(t, body, `shop_http_requests_total{code="404",route="/api/v1/orders/:id"} 1`)
	assert.Contains(t, body, `shop_http_request_duration_seconds_count{route="/api/v1/orders"} 1`)
	assert.Contains(t, body, `shop_cache_breaker_state{breaker="cache"} 0`)
	assert.Contains(t, body, `shop_db_retries_total{result="recovered"} 0`)
	assert.Contains(t, body, `shop_db_retries_total{result="gave_up"} 0`)
	assert.Contains(t, body, "go_goroutines")
}

func TestMetricsEndpointOpenWithoutToken(t *testing.T) {
	store := newFakeStore()
	router := NewRouter(&API{
		store:   store,
		catalog: NewCatalog(store, &fakeCache{}),
		auth:    NewAuth([]string{"k"}, []byte(testSecret)),
		metrics: NewMetrics(),
	})
	w := httptest.NewRecorder()
	router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/internal/metrics", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "shop_db_retries_total")
}
