# Shortcuts; scripts/test is the one command that CI runs.

.PHONY: test test-storage bench-storage

# Everything, with PostgreSQL and a throwaway MinIO brought up for the run.
test:
	./scripts/test

# The blob and metadata stores only.
test-storage:
	./scripts/test ./storage/...

# Blob store throughput beside a plain copy+hash+fsync in the same run.
bench-storage:
	go test -run '^$$' -bench . -benchtime 20x ./storage/fsblob
