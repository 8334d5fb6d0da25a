package agentd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/ollama/ollama/api"
	"github.com/redis/go-redis/v9"
)

// maxPrompt bounds a run's request body.
const maxPrompt = 64 << 10

// RunResponse is the answer to POST /v1/agents/{id}/runs.
type RunResponse struct {
	RunID    string `json:"run_id"`
	Answer   string `json:"answer"`
	Degraded bool   `json:"degraded"`
	Source   string `json:"source"` // "llm", "cache" or "fallback"
}

// Run is a stored run.
type Run struct {
	ID        string    `json:"id"`
	AgentID   string    `json:"agent_id"`
	Prompt    string    `json:"prompt"`
	Answer    string    `json:"answer"`
	Degraded  bool      `json:"degraded"`
	CreatedAt time.Time `json:"created_at"`
}

// Agent is an agent's settings.
type Agent struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Model        string `json:"model,omitempty"`
	SystemPrompt string `json:"system_prompt"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// pooled runs h in one of the server's workers; when none frees up in time the answer is 503.
func (s *Server) pooled(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.workers.Acquire(r.Context()); err != nil {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "overloaded: %v", err)
			return
		}
		defer s.workers.Release()
		h.ServeHTTP(w, r)
	})
}

// isolated runs a database-only handler in its own bulkhead, so that LLM calls cannot take its
// place.
func (s *Server) isolated(h http.Handler) http.Handler {
	if s.dbOnly == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.dbOnly.Acquire(r.Context()); err != nil {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "overloaded: %v", err)
			return
		}
		defer s.dbOnly.Release()
		h.ServeHTTP(w, r)
	})
}

// db runs fn through the database's retry, breaker and timeout.
func (s *Server) db(ctx context.Context, fn func(context.Context) error) error {
	_, err := s.dbPipe.Execute(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

func (s *Server) createRun(w http.ResponseWriter, r *http.Request) { s.run(w, r, false) }

// createToolRun is a run whose agent may call a tool (count_runs: how many runs the agent has
// stored) and answers with its result.
func (s *Server) createToolRun(w http.ResponseWriter, r *http.Request) { s.run(w, r, true) }

func (s *Server) run(w http.ResponseWriter, r *http.Request, tools bool) {
	ctx := r.Context()
	var in struct {
		Prompt string `json:"prompt"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPrompt))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || strings.TrimSpace(in.Prompt) == "" {
		writeError(w, http.StatusBadRequest, `want a JSON body {"prompt": "..."} of at most %d bytes: %v`, maxPrompt, err)
		return
	}
	agent, err := s.agent(ctx, r.PathValue("id"))
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "no agent %q", r.PathValue("id"))
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "agent settings: %v", err)
		return
	}
	out := RunResponse{Source: "cache"}
	key := cacheKey(agent.ID, in.Prompt)
	if tools {
		key = cacheKey(agent.ID+":tools", in.Prompt)
	}
	if v, err := s.cached(ctx, key); err == nil && !tools { // a tool's answer changes with the data: never cached
		out.Answer = v
	} else {
		res, err := s.llmPipe.Execute(ctx, func(ctx context.Context) (string, error) { return s.ask(ctx, agent, in.Prompt, tools) })
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "the LLM failed: %v", err)
			return
		}
		out.Answer, out.Degraded, out.Source = res.Value, res.Degraded, "llm"
		if res.Degraded {
			out.Source = "fallback"
		} else if !tools {
			s.cache.Execute(ctx, func(ctx context.Context) (string, error) {
				return "", s.rdb.Set(ctx, key, res.Value, 10*time.Minute).Err()
			})
		}
	}
	out.RunID = newID()
	run := Run{ID: out.RunID, AgentID: agent.ID, Prompt: in.Prompt, Answer: out.Answer, Degraded: out.Degraded}
	if s.cfg.UnsafeAck {
		// The mistake this switch exists to show: acknowledged before it is durable.
		s.pending.Go(func() {
			if err := s.save(context.WithoutCancel(ctx), run); err != nil {
				slog.Warn("agentd: a run acknowledged earlier was not saved", "run", run.ID, "err", err)
			}
		})
	} else if err := s.save(ctx, run); err != nil {
		writeError(w, http.StatusServiceUnavailable, "saving the run: %v", err)
		return
	}
	w.Header().Set("Location", "/v1/runs/"+out.RunID)
	if out.Degraded {
		w.Header().Set("X-Degraded", "true")
	}
	writeJSON(w, http.StatusCreated, out)
}

// agentTTL is how long agent settings are served from memory: they rarely change, and a run
// should not need the database to start.
const agentTTL = 30 * time.Second

type cachedAgent struct {
	a  Agent
	at time.Time
}

// agent returns an agent's settings: from memory when read in the last agentTTL, else from
// Postgres; when Postgres fails, settings read earlier (however old) still serve.
func (s *Server) agent(ctx context.Context, id string) (Agent, error) {
	s.agentsMu.Lock()
	c, ok := s.agents[id]
	s.agentsMu.Unlock()
	if ok && time.Since(c.at) < agentTTL {
		return c.a, nil
	}
	a, err := s.readAgent(ctx, id)
	if err != nil {
		if ok && !errors.Is(err, errNotFound) {
			return c.a, nil
		}
		return a, err
	}
	s.agentsMu.Lock()
	s.agents[id] = cachedAgent{a, time.Now()}
	s.agentsMu.Unlock()
	return a, nil
}

func (s *Server) readAgent(ctx context.Context, id string) (Agent, error) {
	var a Agent
	err := s.db(ctx, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, "SELECT id, name, model, system_prompt FROM agents WHERE id = $1", id).Scan(&a.ID, &a.Name, &a.Model, &a.SystemPrompt)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		return err
	})
	if a.Model == "" {
		a.Model = s.cfg.Model
	}
	return a, err
}

// save writes a run; a retry after an ambiguous commit finds the row there and changes nothing.
func (s *Server) save(ctx context.Context, r Run) error {
	return s.db(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, "INSERT INTO runs (id, agent_id, prompt, answer, degraded) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
			r.ID, r.AgentID, r.Prompt, r.Answer, r.Degraded)
		return err
	})
}

// errMiss is a cache miss: not a failure of Redis.
var errMiss = errors.New("cache miss")

// cached reads the cache through its breaker and timeout; a failure is a miss.
func (s *Server) cached(ctx context.Context, key string) (string, error) {
	hit := false
	res, err := s.cache.Execute(ctx, func(ctx context.Context) (string, error) {
		v, err := s.rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			return "", nil // a miss is an answer: it must not count against the breaker
		}
		hit = err == nil
		return v, err
	})
	if err == nil && !hit {
		err = errMiss
	}
	return res.Value, err
}

// countRunsTool is the tool agents may call on a tool run.
var countRunsTool = func() api.Tool {
	var t api.Tool
	if err := json.Unmarshal([]byte(`{"type":"function","function":{"name":"count_runs","description":"How many runs this agent has answered",
		"parameters":{"type":"object","required":["agent_id"],"properties":{"agent_id":{"type":"string","description":"the agent's id"}}}}}`), &t); err != nil {
		panic(err)
	}
	return t
}()

// maxToolRounds bounds the model's tool calls in one run.
const maxToolRounds = 3

// ask asks the LLM for an answer with the chat API, streamed; with tools, it runs the tools the
// model calls and asks again with their results, until the model answers.
func (s *Server) ask(ctx context.Context, a Agent, prompt string, tools bool) (string, error) {
	msgs := []api.Message{{Role: "system", Content: a.SystemPrompt}, {Role: "user", Content: prompt}}
	var offered api.Tools
	if tools {
		offered = api.Tools{countRunsTool}
	}
	for range maxToolRounds {
		msg, err := s.chat(ctx, a, msgs, offered)
		if err != nil || len(msg.ToolCalls) == 0 {
			return msg.Content, err
		}
		msgs = append(msgs, msg)
		for _, tc := range msg.ToolCalls {
			result, err := s.callTool(ctx, a, tc)
			if err != nil {
				return "", err
			}
			msgs = append(msgs, api.Message{Role: "tool", ToolName: tc.Function.Name, ToolCallID: tc.ID, Content: result})
		}
	}
	return "", fmt.Errorf("the LLM still called tools after %d rounds", maxToolRounds)
}

// chat is one streamed chat call: the answer assembled from its chunks. A stream that ends
// without its done chunk, or with an error line (Ollama's runner died), is a failure, not a short
// answer, unless Config.AcceptCutAnswers.
func (s *Server) chat(ctx context.Context, a Agent, msgs []api.Message, tools api.Tools) (api.Message, error) {
	out := api.Message{Role: "assistant"}
	var done bool
	err := s.llm.Chat(ctx, &api.ChatRequest{Model: a.Model, Options: map[string]any{"num_predict": 32}, Messages: msgs, Tools: tools},
		func(r api.ChatResponse) error {
			out.Content += r.Message.Content
			out.ToolCalls = append(out.ToolCalls, r.Message.ToolCalls...)
			done = done || r.Done
			return nil
		})
	if err == nil && !done {
		err = errors.New("the LLM's answer was cut short (no done chunk)") // the client hides a stream cut by the network
	}
	if err != nil && s.cfg.AcceptCutAnswers && out.Content != "" && ctx.Err() == nil {
		return out, nil // the mistake: what came is taken for the whole answer
	}
	return out, err
}

// callTool runs a tool the model called.
func (s *Server) callTool(ctx context.Context, a Agent, tc api.ToolCall) (string, error) {
	if tc.Function.Name != "count_runs" {
		return fmt.Sprintf(`{"error":"no tool %q"}`, tc.Function.Name), nil
	}
	var n int
	err := s.db(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, "SELECT count(*) FROM runs WHERE agent_id = $1", a.ID).Scan(&n)
	})
	if err != nil {
		return "", fmt.Errorf("tool count_runs: %w", err)
	}
	return fmt.Sprintf(`{"runs":%d}`, n), nil
}

func cacheKey(agent, prompt string) string {
	h := sha256.Sum256([]byte(prompt))
	return "agentd:answer:" + agent + ":" + hex.EncodeToString(h[:12])
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	var run Run
	err := s.db(r.Context(), func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, "SELECT id, agent_id, prompt, answer, degraded, created_at FROM runs WHERE id = $1", r.PathValue("id")).
			Scan(&run.ID, &run.AgentID, &run.Prompt, &run.Answer, &run.Degraded, &run.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		return err
	})
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "no run %q", r.PathValue("id"))
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "reading the run: %v", err)
	default:
		writeJSON(w, http.StatusOK, run)
	}
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	var agents []Agent
	err := s.db(r.Context(), func(ctx context.Context) error {
		agents = agents[:0]
		rows, err := s.pool.Query(ctx, "SELECT id, name, model, system_prompt FROM agents ORDER BY id")
		if err != nil {
			return err
		}
		for rows.Next() {
			var a Agent
			if err := rows.Scan(&a.ID, &a.Name, &a.Model, &a.SystemPrompt); err != nil {
				rows.Close()
				return err
			}
			agents = append(agents, a)
		}
		return rows.Err()
	})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "reading the agents: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
}

// StatusResponse is GET /status.
type StatusResponse struct {
	Status   string              `json:"status"` // "ok" or "degraded"
	Services map[string]depState `json:"services"`
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) {
	out := StatusResponse{Status: "ok", Services: s.status.snapshot([]string{Postgres, Redis, Ollama})}
	for _, d := range out.Services {
		if d.DegradedSince != nil {
			out.Status = "degraded"
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// resetBreaker is the emergency reset: it closes a breaker at once. It needs the admin token.
func (s *Server) resetBreaker(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || tok == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="agentd admin"`)
		writeError(w, http.StatusUnauthorized, "admin: an Authorization: Bearer <token> header is required")
		return
	case s.cfg.AdminToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) != 1:
		writeError(w, http.StatusForbidden, "admin: the token is not valid")
		return
	}
	name := r.PathValue("name")
	b := s.breakers[name]
	if b == nil {
		names := []string{}
		for n := range s.breakers {
			names = append(names, n)
		}
		slices.Sort(names)
		writeError(w, http.StatusNotFound, "admin: no breaker %q; the breakers are %v", name, names)
		return
	}
	b.Reset()
	slog.Info("agentd: breaker reset by an admin", "breaker", name)
	writeJSON(w, http.StatusOK, map[string]string{"breaker": name, "state": b.State().String()})
}
