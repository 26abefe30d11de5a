package projections

import (
	"context"
	"encoding/base64"
	"fmt"

	bolt "go.etcd.io/bbolt"

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
	v := tx.Bucket(bucketOrders).Get([]byte(id))
	if v == nil {
		return query.Order{}, false, nil
	}
	o, err := decodeOrder(id, v)
	if err != nil {
		return query.Order{}, false, err
	}
	return o.view(id), true, nil
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
			n, err := readCount(string(k), v)
			out[string(k)] = int(n)
			return err
		})
	})
	return out, err
}
