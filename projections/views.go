package projections

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/query"
)

// Order implements query.Views.
func (s *Store) Order(_ context.Context, id string) (query.Order, error) {
	var out query.Order
	err := s.view(func(tx *bolt.Tx) error {
		o, ok, err := readOrder(tx, id)
		out = o
		if err == nil && !ok {
			err = fmt.Errorf("%w: %s", query.ErrOrderNotFound, id)
		}
		return err
	})
	return out, err
}

func readOrder(tx *bolt.Tx, id string) (query.Order, bool, error) {
	o, ok, err := getOrder(tx, id)
	if err != nil || !ok {
		return query.Order{}, ok, err
	}
	prefix := pizzaKey(id, "")
	pizzas := make([]query.Pizza, 0, o.Count)
	done := 0
	c := tx.Bucket(bucketPizzas).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var p pizzaRecord
		if err := json.Unmarshal(v, &p); err != nil {
			return query.Order{}, false, err
		}
		if p.Stage == events.StageVeggies {
			done++
		}
		pizzas = append(pizzas, p.view(string(k[len(prefix):])))
	}
	return o.view(id, pizzas, done), true, nil
}

// Orders implements query.Views: newest first, cursor = the next index key.
func (s *Store) Orders(_ context.Context, cursor string, limit int) (query.OrderPage, error) {
	var start []byte
	if cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(k) <= 8 {
			return query.OrderPage{}, query.ErrInvalidCursor
		}
		start = k
	}
	page := query.OrderPage{Orders: []query.Order{}}
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketIndex).Cursor()
		k, _ := c.First()
		if start != nil {
			k, _ = c.Seek(start)
		}
		for ; k != nil; k, _ = c.Next() {
			if len(page.Orders) == limit {
				page.Next = base64.RawURLEncoding.EncodeToString(k)
				return nil
			}
			o, _, err := readOrder(tx, string(k[8:]))
			if err != nil {
				return err
			}
			page.Orders = append(page.Orders, o)
		}
		return nil
	})
	return page, err
}

// CheeseCounts implements query.Views.
func (s *Store) CheeseCounts(context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCheese).ForEach(func(k, v []byte) error {
			out[string(k)] = int(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	return out, err
}
