package reports

import "regexp"

var (
	// user:password@ in URLs and DSNs.
	urlPassword = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]+@`)
	// password=..., token: ..., Authorization: Bearer ..., api_key="...", in files and messages.
	secretField = regexp.MustCompile(`(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|authorization)["']?\s*[:=]\s*["']?)(?:bearer\s+|basic\s+)?[^"'\s,;}&]+`)
	// the value after --admin-token, --token, --password in a command line.
	secretFlag = regexp.MustCompile(`(?i)(--?(?:admin-token|token|password|secret)[ =])\S+`)
)

// Redact replaces the secrets in s by "***": passwords in URLs and DSNs, the values of
// password, token, secret, API key and Authorization fields, and of such flags.
func Redact(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}***@")
	s = secretField.ReplaceAllString(s, "${1}***")
	return secretFlag.ReplaceAllString(s, "${1}***")
}
