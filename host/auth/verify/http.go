package verify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Limits on what an authorization server may send back: a key set or
// metadata document is a few KiB, an introspection answer less.
const (
	maxDocumentBytes = 1 << 20
	maxAnswerBytes   = 64 << 10
	httpTimeout      = 10 * time.Second
)

func defaultClient() *http.Client {
	return &http.Client{Timeout: httpTimeout}
}

// getJSON fetches a JSON document.
func getJSON(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return do(client, req, maxDocumentBytes)
}

// do sends req and returns the body of a 200 answer, at most limit bytes.
func do(client *http.Client, req *http.Request, limit int64) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("%s answered %s", req.URL.Redacted(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", req.URL.Redacted(), err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("the answer of %s is larger than %d bytes", req.URL.Redacted(), limit)
	}
	return body, nil
}
