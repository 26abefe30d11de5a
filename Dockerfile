# syntax=docker/dockerfile:1
#
# Pizzeria: one static binary that runs every role (`pizzeria`, `pizzeria
# command-api`, `pizzeria stage cheese`, ...).
#
#   docker build -t pizzeria .
#   docker run --rm -p 8080:8080 -v pizzeria-data:/data pizzeria
#
# The runtime image is distroless (no shell, no curl): health checks use the
# binary itself, e.g. `pizzeria healthcheck --url http://127.0.0.1:8080/healthz`.
# They are declared per role in docker-compose.yml, since not every role serves
# the same endpoints.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src

# Module downloads are cached in their own layer, rebuilt only when go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /pizzeria ./cmd/pizzeria

# The data directory is created here so that a fresh named volume mounted on
# /data inherits the non-root owner.
RUN mkdir -p /out/data && chown 65532:65532 /out/data


FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /pizzeria /pizzeria
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV PIZZERIA_DATA_DIR=/data \
    PIZZERIA_HTTP_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/pizzeria"]
