// Package kitchen is the order manager and the four stage workers: each a
// Reactor, a function from one event on its input topic to the events it
// causes, with no I/O of its own. One adapter (Bind) runs any of them on the
// log: it decodes the message, reacts, encodes the outputs and names the
// topics, so transports and reactors never meet.
//
// Delivery is at least once, so every reaction is deterministic: the same
// input yields the same output event ids and toppings (the stages' choice is
// a pure function of pizza id and stage, see Chooser), and consumers
// downstream drop the duplicates exactly. The one reactor with state,
// Completion, keeps it in a CompletionLedger that RebuildLedger can refill
// from the log.
package kitchen
