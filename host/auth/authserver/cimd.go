package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Limits on fetching a client metadata document: the fetch is made on a
// stranger's word, so it is small, quick, never redirected, and never sent
// to this machine or the local network (unless for development).
const (
	maxDocumentBytes = 16 << 10
	documentTimeout  = 5 * time.Second
	documentTTL      = 10 * time.Minute
	maxDocumentTTL   = 24 * time.Hour
	maxCachedDocs    = 1000
)

// documentCache fetches client metadata documents and keeps them for as
// long as their Cache-Control allows, within bounds.
type documentCache struct {
	dev  bool
	http *http.Client
	mu   sync.Mutex
	docs map[string]cachedDoc
}

type cachedDoc struct {
	client  *client
	expires time.Time
}

func newDocumentCache(dev bool) *documentCache {
	dialer := &net.Dialer{Timeout: documentTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		return checkFetchAddress(address, dev)
	}}
	return &documentCache{
		dev: dev,
		http: &http.Client{
			Timeout: documentTimeout,
			Transport: &http.Transport{
				DialContext:            dialer.DialContext,
				TLSHandshakeTimeout:    documentTimeout,
				ResponseHeaderTimeout:  documentTimeout,
				MaxResponseHeaderBytes: 16 << 10,
			},
			// The document must be at its id: a redirect would make the
			// id name someone else's document.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		docs: map[string]cachedDoc{},
	}
}

// checkFetchAddress refuses to connect to addresses on this machine or the
// local network, where a document URL could reach services that trust
// their neighbours; dev allows loopback.
func checkFetchAddress(address string, dev bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	if dev && ip.IsLoopback() {
		return nil
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("client metadata documents are not fetched from %s, a local address", ip)
	}
	return nil
}

// checkDocumentURL vets a client id URL: https with a path, no fragment,
// no credentials, no dot segments; http://localhost only for development.
func checkDocumentURL(id string, dev bool) error {
	u, err := url.Parse(id)
	if err != nil {
		return fmt.Errorf("client_id %q is not a URL", id)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && dev && loopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return fmt.Errorf("client_id %q must be https (http://localhost is allowed only with auth.server.dev_http_client_ids = true)", id)
	default:
		return fmt.Errorf("client_id %q is not an https URL", id)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(id, "#") {
		return fmt.Errorf("client_id %q must be https://host/path, without credentials or fragment", id)
	}
	if u.Path == "" || u.Path == "/" {
		return fmt.Errorf("client_id %q must have a path, such as /client.json", id)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("client_id %q has a dot segment in its path", id)
		}
	}
	return nil
}

// document is the part of a client metadata document the server uses.
type document struct {
	ClientID     string   `json:"client_id"`
	ClientName   string   `json:"client_name"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types"`
	AuthMethod   string   `json:"token_endpoint_auth_method"`
}

// client returns the client id names, fetching its document unless a
// fresh copy is cached. Failures are not cached: the client can fix its
// document and try again.
func (d *documentCache) client(ctx context.Context, id string) (*client, error) {
	if err := checkDocumentURL(id, d.dev); err != nil {
		return nil, err
	}
	d.mu.Lock()
	c, ok := d.docs[id]
	d.mu.Unlock()
	if ok && time.Now().Before(c.expires) {
		return c.client, nil
	}
	cl, ttl, err := d.fetch(ctx, id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.docs) >= maxCachedDocs {
		now := time.Now()
		for k, v := range d.docs {
			if now.After(v.expires) {
				delete(d.docs, k)
			}
		}
		if len(d.docs) >= maxCachedDocs {
			clear(d.docs)
		}
	}
	d.docs[id] = cachedDoc{client: cl, expires: time.Now().Add(ttl)}
	return cl, nil
}

func (d *documentCache) fetch(ctx context.Context, id string) (*client, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, documentTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("client metadata document %s: %w", id, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("fetching the client metadata document %s failed: %w", id, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("fetching the client metadata document %s answered %s, want 200 OK", id, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading the client metadata document %s: %w", id, err)
	}
	if len(body) > maxDocumentBytes {
		return nil, 0, fmt.Errorf("the client metadata document %s is larger than %d bytes", id, maxDocumentBytes)
	}
	var doc document
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, fmt.Errorf("the client metadata document %s is not a JSON object: %v", id, err)
	}
	c, err := doc.client(id)
	if err != nil {
		return nil, 0, err
	}
	return c, cacheTTL(resp.Header.Get("Cache-Control")), nil
}

// client checks a document against its URL and the rules of the MCP
// specification: client_id equal to the URL, a client_name, redirect URIs,
// and no shared secret.
func (doc *document) client(id string) (*client, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("the client metadata document %s %s", id, fmt.Sprintf(format, args...))
	}
	switch {
	case doc.ClientID != id:
		return nil, bad("says client_id %q, which is not its own URL", doc.ClientID)
	case doc.ClientName == "":
		return nil, bad("has no client_name")
	case len(doc.RedirectURIs) == 0:
		return nil, bad("has no redirect_uris")
	case doc.AuthMethod != "" && doc.AuthMethod != "none":
		return nil, bad("asks for token_endpoint_auth_method %q; this server accepts only \"none\" for such clients", doc.AuthMethod)
	}
	for _, u := range doc.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return nil, bad("lists a bad redirect URI: %v", err)
		}
	}
	grants := []string{"authorization_code", "refresh_token"}
	return &client{ID: id, Name: doc.ClientName, RedirectURIs: doc.RedirectURIs, GrantTypes: grants, AuthMethod: "none"}, nil
}

// cacheTTL is how long a document may be reused: max-age within bounds,
// not at all with no-store or no-cache, else documentTTL.
func cacheTTL(cc string) time.Duration {
	ttl := documentTTL
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "no-store" || d == "no-cache" {
			return 0
		}
		if v, ok := strings.CutPrefix(d, "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				ttl = min(time.Duration(n)*time.Second, maxDocumentTTL)
			}
		}
	}
	return ttl
}
