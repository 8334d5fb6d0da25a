package ollama

import "time"

// The mock reads and writes the types of Ollama's own API package (github.com/ollama/ollama/api)
// and converts the OpenAI-compatible API with Ollama's own openai package, so a decoding error
// names Ollama's types and the shapes are Ollama's; the tests prove it with the official clients.

// modifiedAt is the fixed modification time the mock reports for its models.
var modifiedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Version is what /api/version reports.
const Version = "0.17.4"
