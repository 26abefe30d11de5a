//go:build e2e

// Package e2e tests the pizzeria binary from the outside: it builds
// ./cmd/pizzeria once, runs its roles as real OS processes on 127.0.0.1,
// kills and restarts them, and checks what clients and operators see over
// HTTP and on the event log.
//
// The suite needs the e2e build tag, so `go test ./...` skips it:
//
//	make kafka-up     # a real Kafka on 127.0.0.1:19092
//	make e2e          # pipeline, broker outage, poison messages
//	make crash        # crash harness, embedded and Kafka
//
// PIZZERIA_E2E_KAFKA names the bootstrap broker (default 127.0.0.1:19092);
// PIZZERIA_CRASH_KILLS sets how many kills a crash test survives (default 50).
// Every test uses its own topic prefix, so tests never see each other's
// events on the shared broker.
package e2e
