# bluegreen: blue/green releases of CloudFormation stacks with Route 53 weighted records.
# `make demo` runs the whole flow on a local AWS; `make test` runs every test; `make deploy` deploys with the CDK.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Find Go and the installed tools even in a bare environment (env -i): PATH as given, then the usual places.
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin:$(shell go env GOPATH 2>/dev/null || echo $(HOME)/go)/bin
GO ?= go
FUNCTIONS := createstack healthcheck shiftweight switch rollback
BUILD := build
GOFLAGS_BUILD := -tags lambda.norpc -trimpath -buildvcs=false -ldflags='-s -w'
CDK := .tools/node_modules/.bin/cdk
CDK_ENV := CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
CDK_FLAGS := --no-notices

.PHONY: deps help build build-aws build-host test test-short lint vet fmt bench bench-micro size demo localaws tools synth diff deploy clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: build-aws build-host ## build every Lambda for AWS (linux/arm64) and for this machine (the local AWS)

build-aws: ## build/functions/<name>/bootstrap, linux/arm64, for AWS
	@for f in $(FUNCTIONS); do \
		echo "build $$f (linux/arm64)"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BUILD)/functions/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	@ls -l $(BUILD)/functions/*/bootstrap

build-host: ## build/host/<name>/bootstrap for this machine's OS and architecture (run under aws-lambda-rie)
	@for f in $(FUNCTIONS); do \
		CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BUILD)/host/$$f/bootstrap ./functions/$$f || exit 1; \
	done

RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
GOBIN_DIR := $(shell $(GO) env GOPATH 2>/dev/null)/bin

# deps installs what is missing, and only that: the pinned npm tools and aws-lambda-rie (moto and cfn-lint come with
# the machine's Python; the tests say so clearly when they are missing).
deps:
	@test -x $(CDK) -a -x .tools/node_modules/.bin/asl-validator || npm ci --prefix .tools --no-audit --no-fund
	@command -v aws-lambda-rie >/dev/null 2>&1 || test -x $(GOBIN_DIR)/aws-lambda-rie || \
		$(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

test: deps lint ## every test, including the ones against the local AWS and the CDK synth
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(GO) test -p 1 -count=1 -timeout 30m ./...

test-short: ## the unit tests only: every package but those that start the local AWS or synthesize the CDK app
	$(GO) test $$($(GO) list ./... | grep -v -e /internal/localaws -e /internal/localdeploy -e /internal/cli -e /infra)

lint: vet fmt ## go vet and gofmt

vet:
	$(GO) vet ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench: deps build-aws build-host ## end to end on the local AWS: Route 53 calls, transitions, wall times, bootstraps (build/bench/bench.json)
	$(GO) run ./cmd/bench -out $(BUILD)/bench/bench.json -aws $(BUILD)/functions -host $(BUILD)/host

bench-micro: ## Go micro-benchmarks (state reader, batch rules, zone apply)
	$(GO) test -run=NONE -bench=. -benchmem ./internal/records/ ./internal/zone/

MAX_BOOTSTRAP_BYTES := 12582912
size: build-aws ## check that every AWS bootstrap is at most 12 MiB
	@for f in $(FUNCTIONS); do \
		s=$$(stat -c %s $(BUILD)/functions/$$f/bootstrap); \
		printf "%-12s %8d bytes (%d KiB)\n" $$f $$s $$((s/1024)); \
		if [ $$s -gt $(MAX_BOOTSTRAP_BYTES) ]; then echo "$$f is over 12 MiB" >&2; exit 1; fi; \
	done

demo: deps ## the product on the local AWS: a release, one started by an upload, one rolled back at 30 %, a manual rollback, a stopped one reconciled
	$(GO) run ./cmd/demo

localaws: deps ## run the local AWS with the deployer and a demo app installed (prints the environment, and the DNS port: dig @127.0.0.1 -p PORT)
	$(GO) run ./cmd/localaws -deployer

tools: ## install what the tests need: npm tools (pinned in .tools/package-lock.json), Go modules, aws-lambda-rie
	npm ci --prefix .tools --no-audit --no-fund
	$(GO) mod download
	$(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

synth: deps build-aws ## synthesize the CloudFormation template (cdk.out/)
	$(CDK_ENV) $(CDK) synth $(CDK_FLAGS) --quiet

diff: deps build-aws ## compare the deployed stack with the code
	$(CDK_ENV) $(CDK) diff $(CDK_FLAGS)

deploy: deps build-aws ## deploy to the AWS account of your credentials
	$(CDK_ENV) $(CDK) deploy $(CDK_FLAGS)

clean:
	rm -rf $(BUILD) cdk.out
