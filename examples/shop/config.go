package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// envFileName is read from the working directory at start-up, if present.
// Its values only fill variables that the environment does not already set.
const envFileName = "shop.env"

// Config is the service configuration, read once at start-up.
type Config struct {
	Addr string

	PGHost     string
	PGPort     int
	PGUser     string
	PGPassword string
	PGDB       string

	CacheAddr string

	APIKeys      []string
	JWTSecret    []byte
	MetricsToken string
}

// MissingError lists the required variables that were not set.
type MissingError struct {
	Vars []string
}

func (e *MissingError) Error() string {
	lines := make([]string, len(e.Vars))
	for i, v := range e.Vars {
		lines[i] = v + " is not set"
	}
	return strings.Join(lines, "\n")
}

// LookupFunc has the signature of os.LookupEnv.
type LookupFunc func(key string) (string, bool)

// loadConfig reads the SHOP_* variables through lookup. Empty values count as
// unset. All missing required variables are reported together.
func loadConfig(lookup LookupFunc) (Config, error) {
	var missing []string
	get := func(key string, required bool) string {
		v, _ := lookup(key)
		v = strings.TrimSpace(v)
		if v == "" && required {
			missing = append(missing, key)
		}
		return v
	}

	cfg := Config{
		Addr:         get("SHOP_ADDR", true),
		PGHost:       get("SHOP_PG_HOST", true),
		PGUser:       get("SHOP_PG_USER", false),
		PGPassword:   get("SHOP_PG_PASSWORD", false),
		PGDB:         get("SHOP_PG_DB", true),
		CacheAddr:    get("SHOP_CACHE_ADDR", true),
		MetricsToken: get("SHOP_METRICS_TOKEN", false),
	}
	port := get("SHOP_PG_PORT", false)
	keys := get("SHOP_API_KEYS", true)
	secret := get("SHOP_JWT_SECRET", true)

	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.APIKeys = append(cfg.APIKeys, k)
		}
	}
	if keys != "" && len(cfg.APIKeys) == 0 {
		missing = append(missing, "SHOP_API_KEYS")
	}
	cfg.JWTSecret = []byte(secret)

	if len(missing) > 0 {
		return Config{}, &MissingError{Vars: missing}
	}

	cfg.PGPort = 5432
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return Config{}, fmt.Errorf("SHOP_PG_PORT is not a valid port: %q", port)
		}
		cfg.PGPort = p
	}
	return cfg, nil
}

// PostgresDSN builds a keyword/value connection string for pgx.
func (c Config) PostgresDSN() string {
	parts := []string{
		"host=" + quoteDSNValue(c.PGHost),
		"port=" + strconv.Itoa(c.PGPort),
		"dbname=" + quoteDSNValue(c.PGDB),
	}
	if c.PGUser != "" {
		parts = append(parts, "user="+quoteDSNValue(c.PGUser))
	}
	if c.PGPassword != "" {
		parts = append(parts, "password="+quoteDSNValue(c.PGPassword))
	}
	return strings.Join(parts, " ")
}

// quoteDSNValue quotes a value for a libpq-style keyword/value string:
// single quotes around it, with backslashes and single quotes escaped.
func quoteDSNValue(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(v) + "'"
}

// readEnvFile parses KEY=VALUE lines. Blank lines and lines starting with #
// are ignored; an optional "export " prefix and one pair of matching quotes
// around the value are stripped.
func readEnvFile(r io.Reader) (map[string]string, error) {
	vals := make(map[string]string)
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("line %d: expected KEY=VALUE", n)
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		vals[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return vals, nil
}

// lookupWithEnvFile returns a LookupFunc that prefers the environment and
// falls back to the values read from path. A missing file is not an error.
func lookupWithEnvFile(path string, env LookupFunc) (LookupFunc, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return env, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()

	file, err := readEnvFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return func(key string) (string, bool) {
		if v, ok := env(key); ok {
			return v, true
		}
		v, ok := file[key]
		return v, ok
	}, nil
}
