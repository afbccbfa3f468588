package authserver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func openTestStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreCodes(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "a.db"))
	now := time.Now()
	if err := s.PutCode("c1", Code{ClientID: "x", Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	c, err := s.RedeemCode("c1", now, time.Hour)
	if err != nil || c.Family == "" || c.ClientID != "x" {
		t.Fatalf("got %+v, %v", c, err)
	}
	if _, err := s.RedeemCode("c1", now, time.Hour); !errors.Is(err, errReused) {
		t.Errorf("second redemption: got %v, want errReused", err)
	}
	s.PutCode("c2", Code{Expires: now.Add(-time.Second)})
	if _, err := s.RedeemCode("c2", now, time.Hour); !errors.Is(err, errExpired) {
		t.Errorf("expired code: got %v", err)
	}
	if _, err := s.RedeemCode("c3", now, time.Hour); !errors.Is(err, errNotFound) {
		t.Errorf("unknown code: got %v", err)
	}
}

func TestStoreRefreshFamily(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "a.db"))
	now := time.Now()
	s.PutCode("c", Code{ClientID: "x", Expires: now.Add(time.Minute)})
	c, _ := s.RedeemCode("c", now, time.Hour)
	s.PutRefresh("r1", Refresh{Family: c.Family, ClientID: "x", Expires: now.Add(time.Hour)})
	ok := func(Refresh) error { return nil }
	if _, err := s.RotateRefresh("r1", "r2", now, ok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefresh("r2", "r3", now, ok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefresh("r1", "r4", now, ok); !errors.Is(err, errReused) {
		t.Errorf("reuse: got %v", err)
	}
	if _, err := s.RotateRefresh("r3", "r5", now, ok); !errors.Is(err, errRevoked) {
		t.Errorf("the family's newest after reuse: got %v, want errRevoked", err)
	}
	// A refused check changes nothing.
	s.PutCode("d", Code{ClientID: "x", Expires: now.Add(time.Minute)})
	d, _ := s.RedeemCode("d", now, time.Hour)
	s.PutRefresh("q1", Refresh{Family: d.Family, ClientID: "x", Expires: now.Add(time.Hour)})
	if _, err := s.RotateRefresh("q1", "q2", now, func(Refresh) error { return errNotFound }); !errors.Is(err, errNotFound) {
		t.Errorf("got %v", err)
	}
	if _, err := s.RotateRefresh("q1", "q3", now, ok); err != nil {
		t.Errorf("after a refused check: %v", err)
	}
}

func TestStorePersistsAndSweeps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "a.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.PutClient(Client{ID: "c", RedirectURIs: []string{"https://a.example/cb"}})
	s.PutCode("old", Code{Expires: now.Add(-time.Minute)})
	s.PutConsent("alice", "c", []string{"tools:echo"})
	s.Close()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("store file: %v, %v; want mode 0600", st, err)
	}
	s = openTestStore(t, path)
	if c, ok, err := s.Client("c"); !ok || err != nil || c.RedirectURIs[0] != "https://a.example/cb" {
		t.Errorf("client after reopening: %+v %v %v", c, ok, err)
	}
	if sc, _ := s.Consent("alice", "c"); len(sc) != 1 {
		t.Errorf("consent after reopening: %v", sc)
	}
	if _, err := s.RedeemCode("old", now, time.Hour); !errors.Is(err, errNotFound) {
		t.Errorf("an expired code survived the sweep: %v", err)
	}
}
