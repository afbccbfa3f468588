package verify

import (
	"net/http"
	"strings"
)

// BearerToken extracts the token from the Authorization header of r (RFC
// 6750 §2.1): scheme Bearer in any case, then one b64token, at most
// maxBytes long. It returns ("", nil) when there is no Authorization
// header at all, for the caller to answer with a plain challenge.
//
// A request that carries an access_token query parameter is refused even
// with a valid header: a token in a URL ends up in logs, browser history
// and Referer headers (RFC 6750 §2.3, §5.3; OAuth 2.1 drops that method
// and the MCP authorization specification forbids it). So is
// one whose form body, if the server has parsed it, holds an access_token:
// this server accepts tokens in the header only, as its metadata says
// (RFC 9728 bearer_methods_supported). BearerToken never reads the body.
//
// Reasons: malformed, wrong_scheme, too_large, query_token.
func BearerToken(r *http.Request, maxBytes int) (string, *Error) {
	if r.URL.RawQuery != "" && r.URL.Query().Has("access_token") || r.PostForm.Has("access_token") {
		return "", refuse("query_token", "access tokens are accepted in the Authorization header only, never in the URL or a form")
	}
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", refuse("malformed", "the request has more than one Authorization header")
	}
	scheme, token, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if scheme == "" || !isToken(scheme) {
			return "", refuse("malformed", "the Authorization header is not a scheme followed by credentials")
		}
		return "", refuse("wrong_scheme", "the Authorization header must use the Bearer scheme")
	}
	// RFC 6750 §2.1: one or more spaces between scheme and token.
	token = strings.TrimLeft(token, " ")
	if len(token) > maxBytes {
		return "", refuse("too_large", "the bearer token is too long")
	}
	if !isToken68(token) {
		return "", refuse("malformed", "the Authorization header must be Bearer followed by one token (RFC 6750)")
	}
	return token, nil
}

// isToken68 reports whether s is a b64token (RFC 6750 §2.1): 1*( ALPHA /
// DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for i < len(s) && b64tokenChars[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// b64tokenChars marks the characters of a b64token but "=". A table,
// since every request's token is scanned.
var b64tokenChars = func() (chars [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") {
		chars[c] = true
	}
	return chars
}()

// isToken reports whether s is an RFC 9110 §5.6.2 token, as a scheme is.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}
