// Package kafka is Pizzeria's Kafka transport: a watermill Publisher and
// Subscriber over sarama, plus the few cluster operations the composition root
// needs (topic creation, reachability, consumer lag, replay reads).
//
// Delivery guarantees:
//   - Publish returns nil only after every in-sync replica has the message
//     (acks=all). The producer is idempotent, so sarama's internal retries never
//     write a message twice, and messages with the same correlation id keep
//     their order on one partition. A Publish that returns an error may still
//     have written the message: callers that retry get at-least-once delivery,
//     and readers deduplicate by event id.
//   - Subscribers deliver at least once. An offset is marked only after the
//     handler acks the message and is committed asynchronously about once a
//     second and when the subscriber closes, so a crash redelivers what was
//     handled since the last commit. Within a partition, delivery is in offset
//     order, one message at a time.
//   - ReadAll reads a snapshot: every record below the high-water marks taken
//     when it starts, partition by partition, in offset order.
//
// Only the composition root should import this package; everything else codes
// against watermill's message.Publisher and message.Subscriber.
package kafka
