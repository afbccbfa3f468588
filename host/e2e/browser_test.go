//go:build unix

package e2e

import (
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The consent page in a real browser: Debian's Chromium, headless, driven
// by playwright-core from testdata/browser. Without them the test fails,
// it does not skip.
const (
	chromiumPath = "/usr/bin/chromium"
	browserDir   = "testdata/browser"
	browserHint  = "install Debian's chromium (apt-get install chromium) and run: npm ci --prefix host/e2e/testdata/browser"
)

func checkBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is not installed at %s (%v): %s", chromiumPath, err, browserHint)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed (%v); the browser test needs Node.js 20 or later: %s", err, browserHint)
	}
	checkPinned(t, browserDir, "playwright-core", browserHint)
}

// browserConsent is what testdata/browser/consent.mjs prints.
type browserConsent struct {
	BrowserVersion string `json:"browserVersion"`
	Status         int    `json:"status"`
	Title          string `json:"title"`
	Shown          struct {
		ClientName, ClientID, RedirectHost, Resource string
		Error                                        *string
	} `json:"shown"`
	Scopes []struct {
		ID, Name, Label string
		Checked         bool
	} `json:"scopes"`
	FormBox    struct{ X, Y, Width, Height int } `json:"formBox"`
	Screenshot string                            `json:"screenshot"`
	Ticked     []string                          `json:"ticked"`
	LandedOn   string                            `json:"landedOn"`
	LandedText string                            `json:"landedText"`
}

func TestConsentBrowser(t *testing.T) {
	checkBrowser(t)
	h := startHostAt(t, oauthServerConfig(t, filesRoot(t)))
	c, _ := discover(t, h)
	c.register("none")

	// The client's loopback redirect URI, where the browser lands.
	got := make(chan url.Values, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			select {
			case got <- r.URL.Query():
			default:
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Signed in: you can close this window.\n"))
	}))
	t.Cleanup(cb.Close)
	redirect := cb.URL + "/callback"

	verifier, challenge := newPKCE()
	authorize := c.authorizeURL(challenge, "tools:echo files:read", func(q url.Values) { q.Set("redirect_uri", redirect) })
	shot := filepath.Join(t.TempDir(), "consent.png")
	var out browserConsent
	runNodeIn(t, browserDir, &out, "consent.mjs", authorize, redirect, shot, "alice", asPassword, "files:read")
	t.Logf("consent page screenshot (Chromium %s): %s", out.BrowserVersion, shot)

	// What the page showed.
	if out.Status != http.StatusOK || !strings.Contains(out.Title, "E2E Client") {
		t.Errorf("got status %d, title %q; want 200 and the client's name", out.Status, out.Title)
	}
	s := out.Shown
	if s.ClientName != "E2E Client" || s.ClientID != c.clientID || s.RedirectHost != strings.TrimSuffix(redirect, "/callback") ||
		s.Resource != c.resource || s.Error != nil {
		t.Errorf("the page showed %+v; want client E2E Client (%s), returning to %s, resource %s, no error", s, c.clientID, cb.URL, c.resource)
	}
	var offered []string
	for _, sc := range out.Scopes {
		offered = append(offered, sc.Name)
		if !sc.Checked || sc.Label != sc.Name || sc.ID != "scope-"+strings.ReplaceAll(sc.Name, ":", "-") {
			t.Errorf("scope box %+v: want it ticked, labelled with its name, id scope-…", sc)
		}
	}
	if !slices.Equal(offered, []string{"tools:echo", "files:read"}) || !slices.Equal(out.Ticked, []string{"tools:echo"}) {
		t.Errorf("the page offered %v and %v stayed ticked; want [tools:echo files:read], as asked, then [tools:echo]", offered, out.Ticked)
	}
	checkScreenshot(t, shot, out.FormBox)

	// Where the browser landed, and the code it carried.
	var q url.Values
	select {
	case q = <-got:
	default:
		t.Fatalf("the browser landed on %s, but the redirect URI got no request", out.LandedOn)
	}
	if !strings.HasPrefix(out.LandedOn, redirect+"?") || !strings.Contains(out.LandedText, "Signed in") {
		t.Errorf("the browser landed on %s showing %q, want %s", out.LandedOn, out.LandedText, redirect)
	}
	if q.Get("code") == "" || q.Get("state") != "xyz" || q.Get("iss") != c.meta["issuer"] || q.Get("error") != "" {
		t.Fatalf("the redirect URI got %v, want a code, state xyz and iss %v", q, c.meta["issuer"])
	}
	tok, status := c.token(url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier},
		"redirect_uri": {redirect}, "resource": {c.resource},
	})
	if status != http.StatusOK {
		t.Fatalf("code exchange: %d %v", status, tok)
	}
	access, _ := tok["access_token"].(string)
	_, cl := decodeJWT(t, access)
	if tok["scope"] != "tools:echo" || cl["scope"] != "tools:echo" || cl["sub"] != "alice" {
		t.Errorf("got scope %v, claims %v; want only tools:echo, for alice", tok["scope"], cl)
	}
	wantToolText(t, callWith(t, h, access, "e-1", "echo", map[string]any{"message": "from the browser"}), "from the browser")
	if r := callWith(t, h, access, "rf-1", "read_file", map[string]any{"path": "hello.txt"}); r.Status != http.StatusForbidden {
		t.Errorf("read_file with the unticked scope: got %d, want 403", r.Status)
	}
	wantNoPiece(t, "the log", h.log.String(), asPassword)
}

// checkScreenshot checks that the consent page's screenshot is a PNG of a
// page's size with something drawn on it, the form's region above all: a
// blank or failed render has a handful of colours.
func checkScreenshot(t *testing.T, path string, form struct{ X, Y, Width, Height int }) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot %s is not a PNG: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dx() > 4000 || b.Dy() < 400 || b.Dy() > 8000 {
		t.Errorf("the screenshot is %dx%d, want a page's size", b.Dx(), b.Dy())
	}
	if n := colours(img, b); n < 32 {
		t.Errorf("the screenshot has %d distinct colours, want a rendered page (at least 32)", n)
	}
	region := image.Rect(form.X, form.Y, form.X+form.Width, form.Y+form.Height).Intersect(b)
	if region.Dx() < 200 || region.Dy() < 100 {
		t.Fatalf("the form's box %+v is not within the %dx%d screenshot", form, b.Dx(), b.Dy())
	}
	if n := colours(img, region); n < 16 {
		t.Errorf("the form's region %v has %d distinct colours, want its fields and text drawn (at least 16)", region, n)
	}
}

// colours counts the distinct colours of img within r.
func colours(img image.Image, r image.Rectangle) int {
	seen := map[[4]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			seen[[4]uint32{cr, cg, cb, ca}] = true
		}
	}
	return len(seen)
}
