# Pizzeria developer tasks: `make help` lists them.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

KAFKA := scripts/kafka/kafka.sh

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-16s %s\n", $$1, $$2}'

# Local Apache Kafka: one KRaft node (broker + controller) run from Maven Central
# jars. Configured through the environment (KAFKA_PORT, KAFKA_VERSION,
# KAFKA_CACHE_DIR, KAFKA_DATA_DIR, ...); see `scripts/kafka/kafka.sh help`.

.PHONY: kafka-up
kafka-up: ## Start Kafka on 127.0.0.1:19092 (KAFKA_PORT) and wait until it accepts clients
	@$(KAFKA) up

.PHONY: kafka-down
kafka-down: ## Stop Kafka and delete its data
	@$(KAFKA) down

# End-to-end tests: the pizzeria binary as real processes. Those on Kafka
# expect the broker up (make kafka-up); PIZZERIA_E2E_KAFKA overrides its address.
E2E_GO_TEST := go test -tags e2e -count=1 -v

.PHONY: e2e
e2e: ## Run the real-Kafka end-to-end suite: pipeline, broker outage, poison messages
	$(E2E_GO_TEST) -timeout 20m -run 'TestKafkaPipeline|TestBrokerOutage|TestPoisonMessages' ./e2e/

.PHONY: crash
crash: ## Kill processes at random under load, embedded and Kafka (PIZZERIA_CRASH_KILLS, default 50)
	$(E2E_GO_TEST) -timeout 20m -run 'TestCrashEmbedded|TestCrashKafka' ./e2e/

.PHONY: crash-embedded
crash-embedded: ## Crash harness on the embedded log (no Kafka needed)
	$(E2E_GO_TEST) -timeout 10m -run 'TestCrashEmbedded' ./e2e/

.PHONY: crash-kafka
crash-kafka: ## Crash harness with every role its own process on Kafka
	$(E2E_GO_TEST) -timeout 10m -run 'TestCrashKafka' ./e2e/

# Everyday targets.

.PHONY: run
run: ## Run every role in one process on the embedded log (./data, :8080)
	go run ./cmd/pizzeria

.PHONY: test
test: ## Unit, conformance and hermetic Kafka tests with the race detector
	go test -race -count=1 ./...

.PHONY: bench
bench: ## The whole kitchen end to end (embedded; Kafka too when up; 1000 × 10 with 1000 open kitchen streams), medians appended to bench/RESULTS.md
	go run ./bench --runs 3
	go test -run '^$$' -bench . -benchtime 2s -count 3 ./internal/boltlog/

SOAK ?= 10m

.PHONY: soak
soak: ## One embedded process at 200 orders/s of 5 pizzas for SOAK (10m), then a restart: RSS, heap, disk per pizza, start-up
	go run ./bench --soak $(SOAK)

.PHONY: ci
ci: ## What CI runs, from a clean clone
	bash .ci/run
