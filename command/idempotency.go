package command

import (
	"encoding/json"
	"fmt"
	"sync"
)

// keyRecord is what is kept under an Idempotency-Key: enough to answer a
// retry exactly as the first request was answered, and to append the very
// same event again if the first attempt may not have reached the log.
type keyRecord struct {
	Count    int    `json:"count"`     // the request the key was first used with
	OrderID  string `json:"order_id"`  // the order it named
	PlacedAt int64  `json:"placed_at"` // unix nanoseconds: the time the first answer carried
	// Appended: the OrderPlaced is known to be in the log. A record without
	// it was reserved by a request that failed or died before it knew.
	Appended bool `json:"appended,omitempty"`
}

// KeyStore keeps Idempotency-Keys durably for a window of time; records
// are opaque to it. Calls for one key are serialised by the handler.
type KeyStore interface {
	// Lookup returns the record a key holds, if one younger than the
	// window is there. It writes nothing, so it costs no commit.
	Lookup(key string) (rec []byte, found bool, err error)
	// Reserve stores rec under key unless a record younger than the window
	// is there, and returns the record the key now holds.
	Reserve(key string, rec []byte) ([]byte, error)
	// Replace overwrites the record of a key, keeping its age.
	Replace(key string, rec []byte) error
}

// held returns the record key holds, reserving it for o if it holds none:
// a key already known costs a read, a new one the one commit of its
// reservation.
func (h *PlaceOrderHandler) held(key string, o order) (keyRecord, error) {
	v, found, err := h.keys.Lookup(key)
	if err == nil && !found {
		var rec []byte
		if rec, err = json.Marshal(keyRecord{Count: o.count, OrderID: o.id, PlacedAt: o.placedAt.UnixNano()}); err == nil {
			v, err = h.keys.Reserve(key, rec)
		}
	}
	if err != nil {
		return keyRecord{}, err
	}
	var held keyRecord
	if err := json.Unmarshal(v, &held); err != nil {
		return keyRecord{}, fmt.Errorf("the stored record of the key is unreadable: %w", err)
	}
	return held, nil
}

func (h *PlaceOrderHandler) markAppended(key string, rec keyRecord) error {
	rec.Appended = true
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return h.keys.Replace(key, v)
}

// keyLocks serialises requests carrying the same key inside one process,
// so concurrent first requests append once and answer alike. Entries live
// only while someone holds or waits for them.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	refs int
}

func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyLock)
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
