package main

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

const tokenTTL = time.Hour

// Auth issues and checks the access tokens handed out by /api/v1/login.
type Auth struct {
	apiKeys [][]byte
	secret  []byte
	now     func() time.Time
}

func NewAuth(apiKeys []string, secret []byte) *Auth {
	a := &Auth{secret: secret, now: time.Now}
	for _, k := range apiKeys {
		a.apiKeys = append(a.apiKeys, []byte(k))
	}
	return a
}

// keyIndex returns the position of key among the configured API keys, or -1.
func (a *Auth) keyIndex(key string) int {
	found := -1
	for i, k := range a.apiKeys {
		if subtle.ConstantTimeCompare(k, []byte(key)) == 1 && found < 0 {
			found = i
		}
	}
	return found
}

// Issue signs an HS256 token for the API key at index idx.
func (a *Auth) Issue(idx int) (string, error) {
	now := a.now()
	claims := jwt.RegisteredClaims{
		Subject:   strconv.Itoa(idx),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(tokenTTL)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.secret)
}

// Verify checks a token's signature and expiry.
func (a *Auth) Verify(token string) (*jwt.RegisteredClaims, error) {
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(token, claims,
		func(*jwt.Token) (any, error) { return a.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.now),
	)
	if err != nil {
		return nil, err
	}
	return claims, nil
}

type loginRequest struct {
	APIKey string `json:"api_key"`
}

func (a *Auth) handleLogin(c *gin.Context) {
	var req loginRequest
	if err := c.ShouldBindJSON(&req); err != nil || req.APIKey == "" {
		c.JSON(http.StatusUnauthorized, gin.H{"error": "invalid api key"})
		return
	}
	idx := a.keyIndex(req.APIKey)
	if idx < 0 {
		c.JSON(http.StatusUnauthorized, gin.H{"error": "invalid api key"})
		return
	}
	token, err := a.Issue(idx)
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": "could not issue token"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"data": gin.H{
		"accessToken": token,
		"expiresIn":   int(tokenTTL / time.Second),
	}})
}

// bearerToken extracts the token from an "Authorization: Bearer <token>"
// header. ok is false if the header is present but malformed.
func bearerToken(header string) (token string, present, ok bool) {
	if header == "" {
		return "", false, false
	}
	scheme, token, found := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", true, false
	}
	return token, true, true
}

// requireToken rejects requests without a valid access token.
func (a *Auth) requireToken() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, present, ok := bearerToken(c.GetHeader("Authorization"))
		switch {
		case !present:
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "missing bearer token"})
			return
		case !ok:
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "malformed authorization header"})
			return
		}
		claims, err := a.Verify(token)
		if errors.Is(err, jwt.ErrTokenExpired) {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "token expired"})
			return
		}
		if err != nil {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "invalid token"})
			return
		}
		c.Set("client", claims.Subject)
		c.Next()
	}
}

// requireMetricsToken protects the metrics endpoint when a token is
// configured; with no token it lets every request through.
func requireMetricsToken(token string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token == "" {
			c.Next()
			return
		}
		got, _, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized"})
			return
		}
		c.Next()
	}
}
