package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// discoverJWKS finds an issuer's jwks_uri in its metadata, trying the
// places metadataURLs lists until one holds a document for this issuer.
func discoverJWKS(ctx context.Context, client *http.Client, issuer string) (string, error) {
	urls, err := metadataURLs(issuer)
	if err != nil {
		return "", err
	}
	var errs []error
	for _, u := range urls {
		jwks, err := readMetadata(ctx, client, u, issuer)
		if err == nil {
			return jwks, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("discovering the key set: %w", errors.Join(errs...))
}

// metadataURLs are where an issuer's metadata may be, in the order the MCP
// authorization specification tries them: RFC 8414 §3.1, with the
// well-known path inserted between host and issuer path; then OpenID
// Connect Discovery, first in that inserted form (RFC 8414 §5) and then
// appended to the issuer (OpenID Connect Discovery 1.0 §4). For an issuer
// without a path the two OpenID forms are one.
func metadataURLs(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("issuer %q is not an absolute URL without query or fragment (RFC 8414 §2)", issuer)
	}
	origin := u.Scheme + "://" + u.Host
	// RFC 8414 §3.1: a terminating "/" is removed before inserting.
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if path == "" {
		return []string{
			origin + "/.well-known/oauth-authorization-server",
			origin + "/.well-known/openid-configuration",
		}, nil
	}
	return []string{
		origin + "/.well-known/oauth-authorization-server" + path,
		origin + "/.well-known/openid-configuration" + path,
		origin + path + "/.well-known/openid-configuration",
	}, nil
}

// readMetadata fetches one metadata document and returns its jwks_uri.
func readMetadata(ctx context.Context, client *http.Client, docURL, issuer string) (string, error) {
	body, err := getJSON(ctx, client, docURL)
	if err != nil {
		return "", err
	}
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &md); err != nil {
		return "", fmt.Errorf("%s: not a metadata document: %w", docURL, err)
	}
	// RFC 8414 §3.3, OpenID Connect Discovery 1.0 §4.3: a document that
	// names another issuer must not be used, or one server could pass its
	// keys off as another's (mix-up).
	if md.Issuer != issuer {
		return "", fmt.Errorf("%s: the document names issuer %q, not %q, so it is not used", docURL, md.Issuer, issuer)
	}
	if md.JWKSURI == "" {
		return "", fmt.Errorf("%s: the document has no jwks_uri", docURL)
	}
	ju, err := url.Parse(md.JWKSURI)
	if err != nil || ju.Host == "" {
		return "", fmt.Errorf("%s: jwks_uri %q is not an absolute URL", docURL, md.JWKSURI)
	}
	// Keys must come over TLS unless the issuer itself is plain http,
	// which configuration allows only on loopback.
	if ju.Scheme != "https" && (ju.Scheme != "http" || !strings.HasPrefix(issuer, "http://")) {
		return "", fmt.Errorf("%s: jwks_uri %q must be https", docURL, md.JWKSURI)
	}
	return md.JWKSURI, nil
}
