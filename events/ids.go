package events

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// namespace scopes every name-based (version 5) UUID Pizzeria derives.
// Changing it would change every derived id: never do.
var namespace = uuid.MustParse("5b0f6d1e-8c1a-4f0e-9a57-2f1d3c6b9e40")

func derive(parts ...string) string {
	return uuid.NewSHA1(namespace, []byte(strings.Join(parts, "/"))).String()
}

// OrderIDForKey derives the order id for a request carrying an
// Idempotency-Key, so a retried request names the same order on any node,
// before or after a crash.
func OrderIDForKey(key string) string { return derive("idempotency-key", key) }

// PizzaID is the id of pizza k (0-based) of an order.
func PizzaID(orderID string, k int) string { return derive("pizza", orderID, strconv.Itoa(k)) }

// LegacyPizzaID names a pizza that arrived without a pizza_id (from the
// original services) by where it was first read, which is stable across
// redelivery.
func LegacyPizzaID(topic, partition, offset string) string {
	return derive("legacy-pizza", topic, partition, offset)
}

// OrderPlacedID is the event id of an order's OrderPlaced.
func OrderPlacedID(orderID string) string { return derive(string(TypeOrderPlaced), orderID) }

// OrderCompletedID is the event id of an order's OrderCompleted.
func OrderCompletedID(orderID string) string { return derive(string(TypeOrderCompleted), orderID) }

// PizzaEventID is the event id of the event recording that a pizza reached
// stage s: a redelivered or replayed message yields the same id.
func PizzaEventID(s Stage, pizzaID string) string { return derive(string(s.EventType()), pizzaID) }
