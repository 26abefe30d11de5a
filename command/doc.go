// Package command places orders: it validates a request and appends exactly
// one OrderPlaced, so an order exists whole or not at all.
//
// # Idempotency keys: one commit per request
//
// A request with an Idempotency-Key pays one commit of the key store and
// the append, not two commits. The first request with a key reserves it
// (order id, count, placed_at) durably, appends, and answers; the mark that
// the append happened is written after the answer, while the key is still
// locked in the process. A later request with the key reads the record
// (no commit) and, if it is marked, answers from it and appends nothing.
// PlaceOrderHandler.Close waits for the marks still in flight, so an
// orderly stop loses none.
//
// Why no guarantee is lost:
//
//   - One order for 50 parallel requests with one key, answered alike:
//     requests with one key are serialised in the process, and the lock is
//     released only after the mark has committed (or failed). So the first
//     one reserves and appends; each of the others, in turn, finds the
//     record marked, and answers from it: the same order id and placed_at,
//     so the same bytes.
//   - The same key with another body is refused: the record keeps the first
//     count whatever its mark says, and another count is
//     ErrIdempotencyKeyReused before anything is appended.
//   - A crash between the append and the mark makes no second order: the
//     reservation committed before the append, so the retry finds the key
//     unmarked with its order id and placed_at, appends the identical event
//     (same event id, same bytes), which every consumer drops as a
//     duplicate, and answers as the first attempt would have. The mark being
//     written after the answer only widens this window from "between the
//     append and the mark" to "between the append and the mark's commit",
//     which the same argument covers; a mark that fails is the same case.
//   - A failed append leaves the key reserved and unmarked: the retry
//     appends it.
//
// The reservation cannot move after the append, into one commit with the
// mark: a crash after the append would then leave no record, and the retry
// would append an OrderPlaced with the same event id but another placed_at,
// a different event under the same id, answering a time the log does not
// hold.
package command
