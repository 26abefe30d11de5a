// Package archtest holds the test that keeps Pizzeria's layers pointing
// inward: the domain (events, then command, kitchen and query) knows no
// infrastructure, the HTTP layer knows commands and queries but no store or
// transport, and the transports know nothing of the kitchen. Only the
// composition root (cmd/pizzeria) sees everything.
package archtest
