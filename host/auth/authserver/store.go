package authserver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The store keeps what must outlive a restart: registered clients, codes,
// refresh tokens and consents, in one bbolt file. Codes and refresh tokens
// are kept under the SHA-256 of their value, so a copy of the file redeems
// nothing.
var (
	bucketClients  = []byte("clients")
	bucketCodes    = []byte("codes")
	bucketRefresh  = []byte("refresh_tokens")
	bucketFamilies = []byte("families")
	bucketConsents = []byte("consents")
)

// Store is the authorization server's persistent state.
type Store struct {
	db *bolt.DB
	// swept is when expired records were last deleted (Unix seconds).
	swept atomic.Int64
}

// sweepEvery is how often new codes trigger a sweep of expired records.
const sweepEvery = time.Hour

// Client is a client registered through RFC 7591.
type Client struct {
	ID           string   `json:"client_id"`
	Name         string   `json:"client_name,omitempty"`
	URI          string   `json:"client_uri,omitempty"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types"`
	AuthMethod   string   `json:"token_endpoint_auth_method"`
	// SecretHash is the SHA-256 of the secret: secrets are random and
	// long, so a slow hash adds nothing.
	SecretHash string `json:"secret_hash,omitempty"`
	IssuedAt   int64  `json:"client_id_issued_at"`
}

// Code is an authorization code's grant, waiting to be redeemed.
type Code struct {
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Challenge   string    `json:"code_challenge"`
	Subject     string    `json:"sub"`
	Scopes      []string  `json:"scopes"`
	Resource    string    `json:"resource"`
	Expires     time.Time `json:"expires"`
	// Family is set when the code is redeemed: the refresh token family
	// it started, revoked if the code comes back.
	Family string `json:"family,omitempty"`
}

// Refresh is a refresh token. Each use rotates it: the old one is marked
// used, and a used one presented again revokes its whole family.
type Refresh struct {
	Family   string    `json:"family"`
	ClientID string    `json:"client_id"`
	Subject  string    `json:"sub"`
	Scopes   []string  `json:"scopes"`
	Resource string    `json:"resource"`
	Expires  time.Time `json:"expires"`
	Used     bool      `json:"used,omitempty"`
}

// family records whether a refresh token family still stands.
type family struct {
	Revoked bool      `json:"revoked,omitempty"`
	Expires time.Time `json:"expires"`
}

// Errors of redeeming codes and refresh tokens.
var (
	errNotFound = errors.New("not found")
	errExpired  = errors.New("expired")
	errReused   = errors.New("already used: every token it led to is revoked")
	errRevoked  = errors.New("revoked")
)

// OpenStore opens (creating) the store at path, with mode 0600.
func OpenStore(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the store's directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening the authorization server store %s: %w (is another toolgate using it?)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketClients, bucketCodes, bucketRefresh, bucketFamilies, bucketConsents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the store %s: %w", path, err)
	}
	s := &Store{db: db}
	s.swept.Store(time.Now().Unix())
	if err := s.Sweep(time.Now()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// hashSecret is the key a code or token is stored under.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newSecret is a random value of 128 bits, as a URL-safe string.
func newSecret() string { return rand.Text() }

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), b)
}

func get(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b := tx.Bucket(bucket).Get([]byte(key))
	if b == nil {
		return errNotFound
	}
	return json.Unmarshal(b, v)
}

// PutClient saves a registered client.
func (s *Store) PutClient(c Client) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketClients, c.ID, c) })
}

// Client loads a registered client; ok is false when there is none.
func (s *Store) Client(id string) (c Client, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketClients, id, &c) })
	if errors.Is(err, errNotFound) {
		return c, false, nil
	}
	return c, err == nil, err
}

// Clients counts the registered clients.
func (s *Store) Clients() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketClients).Stats().KeyN
		return nil
	})
	return n, err
}

// PutCode saves a new code under its hash. Now and then it first sweeps
// expired records, so that a server that runs for months does not grow.
func (s *Store) PutCode(code string, c Code) error {
	now := time.Now()
	if last := s.swept.Load(); now.Unix()-last >= int64(sweepEvery/time.Second) && s.swept.CompareAndSwap(last, now.Unix()) {
		if err := s.Sweep(now); err != nil {
			return err
		}
	}
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketCodes, hashSecret(code), c) })
}

// RedeemCode takes a code once. It starts a refresh token family for the
// grant and returns the code's record with Family set. A code presented
// again revokes that family (RFC 6749 §4.1.2) and fails with errReused.
func (s *Store) RedeemCode(code string, now time.Time, familyTTL time.Duration) (c Code, err error) {
	key := hashSecret(code)
	var reused bool
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bucketCodes, key, &c); err != nil {
			return err
		}
		if c.Family != "" {
			// Returning nil commits the revocation.
			reused = true
			return revokeFamily(tx, c.Family)
		}
		if now.After(c.Expires) {
			return errExpired
		}
		c.Family = newSecret()
		if err := put(tx, bucketFamilies, c.Family, family{Expires: now.Add(familyTTL)}); err != nil {
			return err
		}
		return put(tx, bucketCodes, key, c)
	})
	if err == nil && reused {
		return c, errReused
	}
	return c, err
}

// PutRefresh saves a new refresh token of a family.
func (s *Store) PutRefresh(token string, r Refresh) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketRefresh, hashSecret(token), r) })
}

// RotateRefresh spends old and saves next in its place, in one
// transaction. check may refuse the old token's record (a client
// mismatch, say) before anything changes. A token presented a second
// time revokes its family.
func (s *Store) RotateRefresh(old, next string, now time.Time, check func(Refresh) error) (r Refresh, err error) {
	key := hashSecret(old)
	var reused bool
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bucketRefresh, key, &r); err != nil {
			return err
		}
		if err := check(r); err != nil {
			return err
		}
		var f family
		if err := get(tx, bucketFamilies, r.Family, &f); err != nil || f.Revoked {
			return errRevoked
		}
		if r.Used {
			reused = true
			return revokeFamily(tx, r.Family)
		}
		if now.After(r.Expires) || now.After(f.Expires) {
			return errExpired
		}
		r.Used = true
		if err := put(tx, bucketRefresh, key, r); err != nil {
			return err
		}
		r.Used = false
		return put(tx, bucketRefresh, hashSecret(next), r)
	})
	if err == nil && reused {
		return r, errReused
	}
	return r, err
}

// RevokeRefresh revokes the family of a refresh token if clientID owns
// it; a token that is not one, or not the client's, changes nothing
// (RFC 7009 §2.2).
func (s *Store) RevokeRefresh(token, clientID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var r Refresh
		if err := get(tx, bucketRefresh, hashSecret(token), &r); err != nil || r.ClientID != clientID {
			return nil
		}
		return revokeFamily(tx, r.Family)
	})
}

func revokeFamily(tx *bolt.Tx, id string) error {
	var f family
	if err := get(tx, bucketFamilies, id, &f); err != nil {
		return nil
	}
	f.Revoked = true
	return put(tx, bucketFamilies, id, f)
}

func consentKey(subject, clientID string) string { return subject + "\x00" + clientID }

// PutConsent records the scopes a user granted a client.
func (s *Store) PutConsent(subject, clientID string, scopes []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return put(tx, bucketConsents, consentKey(subject, clientID), scopes)
	})
}

// Consent is the scopes a user last granted a client, nil if none.
func (s *Store) Consent(subject, clientID string) (scopes []string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketConsents, consentKey(subject, clientID), &scopes) })
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	return scopes, err
}

// Sweep deletes expired codes, refresh tokens and families, so the file
// does not grow for ever. A redeemed code stays until it expires, so that
// its reuse is still caught.
func (s *Store) Sweep(now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := sweep(tx, bucketCodes, func(b []byte) bool {
			var c Code
			return json.Unmarshal(b, &c) != nil || now.After(c.Expires)
		}); err != nil {
			return err
		}
		if err := sweep(tx, bucketFamilies, func(b []byte) bool {
			var f family
			return json.Unmarshal(b, &f) != nil || now.After(f.Expires)
		}); err != nil {
			return err
		}
		families := tx.Bucket(bucketFamilies)
		return sweep(tx, bucketRefresh, func(b []byte) bool {
			var r Refresh
			return json.Unmarshal(b, &r) != nil || now.After(r.Expires) || families.Get([]byte(r.Family)) == nil
		})
	})
}

func sweep(tx *bolt.Tx, bucket []byte, expired func([]byte) bool) error {
	b := tx.Bucket(bucket)
	var dead [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		if expired(v) {
			dead = append(dead, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
