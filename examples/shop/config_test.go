package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mapLookup(m map[string]string) LookupFunc {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func fullEnv() map[string]string {
	return map[string]string{
		"SHOP_ADDR":          "127.0.0.1:8080",
		"SHOP_PG_HOST":       "db.internal",
		"SHOP_PG_USER":       "shop",
		"SHOP_PG_PASSWORD":   "s3cret",
		"SHOP_PG_DB":         "shop",
		"SHOP_CACHE_ADDR":    "127.0.0.1:6379",
		"SHOP_API_KEYS":      " key-a, key-b ,,",
		"SHOP_JWT_SECRET":    "jwt-secret",
		"SHOP_METRICS_TOKEN": "metrics-token",
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(mapLookup(fullEnv()))
	require.NoError(t, err)

	assert.Equal(t, "127.0.0.1:8080", cfg.Addr)
	assert.Equal(t, "db.internal", cfg.PGHost)
	assert.Equal(t, 5432, cfg.PGPort, "port defaults to 5432")
	assert.Equal(t, "shop", cfg.PGUser)
	assert.Equal(t, "s3cret", cfg.PGPassword)
	assert.Equal(t, "shop", cfg.PGDB)
	assert.Equal(t, "127.0.0.1:6379", cfg.CacheAddr)
	assert.Equal(t, []string{"key-a", "key-b"}, cfg.APIKeys)
	assert.Equal(t, []byte("jwt-secret"), cfg.JWTSecret)
	assert.Equal(t, "metrics-token", cfg.MetricsToken)
}

func TestLoadConfigPort(t *testing.T) {
	env := fullEnv()
	env["SHOP_PG_PORT"] = "6543"
	cfg, err := loadConfig(mapLookup(env))
	require.NoError(t, err)
	assert.Equal(t, 6543, cfg.PGPort)

	env["SHOP_PG_PORT"] = "postgres"
	_, err = loadConfig(mapLookup(env))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SHOP_PG_PORT")
}

func TestLoadConfigListsAllMissing(t *testing.T) {
	env := fullEnv()
	delete(env, "SHOP_ADDR")
	delete(env, "SHOP_CACHE_ADDR")
	env["SHOP_JWT_SECRET"] = "  " // blank counts as unset
	env["SHOP_API_KEYS"] = " , "  // no usable key
	delete(env, "SHOP_METRICS_TOKEN")
	delete(env, "SHOP_PG_USER")

	_, err := loadConfig(mapLookup(env))
	var missing *MissingError
	require.ErrorAs(t, err, &missing)
	assert.ElementsMatch(t,
		[]string{"SHOP_ADDR", "SHOP_CACHE_ADDR", "SHOP_JWT_SECRET", "SHOP_API_KEYS"},
		missing.Vars)
	assert.Contains(t, err.Error(), "SHOP_ADDR is not set")
}

func TestLoadConfigEmptyEnvironment(t *testing.T) {
	_, err := loadConfig(mapLookup(nil))
	var missing *MissingError
	require.ErrorAs(t, err, &missing)
	assert.ElementsMatch(t, []string{
		"SHOP_ADDR", "SHOP_PG_HOST", "SHOP_PG_DB", "SHOP_CACHE_ADDR",
		"SHOP_API_KEYS", "SHOP_JWT_SECRET",
	}, missing.Vars)
}

func TestReadEnvFile(t *testing.T) {
	vals, err := readEnvFile(strings.NewReader(`
# local settings
SHOP_ADDR=127.0.0.1:9090

export SHOP_PG_HOST = localhost
SHOP_PG_PASSWORD="pa ss=word"
SHOP_JWT_SECRET='single'
SHOP_METRICS_TOKEN=
`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"SHOP_ADDR":          "127.0.0.1:9090",
		"SHOP_PG_HOST":       "localhost",
		"SHOP_PG_PASSWORD":   "pa ss=word",
		"SHOP_JWT_SECRET":    "single",
		"SHOP_METRICS_TOKEN": "",
	}, vals)
}

func TestReadEnvFileRejectsGarbage(t *testing.T) {
	_, err := readEnvFile(strings.NewReader("SHOP_ADDR=x\nthis is not a setting\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 2")
}

func TestEnvFileFillsOnlyUnsetVariables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.env")
	require.NoError(t, os.WriteFile(path, []byte(
		"SHOP_ADDR=127.0.0.1:1111\nSHOP_PG_DB=fromfile\n"), 0o600))

	env := fullEnv()
	delete(env, "SHOP_PG_DB")
	lookup, err := lookupWithEnvFile(path, mapLookup(env))
	require.NoError(t, err)

	cfg, err := loadConfig(lookup)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8080", cfg.Addr, "the environment wins over shop.env")
	assert.Equal(t, "fromfile", cfg.PGDB, "shop.env fills what the environment lacks")
}

func TestEnvFileMissingIsFine(t *testing.T) {
	lookup, err := lookupWithEnvFile(filepath.Join(t.TempDir(), "shop.env"), mapLookup(fullEnv()))
	require.NoError(t, err)
	_, err = loadConfig(lookup)
	require.NoError(t, err)
}

func TestPostgresDSNEscapes(t *testing.T) {
	cfg := Config{
		PGHost:     "127.0.0.1",
		PGPort:     15432,
		PGUser:     "o'brien",
		PGPassword: `p@ss 'w\rd`,
		PGDB:       "shop db",
	}
	pc, err := pgconn.ParseConfig(cfg.PostgresDSN())
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", pc.Host)
	assert.Equal(t, uint16(15432), pc.Port)
	assert.Equal(t, "o'brien", pc.User)
	assert.Equal(t, `p@ss 'w\rd`, pc.Password)
	assert.Equal(t, "shop db", pc.Database)
}
