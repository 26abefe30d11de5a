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
